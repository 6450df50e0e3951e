package preprocess

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"testing"

	"github.com/stretchr/testify/require"
)

// testPNG encodes a small RGBA PNG with a transparent corner.
func testPNG(t testing.TB, w, h int) []byte {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.SetNRGBA(x, y, color.NRGBA{uint8(20 * x), uint8(30 * y), 200, uint8(255 - 40*min(x, y))})
		}
	}
	var b bytes.Buffer
	require.NoError(t, png.Encode(&b, m))
	return b.Bytes()
}

func TestPNGDropsAlphaLikePIL(t *testing.T) {
	var d Decoder
	pic, err := d.Decode(testPNG(t, 9, 5), 4, false)
	require.NoError(t, err)
	require.Equal(t, RGB, pic.Model)
	require.Equal(t, 1, pic.Scale, "PNGs decode in full")
	require.Equal(t, []uint8{80, 120, 200}, []uint8{pic.Planes[0].At(4, 4), pic.Planes[1].At(4, 4), pic.Planes[2].At(4, 4)})

	g := image.NewGray16(image.Rect(0, 0, 3, 2))
	g.SetGray16(2, 1, color.Gray16{0xABCD})
	var b bytes.Buffer
	require.NoError(t, png.Encode(&b, g))
	pic, err = d.Decode(b.Bytes(), 1, false)
	require.NoError(t, err)
	require.Equal(t, Gray, pic.Model)
	require.Equal(t, uint8(0xAB), pic.Planes[0].At(2, 1))
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

// TestHugePNGIsRefusedBeforeDecoding is issue 16's item 8: an 8192x8192
// 16-bit PNG compresses to a few hundred KB and decodes to 512 MB.
func TestHugePNGIsRefusedBeforeDecoding(t *testing.T) {
	data := pngHeader(8192, 8192)
	_, err := ReadHeader(data)
	require.ErrorContains(t, err, "8192x8192")
	var d Decoder
	_, err = d.Decode(data, 1, false)
	require.ErrorContains(t, err, "more than 256")
	hd, err := ReadHeader(pngHeader(640, 480))
	require.NoError(t, err)
	require.Equal(t, int64(640*480*(8+3)), hd.Cost)
}
