package preprocess

import (
	"fmt"
	"image"
)

// Plane is one 8-bit image plane in memory: pixel (x, y) is
// Pix[y*Stride+x*Step]. Planes of packed formats (YUYV, RGB) have a Step
// above 1.
type Plane struct {
	Pix                         []byte
	Width, Height, Stride, Step int
}

// At returns pixel (x, y).
func (p Plane) At(x, y int) uint8 { return p.Pix[y*p.Stride+x*p.Step] }

// check reports a plane whose pixels do not fit in Pix.
func (p Plane) check() error {
	if p.Width <= 0 || p.Height <= 0 || p.Step <= 0 || p.Stride < (p.Width-1)*p.Step+1 {
		return fmt.Errorf("preprocess: plane %dx%d with stride %d and step %d", p.Width, p.Height, p.Stride, p.Step)
	}
	if need := (p.Height-1)*p.Stride + (p.Width-1)*p.Step + 1; len(p.Pix) < need {
		return fmt.Errorf("preprocess: plane %dx%d needs %d bytes, has %d", p.Width, p.Height, need, len(p.Pix))
	}
	return nil
}

// ColorModel says what the planes of a Picture hold.
type ColorModel uint8

// The colour models of a Picture.
const (
	// Gray is one plane of luma.
	Gray ColorModel = iota + 1
	// YCbCr is full-range (JFIF) Y, Cb and Cr planes; Cb and Cr may be
	// subsampled by Picture.SubX and SubY.
	YCbCr
	// RGB is three planes: red, green, blue.
	RGB
)

// Picture is a decoded image as planes: what a decoder or a camera frame
// hands the preprocessing. The planes may be views into a frame's bytes.
type Picture struct {
	Model ColorModel
	// Width and Height are the size of the picture: of plane 0.
	Width, Height int
	// Planes holds Y (or gray), Cb, Cr, or R, G, B.
	Planes [3]Plane
	// SubX and SubY are the chroma subsampling of a YCbCr picture: plane
	// 1 and 2 pixel (x, y) covers luma pixels [x*SubX, (x+1)*SubX) x
	// [y*SubY, (y+1)*SubY). 1 for other models.
	SubX, SubY int
	// Scale is how many pixels of the original image one picture pixel
	// spans along each axis: 2, 4 or 8 for a JPEG decoded at reduced size
	// in the DCT domain, else 1. With ScaleNum above 0, ScaleNum pixels
	// span Scale: the picture is ScaleNum/Scale of the original size
	// (libjpeg's scale_num/scale_denom; a JPEG decoded at 5/8 of its size
	// has ScaleNum 5 and Scale 8).
	Scale, ScaleNum int
	// FullWidth and FullHeight are the size of the original image, when
	// the picture is smaller (0 means Width and Height scaled up).
	FullWidth, FullHeight int
}

// ratio returns the picture's size over the original's, num/den.
func (p *Picture) ratio() (num, den int) { return max(p.ScaleNum, 1), p.Scale }

// full returns the size of the original image.
func (p *Picture) full() (w, h int) {
	num, den := p.ratio()
	w, h = p.FullWidth, p.FullHeight
	if w <= 0 || h <= 0 || w > MaxSide*den || h > MaxSide*den || toPicture(w, num, den) != p.Width || toPicture(h, num, den) != p.Height {
		w, h = p.Width*den/num, p.Height*den/num
	}
	return w, h
}

// toPicture maps a length (or an end coordinate) of the original image to
// a picture at num/den of its size, rounding up.
func toPicture(v, num, den int) int { return (v*num + den - 1) / den }

// GrayPicture wraps one 8-bit plane of w x h pixels.
func GrayPicture(pix []byte, w, h, stride int) Picture {
	return Picture{Model: Gray, Width: w, Height: h, Planes: [3]Plane{{Pix: pix, Width: w, Height: h, Stride: stride, Step: 1}}, SubX: 1, SubY: 1, Scale: 1}
}

// PackedRGB wraps w x h pixels of packed 8-bit R, G, B (3 bytes a pixel).
func PackedRGB(pix []byte, w, h int) Picture {
	p := Picture{Model: RGB, Width: w, Height: h, SubX: 1, SubY: 1, Scale: 1}
	for c := range 3 {
		if c < len(pix) { // a short slice fails Check
			p.Planes[c] = Plane{Pix: pix[c:], Width: w, Height: h, Stride: 3 * w, Step: 3}
		}
	}
	return p
}

// Check reports a picture whose planes are inconsistent with its size and
// model, so that preprocessing never reads out of bounds.
func (p *Picture) Check() error {
	if p.Width <= 0 || p.Height <= 0 || p.Scale < 1 || p.ScaleNum < 0 || p.ScaleNum > p.Scale {
		return fmt.Errorf("preprocess: picture size %dx%d, scale %d/%d", p.Width, p.Height, max(p.ScaleNum, 1), p.Scale)
	}
	planes := 3
	switch p.Model {
	case Gray:
		planes = 1
	case YCbCr:
		if p.SubX < 1 || p.SubX > 4 || p.SubY < 1 || p.SubY > 4 {
			return fmt.Errorf("preprocess: chroma subsampling %dx%d", p.SubX, p.SubY)
		}
	case RGB:
	default:
		return fmt.Errorf("preprocess: unknown colour model %d", p.Model)
	}
	for i := range planes {
		pl := p.Planes[i]
		w, h := p.Width, p.Height
		if i > 0 && p.Model == YCbCr {
			w, h = (w+p.SubX-1)/p.SubX, (h+p.SubY-1)/p.SubY
		}
		if pl.Width < w || pl.Height < h {
			return fmt.Errorf("preprocess: plane %d is %dx%d, want %dx%d", i, pl.Width, pl.Height, w, h)
		}
		if err := pl.check(); err != nil {
			return err
		}
	}
	return nil
}

// ToImage converts p to a new *image.Gray (gray pictures) or *image.RGBA,
// for previews and saving.
func (p *Picture) ToImage() (image.Image, error) {
	if err := p.Check(); err != nil {
		return nil, err
	}
	w, h := p.Width, p.Height
	var ip imagePath
	if p.Model == Gray {
		g := image.NewGray(image.Rect(0, 0, w, h))
		read := ip.reader(p, g.Rect, 1, false)
		for y := range h {
			read(y, 0, w, [][]uint8{g.Pix[y*g.Stride : y*g.Stride+w]})
		}
		return g, nil
	}
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	read := ip.reader(p, m.Rect, 3, false)
	rows := [][]uint8{make([]uint8, w), make([]uint8, w), make([]uint8, w)}
	for y := range h {
		read(y, 0, w, rows)
		out := m.Pix[y*m.Stride:]
		for x := range w {
			out[4*x], out[4*x+1], out[4*x+2], out[4*x+3] = rows[0][x], rows[1][x], rows[2][x], 255
		}
	}
	return m, nil
}

// bounds is the picture's rectangle.
func (p *Picture) bounds() image.Rectangle { return image.Rect(0, 0, p.Width, p.Height) }
