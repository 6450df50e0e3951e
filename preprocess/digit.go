package preprocess

import (
	"encoding/binary"
	"image"
	"math"
)

// The digit path works on a small copy of the region of interest, about
// smallSide pixels across, to find the digit, then reads the digit's box at
// the plane's full resolution.
const (
	smallSide = 160
	cellSize  = 16 // pixels of the small image per background cell
	// A frame whose darkest ink is less than minInk/255 darker than the
	// paper holds no digit.
	minInk = 48
	// mnistBox is the size of the box MNIST scales digits into, and
	// mnistField the field it centres them in.
	mnistBox = 20
)

// component is one connected set of ink pixels of the small image.
type component struct {
	area           int
	ink, strong    int64 // sum of contrast, and of contrast above threshold
	x0, y0, x1, y1 int   // bounding box, x1 and y1 exclusive
	sx, sy         int64 // sums of coordinates
	sxx, syy, sxy  int64
	border         bool
	score          float64
	chosen         bool
}

func (c *component) line() float64 {
	// The principal axes of the pixel cloud: a line segment of length L
	// and width W has variances L^2/12 and W^2/12 along them.
	n := float64(c.area)
	mx, my := float64(c.sx)/n, float64(c.sy)/n
	vxx := float64(c.sxx)/n - mx*mx + 1.0/12
	vyy := float64(c.syy)/n - my*my + 1.0/12
	vxy := float64(c.sxy)/n - mx*my
	tr, det := vxx+vyy, vxx*vyy-vxy*vxy
	disc := math.Sqrt(math.Max(tr*tr/4-det, 0))
	l1 := tr/2 + disc
	length := math.Sqrt(12 * l1)
	width := n / math.Max(length, 1)
	return length / math.Max(width, 0.5)
}

// digitFinder holds the buffers of the digit path.
type digitFinder struct {
	sw, sh, d int
	small     []uint8 // the region, shrunk d times (box average)
	acc       []uint16
	bg        []uint8 // paper brightness per small pixel
	con       []uint8 // ink contrast per small pixel: (bg - v) * 255 / bg
	cells     []uint8
	cells2    []uint8
	blend     []int32
	xi, yi    []interp
	segs      []segment
	lab       []int32
	parent    []int32
	comps     []component
	mask      []bool // chosen components, grown by one pixel
	ink       []uint8
	lrow      []uint8
	rs        Resampler
	img       []uint8
	recip     [256]uint32
	gray      []uint8
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
	hi := f.contrast()
	if hi < minInk {
		return image.Rectangle{}, false
	}
	thr := uint8(max(int(hi)*2/5, minInk/2))
	f.label(thr)
	best := f.choose(hi, thr)
	if best < 0 {
		return image.Rectangle{}, false
	}
	sb := f.merge(best)
	return f.render(pl, roi, sb, out, w, h)
}

// shrink box-averages roi of pl by d into f.small.
func (f *digitFinder) shrink(pl Plane, roi image.Rectangle) {
	d := max(1, max(roi.Dx(), roi.Dy())/smallSide)
	sw, sh := roi.Dx()/d, roi.Dy()/d
	f.sw, f.sh, f.d = sw, sh, d
	f.small = grow(f.small, sw*sh)
	if d == 4 && (pl.Step == 1 || pl.Step == 2) {
		for sy := range sh {
			f.shrink4(pl, roi.Min.X, roi.Min.Y+4*sy, f.small[sy*sw:(sy+1)*sw])
		}
		return
	}
	f.acc = grow(f.acc, sw)
	div := uint32(65536 / (d * d))
	half := uint32(d * d / 2)
	for sy := range sh {
		acc := f.acc
		clear(acc)
		for j := range d {
			y := roi.Min.Y + sy*d + j
			base := y*pl.Stride + roi.Min.X*pl.Step
			step := pl.Step
			row := pl.Pix[base : base+(sw*d-1)*step+1]
			for x := range acc {
				s := uint16(0)
				for i := range d {
					s += uint16(row[(x*d+i)*step])
				}
				acc[x] += s
			}
		}
		dst := f.small[sy*sw : (sy+1)*sw]
		for x, s := range acc {
			dst[x] = uint8(((uint32(s) + half) * div) >> 16)
		}
	}
}

const lanes = 0x00FF00FF00FF00FF

