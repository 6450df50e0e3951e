package camera

import (
	"errors"
	"fmt"
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// This file is a V4L2 capture source in pure Go: ioctls and mmap streaming
// through golang.org/x/sys/unix, no cgo. Everything the kernel sees goes
// through the v4l2Device interface, so that tests can put a fake device
// behind it.

// v4l2Device is the kernel boundary: a video device opened by path.
type v4l2Device interface {
	ioctl(req uintptr, arg unsafe.Pointer) error
	mmap(offset int64, length int) ([]byte, error)
	munmap(b []byte) error
	// poll waits until a frame can be dequeued, or timeout.
	poll(timeout time.Duration) (bool, error)
	close() error
}

// The V4L2 structures, laid out as the kernel's (linux/videodev2.h) on
// 64-bit and 32-bit Linux.
type v4l2Capability struct {
	Driver       [16]byte
	Card         [32]byte
	BusInfo      [32]byte
	Version      uint32
	Capabilities uint32
	DeviceCaps   uint32
	Reserved     [3]uint32
}

type v4l2PixFormat struct {
	Width, Height, PixelFormat, Field, BytesPerLine, SizeImage uint32
	Colorspace, Priv, Flags, YCbCrEnc, Quantization, XferFunc  uint32
}

type v4l2Format struct {
	Type uint32
	Fmt  struct {
		_   [0]uintptr // the kernel's union holds pointers: align as they do
		Raw [200]byte
	}
}

func (f *v4l2Format) pix() *v4l2PixFormat { return (*v4l2PixFormat)(unsafe.Pointer(&f.Fmt.Raw[0])) }

type v4l2StreamParm struct {
	Type                                    uint32
	Capability, CaptureMode, TPFNumerator   uint32
	TPFDenominator, ExtendedMode, ReadBuffs uint32
	Reserved                                [4]uint32
	_                                       [160]byte
}

type v4l2RequestBuffers struct {
	Count, Type, Memory, Capabilities uint32
	Flags                             uint8
	Reserved                          [3]uint8
}

type v4l2Buffer struct {
	Index, Type, BytesUsed, Flags, Field uint32
	Timestamp                            unix.Timeval
	Timecode                             [16]byte
	Sequence, Memory                     uint32
	M                                    uintptr // the offset, for mmap buffers
	Length, Reserved2, RequestFD         uint32
}

// Constants of linux/videodev2.h.
const (
	v4l2BufTypeVideoCapture = 1
	v4l2MemoryMmap          = 1
	v4l2CapVideoCapture     = 0x00000001
	v4l2CapStreaming        = 0x04000000
	v4l2CapDeviceCaps       = 0x80000000
	v4l2FieldNone           = 1
	v4l2CapTimePerFrame     = 0x1000
)

// fourcc packs a four-character pixel format code.
func fourcc(s string) uint32 {
	return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
}

var (
	pixYUYV  = fourcc("YUYV")
	pixMJPEG = fourcc("MJPG")
	pixJPEG  = fourcc("JPEG")
	pixI420  = fourcc("YU12")
	pixGray  = fourcc("GREY")
)

// ioc encodes an ioctl request number (asm-generic/ioctl.h).
func ioc(dir, nr, size uintptr) uintptr { return dir<<30 | size<<16 | 'V'<<8 | nr }

const (
	iocWrite = 1
	iocRead  = 2
)

var (
	vidiocQuerycap  = ioc(iocRead, 0, unsafe.Sizeof(v4l2Capability{}))
	vidiocSFmt      = ioc(iocRead|iocWrite, 5, unsafe.Sizeof(v4l2Format{}))
	vidiocReqbufs   = ioc(iocRead|iocWrite, 8, unsafe.Sizeof(v4l2RequestBuffers{}))
	vidiocQuerybuf  = ioc(iocRead|iocWrite, 9, unsafe.Sizeof(v4l2Buffer{}))
	vidiocQbuf      = ioc(iocRead|iocWrite, 15, unsafe.Sizeof(v4l2Buffer{}))
	vidiocDqbuf     = ioc(iocRead|iocWrite, 17, unsafe.Sizeof(v4l2Buffer{}))
	vidiocStreamon  = ioc(iocWrite, 18, unsafe.Sizeof(int32(0)))
	vidiocStreamoff = ioc(iocWrite, 19, unsafe.Sizeof(int32(0)))
	vidiocSParm     = ioc(iocRead|iocWrite, 22, unsafe.Sizeof(v4l2StreamParm{}))
)

// fdDevice is a real device file.
type fdDevice struct{ fd int }

func (d *fdDevice) ioctl(req uintptr, arg unsafe.Pointer) error {
	for {
		_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(d.fd), req, uintptr(arg))
		if errno == unix.EINTR {
			continue
		}
		if errno != 0 {
			return errno
		}
		return nil
	}
}

