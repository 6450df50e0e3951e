package camera

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/internal/memcheck"
)

// withThumbnail puts an EXIF-like APP1 segment holding a whole small JPEG
// (so an FF D9 inside a segment) after the start marker of jpg.
func withThumbnail(jpg, thumb []byte) []byte {
	n := len(thumb) + 2 + 6
	seg := append([]byte{0xFF, 0xE1, byte(n >> 8), byte(n)}, "Exif\x00\x00"...)
	seg = append(seg, thumb...)
	return append(append(append([]byte{}, jpg[:2]...), seg...), jpg[2:]...)
}

// readAll splits a stream into frames, counting corrupt ones.
func readAll(t *testing.T, r io.Reader) (frames [][]byte, corrupt int) {
	t.Helper()
	mr := NewMJPEGReader(r)
	for {
		img, err := mr.Next()
		if errors.Is(err, io.EOF) {
			return frames, corrupt
		}
		if errors.Is(err, ErrCorrupt) {
			corrupt++
			continue
		}
		require.NoError(t, err)
		frames = append(frames, append([]byte{}, img...))
	}
}

func TestMJPEGSplitter(t *testing.T) {
	a := testJPEG(t, 64, 48, 80, false)
	b := testJPEG(t, 32, 32, 60, true)
	c := withThumbnail(testJPEG(t, 48, 40, 70, false), b)
	var stream []byte
	stream = append(stream, "--boundary\r\nContent-Type: image/jpeg\r\n\r\n"...)
	stream = append(stream, a...)
	stream = append(stream, "\r\n--boundary\r\n\r\n"...)
	stream = append(stream, c...)
	stream = append(stream, a[:len(a)/2]...) // truncated by the next start marker
	stream = append(stream, b...)
	stream = append(stream, 0xFF, 0xD8, 0xFF, 0xE0, 0x00) // cut off at the end

	for name, r := range map[string]io.Reader{
		"whole":    bytes.NewReader(stream),
		"one byte": iotest.OneByteReader(bytes.NewReader(stream)),
		"halves":   iotest.HalfReader(bytes.NewReader(stream)),
	} {
		frames, corrupt := readAll(t, r)
		require.Equal(t, [][]byte{a, c, b}, frames, name)
		require.Equal(t, 2, corrupt, name)
	}
	// Every frame decodes, including the one with the embedded thumbnail.
	img, err := Image(&Frame{Format: FormatMJPEG, Data: c})
	require.NoError(t, err)
	require.Equal(t, 48, img.Bounds().Dx())
}

func TestMJPEGReaderPassesReadErrors(t *testing.T) {
	a := testJPEG(t, 16, 16, 80, true)
	r := io.MultiReader(bytes.NewReader(a), iotest.ErrReader(errors.New("usb gone")))
	mr := NewMJPEGReader(r)
	img, err := mr.Next()
	require.NoError(t, err)
	require.Equal(t, a, img)
	_, err = mr.Next()
	require.ErrorContains(t, err, "usb gone")
}

func FuzzSplitMJPEG(f *testing.F) {
	a := testJPEG(f, 24, 16, 80, false)
	f.Add(append(append([]byte("junk"), a...), a...), uint8(7))
	f.Add(withThumbnail(a, a), uint8(1))
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02, 0xFF, 0x00, 0xFF, 0xD0, 0xFF, 0xD9}, uint8(3))
	f.Add([]byte{0xFF, 0xD8, 0xFF}, uint8(0))
	// A start of image every two bytes: one skipped image per two bytes of
	// stream, so what a skip costs is multiplied (an error built per skip
	// made 64 KB of this allocate 5.2 MB).
	f.Add(bytes.Repeat([]byte{0xFF, 0xD8}, 32<<10), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8) {
		var r io.Reader = bytes.NewReader(data)
		if chunk%4 == 1 {
			r = iotest.OneByteReader(r)
		}
		mr := NewMJPEGReader(r)
		total := 0
		memcheck.Check(t, len(data), func() {
			for range len(data) + 2 {
				img, err := mr.Next()
				if errors.Is(err, io.EOF) {
					return
				}
				if err != nil {
					require.ErrorIs(t, err, ErrCorrupt)
					continue
				}
				require.GreaterOrEqual(t, len(img), 4)
				require.Equal(t, []byte{0xFF, 0xD8}, img[:2])
				require.Equal(t, []byte{0xFF, 0xD9}, img[len(img)-2:])
				require.True(t, bytes.Contains(data, img), "a frame is a piece of the stream")
				total += len(img)
				require.LessOrEqual(t, total, len(data))
			}
			t.Fatal("the reader did not reach the end")
		})
	})
}

func TestRawSource(t *testing.T) {
	w, h := 4, 2
	size, _ := FrameSize(FormatI420, w, h)
	data := make([]byte, 3*size+5) // three frames and a short one
	for i := range data {
		data[i] = byte(i)
	}
	src, err := NewRawSource("cam.i420", io.NopCloser(bytes.NewReader(data)), FormatI420, w, h)
	require.NoError(t, err)
	var f Frame
	for i := range 3 {
		require.NoError(t, src.Read(&f))
		require.Equal(t, i, f.Index)
		require.Equal(t, data[i*size:(i+1)*size], f.Data)
		require.Equal(t, "cam.i420#"+string(rune('0'+i)), f.Name)
	}
	err = src.Read(&f)
	require.ErrorIs(t, err, ErrCorrupt)
	require.ErrorIs(t, err, ErrShortFrame)
	require.ErrorContains(t, err, "5 of 12 bytes")
	require.ErrorIs(t, src.Read(&f), io.EOF)

	_, err = NewRawSource("x.yuv", io.NopCloser(bytes.NewReader(nil)), FormatYUYV, 0, 0)
	require.ErrorContains(t, err, "need a size (--size WxH)")
	_, err = NewRawSource("x.yuv", io.NopCloser(bytes.NewReader(nil)), FormatYUYV, 3, 2)
	require.ErrorContains(t, err, "even width")
}

func FuzzRawFrames(f *testing.F) {
	f.Add([]byte("0123456789abcdef0123456789"), uint8(4), uint8(2), uint8(0))
	f.Add(make([]byte, 100), uint8(6), uint8(4), uint8(1))
	f.Add([]byte{1, 2, 3}, uint8(1), uint8(1), uint8(2))
	// Thousands of one-pixel frames: what a frame costs beyond its bytes
	// is multiplied here (a 2225-byte stream once allocated 667 KB).
	f.Add(make([]byte, 4000), uint8(1), uint8(1), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, w, h, fmtIdx uint8) {
		format := []Format{FormatI420, FormatYUYV, FormatGray}[fmtIdx%3]
		src, err := NewRawSource("fuzz", io.NopCloser(bytes.NewReader(data)), format, int(w), int(h))
		if err != nil {
			return
		}
		size, _ := FrameSize(format, int(w), int(h))
		p, err := NewPreprocessor(lenetInput(), PreOptions{})
		require.NoError(t, err)
		var f Frame
		frames := 0
		memcheck.Check(t, len(data), func() {
			for {
				err := src.Read(&f)
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					require.ErrorIs(t, err, ErrShortFrame)
					continue
				}
				frames++
				require.Len(t, f.Data, size)
				if _, err := p.Process(&f); err != nil {
					require.ErrorContains(t, err, "region of interest") // tiny frames
				}
			}
		})
		require.Equal(t, len(data)/size, frames)
	})
}
