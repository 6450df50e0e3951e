package dataset

import (
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/nn"
	"github.com/edgecnn/edgecnn/preprocess"
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

// rgbInput is an image-path contract of c x h x w.
func rgbInput(c, h, w int) nn.Input {
	in := nn.Input{Channels: c, Height: h, Width: w, Mean: make([]float32, c), Std: make([]float32, c)}
	for i := range c {
		in.Std[i] = 1
	}
	return in
}

func TestLoadFolder(t *testing.T) {
	dir := fakeFolder(t)

	s, err := LoadFolder(dir, FolderOptions{Input: rgbInput(3, 4, 5)})
	require.NoError(t, err)
	assert.Equal(t, dir, s.Name)
	assert.Equal(t, []string{"cat", "dog"}, s.Classes)
	assert.Equal(t, []int{0, 0, 0, 1}, s.Labels)
	assert.Equal(t, []int{3, 4, 5}, []int{s.Channels, s.Height, s.Width})
	assert.Equal(t, filepath.Join(dir, "cat", "3.jpg"), s.Files[2])
	assert.Nil(t, s.Found, "the image path finds every image")
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

	s, err = LoadFolder(dir, FolderOptions{Input: rgbInput(1, 2, 2), Threads: 1})
	require.NoError(t, err)
	for i, c := range want {
		g := preprocess.Luma(c.R, c.G, c.B)
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
	s, err := LoadFolder(dir, FolderOptions{Input: rgbInput(3, 1, 1)})
	require.NoError(t, err)
	assert.Equal(t, []string{"cat", "fox"}, s.Classes)
	assert.Equal(t, []uint8{red.R, red.G, red.B}, s.Image(1))
}

// TestLoadFolderMatchesClassesByName: folders are matched to the model's
// labels by name, in any order; an unknown folder is an error that names
// the folders and the labels (it used to be matched by sorted position:
// folders a..j passed for labels 0..9).
func TestLoadFolderMatchesClassesByName(t *testing.T) {
	dir := fakeFolder(t)
	s, err := LoadFolder(dir, FolderOptions{Input: rgbInput(3, 1, 1), Labels: []string{"dog", "bird", "cat"}})
	require.NoError(t, err)
	assert.Equal(t, []string{"dog", "bird", "cat"}, s.Classes)
	assert.Equal(t, []int{2, 2, 2, 0}, s.Labels)
	assert.Equal(t, []uint8{blue.R, blue.G, blue.B}, s.Image(3))

	_, err = LoadFolder(dir, FolderOptions{Input: rgbInput(3, 1, 1), Labels: []string{"0", "1", "cat"}})
	assert.EqualError(t, err, dir+`: class folders "dog" match no label of the model (labels: "0", "1", "cat"); name each folder after its label`)
}

// TestLoadFolderChecksBeforeDecoding is issue 16's item 8: the classes are
// checked before anything is decoded, and an image whose decode would cost
// too much memory is refused from its header.
func TestLoadFolderChecksBeforeDecoding(t *testing.T) {
	dir := t.TempDir()
	huge := filepath.Join(dir, "cat", "huge.png")
	require.NoError(t, os.MkdirAll(filepath.Dir(huge), 0o755))
	require.NoError(t, os.WriteFile(huge, pngHeader(8192, 8192), 0o644))
	writeImage(t, filepath.Join(dir, "zebra", "a.png"), 2, 2, red)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := LoadFolder(dir, FolderOptions{Input: rgbInput(3, 32, 32), Labels: []string{"cat", "dog"}})
	assert.ErrorContains(t, err, `class folders "zebra" match no label`)
	_, err = LoadFolder(dir, FolderOptions{Input: rgbInput(3, 32, 32), Threads: 2})
	runtime.ReadMemStats(&after)
	assert.ErrorContains(t, err, huge+": cannot decode image: png: image is 8192x8192")
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(4<<20))
}

// pngHeader returns a PNG that is only a header claiming w x h pixels of
// 16-bit RGBA: what a tiny file compressing a blank huge image starts with.
func pngHeader(w, h int) []byte {
	chunk := func(kind string, data []byte) []byte {
		c := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
		c = append(c, kind...)
		c = append(c, data...)
		return binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(c[4:]))
	}
	ihdr := binary.BigEndian.AppendUint32(nil, uint32(w))
	ihdr = binary.BigEndian.AppendUint32(ihdr, uint32(h))
	ihdr = append(ihdr, 16, 6, 0, 0, 0) // 16-bit, RGBA
	out := []byte("\x89PNG\r\n\x1a\n")
	out = append(out, chunk("IHDR", ihdr)...)
	return append(out, chunk("IEND", nil)...)
}

func TestLoadFolderErrors(t *testing.T) {
	dir := t.TempDir()
	in := rgbInput(3, 32, 32)
	_, err := LoadFolder(dir, FolderOptions{Input: in})
	assert.EqualError(t, err, dir+": no class subfolders (want "+dir+"/<class>/*.png|jpg|jpeg)")

	require.NoError(t, os.Mkdir(filepath.Join(dir, "cat"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "cat", "notes.txt"), nil, 0o644))
	_, err = LoadFolder(dir, FolderOptions{Input: in})
	assert.EqualError(t, err, filepath.Join(dir, "cat")+": class folder holds no .png, .jpg or .jpeg images")

	writeImage(t, filepath.Join(dir, "cat", "ok.png"), 4, 4, red)
	bad := filepath.Join(dir, "cat", "bad.png")
	require.NoError(t, os.WriteFile(bad, []byte("not a picture"), 0o644))
	_, err = LoadFolder(dir, FolderOptions{Input: in})
	assert.EqualError(t, err, bad+": cannot decode image: not a JPEG or PNG image")

	_, err = LoadFolder(dir, FolderOptions{Input: rgbInput(2, 32, 32)})
	assert.EqualError(t, err, "dataset: image folder "+dir+": preprocess: the model takes 2 channels; images give 1 (gray) or 3 (RGB)")
	_, err = LoadFolder(dir, FolderOptions{Input: rgbInput(3, 0, 32)})
	assert.EqualError(t, err, "dataset: image folder "+dir+": input: invalid size 3x0x32")
	_, err = LoadFolder(filepath.Join(dir, "nope"), FolderOptions{Input: in})
	assert.ErrorContains(t, err, "nope")
}
