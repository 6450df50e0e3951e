package camera

import (
	"errors"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// The kernel's sizes on this platform (linux/videodev2.h), which the ioctl
// numbers encode.
func TestV4L2StructSizes(t *testing.T) {
	require.Equal(t, uintptr(104), unsafe.Sizeof(v4l2Capability{}))
	require.Equal(t, uintptr(20), unsafe.Sizeof(v4l2RequestBuffers{}))
	require.Equal(t, uintptr(204), unsafe.Sizeof(v4l2StreamParm{}))
	if unsafe.Sizeof(uintptr(0)) == 8 {
		require.Equal(t, uintptr(208), unsafe.Sizeof(v4l2Format{}))
		require.Equal(t, uintptr(88), unsafe.Sizeof(v4l2Buffer{}))
		require.Equal(t, uintptr(0xc0d05605), vidiocSFmt)
		require.Equal(t, uintptr(0xc0585611), vidiocDqbuf)
	}
	require.Equal(t, uintptr(0x80685600), vidiocQuerycap)
	require.Equal(t, uintptr(0x40045612), vidiocStreamon)
	require.Equal(t, uintptr(0xc0145608), vidiocReqbufs)
}

// fakeDevice plays a V4L2 driver behind the ioctl boundary: it answers the
// ioctls a capture needs and fills queued buffers with frames.
type fakeDevice struct {
	pixfmt        uint32 // what the camera can do
	width, height uint32
	mem           [][]byte
	queued        []uint32
	streaming     bool
	frames        int
	gone          bool // unplugged: every call fails with ENODEV
	closed        bool
	fill          func(buf []byte, n int) int // writes frame n, returns bytes used
	calls         []string
}

func (d *fakeDevice) ioctl(req uintptr, arg unsafe.Pointer) error {
	if d.gone {
		return unix.ENODEV
	}
	switch req {
	case vidiocQuerycap:
		d.calls = append(d.calls, "QUERYCAP")
		c := (*v4l2Capability)(arg)
		copy(c.Driver[:], "fake")
		c.Capabilities = v4l2CapVideoCapture | v4l2CapStreaming | v4l2CapDeviceCaps
		c.DeviceCaps = v4l2CapVideoCapture | v4l2CapStreaming
	case vidiocSFmt:
		f := (*v4l2Format)(arg)
		if f.Type != v4l2BufTypeVideoCapture {
			return unix.EINVAL
		}
		p := f.pix()
		d.calls = append(d.calls, "S_FMT "+fourccString(p.PixelFormat))
		p.PixelFormat = d.pixfmt // drivers answer with what they can do
		p.Width, p.Height = d.width, d.height
		p.SizeImage = d.width * d.height * 2
	case vidiocSParm:
		p := (*v4l2StreamParm)(arg)
		p.Capability = v4l2CapTimePerFrame
		p.TPFNumerator, p.TPFDenominator = 1, 30
	case vidiocReqbufs:
		r := (*v4l2RequestBuffers)(arg)
		if r.Memory != v4l2MemoryMmap {
			return unix.EINVAL
		}
		r.Count = 3
		d.mem = make([][]byte, 3)
		for i := range d.mem {
			d.mem[i] = make([]byte, d.width*d.height*2)
		}
	case vidiocQuerybuf:
		b := (*v4l2Buffer)(arg)
		if int(b.Index) >= len(d.mem) {
			return unix.EINVAL
		}
		b.M = uintptr(b.Index) * 0x100000
		b.Length = uint32(len(d.mem[b.Index]))
	case vidiocQbuf:
		b := (*v4l2Buffer)(arg)
		d.queued = append(d.queued, b.Index)
	case vidiocDqbuf:
		if !d.streaming || len(d.queued) == 0 {
			return unix.EAGAIN
		}
		b := (*v4l2Buffer)(arg)
		b.Index, d.queued = d.queued[0], d.queued[1:]
		b.BytesUsed = uint32(d.fill(d.mem[b.Index], d.frames))
		b.Sequence = uint32(d.frames)
		d.frames++
	case vidiocStreamon:
		d.calls = append(d.calls, "STREAMON")
		d.streaming = true
	case vidiocStreamoff:
		d.calls = append(d.calls, "STREAMOFF")
		d.streaming = false
	default:
		return unix.ENOTTY
	}
	return nil
}

func (d *fakeDevice) mmap(offset int64, length int) ([]byte, error) {
	i := int(offset / 0x100000)
	if i >= len(d.mem) || length != len(d.mem[i]) {
		return nil, unix.EINVAL
	}
	return d.mem[i], nil
}

func (d *fakeDevice) munmap([]byte) error { return nil }

func (d *fakeDevice) poll(time.Duration) (bool, error) {
	if d.gone {
		return false, unix.ENODEV
	}
	return d.streaming && len(d.queued) > 0, nil
}

func (d *fakeDevice) close() error { d.closed = true; return nil }

func TestV4L2StreamsYUYVThroughAFakeDevice(t *testing.T) {
	syn, err := NewSynthetic(Options{Format: FormatYUYV, Width: 320, Height: 240})
	require.NoError(t, err)
	dev := &fakeDevice{pixfmt: pixYUYV, width: 320, height: 240, fill: func(buf []byte, n int) int {
		return copy(buf, syn.frames[n%len(syn.frames)])
	}}
	src, err := openV4L2Device("/dev/video9", dev, Options{FPS: 30})
	require.NoError(t, err)
	require.Equal(t, []string{"QUERYCAP", "S_FMT YUYV", "STREAMON"}, dev.calls)
	info := src.Info()
	require.Equal(t, Info{Name: "/dev/video9", Live: true, Format: FormatYUYV, Width: 320, Height: 240, FPS: 30}, info)
	var f Frame
	for i := range 10 {
		require.NoError(t, src.Read(&f))
		require.Equal(t, i, f.Index)
		require.Equal(t, syn.frames[i%len(syn.frames)], f.Data)
	}
	require.Len(t, dev.queued, 3, "every buffer goes back to the driver")

	dev.gone = true // unplugged
	err = src.Read(&f)
	require.ErrorIs(t, err, ErrLost)
	require.ErrorIs(t, err, unix.ENODEV)
	dev.gone = false
	require.NoError(t, src.Close())
	require.True(t, dev.closed)
	require.Contains(t, dev.calls, "STREAMOFF")
}

func TestV4L2FallsBackToMJPEG(t *testing.T) {
	jpg := testJPEG(t, 160, 120, 80, false)
	dev := &fakeDevice{pixfmt: pixMJPEG, width: 160, height: 120, fill: func(buf []byte, n int) int {
		if n == 1 {
			return copy(buf, jpg[:10]) // a broken frame
		}
		return copy(buf, jpg)
	}}
	src, err := openV4L2Device("/dev/video9", dev, Options{})
	require.NoError(t, err)
	require.Equal(t, []string{"QUERYCAP", "S_FMT YUYV", "S_FMT MJPG", "STREAMON"}, dev.calls)
	var f Frame
	require.NoError(t, src.Read(&f))
	require.Equal(t, FormatMJPEG, f.Format)
	require.Equal(t, jpg, f.Data)
	require.NoError(t, src.Read(&f)) // the splitter is not involved: the decoder finds it broken
	_, err = Image(&f)
	require.Error(t, err)

	_, err = openV4L2Device("/dev/video9", &fakeDevice{pixfmt: fourcc("H264"), width: 160, height: 120}, Options{Format: FormatYUYV})
	require.ErrorContains(t, err, `offers "H264"`)
	_, err = openV4L2Device("/dev/video9", &fakeDevice{gone: true}, Options{})
	require.ErrorContains(t, err, "not a V4L2 device")
	require.True(t, errors.Is(err, unix.ENODEV))
}

func TestOpenV4L2OnANonDevice(t *testing.T) {
	_, err := OpenV4L2("/dev/null", Options{})
	require.ErrorContains(t, err, "not a V4L2 device")
	_, err = Open("/dev/null", Options{})
	require.Error(t, err)
}
