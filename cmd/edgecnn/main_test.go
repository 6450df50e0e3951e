package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/models"
)

// binary is the edgecnn command built once for all tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "edgecnn-test")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "edgecnn")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		panic("go build: " + err.Error() + "\n" + string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// edgecnn runs the command and returns its stdout, stderr and exit code.
func edgecnn(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return out.String(), errOut.String(), code
}

// TestEmbeddedLeNet5Accuracy is the committed model's guarantee: at least
// 99.0% top-1 on the full 10k MNIST test set, measured through `eval`.
func TestEmbeddedLeNet5Accuracy(t *testing.T) {
	stdout, stderr, code := edgecnn(t, "eval", "--json")
	require.Zero(t, code, stderr)
	var res struct {
		Top1   float64 `json:"top1"`
		N      int     `json:"n"`
		Kernel string  `json:"kernel"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &res))
	require.Equal(t, 10000, res.N)
	require.GreaterOrEqual(t, res.Top1, 0.99)
	require.NotEmpty(t, res.Kernel)
}

func TestEvalWritesConfusionMatrix(t *testing.T) {
	png := filepath.Join(t.TempDir(), "confusion.png")
	stdout, stderr, code := edgecnn(t, "eval", "--limit", "500", "--confusion", png)
	require.Zero(t, code, stderr)
	require.Contains(t, stdout, "top-1")
	require.Contains(t, stdout, "per class:")
	data, err := os.ReadFile(png)
	require.NoError(t, err)
	require.Equal(t, "\x89PNG", string(data[:4]))
}

func TestConvertWritesInt8Model(t *testing.T) {
	out := filepath.Join(t.TempDir(), "lenet5.int8.safetensors")
	stdout, stderr, code := edgecnn(t, "convert", "--in", "../../models/lenet5.safetensors", "--calib", "mnist",
		"--calib-n", "200", "--out", out)
	require.Zero(t, code, stderr)
	for _, want := range []string{"SQNR dB", "conv1", "fc3", "float32 output", "wrote " + out} {
		require.Contains(t, stdout, want)
	}
	stdout, stderr, code = edgecnn(t, "eval", "--model", out, "--limit", "500", "--json")
	require.Zero(t, code, stderr)
	var res struct {
		Top1   float64 `json:"top1"`
		Kernel string  `json:"kernel"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &res))
	require.Greater(t, res.Top1, 0.97)
	require.NotEmpty(t, res.Kernel)
	stdout, _, code = edgecnn(t, "inspect", "--model", out)
	require.Zero(t, code)
	require.Contains(t, stdout, "format  int8")
	require.Contains(t, stdout, "zero point")
	require.Contains(t, stdout, "linear, float32 output", "the logits come from fc3's int32 accumulators")
}

// TestConvertNoBiasCorrection: the flag keeps the plainly rounded biases,
// so the same calibration writes a different model than the default.
func TestConvertNoBiasCorrection(t *testing.T) {
	dir := t.TempDir()
	var files [2][]byte
	for i, extra := range [][]string{nil, {"--no-bias-correction"}} {
		out := filepath.Join(dir, fmt.Sprintf("m%d.safetensors", i))
		args := append([]string{"convert", "--in", "../../models/lenet5.safetensors", "--calib-n", "50", "--out", out}, extra...)
		_, stderr, code := edgecnn(t, args...)
		require.Zero(t, code, stderr)
		var err error
		files[i], err = os.ReadFile(out)
		require.NoError(t, err)
	}
	require.Equal(t, len(files[0]), len(files[1]), "same layers and shapes")
	require.NotEqual(t, files[0], files[1], "the biases differ")
}

// TestConvertLeavesNoFileOnError: a failed conversion writes nothing.
func TestConvertLeavesNoFileOnError(t *testing.T) {
	dir := t.TempDir()
	cifar := filepath.Join(dir, "cifar")
	require.NoError(t, os.Mkdir(cifar, 0o755))
	for i := 1; i <= 5; i++ {
		require.NoError(t, os.WriteFile(filepath.Join(cifar, fmt.Sprintf("data_batch_%d.bin", i)), make([]byte, 2*3073), 0o644))
	}
	out := filepath.Join(dir, "out.safetensors")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--in", "../../models/lenet5.int8.safetensors"}, 1, "already int8"},
		{[]string{"--in", "../../models/lenet5.safetensors", "--calib-n", "0"}, 2, "--calib-n"},
		{[]string{"--in", "../../models/lenet5.safetensors", "--calib", cifar}, 1, "calibration images are 3x32x32"},
		{[]string{"--in", "../../models/lenet5.safetensors", "--float", "pool1"}, 1, "pool1"},
	} {
		_, stderr, code := edgecnn(t, append([]string{"convert", "--out", out, "--calib-n", "50"}, c.args...)...)
		require.Equal(t, c.code, code, stderr)
		require.Contains(t, stderr, c.want)
		require.Equal(t, 1, strings.Count(strings.TrimSpace(stderr), "\n")+1, "one line: %q", stderr)
		require.NoFileExists(t, out)
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary files left")
}