// shrink4 averages 4x4 blocks of the 4 plane rows from y, starting at x0,
// into dst, eight bytes at a time in 16-bit lanes.
func (f *digitFinder) shrink4(pl Plane, x0, y int, dst []uint8) {
	n := len(dst)
	w := 4 * n * pl.Step
	b := y*pl.Stride + x0*pl.Step
	r0 := pl.Pix[b : b+w]
	r1 := pl.Pix[b+pl.Stride : b+pl.Stride+w]
	r2 := pl.Pix[b+2*pl.Stride : b+2*pl.Stride+w]
	r3 := pl.Pix[b+3*pl.Stride : b+3*pl.Stride+w]
	le := binary.LittleEndian
	if pl.Step == 2 {
		// YUYV: the luma bytes are the even ones; 8 bytes hold 4 of them.
		for x := range dst {
			o := 8 * x
			s := le.Uint64(r0[o:o+8])&lanes + le.Uint64(r1[o:o+8])&lanes +
				le.Uint64(r2[o:o+8])&lanes + le.Uint64(r3[o:o+8])&lanes
			s += s >> 32
			s += s >> 16
			dst[x] = uint8((s&0xFFFF + 8) >> 4)
		}
		return
	}
	x := 0
	for ; x+1 < n; x += 2 {
		o := 4 * x
		v0, v1 := le.Uint64(r0[o:o+8]), le.Uint64(r1[o:o+8])
		v2, v3 := le.Uint64(r2[o:o+8]), le.Uint64(r3[o:o+8])
		s := v0&lanes + (v0>>8)&lanes + v1&lanes + (v1>>8)&lanes +
			v2&lanes + (v2>>8)&lanes + v3&lanes + (v3>>8)&lanes
		s += s >> 16 // lane 0: pixel x, lane 2: pixel x+1
		dst[x] = uint8((s&0xFFFF + 8) >> 4)
		dst[x+1] = uint8(((s>>32)&0xFFFF + 8) >> 4)
	}
	if x < n {
		o := 4 * x
		s := 0
		for _, r := range [4][]byte{r0, r1, r2, r3} {
			s += int(r[o]) + int(r[o+1]) + int(r[o+2]) + int(r[o+3])
		}
		dst[x] = uint8((s + 8) >> 4)
	}
}

// background estimates the paper's brightness: the brightest pixel of each
// cell, the brightest of each cell's 3x3 neighbourhood (so that a cell
// covered by ink takes its neighbours' paper), interpolated bilinearly.
func (f *digitFinder) background() {
	sw, sh := f.sw, f.sh
	cw, ch := (sw+cellSize-1)/cellSize, (sh+cellSize-1)/cellSize
	f.cells = grow(f.cells, cw*ch)
	f.cells2 = grow(f.cells2, cw*ch)
	f.blend = grow(f.blend, cw)
	clear(f.cells)
	for y := range sh {
		row := f.small[y*sw : (y+1)*sw]
		cells := f.cells[(y/cellSize)*cw : (y/cellSize+1)*cw]
		for cx := range cw {
			m := cells[cx]
			for _, v := range row[cx*cellSize : min((cx+1)*cellSize, sw)] {
				m = max(m, v)
			}
			cells[cx] = m
		}
	}
	for cy := range ch {
		for cx := range cw {
			m := uint8(0)
			for j := max(cy-1, 0); j <= min(cy+1, ch-1); j++ {
				for i := max(cx-1, 0); i <= min(cx+1, cw-1); i++ {
					m = max(m, f.cells[j*cw+i])
				}
			}
			f.cells2[cy*cw+cx] = max(m, 1)
		}
	}
	// Bilinear interpolation between cell centres, in 8.8 fixed point.
	f.bg = grow(f.bg, sw*sh)
	if len(f.xi) != sw {
		f.segs = segments(f.segs, interpAxis(&f.xi, sw, cw))
	}
	ys := interpAxis(&f.yi, sh, ch)
	for y := range sh {
		iy := ys[y]
		r0, r1 := f.cells2[int(iy.i0)*cw:int(iy.i0+1)*cw], f.cells2[int(iy.i1)*cw:int(iy.i1+1)*cw]
		wy := int(iy.w)
		// Blend the two cell rows once, then along the row.
		for cx := range cw {
			f.blend[cx] = int32(int(r0[cx])*(256-wy) + int(r1[cx])*wy)
		}
		dst := f.bg[y*sw : (y+1)*sw]
		// Along the row the value is linear between cell centres: step it.
		for _, sg := range f.segs {
			a, b := f.blend[sg.i0], f.blend[sg.i1]
			v := a*(256-sg.w) + b*sg.w
			step := (b - a) * sg.dw
			for i := sg.x0; i < sg.x1; i++ {
				dst[i] = uint8((v + 1<<15) >> 16)
				v += step
			}
		}
	}
}

