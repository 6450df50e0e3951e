package main

import (
	"bytes"
	"image"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/image/draw"
)

// savedInput runs run on a photo with the ImageNet-style model rgb,
// --draft or not, and returns the RGB input the model saw.
func savedInput(t *testing.T, rgb, photo string, draft bool) *image.RGBA {
	out := t.TempDir()
	args := []string{"run", "--model", rgb, "--source", photo, "--save-inputs", out, "--json"}
	if draft {
		args = append(args, "--draft")
	}
	_, stderr, code := edgecnn(t, args...)
	require.Zero(t, code, stderr)
	files, err := filepath.Glob(filepath.Join(out, "*.png"))
	require.NoError(t, err)
	require.Len(t, files, 1)
	data, err := os.ReadFile(files[0])
	require.NoError(t, err)
	img, err := png.Decode(bytes.NewReader(data))
	require.NoError(t, err)
	rgba := image.NewRGBA(img.Bounds())
	for y := range img.Bounds().Dy() {
		for x := range img.Bounds().Dx() {
			rgba.Set(x, y, img.At(x, y))
		}
	}
	return rgba
}

// frameJPEG writes the photo at path scaled to w x h as a JPEG of the
// quality webcams stream (85) and returns its path.
func frameJPEG(t *testing.T, path string, w, h int) string {
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	src, err := jpeg.Decode(bytes.NewReader(data))
	require.NoError(t, err)
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.BiLinear.Scale(dst, dst.Rect, src, src.Bounds(), draw.Src, nil)
	var buf bytes.Buffer
	require.NoError(t, jpeg.Encode(&buf, dst, &jpeg.Options{Quality: 85}))
	out := filepath.Join(t.TempDir(), "frame.jpg")
	require.NoError(t, os.WriteFile(out, buf.Bytes(), 0o644))
	return out
}

// TestRunDraft checks that run --draft decodes a photo the exact path
// decodes at full size at a reduced size instead (its input differs) and
// that the result stays close to the exact input; and that --draft is
// refused where it would change nothing.
func TestRunDraft(t *testing.T) {
	dir := t.TempDir()
	rgb := filepath.Join(dir, "rgb.safetensors")
	_, stderr, code := edgecnn(t, "import", "--onnx", filepath.Join("testdata", "rgb.onnx"), "--preset", "imagenet", "--out", rgb)
	require.Zero(t, code, stderr)
	// A 1280x720 frame: the exact path decodes it at full size, draft at
	// 4/8.
	photo := frameJPEG(t, filepath.Join("..", "..", "preprocess", "testdata", "photos", "rocket.jpg"), 1280, 720)
	exact, draft := savedInput(t, rgb, photo, false), savedInput(t, rgb, photo, true)
	require.Equal(t, exact.Rect, draft.Rect)
	var sum, differ int
	for i := range exact.Pix {
		if i%4 == 3 {
			continue // alpha
		}
		d := int(exact.Pix[i]) - int(draft.Pix[i])
		sum += max(d, -d)
		if d != 0 {
			differ++
		}
	}
	samples := len(exact.Pix) / 4 * 3
	t.Logf("--draft changes %d of %d samples, by %.2f levels on average", differ, samples, float64(sum)/float64(samples))
	require.Greater(t, differ, samples/10, "--draft should decode at 4/8 and so change the pixels")
	require.Less(t, float64(sum)/float64(samples), 3.0, "--draft should stay within a few levels of the exact input on average")

	for _, c := range [][]string{
		{"run", "--draft", "--limit", "1"}, // the embedded digit model
		{"capture", "--source", photo, "--label", "a", "--out", dir, "--draft"},
		{"predict", "--model", rgb, "--input", filepath.Join(dir, "x.npy"), "--draft"},
	} {
		_, stderr, code := edgecnn(t, c...)
		require.Equal(t, 2, code, "%v: %s", c, stderr)
		require.Contains(t, stderr, "--draft", "%v", c)
	}
}