func TestBenchJSON(t *testing.T) {
	stdout, stderr, code := edgecnn(t, "bench", "--time", "200ms", "--warmup", "7", "--threads", "1", "--batch", "4", "--json")
	require.Zero(t, code, stderr)
	var r struct {
		MS      float64 `json:"ms"`
		Warmup  int     `json:"warmup"`
		Runs    int     `json:"runs"`
		Mean    float64 `json:"mean_ms"`
		Std     float64 `json:"std_ms"`
		Min     float64 `json:"min_ms"`
		P90     float64 `json:"p90_ms"`
		Max     float64 `json:"max_ms"`
		Load    float64 `json:"load_ms"`
		Build   float64 `json:"build_ms"`
		PeakRSS int64   `json:"peak_rss_bytes"`
		Batch   int     `json:"batch"`
		Threads int     `json:"threads"`
		Kernel  string  `json:"kernel"`
		Board   string  `json:"board"`
		Layers  []struct {
			Name   string `json:"name"`
			Format string `json:"format"`
		} `json:"layers"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &r))
	require.Positive(t, r.MS)
	require.Equal(t, 7, r.Warmup)
	require.GreaterOrEqual(t, r.Runs, 5)
	require.True(t, 0 < r.Min && r.Min <= r.MS && r.MS <= r.P90 && r.P90 <= r.Max, "%+v", r)
	require.True(t, r.Min <= r.Mean && r.Mean <= r.Max, "%+v", r)
	require.GreaterOrEqual(t, r.Std, 0.0)
	require.Positive(t, r.Load)
	require.Positive(t, r.Build)
	require.Greater(t, r.PeakRSS, int64(1<<20))
	require.Equal(t, 4, r.Batch)
	require.Equal(t, 1, r.Threads)
	require.NotEmpty(t, r.Kernel)
	require.NotEmpty(t, r.Board)
	require.Len(t, r.Layers, 12)
	require.Equal(t, "int8", r.Layers[0].Format)
	require.Equal(t, "fused", r.Layers[1].Format)
	_, stderr, code = edgecnn(t, "bench", "--batch", "0")
	require.Equal(t, 2, code, stderr)
}

// TestBuiltinNetworks: --model takes the name of a network that
// internal/randmodel builds with random weights.
func TestBuiltinNetworks(t *testing.T) {
	stdout, stderr, code := edgecnn(t, "inspect", "--model", "mobilenetv2-f32")
	require.Zero(t, code, stderr)
	for _, want := range []string{"mobilenetv2 (random weights, float32)", "3x224x224", "features.1.conv.0.0",
		"conv2d 3x3/1 pad 1 groups 32", "features.3.add", "classifier.1", "3487816", "300774272", "format  float32"} {
		require.Contains(t, stdout, want)
	}
	_, stderr, code = edgecnn(t, "inspect", "--model", "mobilenetv3")
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "nor is it a built-in network: alexnet, mobilenetv1, mobilenetv2, resnet18")
	if testing.Short() {
		t.Skip("quantizing MobileNet v2 takes seconds")
	}
	stdout, stderr, code = edgecnn(t, "bench", "--model", "mobilenetv2", "--time", "100ms", "--threads", "1", "--json")
	require.Zero(t, code, stderr)
	var r struct {
		Model  string `json:"model"`
		Layers []struct {
			Name, Op, Format string
		} `json:"layers"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &r))
	require.Equal(t, "mobilenetv2 (random weights, int8)", r.Model)
	require.Equal(t, "features.0.0", r.Layers[0].Name)
	require.Equal(t, "int8", r.Layers[0].Format)
}

func TestInspect(t *testing.T) {
	stdout, stderr, code := edgecnn(t, "inspect")
	require.Zero(t, code, stderr)
	for _, want := range []string{"lenet5", "conv1", "conv2d 5x5/1", "6x28x28", "fc3", "61706"} {
		require.Contains(t, stdout, want)
	}
}

