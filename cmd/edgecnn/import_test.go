package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/internal/npy"
	"github.com/edgecnn/edgecnn/nn"
)

const onnxFixtures = "../../tools/convert/onnx/testdata"

// TestImportPredict imports the PyTorch residual CNN and checks that
// predict prints PyTorch's logits for the sample batch.
func TestImportPredict(t *testing.T) {
	dir := t.TempDir()
	labels := filepath.Join(dir, "labels.txt")
	require.NoError(t, os.WriteFile(labels, []byte("zero\none\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\n"), 0o644))
	model := filepath.Join(dir, "resnet.safetensors")
	stdout, stderr, code := edgecnn(t, "import", "--onnx", filepath.Join(onnxFixtures, "resnet.onnx"),
		"--out", model, "--labels", labels, "--digit")
	require.Zero(t, code, stderr)
	require.Contains(t, stdout, "wrote "+model)

	stdout, stderr, code = edgecnn(t, "predict", "--model", model, "--input", filepath.Join(onnxFixtures, "input.npy"), "--json")
	require.Zero(t, code, stderr)
	var res struct {
		Logits [][]float32 `json:"logits"`
		Labels []string    `json:"labels"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &res))
	require.Equal(t, "nine", res.Labels[9])
	data, err := os.ReadFile(filepath.Join(onnxFixtures, "resnet_logits.npy"))
	require.NoError(t, err)
	want, err := npy.Decode(data)
	require.NoError(t, err)
	require.Len(t, res.Logits, want.Shape[0])
	for i, row := range res.Logits {
		for c, v := range row {
			require.LessOrEqual(t, math.Abs(float64(v-want.Data[i*10+c])), 1e-4, "sample %d class %d", i, c)
		}
	}

	logits := filepath.Join(dir, "logits.npy")
	stdout, stderr, code = edgecnn(t, "predict", "--model", model, "--input", filepath.Join(onnxFixtures, "input.npy"), "--out", logits)
	require.Zero(t, code, stderr)
	require.Equal(t, "wrote "+logits+" (64 x 10 logits)\n", stdout)
	data, err = os.ReadFile(logits)
	require.NoError(t, err)
	got, err := npy.Decode(data)
	require.NoError(t, err)
	require.Equal(t, []int{64, 10}, got.Shape)
	for i, row := range res.Logits {
		require.Equal(t, row, got.Data[i*10:(i+1)*10], "the file holds what --json prints")
	}

	stdout, stderr, code = edgecnn(t, "predict", "--model", model, "--input", filepath.Join(onnxFixtures, "input.npy"))
	require.Zero(t, code, stderr)
	require.Len(t, strings.Split(strings.TrimSpace(stdout), "\n"), 64)
	require.True(t, strings.HasPrefix(stdout, "0\tseven\t"), stdout[:40])
}

// TestImportUnsupported: one message lists every unsupported node and the
// opset, the exit code is 1 and no file is written.
func TestImportUnsupported(t *testing.T) {
	out := filepath.Join(t.TempDir(), "m.safetensors")
	_, stderr, code := edgecnn(t, "import", "--onnx", filepath.Join(onnxFixtures, "unsupported.onnx"), "--out", out)
	require.Equal(t, 1, code)
	require.Contains(t, stderr, `unsupported.onnx (opset 13): unsupported nodes: "/Softplus" (Softplus), "/lstm/LSTM" (LSTM)`)
	_, err := os.Stat(out)
	require.True(t, os.IsNotExist(err), "import wrote %s", out)
	entries, err := os.ReadDir(filepath.Dir(out))
	require.NoError(t, err)
	require.Empty(t, entries)
}

func TestImportPredictUsage(t *testing.T) {
	_, stderr, code := edgecnn(t, "import", "--onnx", "x.onnx")
	require.Equal(t, 2, code, stderr)
	_, stderr, code = edgecnn(t, "import", "--onnx", "x.onnx", "--out", "y", "--input-norm", "0.5")
	require.Equal(t, 2, code, stderr)
	require.Contains(t, stderr, "--input-norm")
	_, stderr, code = edgecnn(t, "predict", "--input", filepath.Join(onnxFixtures, "lenet5_logits.npy"))
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "has shape [64 10]; embedded LeNet-5 takes [N, 1, 32, 32]")
}

func TestParseNorm(t *testing.T) {
	for _, c := range []struct {
		in        string
		mean, std []float32
	}{
		{"0/1", []float32{0}, []float32{1}},
		{"0.1307,0.3081", []float32{0.1307}, []float32{0.3081}},
		{"0.485,0.456,0.406/0.229,0.224,0.225", []float32{0.485, 0.456, 0.406}, []float32{0.229, 0.224, 0.225}},
		{"imagenet", []float32{0.485, 0.456, 0.406}, []float32{0.229, 0.224, 0.225}},
	} {
		mean, std, err := parseNorm(c.in)
		require.NoError(t, err, c.in)
		require.Equal(t, c.mean, mean, c.in)
		require.Equal(t, c.std, std, c.in)
	}
	for _, bad := range []string{"0.5", "a/b", "0.5/0", "1,2,3"} {
		_, _, err := parseNorm(bad)
		require.Error(t, err, bad)
	}
}

// TestImportPresetImageNet: --preset imagenet stores torchvision's ImageNet
// recipe in the model (inspect shows it); a 3-channel model without a
// normalisation draws a warning; conflicting flags are usage errors.
func TestImportPresetImageNet(t *testing.T) {
	onnxFile := filepath.Join("testdata", "rgb.onnx")
	out := filepath.Join(t.TempDir(), "m.safetensors")
	_, stderr, code := edgecnn(t, "import", "--onnx", onnxFile, "--out", out, "--preset", "imagenet")
	require.Zero(t, code, stderr)
	require.NotContains(t, stderr, "warning")
	m, err := nn.Load(out)
	require.NoError(t, err)
	require.Equal(t, 256, m.Input.Resize)
	require.Equal(t, nn.ImageNet.Mean, m.Input.Mean)

	_, stderr, code = edgecnn(t, "import", "--onnx", onnxFile, "--out", out)
	require.Zero(t, code, stderr)
	require.Contains(t, stderr, "warning: no normalisation given for a 3-channel model")

	_, stderr, code = edgecnn(t, "import", "--onnx", onnxFile, "--out", out, "--input-norm", "0.5/0.5", "--resize", "48", "--bgr")
	require.Zero(t, code, stderr)
	m, err = nn.Load(out)
	require.NoError(t, err)
	require.True(t, m.Input.BGR)
	require.Equal(t, 48, m.Input.Resize)

	for _, args := range [][]string{
		{"--preset", "imagenet", "--input-norm", "0.5/0.5"},
		{"--preset", "coco"},
		{"--resize", "8"},
	} {
		_, stderr, code := edgecnn(t, append([]string{"import", "--onnx", onnxFile, "--out", out}, args...)...)
		require.Equal(t, 2, code, "%v: %s", args, stderr)
	}
}

// TestInspectImported: inspect on an imported ShuffleNet (exported without
// constant folding) shows how its ONNX nodes map to layers (a channel
// shuffle and split become one layer) and which nodes were folded, in
// text and in JSON.
func TestInspectImported(t *testing.T) {
	out := filepath.Join(t.TempDir(), "m.safetensors")
	_, stderr, code := edgecnn(t, "import", "--onnx", filepath.Join(onnxFixtures, "zoo", "shufflenet_v2_x0_5.raw.onnx"),
		"--out", out, "--preset", "imagenet")
	require.Zero(t, code, stderr)

	stdout, stderr, code := edgecnn(t, "inspect", "--model", out)
	require.Zero(t, code, stderr)
	require.Regexp(t, `imported from ONNX opset 13: \d+ nodes -> 142 layers, \d+ nodes folded`, stdout)
	require.Regexp(t, `(?m)^/stage2/stage2.1/Slice +/stage2/stage2.0/Reshape \(Reshape\), /stage2/stage2.0/Transpose \(Transpose\), `+
		`/stage2/stage2.0/Reshape_1 \(Reshape\), /stage2/stage2.1/Slice \(Slice\)$`, stdout)
	require.Regexp(t, `(?m)^  Constant +\d+ +/stage2/stage2.0/Constant, `, stdout)

	stdout, stderr, code = edgecnn(t, "inspect", "--model", out, "--json")
	require.Zero(t, code, stderr)
	var r struct {
		Imported nn.Imported `json:"imported"`
		Layers   []struct {
			Name string   `json:"name"`
			From []string `json:"from"`
		} `json:"layers"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &r))
	require.Equal(t, "onnx", r.Imported.Format)
	require.EqualValues(t, 13, r.Imported.Opset)
	require.Contains(t, r.Imported.Folded, "/stage2/stage2.0/Constant (Constant)")
	require.Len(t, r.Layers, 142)
	for _, l := range r.Layers {
		if l.Name == "/stage2/stage2.1/Slice" {
			require.Contains(t, l.From, "/stage2/stage2.0/Transpose (Transpose)")
			return
		}
	}
	t.Fatal("no layer /stage2/stage2.1/Slice")
}