// segment is a run of pixels between the same two cell centres.
type segment struct {
	x0, x1, i0, i1 int32
	w, dw          int32 // weight of i1 at x0, and its change per pixel
}

// segments splits the axis interpolation xs into runs.
func segments(out []segment, xs []interp) []segment {
	out = out[:0]
	for x := 0; x < len(xs); {
		ix := xs[x]
		end := x + 1
		for end < len(xs) && xs[end].i0 == ix.i0 && xs[end].i1 == ix.i1 {
			end++
		}
		sg := segment{x0: int32(x), x1: int32(end), i0: ix.i0, i1: ix.i1, w: ix.w}
		if end-x > 1 {
			sg.dw = xs[x+1].w - ix.w
		}
		out = append(out, sg)
		x = end
	}
	return out
}

// interp is where a pixel falls between two cell centres.
type interp struct {
	i0, i1 int32
	w      int32 // weight of i1, of 256
}

// interpAxis fills (and caches) the interpolation of n pixels between the
// centres of cells of cellSize pixels, of which there are cells.
func interpAxis(cache *[]interp, n, cells int) []interp {
	if len(*cache) == n { // cells is a function of n
		return *cache
	}
	out := (*cache)[:0]
	for x := range n {
		fx := (float64(x)+0.5)/cellSize - 0.5
		x0 := int(math.Floor(fx))
		w := int32((fx - float64(x0)) * 256)
		out = append(out, interp{int32(min(max(x0, 0), cells-1)), int32(min(max(x0+1, 0), cells-1)), w})
	}
	*cache = out
	return out
}

// contrast fills f.con and returns the contrast of the darkest ink: the
// 20th highest value (so that a few noisy pixels do not count).
func (f *digitFinder) contrast() uint8 {
	f.con = grow(f.con, len(f.small))
	var hist [256]int
	for i, v := range f.small {
		b := f.bg[i]
		c := uint8(0)
		if v < b {
			c = uint8((uint32(b-v) * f.recip[b]) >> 16)
		}
		f.con[i] = c
		hist[c]++
	}
	n := 0
	for c := 255; c > 0; c-- {
		n += hist[c]
		if n >= 20 {
			return uint8(c)
		}
	}
	return 0
}

// label finds the 8-connected components of the pixels above thr, with
// their statistics.
func (f *digitFinder) label(thr uint8) {
	sw, sh := f.sw, f.sh
	f.lab = grow(f.lab, sw*sh)
	f.parent = f.parent[:0]
	f.parent = append(f.parent, 0) // label 0: background
	find := func(a int32) int32 {
		for f.parent[a] != a {
			f.parent[a] = f.parent[f.parent[a]]
			a = f.parent[a]
		}
		return a
	}
	union := func(a, b int32) int32 {
		a, b = find(a), find(b)
		if a < b {
			f.parent[b] = a
			return a
		}
		f.parent[a] = b
		return b
	}
	for y := range sh {
		row := f.con[y*sw : (y+1)*sw]
		lab := f.lab[y*sw : (y+1)*sw]
		var up []int32
		if y > 0 {
			up = f.lab[(y-1)*sw : y*sw]
		}
		for x, c := range row {
			if c <= thr {
				lab[x] = 0
				continue
			}
			l := int32(0)
			if x > 0 && lab[x-1] != 0 {
				l = lab[x-1]
			}
			if up != nil {
				for _, xx := range [3]int{x - 1, x, x + 1} {
					if xx >= 0 && xx < sw && up[xx] != 0 {
						if l == 0 {
							l = up[xx]
						} else if up[xx] != l {
							l = union(l, up[xx])
						}
					}
				}
			}
			if l == 0 {
				l = int32(len(f.parent))
				f.parent = append(f.parent, l)
			}
			lab[x] = l
		}
	}
	// Resolve labels to dense component indices (1-based).
	idx := make([]int32, len(f.parent))
	f.comps = f.comps[:0]
	for l := int32(1); l < int32(len(f.parent)); l++ {
		r := find(l)
		if idx[r] == 0 {
			f.comps = append(f.comps, component{x0: sw, y0: sh})
			idx[r] = int32(len(f.comps))
		}
		idx[l] = idx[r]
	}
	for y := range sh {
		for x := range sw {
			i := y*sw + x
			l := f.lab[i]
			if l == 0 {
				continue
			}
			ci := idx[l]
			f.lab[i] = ci
			c := &f.comps[ci-1]
			v := int64(f.con[i])
			c.area++
			c.ink += v
			c.strong += v - int64(thr)
			c.x0, c.y0 = min(c.x0, x), min(c.y0, y)
			c.x1, c.y1 = max(c.x1, x+1), max(c.y1, y+1)
			c.sx += int64(x)
			c.sy += int64(y)
			c.sxx += int64(x * x)
			c.syy += int64(y * y)
			c.sxy += int64(x * y)
			if x == 0 || y == 0 || x == sw-1 || y == sh-1 {
				c.border = true
			}
		}
	}
}

