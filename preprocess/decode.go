package preprocess

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"

	"github.com/edgecnn/edgecnn/internal/safefile"
)

// Bounds on the images Decode accepts, so that a small file claiming a
// huge size is refused before it is decoded.
const (
	// MaxSide bounds the width and height of an image.
	MaxSide = 16384
	// MaxPixels bounds the pixels of an image decoded by edgecnn's own
	// JPEG decoder at full size.
	MaxPixels = 1 << 26
	// MaxDecodeBytes bounds the memory one decode may take: the image
	// image/png or image/jpeg builds, plus its conversion.
	MaxDecodeBytes = 1 << 28
)

// ErrFormat marks data that is neither a JPEG nor a PNG.
var ErrFormat = errors.New("not a JPEG or PNG image")

// MaxFileBytes bounds the size of one image file.
const MaxFileBytes = 64 << 20

// ReadFile reads the image file at path, for every command that takes
// images: a regular file (not a FIFO, not a link to /dev/zero) of at most
// MaxFileBytes.
func ReadFile(path string) ([]byte, error) { return safefile.ReadFile(path, MaxFileBytes) }

// IsJPEG reports whether data starts like a JPEG.
func IsJPEG(data []byte) bool { return len(data) >= 2 && data[0] == 0xFF && data[1] == 0xD8 }

// IsPNG reports whether data starts like a PNG.
func IsPNG(data []byte) bool { return len(data) >= 8 && string(data[:8]) == "\x89PNG\r\n\x1a\n" }

// Header is the size and kind of an image file, read without decoding it.
type Header struct {
	Width, Height int
	// Format is "jpeg" or "png".
	Format string
	// Gray is set for a gray image (one component, a gray PNG).
	Gray bool
	// Cost is the memory, in bytes, its decode at full size takes at
	// most: what a loader decoding several images at once budgets for.
	Cost int64
	// fast: a JPEG the own decoder reads (scaled decoding possible).
	fast bool
}

// ReadHeader reads the size of a JPEG or PNG and checks it against the
// bounds above.
func ReadHeader(data []byte) (Header, error) {
	switch {
	case IsJPEG(data):
		h, err := readJPEGHeader(data)
		if err != nil {
			return Header{}, err
		}
		hd := Header{Width: h.width, Height: h.height, Format: "jpeg", Gray: h.components == 1}
		px := int64(h.width) * int64(h.height)
		var derr error
		if h.progressive || (h.components != 1 && h.components != 3) {
			// image/jpeg: coefficients (progressive: 4 bytes per sample) and
			// the image (a byte per sample), then our conversion to RGB.
			hd.Cost = px*int64(max(h.components, 1))*5 + 3*px
			derr = checkScanData(data)
		} else {
			hd.fast = true
			hd.Cost = px * int64(h.components)
			if px > MaxPixels {
				derr = fmt.Errorf("jpeg: image is %dx%d, more than %d pixels", h.width, h.height, MaxPixels)
			}
		}
		if derr == nil && hd.Cost > MaxDecodeBytes {
			derr = fmt.Errorf("jpeg: image is %dx%d: decoding it would take %d MB, more than %d", h.width, h.height, hd.Cost>>20, MaxDecodeBytes>>20)
		}
		return hd, derr
	case IsPNG(data):
		cfg, err := png.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			return Header{}, fmt.Errorf("png: %w", err)
		}
		if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > MaxSide || cfg.Height > MaxSide {
			return Header{}, fmt.Errorf("png: image size %dx%d out of range (1..%d)", cfg.Width, cfg.Height, MaxSide)
		}
		px := int64(cfg.Width) * int64(cfg.Height)
		hd := Header{Width: cfg.Width, Height: cfg.Height, Format: "png", Cost: px * (int64(pngBytesPerPixel(cfg.ColorModel)) + 3),
			Gray: cfg.ColorModel == color.GrayModel || cfg.ColorModel == color.Gray16Model}
		if hd.Cost > MaxDecodeBytes {
			return hd, fmt.Errorf("png: image is %dx%d: decoding it would take %d MB, more than %d", cfg.Width, cfg.Height, hd.Cost>>20, MaxDecodeBytes>>20)
		}
		return hd, nil
	}
	return Header{}, ErrFormat
}

