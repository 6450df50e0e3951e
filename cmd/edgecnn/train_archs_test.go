package main

import (
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/nn"
)

// colourful returns the CHW pixels of a noisy 32x32 image whose colour
// tells its class: class 0, 1 and 2 are bright in the red, green and blue
// channel, class 3 in all three.
func colourful(rng *rand.Rand, class int) []byte {
	const side = 32
	px := make([]byte, 3*side*side)
	for c := range 3 {
		base := 50
		if c == class || class == 3 {
			base = 190
		}
		for i := range side * side {
			px[c*side*side+i] = byte(base + rng.IntN(60) - 30)
		}
	}
	return px
}

// writeCIFARFixture writes the five training batches and the test batch
// of a small CIFAR-10 binary set (records of label, then 3x32x32 pixels).
func writeCIFARFixture(t *testing.T, dir string, perBatch int) {
	rng := rand.New(rand.NewPCG(1, 2))
	write := func(name string, n int) {
		var data []byte
		for i := range n {
			class := i % 4
			data = append(data, byte(class))
			data = append(data, colourful(rng, class)...)
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o644))
	}
	for k := 1; k <= 5; k++ {
		write("data_batch_"+strconv.Itoa(k)+".bin", perBatch)
	}
	write("test_batch.bin", 40)
}

// trainedModel loads a model written by train and checks it is ready for
// inference: no batch norm left, the input normalised per channel.
func trainedModel(t *testing.T, path string) *nn.Model {
	m, err := nn.Load(path)
	require.NoError(t, err)
	require.True(t, m.Folded(), "batch norms are folded into the model written")
	require.Equal(t, 3, m.Input.Channels)
	for c := range 3 {
		require.NotEqual(t, float32(0), m.Input.Mean[c], "per-channel mean of the training images")
		require.NotEqual(t, float32(1), m.Input.Std[c], "per-channel deviation of the training images")
	}
	return m
}

// TestTrainCIFAR10Binary trains a ResNet-20 end to end on generated CIFAR-10
// binary batches: it learns the classes, writes a folded model, and eval
// reads it.
func TestTrainCIFAR10Binary(t *testing.T) {
	dir := t.TempDir()
	writeCIFARFixture(t, dir, 24)
	out := filepath.Join(t.TempDir(), "r.safetensors")
	stdout, stderr, code := edgecnn(t, "train", "--arch", "resnet20", "--data", dir, "--epochs", "3", "--batch", "24",
		"--lr", "0.05", "--threads", "2", "--out", out)
	require.Zero(t, code, stderr)
	require.Contains(t, stdout, "epoch 3:")
	m := trainedModel(t, out)
	require.Equal(t, "resnet20", m.Arch)
	stdout, stderr, code = edgecnn(t, "eval", "--model", out, "--data", dir)
	require.Zero(t, code, stderr)
	require.Regexp(t, `top-1 (9\d|100)\.\d+%`, stdout)
}

// TestTrainColourFolder trains a narrow MobileNet v2 end to end on a
// folder of colour PNGs.
func TestTrainColourFolder(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 48 {
		class := i % 2
		px := colourful(rng, class)
		img := image.NewNRGBA(image.Rect(0, 0, 32, 32))
		for p := range 32 * 32 {
			img.Set(p%32, p/32, color.NRGBA{px[p], px[1024+p], px[2048+p], 255})
		}
		name := filepath.Join(dir, []string{"red", "blue"}[class], strconv.Itoa(i)+".png")
		require.NoError(t, os.MkdirAll(filepath.Dir(name), 0o755))
		f, err := os.Create(name)
		require.NoError(t, err)
		require.NoError(t, png.Encode(f, img))
		require.NoError(t, f.Close())
	}
	out := filepath.Join(t.TempDir(), "m.safetensors")
	stdout, stderr, code := edgecnn(t, "train", "--arch", "mobilenetv2", "--width", "0.25", "--data", dir, "--epochs", "2",
		"--batch", "16", "--threads", "2", "--out", out)
	require.Zero(t, code, stderr)
	require.Contains(t, stdout, "epoch 2:")
	require.Contains(t, stderr, "preprocessing:")
	m := trainedModel(t, out)
	require.Equal(t, []string{"blue", "red"}, m.Labels)
}

// TestTrainQATThenConvert fine-tunes a trained MobileNet v2
// quantization-aware on generated CIFAR-10 batches and converts it: the
// int8 model's top-1 on the test batch is the fake-quantized model's that
// training printed, to the image.
func TestTrainQATThenConvert(t *testing.T) {
	dir := t.TempDir()
	writeCIFARFixture(t, dir, 24)
	tmp := t.TempDir()
	float, qat, int8 := filepath.Join(tmp, "f.safetensors"), filepath.Join(tmp, "q.safetensors"), filepath.Join(tmp, "q.int8.safetensors")
	_, stderr, code := edgecnn(t, "train", "--arch", "mobilenetv2", "--width", "0.25", "--data", dir, "--epochs", "2",
		"--batch", "24", "--lr", "0.05", "--threads", "2", "--out", float)
	require.Zero(t, code, stderr)

	stdout, stderr, code := edgecnn(t, "train", "--qat", "--init", float, "--data", dir, "--epochs", "1", "--batch", "24",
		"--threads", "2", "--out", qat)
	require.Zero(t, code, stderr)
	require.Contains(t, stderr, "training mobilenetv2 quantization-aware")
	require.Contains(t, stdout, "edgecnn convert --in "+qat)
	fake := regexp.MustCompile(`epoch 1: .* test (\d+\.\d+)%`).FindStringSubmatch(stdout)
	require.NotNil(t, fake, stdout)
	m, err := nn.Load(qat)
	require.NoError(t, err)
	require.True(t, m.Folded())
	require.NotNil(t, m.Nodes[len(m.Nodes)-1].Range, "the logits' range was learned")

	stdout, stderr, code = edgecnn(t, "convert", "--in", qat, "--calib", dir, "--calib-n", "20", "--eval", dir, "--out", int8)
	require.Zero(t, code, stderr)
	require.Contains(t, stdout, "int8 "+fake[1]+"%", "int8 top-1 differs from the fake-quantized %s%%", fake[1])
	require.Regexp(t, `b1_add +add +learned`, stdout)
	require.NotRegexp(t, `calibrated +\d`, stdout, "every range was learned")

	for _, args := range [][]string{
		{"train", "--qat", "--data", dir, "--out", qat},
		{"train", "--init", float, "--resume", "--out", qat},
		{"train", "--qat", "--init", int8, "--data", dir, "--out", qat},
		{"train", "--init", float, "--arch", "lenet5", "--data", dir, "--out", qat},
	} {
		_, stderr, code := edgecnn(t, args...)
		require.Equal(t, 2, code, "%v: %s", args, stderr)
	}
}