// choose scores the components and returns the index of the most
// digit-like, or -1.
func (f *digitFinder) choose(hi, thr uint8) int {
	best, bestScore := -1, 0.0
	cx, cy := float64(f.sw)/2, float64(f.sh)/2
	diag := math.Hypot(cx, cy)
	for i := range f.comps {
		c := &f.comps[i]
		size := max(c.x1-c.x0, c.y1-c.y0)
		if c.area < 3 || size < 3 {
			continue
		}
		s := float64(c.strong)
		// Stray pen lines: long and thin.
		if r := c.line(); r > 9 {
			s *= (9 / r) * (9 / r)
		}
		// Smudges: paler than ink.
		mean := float64(c.ink) / float64(c.area) / float64(hi)
		if mean < 0.7 {
			s *= math.Max(mean/0.7, 0.05) * math.Max(mean/0.7, 0.05)
		}
		if c.border {
			s *= 0.3
		}
		if size < 6 {
			s *= 0.1
		}
		dist := math.Hypot(float64(c.x0+c.x1)/2-cx, float64(c.y0+c.y1)/2-cy)
		s *= 1 - 0.3*dist/diag
		c.score = s
		if s > bestScore {
			best, bestScore = i, s
		}
	}
	return best
}

// merge marks the chosen component and the pieces around it that belong to
// the same digit, and returns their bounding box in small pixels.
func (f *digitFinder) merge(best int) image.Rectangle {
	for i := range f.comps {
		f.comps[i].chosen = false
	}
	b := &f.comps[best]
	b.chosen = true
	box := image.Rect(b.x0, b.y0, b.x1, b.y1)
	bmean := float64(b.ink) / float64(b.area)
	// Pieces close to the digit (a broken stroke) join it, one after the
	// other, unless they look like a line or a smudge.
	for changed := true; changed; {
		changed = false
		gap := max(2, max(box.Dx(), box.Dy())/4)
		grown := box.Inset(-gap)
		for i := range f.comps {
			c := &f.comps[i]
			if c.chosen || c.area < 2 {
				continue
			}
			cb := image.Rect(c.x0, c.y0, c.x1, c.y1)
			if !cb.Overlaps(grown) || float64(c.ink)/float64(c.area) < 0.6*bmean {
				continue
			}
			if c.area > 8 && c.line() > 12 {
				continue
			}
			if u := box.Union(cb); max(u.Dx(), u.Dy()) > 2*max(box.Dx(), box.Dy()) {
				continue // would more than double the digit: not a piece of it
			}
			c.chosen = true
			box = box.Union(cb)
			changed = true
		}
	}
	return box
}

