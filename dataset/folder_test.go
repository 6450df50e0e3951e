package dataset

import (
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writeImage writes a solid w x h image of colour c as PNG or JPEG (by the
// file's extension).
func writeImage(t *testing.T, path string, w, h int, c color.Color) {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, c)
		}
	}
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	f, err := os.Create(path)
	require.NoError(t, err)
	defer f.Close()
	if strings.ToLower(filepath.Ext(path)) == ".png" {
		require.NoError(t, png.Encode(f, img))
	} else {
		require.NoError(t, jpeg.Encode(f, img, &jpeg.Options{Quality: 100}))
	}
}

var (
	red   = color.NRGBA{200, 10, 20, 255}
	green = color.NRGBA{30, 180, 60, 255}
	blue  = color.NRGBA{0, 40, 220, 255}
)

// fakeFolder writes cat/ (two PNGs, one JPEG) and dog/ (one PNG), plus
// files and folders that are not part of the set.
func fakeFolder(t *testing.T) string {
	dir := t.TempDir()
	writeImage(t, filepath.Join(dir, "dog", "a.png"), 7, 5, blue)
	writeImage(t, filepath.Join(dir, "cat", "1.png"), 8, 6, red)
	writeImage(t, filepath.Join(dir, "cat", "2.PNG"), 3, 2, green)
	writeImage(t, filepath.Join(dir, "cat", "3.jpg"), 16, 16, green)
	writeImage(t, filepath.Join(dir, ".thumbs", "x.png"), 4, 4, red)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "cat", "notes.txt"), []byte("hi"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "cat", "._1.png"), []byte("macOS metadata"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "README"), []byte("hi"), 0o644))
	return dir
}

func TestLoadFolder(t *testing.T) {
	dir := fakeFolder(t)

	s, err := LoadFolder(dir, 3, 4, 5)
	require.NoError(t, err)
	assert.Equal(t, dir, s.Name)
	assert.Equal(t, []string{"cat", "dog"}, s.Classes)
	assert.Equal(t, []int{0, 0, 0, 1}, s.Labels)
	assert.Equal(t, []int{3, 4, 5}, []int{s.Channels, s.Height, s.Width})
	want := []color.NRGBA{red, green, green, blue}
	for i, c := range want {
		img := s.Image(i)
		tol := 0.0
		if i == 2 {
			tol = 3 // JPEG
		}
		for p := range 20 {
			assert.InDelta(t, c.R, img[p], tol, "image %d red", i)
			assert.InDelta(t, c.G, img[20+p], tol, "image %d green", i)
			assert.InDelta(t, c.B, img[40+p], tol, "image %d blue", i)
		}
	}

	s, err = LoadFolder(dir, 1, 2, 2)
	require.NoError(t, err)
	for i, c := range want {
		g := gray(c.R, c.G, c.B)
		tol := 0.0
		if i == 2 {
			tol = 3
		}
		for _, v := range s.Image(i) {
			assert.InDelta(t, g, v, tol, "image %d", i)
		}
	}
}

func TestLoadFolderSymlink(t *testing.T) {
	dir := t.TempDir()
	elsewhere := t.TempDir()
	writeImage(t, filepath.Join(elsewhere, "a.png"), 2, 2, red)
	writeImage(t, filepath.Join(dir, "cat", "a.png"), 2, 2, blue)
	if err := os.Symlink(elsewhere, filepath.Join(dir, "fox")); err != nil {
		t.Skipf("no symlinks here: %v", err)
	}
	s, err := LoadFolder(dir, 3, 1, 1)
	require.NoError(t, err)
	assert.Equal(t, []string{"cat", "fox"}, s.Classes)
	assert.Equal(t, []uint8{red.R, red.G, red.B}, s.Image(1))
}

func TestLoadFolderErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := LoadFolder(dir, 3, 32, 32)
	assert.EqualError(t, err, dir+": no class subfolders (want "+dir+"/<class>/*.png|jpg|jpeg)")

	require.NoError(t, os.Mkdir(filepath.Join(dir, "cat"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "cat", "notes.txt"), nil, 0o644))
	_, err = LoadFolder(dir, 3, 32, 32)
	assert.EqualError(t, err, filepath.Join(dir, "cat")+": class folder holds no .png, .jpg or .jpeg images")

	writeImage(t, filepath.Join(dir, "cat", "ok.png"), 4, 4, red)
	bad := filepath.Join(dir, "cat", "bad.png")
	require.NoError(t, os.WriteFile(bad, []byte("not a picture"), 0o644))
	_, err = LoadFolder(dir, 3, 32, 32)
	assert.EqualError(t, err, bad+": cannot decode image: image: unknown format")

	_, err = LoadFolder(dir, 2, 32, 32)
	assert.EqualError(t, err, "dataset: image folder "+dir+": 2 channels, want 1 (gray) or 3 (RGB)")
	_, err = LoadFolder(dir, 3, 0, 32)
	assert.EqualError(t, err, "dataset: image folder "+dir+": image size 0x32, want positive")
	_, err = LoadFolder(filepath.Join(dir, "nope"), 3, 32, 32)
	assert.ErrorContains(t, err, "nope")
}

