package dataset

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/internal/memcheck"
	"github.com/edgecnn/edgecnn/nn"
)

// FuzzLoadCIFAR10 reads hostile CIFAR-10 test batches and class-name
// files: an error or a consistent set, never a panic, and no more memory
// than memcheck's bound (the set is sized from the file, not from what it
// claims).
func FuzzLoadCIFAR10(f *testing.F) {
	record := make([]byte, cifarRecord)
	record[0] = 3
	f.Add(bytes.Repeat(record, 2), "")
	f.Add(append(bytes.Repeat(record, 3), 1), "")
	f.Add(record, "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n")
	f.Add([]byte{11}, "a\n")
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte, meta string) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "test_batch.bin"), data, 0o644))
		metaPath := filepath.Join(dir, "batches.meta.txt")
		os.Remove(metaPath)
		if meta != "" {
			require.NoError(t, os.WriteFile(metaPath, []byte(meta), 0o644))
		}
		memcheck.Check(t, len(data)+len(meta), func() {
			s, err := LoadCIFAR10(dir, false)
			if err != nil {
				return
			}
			require.Equal(t, len(data)/cifarRecord, s.Len())
			for _, l := range s.Labels {
				require.Less(t, l, len(s.Classes))
			}
		})
	})
}

// maxFuzzDecode bounds what decoding one image of the folder fuzz target
// may allocate: a flat PNG rightly decodes to a thousand times its size,
// so the target bounds by a fixed cap, that of a 12-megapixel photo.
const maxFuzzDecode = 64 << 20

// FuzzLoadFolder puts a hostile file in a two-class image folder, as a PNG
// and as a JPEG, and loads it: an error naming the file or a set of two
// images, never a panic, within memcheck's bound plus maxFuzzDecode per
// image.
func FuzzLoadFolder(f *testing.F) {
	for _, img := range []image.Image{
		image.NewGray(image.Rect(0, 0, 3, 2)),
		image.NewGray16(image.Rect(0, 0, 2, 3)),
		image.NewNRGBA(image.Rect(0, 0, 4, 4)),
		image.NewPaletted(image.Rect(0, 0, 5, 1), color.Palette{color.Black, color.White}),
	} {
		var b bytes.Buffer
		require.NoError(f, png.Encode(&b, img))
		f.Add(b.Bytes(), uint8(1))
	}
	var b bytes.Buffer
	require.NoError(f, jpeg.Encode(&b, image.NewRGBA(image.Rect(0, 0, 9, 7)), nil))
	f.Add(b.Bytes(), uint8(3))
	dir := f.TempDir()
	for _, class := range []string{"a", "b"} {
		require.NoError(f, os.Mkdir(filepath.Join(dir, class), 0o755))
	}
	f.Fuzz(func(t *testing.T, data []byte, c uint8) {
		channels := 1 + 2*int(c%2) // 1 or 3
		require.NoError(t, os.WriteFile(filepath.Join(dir, "a", "x.png"), data, 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "b", "x.jpg"), data, 0o644))
		memcheck.Bound(t, memcheck.Limit(2*len(data))+2*maxFuzzDecode, func() {
			in := grayInput(8)
			if channels == 3 {
				in = nn.Input{Channels: 3, Height: 8, Width: 8, Mean: []float32{0, 0, 0}, Std: []float32{1, 1, 1}}
			}
			s, err := LoadFolder(dir, FolderOptions{Input: in})
			if err != nil {
				require.Contains(t, err.Error(), dir)
				return
			}
			require.Equal(t, 2, s.Len())
			require.Equal(t, []string{"a", "b"}, s.Classes)
		})
	})
}
