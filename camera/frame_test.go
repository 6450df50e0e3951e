package camera

import (
	"image"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseFormatAndFrameSize(t *testing.T) {
	for name, want := range map[string]Format{"YUYV": FormatYUYV, "yuy2": FormatYUYV, "i420": FormatI420, "yuv420": FormatI420, "mjpeg": FormatMJPEG, "jpg": FormatMJPEG, "gray": FormatGray, "rgb": FormatRGB} {
		got, err := ParseFormat(name)
		require.NoError(t, err)
		require.Equal(t, want, got, name)
	}
	_, err := ParseFormat("nv12")
	require.ErrorContains(t, err, `unknown frame format "nv12"`)

	for _, tc := range []struct {
		f    Format
		w, h int
		want int
	}{{FormatGray, 4, 3, 12}, {FormatYUYV, 4, 3, 24}, {FormatI420, 4, 2, 12}, {FormatI420, 5, 3, 15 + 2*3*2}, {FormatRGB, 2, 2, 12}} {
		n, err := FrameSize(tc.f, tc.w, tc.h)
		require.NoError(t, err)
		require.Equal(t, tc.want, n, "%s %dx%d", tc.f, tc.w, tc.h)
	}
	_, err = FrameSize(FormatYUYV, 5, 2)
	require.ErrorContains(t, err, "even width")
	_, err = FrameSize(FormatMJPEG, 4, 4)
	require.ErrorContains(t, err, "no fixed size")
	_, err = FrameSize(FormatGray, 0, 4)
	require.ErrorContains(t, err, "out of range")
}

// Known vectors: BT.601 full-range YCbCr of pure colours.
func TestDecodeYUYVAndI420KnownVectors(t *testing.T) {
	// Two pixel pairs: red-ish (Y 76, Cb 85, Cr 255) and white (Y 255, Cb 128, Cr 128).
	yuyv := &Frame{Format: FormatYUYV, Width: 4, Height: 1, Data: []byte{76, 85, 77, 255, 255, 128, 254, 128}}
	pic, err := RawPicture(yuyv)
	require.NoError(t, err)
	pl := pic.Planes[0]
	require.Equal(t, []uint8{76, 77, 255, 254}, []uint8{pl.At(0, 0), pl.At(1, 0), pl.At(2, 0), pl.At(3, 0)})
	require.Equal(t, []uint8{85, 128}, []uint8{pic.Planes[1].At(0, 0), pic.Planes[1].At(1, 0)})
	require.Equal(t, []uint8{255, 128}, []uint8{pic.Planes[2].At(0, 0), pic.Planes[2].At(1, 0)})
	img, err := Image(yuyv)
	require.NoError(t, err)
	r, g, b, _ := img.At(0, 0).RGBA() // the chroma upsampling mixes a quarter of white in at x = 1
	require.InDelta(t, 255, r>>8, 2)
	require.InDelta(t, 0, g>>8, 2)
	require.InDelta(t, 0, b>>8, 2)
	r, g, b, _ = img.At(3, 0).RGBA()
	require.InDelta(t, 254, r>>8, 2)
	require.InDelta(t, 254, g>>8, 2)
	require.InDelta(t, 254, b>>8, 2)

	// I420 2x2: Y plane, then one U and one V sample (blue: Y 29 Cb 255 Cr 107).
	i420 := &Frame{Format: FormatI420, Width: 2, Height: 2, Data: []byte{29, 30, 31, 32, 255, 107}}
	pic, err = RawPicture(i420)
	require.NoError(t, err)
	require.Equal(t, uint8(32), pic.Planes[0].At(1, 1))
	img, err = Image(i420)
	require.NoError(t, err)
	r, g, b, _ = img.At(0, 0).RGBA()
	require.InDelta(t, 0, r>>8, 2)
	require.InDelta(t, 0, g>>8, 2)
	require.InDelta(t, 255, b>>8, 3)
	require.IsType(t, &image.RGBA{}, img)

	rgb := &Frame{Format: FormatRGB, Width: 1, Height: 1, Data: []byte{255, 0, 0}}
	pic, err = RawPicture(rgb)
	require.NoError(t, err)
	require.Equal(t, []uint8{255, 0, 0}, []uint8{pic.Planes[0].At(0, 0), pic.Planes[1].At(0, 0), pic.Planes[2].At(0, 0)})

	short := &Frame{Format: FormatI420, Width: 4, Height: 4, Data: make([]byte, 10), Name: "x"}
	_, err = RawPicture(short)
	require.ErrorContains(t, err, "has 10 bytes, want 24")
	_, err = Image(short)
	require.Error(t, err)
}

func TestCorruptJPEGIsAnErrorNotAPanic(t *testing.T) {
	data := testJPEG(t, 64, 48, 80, false)
	p, err := NewPreprocessor(lenetInput(), PreOptions{})
	require.NoError(t, err)
	for _, bad := range [][]byte{data[:len(data)/2], data[:20], {0xFF, 0xD8, 0xFF, 0xD9}, append([]byte{}, data[:100]...)} {
		_, err := p.Process(&Frame{Format: FormatMJPEG, Data: bad, Name: "bad.jpg"})
		require.ErrorIs(t, err, ErrCorrupt)
		_, err = Image(&Frame{Format: FormatMJPEG, Data: bad, Name: "bad.jpg"})
		require.Error(t, err)
	}
}