func TestResize(t *testing.T) {
	// Same size: untouched.
	src := []uint8{1, 2, 3, 4, 5, 6}
	dst := make([]uint8, 6)
	resize(dst, src, 1, 2, 3, 2, 3)
	assert.Equal(t, src, dst)

	// A constant stays constant at any size.
	flat := make([]uint8, 2*7*9)
	for i := range flat {
		flat[i] = 77 + uint8(i/(7*9))
	}
	for _, hw := range [][2]int{{3, 4}, {14, 18}, {1, 1}, {20, 2}} {
		out := make([]uint8, 2*hw[0]*hw[1])
		resize(out, flat, 2, 7, 9, hw[0], hw[1])
		for i, v := range out {
			require.Equal(t, 77+uint8(i/(hw[0]*hw[1])), v, "%v pixel %d", hw, i)
		}
	}

	// Halving averages neighbours; doubling interpolates between them.
	row := []uint8{0, 0, 100, 100}
	half := make([]uint8, 2)
	resize(half, row, 1, 1, 4, 1, 2)
	assert.Equal(t, []uint8{14, 86}, half) // tent weights 3/7, 3/7, 1/7 per side
	ramp := []uint8{0, 100}
	twice := make([]uint8, 4)
	resize(twice, ramp, 1, 1, 2, 1, 4)
	assert.Equal(t, []uint8{0, 25, 75, 100}, twice)

	// A checkerboard shrinks to grey.
	board := make([]uint8, 16*16)
	for i := range board {
		if (i/16+i%16)%2 == 0 {
			board[i] = 255
		}
	}
	small := make([]uint8, 4*4)
	resize(small, board, 1, 16, 16, 4, 4)
	for _, v := range small {
		assert.InDelta(t, 127.5, v, 12)
	}
}

func TestGray(t *testing.T) {
	for _, c := range []color.NRGBA{red, green, blue, {255, 255, 255, 255}, {0, 0, 0, 255}, {1, 2, 3, 255}} {
		want := math.Round(0.299*float64(c.R) + 0.587*float64(c.G) + 0.114*float64(c.B))
		assert.InDelta(t, want, gray(c.R, c.G, c.B), 0, "%v", c)
	}
}

func TestToPlanes(t *testing.T) {
	// Transparency is blended onto black.
	nrgba := image.NewNRGBA(image.Rect(0, 0, 1, 1))
	nrgba.SetNRGBA(0, 0, color.NRGBA{200, 100, 50, 128})
	assert.Equal(t, []uint8{100, 50, 25}, toPlanes(nrgba, 3))

	// Gray, an offset sub-image, and a kind without a fast path (paletted).
	g := image.NewGray(image.Rect(0, 0, 3, 2))
	copy(g.Pix, []uint8{1, 2, 3, 4, 5, 6})
	assert.Equal(t, []uint8{1, 2, 3, 4, 5, 6}, toPlanes(g, 1))
	assert.Equal(t, []uint8{5, 6, 5, 6, 5, 6}, toPlanes(g.SubImage(image.Rect(1, 1, 3, 2)), 3))
	pal := image.NewPaletted(image.Rect(0, 0, 2, 1), color.Palette{color.Black, red})
	pal.SetColorIndex(1, 0, 1)
	assert.Equal(t, []uint8{0, 200, 0, 10, 0, 20}, toPlanes(pal, 3))
	assert.Equal(t, []uint8{0, gray(200, 10, 20)}, toPlanes(pal, 1))

	// RGBA and YCbCr sub-images start at their own origin.
	rgba := image.NewRGBA(image.Rect(0, 0, 2, 2))
	rgba.SetRGBA(1, 1, color.RGBA{9, 8, 7, 255})
	assert.Equal(t, []uint8{9, 8, 7}, toPlanes(rgba.SubImage(image.Rect(1, 1, 2, 2)), 3))
	ycc := image.NewYCbCr(image.Rect(0, 0, 4, 4), image.YCbCrSubsampleRatio420)
	for i := range ycc.Y {
		ycc.Y[i] = uint8(i)
	}
	for i := range ycc.Cb {
		ycc.Cb[i], ycc.Cr[i] = 128, 128
	}
	assert.Equal(t, []uint8{10, 11, 14, 15}, toPlanes(ycc.SubImage(image.Rect(2, 2, 4, 4)), 1))
	assert.Equal(t, []uint8{10, 11, 14, 15, 10, 11, 14, 15, 10, 11, 14, 15}, toPlanes(ycc.SubImage(image.Rect(2, 2, 4, 4)), 3))
}