func (d *fdDevice) mmap(offset int64, length int) ([]byte, error) {
	return unix.Mmap(d.fd, offset, length, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
}

func (d *fdDevice) munmap(b []byte) error { return unix.Munmap(b) }

func (d *fdDevice) poll(timeout time.Duration) (bool, error) {
	fds := []unix.PollFd{{Fd: int32(d.fd), Events: unix.POLLIN}}
	for {
		n, err := unix.Poll(fds, int(timeout.Milliseconds()))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return false, err
		}
		if fds[0].Revents&(unix.POLLERR|unix.POLLHUP|unix.POLLNVAL) != 0 {
			return false, unix.ENODEV
		}
		return n > 0, nil
	}
}

func (d *fdDevice) close() error { return unix.Close(d.fd) }

// V4L2 is a camera source read through V4L2 mmap streaming.
type V4L2 struct {
	path          string
	dev           v4l2Device
	bufs          [][]byte
	format        Format
	width, height int
	fps           float64
	index         int
	streaming     bool
	// FrameTimeout is how long Read waits for a frame before it reports
	// the camera lost.
	FrameTimeout time.Duration
}

// OpenV4L2 opens a V4L2 camera (a USB webcam at /dev/video0) and starts
// streaming: opt.Format yuyv or mjpeg (default: yuyv, else what the camera
// offers of the two), opt.Width x opt.Height (default 640x480; the driver
// may choose the nearest size it has) at opt.FPS (default: the camera's).
func OpenV4L2(path string, opt Options) (Source, error) {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("camera: %s: %w", path, err)
	}
	src, err := openV4L2Device(path, &fdDevice{fd: fd}, opt)
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	return src, nil
}

// openV4L2Device sets up streaming on an open device.
func openV4L2Device(path string, dev v4l2Device, opt Options) (*V4L2, error) {
	s := &V4L2{path: path, dev: dev, FrameTimeout: 3 * time.Second}
	fail := func(what string, err error) (*V4L2, error) {
		s.Close()
		return nil, fmt.Errorf("camera: %s: %s: %w", path, what, err)
	}
	var cp v4l2Capability
	if err := dev.ioctl(vidiocQuerycap, unsafe.Pointer(&cp)); err != nil {
		return fail("not a V4L2 device (VIDIOC_QUERYCAP)", err)
	}
	caps := cp.Capabilities
	if caps&v4l2CapDeviceCaps != 0 {
		caps = cp.DeviceCaps
	}
	if caps&v4l2CapVideoCapture == 0 {
		return fail("device", errors.New("cannot capture video (is it a metadata or output node? try the next /dev/video*)"))
	}
	if caps&v4l2CapStreaming == 0 {
		return fail("device", errors.New("does not support streaming I/O"))
	}
	w, h := opt.Width, opt.Height
	if w == 0 || h == 0 {
		w, h = 640, 480
	}
	var want []uint32
	switch opt.Format {
	case FormatUnknown:
		want = []uint32{pixYUYV, pixMJPEG}
	case FormatYUYV:
		want = []uint32{pixYUYV}
	case FormatMJPEG:
		want = []uint32{pixMJPEG, pixJPEG}
	case FormatI420:
		want = []uint32{pixI420}
	case FormatGray:
		want = []uint32{pixGray}
	default:
		return fail("format", fmt.Errorf("cannot capture %s", opt.Format))
	}
	var got v4l2PixFormat
	for _, pf := range want {
		f := v4l2Format{Type: v4l2BufTypeVideoCapture}
		p := f.pix()
		p.Width, p.Height, p.PixelFormat, p.Field = uint32(w), uint32(h), pf, v4l2FieldNone
		if err := dev.ioctl(vidiocSFmt, unsafe.Pointer(&f)); err != nil {
			return fail("VIDIOC_S_FMT", err)
		}
		if got = *f.pix(); got.PixelFormat == pf {
			break
		}
	}
	switch got.PixelFormat {
	case pixYUYV:
		s.format = FormatYUYV
	case pixMJPEG, pixJPEG:
		s.format = FormatMJPEG
	case pixI420:
		s.format = FormatI420
	case pixGray:
		s.format = FormatGray
	default:
		return fail("format", fmt.Errorf("the camera offers %q, not %s", fourccString(got.PixelFormat), opt.Format))
	}
	s.width, s.height = int(got.Width), int(got.Height)
	if s.format != FormatMJPEG {
		if _, err := FrameSize(s.format, s.width, s.height); err != nil {
			return fail("format", err)
		}
	}
	if opt.FPS > 0 {
		p := v4l2StreamParm{Type: v4l2BufTypeVideoCapture, TPFNumerator: 1000, TPFDenominator: uint32(opt.FPS * 1000)}
		if err := dev.ioctl(vidiocSParm, unsafe.Pointer(&p)); err == nil && p.TPFNumerator > 0 {
			s.fps = float64(p.TPFDenominator) / float64(p.TPFNumerator)
		}
	}
	req := v4l2RequestBuffers{Count: 4, Type: v4l2BufTypeVideoCapture, Memory: v4l2MemoryMmap}
	if err := dev.ioctl(vidiocReqbufs, unsafe.Pointer(&req)); err != nil {
		return fail("VIDIOC_REQBUFS", err)
	}
	if req.Count < 2 {
		return fail("VIDIOC_REQBUFS", fmt.Errorf("only %d buffers", req.Count))
	}
	for i := range req.Count {
		b := v4l2Buffer{Index: i, Type: v4l2BufTypeVideoCapture, Memory: v4l2MemoryMmap}
		if err := dev.ioctl(vidiocQuerybuf, unsafe.Pointer(&b)); err != nil {
			return fail("VIDIOC_QUERYBUF", err)
		}
		m, err := dev.mmap(int64(uint32(b.M)), int(b.Length))
		if err != nil {
			return fail("mmap", err)
		}
		s.bufs = append(s.bufs, m)
		if err := dev.ioctl(vidiocQbuf, unsafe.Pointer(&b)); err != nil {
			return fail("VIDIOC_QBUF", err)
		}
	}
	typ := int32(v4l2BufTypeVideoCapture)
	if err := dev.ioctl(vidiocStreamon, unsafe.Pointer(&typ)); err != nil {
		return fail("VIDIOC_STREAMON", err)
	}
	s.streaming = true
	return s, nil
}