// pngBytesPerPixel is the size of a pixel in the image image/png returns.
func pngBytesPerPixel(m color.Model) int {
	switch m {
	case color.GrayModel:
		return 1
	case color.Gray16Model:
		return 2
	case color.RGBA64Model, color.NRGBA64Model:
		return 8
	}
	if _, ok := m.(color.Palette); ok {
		return 1
	}
	return 4
}

// Decoder decodes JPEG and PNG files into Pictures. It keeps its buffers
// between images: a Picture is valid until the next call. It is not safe
// for concurrent use.
type Decoder struct {
	jpeg jpegDecoder
	rgb  []byte
}

// Decode decodes a JPEG or PNG. A JPEG that edgecnn's decoder reads is
// decoded at 1/scale of its size (1, 2, 4 or 8) and, when lumaOnly is set,
// to its luma only; other images are decoded in full (Picture.Scale 1).
func (d *Decoder) Decode(data []byte, scale int, lumaOnly bool) (Picture, error) {
	if scale != 1 && scale != 2 && scale != 4 && scale != 8 {
		return Picture{}, fmt.Errorf("preprocess: decode scale %d, want 1, 2, 4 or 8", scale)
	}
	return d.decode(data, 8/scale, lumaOnly, image.Rectangle{})
}

// decode is Decode at n/8 of the size (n 1 to 8), with the pixels of a
// JPEG that edgecnn's decoder reads left undefined outside region need
// (in picture pixels) unless need is empty: the blocks outside it are
// entropy-decoded (as they must be) but not transformed.
func (d *Decoder) decode(data []byte, n int, lumaOnly bool, need image.Rectangle) (Picture, error) {
	hd, err := ReadHeader(data)
	if err != nil {
		return Picture{}, err
	}
	if hd.Format == "jpeg" && hd.fast {
		d.jpeg.need = need
		pic, err := d.jpeg.decode(data, n, lumaOnly)
		if !errors.Is(err, errJPEGUnsupported) {
			return pic, err
		}
		// An RGB-coded JPEG: the frame header did not tell.
		if err := checkScanData(data); err != nil {
			return Picture{}, err
		}
	}
	var img image.Image
	if hd.Format == "png" {
		img, err = png.Decode(bytes.NewReader(data))
	} else {
		img, err = jpeg.Decode(bytes.NewReader(data))
	}
	if err != nil {
		return Picture{}, fmt.Errorf("%s: %w", hd.Format, err)
	}
	return d.fromImage(img), nil
}

// fromImage wraps or converts what image/png and image/jpeg return. Alpha
// is dropped, as PIL's convert("RGB") does; 16-bit samples keep their high
// byte.
func (d *Decoder) fromImage(img image.Image) Picture {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	switch m := img.(type) {
	case *image.Gray:
		return GrayPicture(m.Pix, w, h, m.Stride)
	case *image.YCbCr:
		sx, sy := 1, 1
		switch m.SubsampleRatio {
		case image.YCbCrSubsampleRatio422:
			sx = 2
		case image.YCbCrSubsampleRatio420:
			sx, sy = 2, 2
		case image.YCbCrSubsampleRatio440:
			sy = 2
		case image.YCbCrSubsampleRatio411:
			sx = 4
		case image.YCbCrSubsampleRatio410:
			sx, sy = 4, 2
		}
		cw, ch := (w+sx-1)/sx, (h+sy-1)/sy
		return Picture{Model: YCbCr, Width: w, Height: h, SubX: sx, SubY: sy, Scale: 1, Planes: [3]Plane{
			{Pix: m.Y, Width: w, Height: h, Stride: m.YStride, Step: 1},
			{Pix: m.Cb, Width: cw, Height: ch, Stride: m.CStride, Step: 1},
			{Pix: m.Cr, Width: cw, Height: ch, Stride: m.CStride, Step: 1},
		}}
	case *image.Gray16:
		d.rgb = grow(d.rgb, w*h)
		for y := range h {
			row := m.Pix[y*m.Stride:]
			for x := range w {
				d.rgb[y*w+x] = row[2*x]
			}
		}
		return GrayPicture(d.rgb, w, h, w)
	}
	d.rgb = grow(d.rgb, 3*w*h)
	i := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			var r, g, bl uint8
			switch c := img.At(x, y).(type) {
			case color.NRGBA:
				r, g, bl = c.R, c.G, c.B
			case color.RGBA:
				r, g, bl = c.R, c.G, c.B
			case color.CMYK:
				r, g, bl = color.CMYKToRGB(c.C, c.M, c.Y, c.K)
			default:
				n := color.NRGBA64Model.Convert(c).(color.NRGBA64)
				r, g, bl = uint8(n.R>>8), uint8(n.G>>8), uint8(n.B>>8)
			}
			d.rgb[i], d.rgb[i+1], d.rgb[i+2] = r, g, bl
			i += 3
		}
	}
	return PackedRGB(d.rgb, w, h)
}

