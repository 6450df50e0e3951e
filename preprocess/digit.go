package preprocess

import (
	"image"
)

// The digit path: find one handwritten digit on paper in a photo and lay
// it out as MNIST does. It works on the luma:
//
//  1. a working copy about workSide pixels across (box average);
//  2. the paper's brightness: a grey-level closing (a max filter, then a
//     min filter, over a square wider than any pen stroke), which removes
//     the ink and follows lighting gradients and sharp shadow edges alike;
//  3. ink as darkness relative to the paper, (paper - pixel) / paper, so a
//     stroke in shadow is as dark as one in light; thresholded just above
//     the paper's noise, measured from the image for each brightness of
//     the paper (a shadow is noisier);
//  4. connected components, each scored by its ink, discounted when it
//     looks like something other than a digit: a long straight line, a
//     soft smudge without a solid core, a speck, a mark cut by the frame;
//  5. a straight line running through the chosen component and well past
//     the rest of it is cut away (a stray pen line touching the digit);
//     nearby pieces written with the same pen (a broken stroke, a
//     detached bar) are merged in;
//  6. the chosen ink, read at full resolution, scaled to fit 20x20 keeping
//     its aspect ratio (strokes too thin for that size thickened to an
//     MNIST pen), its centre of mass at the centre of 28x28, padded to the
//     model's input: white ink on black.

// Sizes of the digit path.
const (
	workSide = 640 // the working copy's longer side, about
	// minInk is the least contrast (of 255) of a digit's ink.
	minInk = 40
	// mnistBox is the size of the box MNIST scales digits into.
	mnistBox = 20
	// maxChoices is how many components the digit path cuts stray lines
	// and smudges out of before it settles on one.
	maxChoices = 3
)

// digitFinder holds the buffers of the digit path between images.
type digitFinder struct {
	sw, sh, d int
	small     []uint8 // the region, shrunk d times
	bg        []uint8 // paper brightness per small pixel
	con       []uint8 // ink contrast per small pixel, 0..255
	morph     morphBuf
	comps     components
	mask      []bool
	ink       []uint8
	lrow      []uint8
	lay       digitLayout
	recip     [256]uint32
	gray      []uint8
	acc       []uint32
}

func (f *digitFinder) init() {
	if f.recip[1] != 0 {
		return
	}
	for b := 1; b < 256; b++ {
		f.recip[b] = uint32(255<<16) / uint32(b)
	}
}

// find writes the digit of region roi of pl, MNIST-style, into out (w x h,
// ink white on black) and returns its box in plane pixels. found is false
// when there is no ink; out is then black.
func (f *digitFinder) find(pl Plane, roi image.Rectangle, out []uint8, w, h int) (box image.Rectangle, found bool) {
	f.init()
	clear(out[:w*h])
	f.shrink(pl, roi)
	f.background()
	thr := f.contrast()
	c := &f.comps
	c.label(f.con, f.sw, f.sh, thr)
	best := c.choose()
	if best < 0 {
		return image.Rectangle{}, false
	}
	// What a cut leaves (one of two crossing lines, a digit without its
	// smudge) is scored again: when a component away from it now looks
	// more like a digit, that one is chosen, and cut in its turn (one
	// nearby is a piece the merge will weigh).
	for i := 1; ; i++ {
		c.cutLine(best)
		c.cutBlobs(best)
		next := c.choose()
		if i == maxChoices || next < 0 || next == best || c.near(best, next) {
			break
		}
		best = next
	}
	sb := c.merge(best)
	if sb.Empty() {
		return image.Rectangle{}, false
	}
	return f.render(pl, roi, sb, out, w, h)
}

// contrastOf is the ink contrast of luma v on paper of brightness b.
func (f *digitFinder) contrastOf(b, v uint8) uint8 {
	if v >= b {
		return 0
	}
	return uint8((uint32(b-v) * f.recip[max(b, 1)]) >> 16)
}