// render reads the chosen components at full resolution and lays them out
// MNIST-style in out.
func (f *digitFinder) render(pl Plane, roi image.Rectangle, sb image.Rectangle, out []uint8, w, h int) (image.Rectangle, bool) {
	sw, d := f.sw, f.d
	// The mask: chosen pixels grown by one small pixel, over sb grown by 1.
	mb := sb.Inset(-1).Intersect(image.Rect(0, 0, f.sw, f.sh))
	mw := mb.Dx()
	f.mask = grow(f.mask, mw*mb.Dy())
	clear(f.mask)
	for y := mb.Min.Y; y < mb.Max.Y; y++ {
		for x := mb.Min.X; x < mb.Max.X; x++ {
			l := f.lab[y*sw+x]
			if l == 0 || !f.comps[l-1].chosen {
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
	// (pixels averaged lvl x lvl) that still gives the digit 48 pixels or
	// more: enough to scale it to 20 with area averaging.
	px0, py0 := roi.Min.X+mb.Min.X*d, roi.Min.Y+mb.Min.Y*d
	lvl := 1
	for lvl*2 <= d && max(sb.Dx(), sb.Dy())*d/(lvl*2) >= 48 {
		lvl *= 2
	}
	pw, ph := mw*d/lvl, mb.Dy()*d/lvl
	f.ink = grow(f.ink, pw*ph)
	f.lrow = grow(f.lrow, pw)
	var hist [256]int
	masked := 0
	for y := range ph {
		sy := y * lvl / d
		mrow := f.mask[sy*mw : (sy+1)*mw]
		bgrow := f.bg[(mb.Min.Y+sy)*sw+mb.Min.X:]
		src := f.levelRow(pl, px0, py0+y*lvl, pw, lvl, mb.Min.X, mb.Min.Y+sy)
		dst := f.ink[y*pw : (y+1)*pw]
		for x := range pw {
			sx := x * lvl / d
			if !mrow[sx] {
				dst[x] = 0
				continue
			}
			b, v := bgrow[sx], src[x]
			c := uint8(0)
			if v < b {
				c = uint8((uint32(b-v) * f.recip[b]) >> 16)
			}
			dst[x] = c
			hist[c]++
			masked++
		}
	}
	// The stroke's ink level: the 95th percentile of the masked pixels.
	level, n := 0, 0
	for c := 255; c > 0; c-- {
		n += hist[c]
		if n*20 >= masked {
			level = c
			break
		}
	}
	if level < minInk/2 {
		return image.Rectangle{}, false
	}
	// Re-binarise softly at half the ink level: lo..hi maps to 0..255.
	lo, hi := level*7/20, level*13/20
	var lut [256]uint8
	for c := range 256 {
		lut[c] = uint8(min(max((c-lo)*255/max(hi-lo, 1), 0), 255))
	}
	tb := image.Rectangle{Min: image.Pt(pw, ph)}
	for y := range ph {
		row := f.ink[y*pw : (y+1)*pw]
		for x, c := range row {
			v := lut[c]
			row[x] = v
			if v >= 128 {
				tb.Min.X, tb.Min.Y = min(tb.Min.X, x), min(tb.Min.Y, y)
				tb.Max.X, tb.Max.Y = max(tb.Max.X, x+1), max(tb.Max.Y, y+1)
			}
		}
	}
	if tb.Empty() {
		return image.Rectangle{}, false
	}
	// Scale the box to fit mnistBox x mnistBox, keeping its aspect ratio.
	bw, bh := tb.Dx(), tb.Dy()
	size := max(bw, bh)
	tw := max(1, (bw*mnistBox+size/2)/size)
	th := max(1, (bh*mnistBox+size/2)/size)
	f.img = grow(f.img, tw*th)
	f.rs.resizePlane(f.img, f.ink[tb.Min.Y*pw+tb.Min.X:], bw, bh, pw, tw, th)
	// Centre of mass to the centre of the output.
	var sum, sx, sy int64
	for y := range th {
		for x := range tw {
			v := int64(f.img[y*tw+x])
			sum += v
			sx += v * int64(2*x+1)
			sy += v * int64(2*y+1)
		}
	}
	if sum == 0 {
		return image.Rectangle{}, false
	}
	ox := int(math.Round(float64(w)/2 - float64(sx)/float64(2*sum)))
	oy := int(math.Round(float64(h)/2 - float64(sy)/float64(2*sum)))
	for y := range th {
		yy := y + oy
		if yy < 0 || yy >= h {
			continue
		}
		for x := range tw {
			if xx := x + ox; xx >= 0 && xx < w {
				out[yy*w+xx] = f.img[y*tw+x]
			}
		}
	}
	box := image.Rect(tb.Min.X*lvl, tb.Min.Y*lvl, tb.Max.X*lvl, tb.Max.Y*lvl).Add(image.Pt(px0, py0))
	return box, true
}

// levelRow returns n pixels of plane row y from x0 on, each the average of
// lvl x lvl plane pixels; at lvl == d the small image's row (sy, from sx0).
func (f *digitFinder) levelRow(pl Plane, x0, y, n, lvl, sx0, sy int) []uint8 {
	if lvl == f.d {
		return f.small[sy*f.sw+sx0 : sy*f.sw+sx0+n]
	}
	row := f.lrow[:n]
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