func TestTrainShortRunWritesModelMetricsAndPlot(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "m.safetensors")
	stdout, stderr, code := edgecnn(t, "train", "--arch", "lenet5", "--data", "mnist", "--limit", "1000",
		"--epochs", "1", "--out", out)
	require.Zero(t, code, stderr)
	require.Contains(t, stdout, "epoch 1:")
	for _, f := range []string{out, out + ".ckpt", filepath.Join(dir, "m.csv"), filepath.Join(dir, "m.png")} {
		require.FileExists(t, f)
	}
	csv, err := os.ReadFile(filepath.Join(dir, "m.csv"))
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(csv), "epoch,loss,train_top1,test_top1,seconds,images_per_s,lr,test_loss\n1,"))
	_, stderr, code = edgecnn(t, "eval", "--model", out, "--limit", "100")
	require.Zero(t, code, stderr)
}

// TestInterruptSavesCheckpointAndResumes sends Ctrl-C in the middle of an
// epoch: the command saves a checkpoint and exits 130 with one line; --resume
// then finishes the run.
func TestInterruptSavesCheckpointAndResumes(t *testing.T) {
	out := filepath.Join(t.TempDir(), "m.safetensors")
	cmd := exec.Command(binary, "train", "--limit", "5000", "--epochs", "1", "--threads", "1", "--out", out)
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	lines := bufio.NewScanner(stderr)
	var last string
	for lines.Scan() {
		if last = lines.Text(); strings.HasPrefix(last, "epoch 1/1 ") {
			require.NoError(t, cmd.Process.Signal(os.Interrupt))
			break
		}
	}
	for lines.Scan() {
		last = lines.Text()
	}
	var exit *exec.ExitError
	require.ErrorAs(t, cmd.Wait(), &exit)
	require.Equal(t, 130, exit.ExitCode())
	require.Contains(t, last, "checkpoint saved to "+out+".ckpt")
	require.NoFileExists(t, out)

	stdout, errOut, code := edgecnn(t, "train", "--resume", "--out", out)
	require.Zero(t, code, errOut)
	require.Contains(t, errOut, "resuming from")
	require.Contains(t, stdout, "epoch 1:")
	require.FileExists(t, out)
	_, errOut, code = edgecnn(t, "train", "--resume", "--out", out)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "already finished")
}

// TestBadInput: every mistake is one line on stderr naming the flag or file
// and the problem, with exit code 2 for usage errors and 1 otherwise.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	truncated := filepath.Join(dir, "truncated.safetensors")
	require.NoError(t, os.WriteFile(truncated, models.LeNet5()[:1000], 0o644))
	corrupted := filepath.Join(dir, "corrupted.safetensors")
	bad := append([]byte(nil), models.LeNet5()...)
	copy(bad[8:], "{garbage")
	require.NoError(t, os.WriteFile(corrupted, bad, 0o644))
	badIDX := filepath.Join(dir, "mnist")
	require.NoError(t, os.Mkdir(badIDX, 0o755))
	for _, name := range []string{"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"} {
		require.NoError(t, os.WriteFile(filepath.Join(badIDX, name), []byte{0, 0, 8, 1, 0, 0, 0, 5}, 0o644))
	}
	cifar := filepath.Join(dir, "cifar")
	require.NoError(t, os.Mkdir(cifar, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(cifar, "test_batch.bin"), make([]byte, 2*3073), 0o644))

	cases := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"unknown flag", []string{"eval", "--bogus"}, 2, []string{"--bogus"}},
		{"unknown command", []string{"bogus"}, 2, []string{"bogus"}},
		{"stray argument", []string{"inspect", "extra"}, 2, []string{"extra"}},
		{"unknown architecture", []string{"train", "--arch", "resnet", "--out", filepath.Join(dir, "x")}, 2, []string{"--arch", "resnet"}},
		{"missing --out", []string{"train"}, 2, []string{"--out"}},
		{"truncated model", []string{"inspect", "--model", truncated}, 1, []string{truncated}},
		{"corrupted model", []string{"eval", "--model", corrupted}, 1, []string{corrupted}},
		{"missing model", []string{"eval", "--model", filepath.Join(dir, "nope")}, 1, []string{"nope"}},
		{"bad IDX", []string{"eval", "--data", "mnist:" + badIDX}, 1, []string{"--data", "t10k-", "magic"}},
		{"missing dataset", []string{"eval", "--data", filepath.Join(dir, "nothing")}, 1, []string{"--data", "nothing"}},
		{"shape mismatch", []string{"eval", "--data", cifar}, 1, []string{"3x32x32", "1x32x32"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, stderr, code := edgecnn(t, c.args...)
			require.Equal(t, c.code, code, stderr)
			require.Equal(t, 1, strings.Count(strings.TrimSpace(stderr), "\n")+1, "one line: %q", stderr)
			require.NotContains(t, stderr, "panic")
			for _, w := range c.want {
				require.Contains(t, stderr, w)
			}
		})
	}
}
