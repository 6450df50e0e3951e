package train

import (
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCrossEntropy(t *testing.T) {
	logits := []float32{1, 2, 3}
	// -log softmax(logits)[0] = log(e + e^2 + e^3) - 1
	want := math.Log(math.E+math.Exp(2)+math.Exp(3)) - 1
	require.InDelta(t, want, crossEntropy(logits, 0, false), 1e-12)
	require.InDelta(t, -math.Log(0.25), crossEntropy([]float32{0.25, 0.75}, 0, true), 1e-7)
	require.Less(t, crossEntropy([]float32{0, 1}, 0, true), 100.0, "a zero probability stays finite")
}

// readPNG decodes a PNG the plots wrote.
func readPNG(t *testing.T, path string) image.Image {
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	return img
}

func TestPlots(t *testing.T) {
	dir := t.TempDir()
	history := []EpochMetrics{
		{Epoch: 1, Loss: 1.9, TrainTop1: 0.4, TestTop1: 0.7, TestLoss: 1.1},
		{Epoch: 2, Loss: 1.1, TrainTop1: 0.7, TestTop1: 0.8, TestLoss: 0.6},
	}
	curves := filepath.Join(dir, "curves.png")
	require.NoError(t, PlotCurves(curves, history))
	b := readPNG(t, curves).Bounds()
	require.Greater(t, b.Dx(), 2*b.Dy(), "two plots side by side and the legend")

	r := &Result{Classes: []string{"a", "b", "c"}, Confusion: [][]int{{5, 1, 0}, {0, 4, 0}, {2, 0, 0}}, N: 12, Correct: 9}
	confusion := filepath.Join(dir, "confusion.png")
	require.NoError(t, PlotConfusion(confusion, r))
	img := readPNG(t, confusion)
	require.Greater(t, img.Bounds().Dx(), img.Bounds().Dy(), "the colour scale beside the matrix")
}