// checkScanData checks that the first scan of a JPEG holds at least one
// bit for each of its blocks, as every JPEG coding needs, before image/jpeg
// allocates the whole image: a few truncated bytes claiming 8192x8192
// pixels are refused rather than costing gigabytes.
func checkScanData(data []byte) error {
	var comps [4]struct{ id, h, v int }
	ncomp, width, height, hmax, vmax := 0, 0, 0, 1, 1
	pos := 2
	for {
		for pos < len(data) && data[pos] != 0xFF {
			pos++
		}
		for pos+1 < len(data) && data[pos+1] == 0xFF {
			pos++
		}
		if pos+3 >= len(data) {
			return errors.New("jpeg: truncated before the image data")
		}
		m := data[pos+1]
		pos += 2
		if m == 0x01 || (m >= 0xD0 && m <= 0xD9) {
			if m == 0xD9 {
				return errors.New("jpeg: no image data before the end")
			}
			continue
		}
		n := u16(data[pos:])
		if n < 2 || pos+n > len(data) {
			return fmt.Errorf("jpeg: segment %#02x of %d bytes overruns the data", m, n)
		}
		seg := data[pos+2 : pos+n]
		pos += n
		switch {
		case m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC:
			if len(seg) < 6 || len(seg) < 6+3*int(seg[5]) || seg[5] == 0 || seg[5] > 4 {
				return errors.New("jpeg: bad frame header")
			}
			height, width, ncomp = u16(seg[1:]), u16(seg[3:]), int(seg[5])
			if width == 0 || height == 0 || width > MaxSide || height > MaxSide {
				return fmt.Errorf("jpeg: image size %dx%d out of range (1..%d)", width, height, MaxSide)
			}
			for i := range ncomp {
				c := &comps[i]
				c.id, c.h, c.v = int(seg[6+3*i]), int(seg[7+3*i]>>4), int(seg[7+3*i]&15)
				if c.h < 1 || c.h > 4 || c.v < 1 || c.v > 4 {
					return errors.New("jpeg: bad component in frame header")
				}
				hmax, vmax = max(hmax, c.h), max(vmax, c.v)
			}
		case m == 0xDA:
			if ncomp == 0 || len(seg) < 1 || len(seg) < 1+2*int(seg[0]) {
				return errors.New("jpeg: bad scan header")
			}
			ns := int(seg[0])
			mcusX, mcusY := (width+8*hmax-1)/(8*hmax), (height+8*vmax-1)/(8*vmax)
			blocks := 0
			for i := range ns {
				for j := range ncomp {
					if comps[j].id != int(seg[1+2*i]) {
						continue
					}
					c := comps[j]
					if ns > 1 {
						blocks += mcusX * mcusY * c.h * c.v
					} else {
						cw, ch := (width*c.h+hmax-1)/hmax, (height*c.v+vmax-1)/vmax
						blocks += ((cw + 7) / 8) * ((ch + 7) / 8)
					}
				}
			}
			end := pos
			for end+1 < len(data) && (data[end] != 0xFF || data[end+1] == 0 || (data[end+1] >= 0xD0 && data[end+1] <= 0xD7)) {
				end++
			}
			if blocks > 8*(end-pos)+64 {
				return fmt.Errorf("jpeg: %d bytes of image data cannot hold %dx%d pixels (truncated?)", end-pos, width, height)
			}
			return nil
		}
	}
}