// render reads the chosen ink at full resolution and lays it out
// MNIST-style in out.
func (f *digitFinder) render(pl Plane, roi image.Rectangle, sb image.Rectangle, out []uint8, w, h int) (image.Rectangle, bool) {
	sw, d := f.sw, f.d
	c := &f.comps
	// The mask: chosen pixels grown by one small pixel, over sb grown by 1.
	mb := sb.Inset(-1).Intersect(image.Rect(0, 0, f.sw, f.sh))
	mw := mb.Dx()
	f.mask = grow(f.mask, mw*mb.Dy())
	clear(f.mask)
	for y := mb.Min.Y; y < mb.Max.Y; y++ {
		for x := mb.Min.X; x < mb.Max.X; x++ {
			if !c.chosenAt(y*sw + x) {
				continue
			}
			for j := max(y-1, mb.Min.Y); j <= min(y+1, mb.Max.Y-1); j++ {
				for i := max(x-1, mb.Min.X); i <= min(x+1, mb.Max.X-1); i++ {
					f.mask[(j-mb.Min.Y)*mw+i-mb.Min.X] = true
				}
			}
		}
	}
	// Contrast of every masked pixel of the box, read at the coarsest level
	// (pixels averaged lvl x lvl) that still gives the digit 64 pixels or
	// more.
	px0, py0 := roi.Min.X+mb.Min.X*d, roi.Min.Y+mb.Min.Y*d
	lvl := 1
	for lvl*2 <= d && max(sb.Dx(), sb.Dy())*d/(lvl*2) >= 64 {
		lvl *= 2
	}
	pw, ph := mw*d/lvl, mb.Dy()*d/lvl
	f.ink = grow(f.ink, pw*ph)
	var hist [256]int
	masked := 0
	for y := range ph {
		sy := y * lvl / d
		mrow := f.mask[sy*mw : (sy+1)*mw]
		bgrow := f.bg[(mb.Min.Y+sy)*sw+mb.Min.X:]
		src := f.levelRow(pl, px0, py0+y*lvl, pw, lvl)
		dst := f.ink[y*pw : (y+1)*pw]
		for x := range pw {
			sx := x * lvl / d
			if !mrow[sx] {
				dst[x] = 0
				continue
			}
			v := f.contrastOf(bgrow[sx], src[x])
			dst[x] = v
			if c.chosenAt((mb.Min.Y+sy)*sw + mb.Min.X + sx) { // the ink itself, not the margin
				hist[v]++
				masked++
			}
		}
	}
	// The stroke's ink level: the 90th percentile of the chosen pixels.
	level, n := 0, 0
	for v := 255; v > 0; v-- {
		n += hist[v]
		if n*10 >= masked {
			level = v
			break
		}
	}
	if level < minInk/2 {
		return image.Rectangle{}, false
	}
	SoftBinarize(f.ink[:pw*ph], level)
	tb, ok := f.lay.layout(out, w, h, f.ink, pw, ph)
	if !ok {
		return image.Rectangle{}, false
	}
	box := image.Rect(tb.Min.X*lvl, tb.Min.Y*lvl, tb.Max.X*lvl, tb.Max.Y*lvl).Add(image.Pt(px0, py0))
	return box, true
}

// levelRow returns n pixels of plane row y from x0 on, each the average of
// lvl x lvl plane pixels.
func (f *digitFinder) levelRow(pl Plane, x0, y, n, lvl int) []uint8 {
	f.lrow = grow(f.lrow, n)
	row := f.lrow
	if lvl == 1 {
		base := y*pl.Stride + x0*pl.Step
		if pl.Step == 1 {
			return pl.Pix[base : base+n]
		}
		for x := range row {
			row[x] = pl.Pix[base+x*pl.Step]
		}
		return row
	}
	half := lvl * lvl / 2
	for x := range row {
		s := 0
		for j := range lvl {
			base := (y+j)*pl.Stride + (x0+x*lvl)*pl.Step
			for i := range lvl {
				s += int(pl.Pix[base+i*pl.Step])
			}
		}
		row[x] = uint8((s + half) / (lvl * lvl))
	}
	return row
}

// lumaOf returns the luma plane of an RGB picture, in f's buffer.
func (f *digitFinder) lumaOf(pic *Picture) Plane {
	w, h := pic.Width, pic.Height
	f.gray = grow(f.gray, w*h)
	r, g, b := pic.Planes[0], pic.Planes[1], pic.Planes[2]
	for y := range h {
		for x := range w {
			f.gray[y*w+x] = Luma(r.At(x, y), g.At(x, y), b.At(x, y))
		}
	}
	return Plane{Pix: f.gray, Width: w, Height: h, Stride: w, Step: 1}
}
