package camera

import (
	"fmt"
	"strings"
	"time"
)

// Format is the layout of a frame's bytes.
type Format uint8

// The frame formats sources deliver.
const (
	FormatUnknown Format = iota
	// FormatGray is 8-bit luma, Width*Height bytes, row by row.
	FormatGray
	// FormatYUYV is packed 4:2:2 (Y0 U Y1 V per pixel pair), Width*Height*2
	// bytes; Width is even. V4L2_PIX_FMT_YUYV.
	FormatYUYV
	// FormatI420 is planar 4:2:0: the Width*Height Y plane, then U, then V,
	// each ceil(Width/2) x ceil(Height/2). V4L2_PIX_FMT_YUV420, rpicam-vid's
	// --codec yuv420.
	FormatI420
	// FormatMJPEG is one JPEG image; Width and Height are known once it is
	// decoded (sources that know them set them).
	FormatMJPEG
	// FormatRGB is packed 8-bit R, G, B, Width*Height*3 bytes.
	FormatRGB
	// FormatPNG is one PNG image file; Width and Height are known once it
	// is decoded.
	FormatPNG
)

var formatNames = [...]string{"unknown", "gray", "yuyv", "i420", "mjpeg", "rgb", "png"}

func (f Format) String() string {
	if int(f) < len(formatNames) {
		return formatNames[f]
	}
	return fmt.Sprintf("Format(%d)", uint8(f))
}

// ParseFormat reads a format name: gray, yuyv (or yuy2), i420 (or yuv420),
// mjpeg (or jpeg), rgb; any case.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(s) {
	case "gray", "grey", "y8":
		return FormatGray, nil
	case "yuyv", "yuy2":
		return FormatYUYV, nil
	case "i420", "yuv420", "yu12":
		return FormatI420, nil
	case "mjpeg", "mjpg", "jpeg", "jpg":
		return FormatMJPEG, nil
	case "rgb", "rgb24":
		return FormatRGB, nil
	}
	return FormatUnknown, fmt.Errorf("unknown frame format %q (want yuyv, i420, mjpeg, gray or rgb)", s)
}

// MaxDim bounds the width and height of a frame.
const MaxDim = 16384

// FrameSize returns the number of bytes of one raw frame of the given
// format and size. MJPEG frames have no fixed size: it is an error.
func FrameSize(f Format, width, height int) (int, error) {
	if width <= 0 || height <= 0 || width > MaxDim || height > MaxDim {
		return 0, fmt.Errorf("frame size %dx%d out of range (1..%d)", width, height, MaxDim)
	}
	n := width * height
	switch f {
	case FormatGray:
		return n, nil
	case FormatYUYV:
		if width%2 != 0 {
			return 0, fmt.Errorf("yuyv frames need an even width, not %d", width)
		}
		return 2 * n, nil
	case FormatI420:
		cw, ch := (width+1)/2, (height+1)/2
		return n + 2*cw*ch, nil
	case FormatRGB:
		return 3 * n, nil
	}
	return 0, fmt.Errorf("%s frames have no fixed size", f)
}

// Frame is one image from a Source. Data is in Format; sources reuse its
// storage, so a frame is valid until the next Read into it.
type Frame struct {
	Format        Format
	Width, Height int // 0 for an MJPEG frame whose size is not known yet
	Data          []byte
	// Index counts the frames the source produced, from 0.
	Index int
	// Name says where the frame came from: a file name, "clip.mjpeg#12",
	// "/dev/video0".
	Name string
	// Time is when the frame was captured (read).
	Time time.Time
}

// CopyFrom makes f a copy of src, reusing f's storage.
func (f *Frame) CopyFrom(src *Frame) {
	data := append(f.Data[:0], src.Data...)
	*f = *src
	f.Data = data
}

// check verifies that a raw frame holds as many bytes as its size needs.
func (f *Frame) check() error {
	if f.Format == FormatMJPEG || f.Format == FormatPNG {
		if len(f.Data) < 4 {
			return fmt.Errorf("%s: %s frame of %d bytes", f.Name, f.Format, len(f.Data))
		}
		return nil
	}
	n, err := FrameSize(f.Format, f.Width, f.Height)
	if err != nil {
		return fmt.Errorf("%s: %w", f.Name, err)
	}
	if len(f.Data) < n {
		return fmt.Errorf("%s: %s frame %dx%d has %d bytes, want %d", f.Name, f.Format, f.Width, f.Height, len(f.Data), n)
	}
	return nil
}
