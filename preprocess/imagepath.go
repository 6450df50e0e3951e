package preprocess

import (
	"image"
	"math"

	"github.com/edgecnn/edgecnn/kernels"
	"github.com/edgecnn/edgecnn/nn"
)

// The image path: resize (the shorter side to Input.Resize, or to just
// cover the input), centre crop, gray or RGB/BGR planes.

// resizedSize is the size a w x h region is resized to before the centre
// crop: torchvision's Resize(s) (the shorter side to s, the longer one
// scaled and truncated) when in.Resize is set, else the smallest size of
// the region's aspect ratio that covers the input.
func resizedSize(in nn.Input, w, h int) (rw, rh int) {
	if in.Resize > 0 {
		s := in.Resize
		if w <= h {
			return s, int(float64(s) * float64(h) / float64(w))
		}
		return int(float64(s) * float64(w) / float64(h)), s
	}
	if w*in.Height >= h*in.Width { // wider than the input: fit the height
		return max(in.Width, int(float64(in.Height)*float64(w)/float64(h))), in.Height
	}
	return in.Width, max(in.Height, int(float64(in.Width)*float64(h)/float64(w)))
}

// centreCrop is torchvision's CenterCrop of h x w out of a rw x rh image:
// offsets rounded half to even, as Python's round does.
func centreCrop(rw, rh, w, h int) image.Rectangle {
	x := int(math.RoundToEven(float64(rw-w) / 2))
	y := int(math.RoundToEven(float64(rh-h) / 2))
	return image.Rect(x, y, x+w, y+h)
}

// imagePath is the image path's state.
type imagePath struct {
	rs   Resampler
	cbuf [2][]uint8 // upsampled chroma rows
	ybuf []uint8    // gathered luma
	up   upsampleScratch
	lbuf [3][]uint8 // RGB rows for gray output
}

// run writes the model input for region roi (in picture pixels; the whole
// picture when the region covers it) of pic into dst (C x H x W). full is
// the size of the region in original image pixels, which sets the resized
// size whatever the decode scale.
func (p *imagePath) run(dst []uint8, in nn.Input, pic *Picture, roi image.Rectangle, fullW, fullH int) image.Rectangle {
	rw, rh := resizedSize(in, fullW, fullH)
	crop := centreCrop(rw, rh, in.Width, in.Height)
	channels := in.Channels
	read := p.reader(pic, roi, channels, in.BGR)
	p.rs.resample(dst, channels, roi.Dx(), roi.Dy(), rw, rh, crop, read)
	// The crop in picture pixels, for display.
	sx, sy := float64(roi.Dx())/float64(rw), float64(roi.Dy())/float64(rh)
	return image.Rect(roi.Min.X+int(float64(crop.Min.X)*sx), roi.Min.Y+int(float64(crop.Min.Y)*sy),
		roi.Min.X+int(math.Ceil(float64(crop.Max.X)*sx)), roi.Min.Y+int(math.Ceil(float64(crop.Max.Y)*sy)))
}

// source returns the part of region roi of a picture that run reads, in
// picture pixels.
func (p *imagePath) source(in nn.Input, roi image.Rectangle, fullW, fullH int) image.Rectangle {
	rw, rh := resizedSize(in, fullW, fullH)
	crop := centreCrop(rw, rh, in.Width, in.Height)
	x0, x1, y0, y1 := p.rs.span(roi.Dx(), roi.Dy(), rw, rh, crop)
	return image.Rect(x0, y0, x1, y1).Add(roi.Min)
}

// reader returns the row reader of region roi of pic in the channels the
// model takes.
func (p *imagePath) reader(pic *Picture, roi image.Rectangle, channels int, bgr bool) rowReader {
	ox, oy := roi.Min.X, roi.Min.Y
	pl := &pic.Planes
	copyRow := func(dst []uint8, q *Plane, y, x0 int) {
		row := q.Pix[y*q.Stride:]
		if q.Step == 1 {
			copy(dst, row[x0:x0+len(dst)])
			return
		}
		for i := range dst {
			dst[i] = row[(x0+i)*q.Step]
		}
	}
	rgb := func(y, x0, x1 int, r, g, b []uint8) {
		y += oy
		x0 += ox
		x1 += ox
		switch pic.Model {
		case Gray:
			copyRow(r[:x1-x0], &pl[0], y, x0)
			copy(g, r[:x1-x0])
			copy(b, r[:x1-x0])
		case RGB:
			copyRow(r[:x1-x0], &pl[0], y, x0)
			copyRow(g[:x1-x0], &pl[1], y, x0)
			copyRow(b[:x1-x0], &pl[2], y, x0)
		case YCbCr:
			n := x1 - x0
			cb, cr := grow(p.cbuf[0], n), grow(p.cbuf[1], n)
			p.cbuf[0], p.cbuf[1] = cb, cr
			upsampleRow(cb, pl[1], pic.SubX, pic.SubY, y, x0, &p.up)
			upsampleRow(cr, pl[2], pic.SubX, pic.SubY, y, x0, &p.up)
			var luma []uint8
			if pl[0].Step == 1 {
				luma = pl[0].Pix[y*pl[0].Stride+x0:][:n]
			} else {
				// Interleaved luma (YUYV): gathered first.
				p.ybuf = grow(p.ybuf, n)
				luma = p.ybuf
				copyRow(luma, &pl[0], y, x0)
			}
			kernels.YCbCrToRGBU8(r, g, b, luma, cb, cr)
		}
	}
	if channels == 3 {
		return func(y, x0, x1 int, rows [][]uint8) {
			if bgr {
				rgb(y, x0, x1, rows[2], rows[1], rows[0])
				return
			}
			rgb(y, x0, x1, rows[0], rows[1], rows[2])
		}
	}
	// Gray: the luma plane as it is, or the luma of RGB.
	return func(y, x0, x1 int, rows [][]uint8) {
		if pic.Model != RGB {
			copyRow(rows[0][:x1-x0], &pl[0], y+oy, x0+ox)
			return
		}
		n := x1 - x0
		for c := range p.lbuf {
			p.lbuf[c] = grow(p.lbuf[c], n)
		}
		rgb(y, x0, x1, p.lbuf[0], p.lbuf[1], p.lbuf[2])
		for i := range n {
			rows[0][i] = Luma(p.lbuf[0][i], p.lbuf[1][i], p.lbuf[2][i])
		}
	}
}