func fourccString(v uint32) string {
	return string([]byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)})
}

// lost wraps a device error: the camera is gone (unplugged) or broken.
func (s *V4L2) lost(what string, err error) error {
	return fmt.Errorf("%s: %s: %w: %w", s.path, what, ErrLost, err)
}

func (s *V4L2) Read(f *Frame) error {
	deadline := time.Now().Add(s.FrameTimeout)
	for {
		ready, err := s.dev.poll(min(time.Until(deadline), time.Second))
		if err != nil {
			return s.lost("poll", err)
		}
		if ready {
			break
		}
		if time.Now().After(deadline) {
			return s.lost("waiting for a frame", os.ErrDeadlineExceeded)
		}
	}
	b := v4l2Buffer{Type: v4l2BufTypeVideoCapture, Memory: v4l2MemoryMmap}
	if err := s.dev.ioctl(vidiocDqbuf, unsafe.Pointer(&b)); err != nil {
		if err == unix.EAGAIN {
			return s.Read(f)
		}
		return s.lost("VIDIOC_DQBUF", err)
	}
	if int(b.Index) >= len(s.bufs) {
		return s.lost("VIDIOC_DQBUF", fmt.Errorf("buffer %d of %d", b.Index, len(s.bufs)))
	}
	data := s.bufs[b.Index]
	n := min(int(b.BytesUsed), len(data))
	const v4l2BufFlagError = 0x40
	var bad error
	if b.Flags&v4l2BufFlagError != 0 {
		bad = fmt.Errorf("%s#%d: %w: the driver flagged the buffer", s.path, s.index, ErrCorrupt)
	} else {
		f.Data = append(f.Data[:0], data[:n]...)
	}
	if err := s.dev.ioctl(vidiocQbuf, unsafe.Pointer(&b)); err != nil {
		return s.lost("VIDIOC_QBUF", err)
	}
	f.Format, f.Width, f.Height = s.format, s.width, s.height
	f.Index, f.Name, f.Time = s.index, s.path, time.Now()
	s.index++
	if bad != nil {
		return bad
	}
	if err := f.check(); err != nil {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return nil
}

func (s *V4L2) Info() Info {
	return Info{Name: s.path, Live: true, Format: s.format, Width: s.width, Height: s.height, FPS: s.fps}
}

// Close stops streaming and releases the buffers and the device.
func (s *V4L2) Close() error {
	if s.dev == nil {
		return nil
	}
	if s.streaming {
		typ := int32(v4l2BufTypeVideoCapture)
		s.dev.ioctl(vidiocStreamoff, unsafe.Pointer(&typ))
		s.streaming = false
	}
	for _, b := range s.bufs {
		s.dev.munmap(b)
	}
	s.bufs = nil
	err := s.dev.close()
	s.dev = nil
	return err
}
