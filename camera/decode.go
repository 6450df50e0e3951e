package camera

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
)

// Plane is one 8-bit image plane in memory: pixel (x, y) is
// Pix[y*Stride+x*Step]. Planes of YUYV frames have Step 2.
type Plane struct {
	Pix                         []byte
	Width, Height, Stride, Step int
	// Scale is how much smaller the plane is than its frame: pixel (x, y)
	// of the plane covers pixels [x*Scale, (x+1)*Scale) of the frame. A
	// JPEG decoded at reduced size has Scale 2, 4 or 8; otherwise 1.
	Scale int
}

// At returns pixel (x, y).
func (p Plane) At(x, y int) uint8 { return p.Pix[y*p.Stride+x*p.Step] }

// Decoder turns frames into image planes. It keeps buffers between calls:
// the planes it returns are valid until its next call. It is not safe for
// concurrent use.
type Decoder struct {
	jpeg jpegDecoder
	gray []byte
}

// Luma returns the luma (BT.601 Y, the grayscale image) of f. For YUYV,
// I420 and gray frames it is a view into f.Data, for MJPEG frames a plane
// decoded at 1/scale of the frame's size (scale 1, 2, 4 or 8: a reduced
// inverse DCT, much faster than decoding in full); other formats ignore
// scale. It sets f.Width and f.Height when the frame did not know them.
func (d *Decoder) Luma(f *Frame, scale int) (Plane, error) {
	if err := f.check(); err != nil {
		return Plane{}, err
	}
	w, h := f.Width, f.Height
	switch f.Format {
	case FormatGray, FormatI420:
		return Plane{Pix: f.Data, Width: w, Height: h, Stride: w, Step: 1, Scale: 1}, nil
	case FormatYUYV:
		return Plane{Pix: f.Data, Width: w, Height: h, Stride: 2 * w, Step: 2, Scale: 1}, nil
	case FormatRGB:
		n := w * h
		if cap(d.gray) < n {
			d.gray = make([]byte, n)
		}
		d.gray = d.gray[:n]
		for i := range n {
			p := f.Data[3*i : 3*i+3]
			d.gray[i] = luma(p[0], p[1], p[2])
		}
		return Plane{Pix: d.gray, Width: w, Height: h, Stride: w, Step: 1, Scale: 1}, nil
	case FormatMJPEG:
		p, err := d.jpeg.decodeLuma(f.Data, scale)
		if errors.Is(err, errJPEGUnsupported) {
			p, err = d.slowLuma(f.Data)
		}
		if err != nil {
			return Plane{}, fmt.Errorf("%s: %w", f.Name, err)
		}
		f.Width, f.Height = d.jpeg.width, d.jpeg.height
		if p.Scale == 1 {
			f.Width, f.Height = p.Width, p.Height
		}
		return p, nil
	}
	return Plane{}, fmt.Errorf("%s: cannot decode %s frames", f.Name, f.Format)
}

// slowLuma decodes JPEGs the fast decoder does not handle (progressive).
func (d *Decoder) slowLuma(data []byte) (Plane, error) {
	img, err := decodeJPEG(data)
	if err != nil {
		return Plane{}, err
	}
	b := img.Bounds()
	d.jpeg.width, d.jpeg.height = b.Dx(), b.Dy()
	switch m := img.(type) {
	case *image.YCbCr:
		return Plane{Pix: m.Y, Width: b.Dx(), Height: b.Dy(), Stride: m.YStride, Step: 1, Scale: 1}, nil
	case *image.Gray:
		return Plane{Pix: m.Pix, Width: b.Dx(), Height: b.Dy(), Stride: m.Stride, Step: 1, Scale: 1}, nil
	}
	n := b.Dx() * b.Dy()
	d.gray = d.gray[:0]
	d.gray = append(d.gray, make([]byte, n)...)
	for y := range b.Dy() {
		for x := range b.Dx() {
			d.gray[y*b.Dx()+x] = color.GrayModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.Gray).Y
		}
	}
	return Plane{Pix: d.gray, Width: b.Dx(), Height: b.Dy(), Stride: b.Dx(), Step: 1, Scale: 1}, nil
}

// maxJPEGPixels bounds the size of a JPEG that Image decodes in full.
const maxJPEGPixels = 1 << 26

// decodeJPEG decodes a whole JPEG with image/jpeg after checking its size.
func decodeJPEG(data []byte) (image.Image, error) {
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > MaxDim || cfg.Height > MaxDim || cfg.Width*cfg.Height > maxJPEGPixels {
		return nil, fmt.Errorf("jpeg: image size %dx%d out of range", cfg.Width, cfg.Height)
	}
	return jpeg.Decode(bytes.NewReader(data))
}

// Image returns f as a colour image at full size, in new memory (it does
// not alias f.Data): *image.YCbCr for YUYV, I420 and most JPEGs,
// *image.Gray for gray frames, *image.RGBA for RGB frames. It is for
// previews, saving and colour models, not the fast path.
func Image(f *Frame) (image.Image, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	w, h := f.Width, f.Height
	r := image.Rect(0, 0, w, h)
	switch f.Format {
	case FormatGray:
		m := image.NewGray(r)
		copy(m.Pix, f.Data)
		return m, nil
	case FormatI420:
		m := image.NewYCbCr(r, image.YCbCrSubsampleRatio420)
		n := copy(m.Y, f.Data[:w*h])
		n += copy(m.Cb, f.Data[n:n+len(m.Cb)])
		copy(m.Cr, f.Data[n:n+len(m.Cr)])
		return m, nil
	case FormatYUYV:
		m := image.NewYCbCr(r, image.YCbCrSubsampleRatio422)
		for y := range h {
			src := f.Data[y*2*w : (y+1)*2*w]
			yr := m.Y[y*m.YStride : y*m.YStride+w]
			cb, cr := m.Cb[y*m.CStride:], m.Cr[y*m.CStride:]
			for x := 0; x+1 < w; x += 2 {
				q := src[2*x : 2*x+4]
				yr[x], yr[x+1] = q[0], q[2]
				cb[x/2], cr[x/2] = q[1], q[3]
			}
		}
		return m, nil
	case FormatRGB:
		m := image.NewRGBA(r)
		for i := range w * h {
			copy(m.Pix[4*i:4*i+3], f.Data[3*i:3*i+3])
			m.Pix[4*i+3] = 255
		}
		return m, nil
	case FormatMJPEG:
		img, err := decodeJPEG(f.Data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		f.Width, f.Height = img.Bounds().Dx(), img.Bounds().Dy()
		return img, nil
	}
	return nil, fmt.Errorf("%s: cannot decode %s frames", f.Name, f.Format)
}

// luma returns the BT.601 luma of an RGB pixel, rounded.
func luma(r, g, b uint8) uint8 {
	return uint8((19595*uint32(r) + 38470*uint32(g) + 7471*uint32(b) + 1<<15) >> 16)
}
