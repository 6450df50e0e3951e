package preprocess

import (
	"encoding/binary"
	"image"
)

// shrink box-averages roi of pl by d into f.small, d chosen so that the
// longer side is about workSide pixels.
func (f *digitFinder) shrink(pl Plane, roi image.Rectangle) {
	d := max(1, max(roi.Dx(), roi.Dy())/workSide)
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
	n := uint32(d * d)
	for sy := range sh {
		acc := f.acc
		clear(acc)
		for j := range d {
			y := roi.Min.Y + sy*d + j
			base := y*pl.Stride + roi.Min.X*pl.Step
			step := pl.Step
			row := pl.Pix[base : base+(sw*d-1)*step+1]
			for x := range acc {
				s := uint32(0)
				for i := range d {
					s += uint32(row[(x*d+i)*step])
				}
				acc[x] += s
			}
		}
		dst := f.small[sy*sw : (sy+1)*sw]
		for x, s := range acc {
			dst[x] = uint8((s + n/2) / n)
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

// paperRadius is the half-width of the closing's square, in working pixels:
// wider than half the thickest pen stroke of a digit that fits the frame.
func paperRadius(sw, sh int) int { return max(3, max(sw, sh)/20) }

// background estimates the paper's brightness: a grey-level closing of the
// working image (the largest value over a square around each pixel, then
// the smallest of those): ink narrower than the square disappears, while
// a shadow edge, wider than it on both sides, stays where it is.
func (f *digitFinder) background() {
	r := paperRadius(f.sw, f.sh)
	f.bg = grow(f.bg, len(f.small))
	m := &f.morph
	m.filter(f.bg, f.small, f.sw, f.sh, r, true)
	m.filter(f.bg, f.bg, f.sw, f.sh, r, false)
}

// contrast fills f.con with the ink contrast of every working pixel and
// returns the threshold of ink: a little above the paper's own contrast,
// its noise and texture, measured as the spread of the contrast of the
// bulk of the pixels, which are paper.
//
// The same noise is a larger contrast on darker paper: in a shadow, or a
// dim corner, the paper's contrast spreads several times wider than in
// the light, and one threshold for the whole image, pushed up by the
// shadow, loses the faint strokes of a digit in the light. So the noise is
// measured per band of paper brightness (brgBand grey levels) that holds
// a large share of the pixels, each pixel taking the band nearest to its
// paper's brightness. Where the paper is noisier than in the quietest
// band, the contrast is lowered by the difference: one threshold, the
// quietest band's, then holds everywhere.
func (f *digitFinder) contrast() uint8 {
	f.con = grow(f.con, len(f.small))
	const bands = 256 / brgBand
	var hist [bands][256]int32
	var count [bands]int
	for i, v := range f.small {
		c := f.contrastOf(f.bg[i], v)
		f.con[i] = c
		b := f.bg[i] / brgBand
		hist[b][c]++
		count[b]++
	}
	// The threshold of a histogram of contrasts: 3 spreads above the
	// median, the spread measured above it (q90, for the whole image) or,
	// for a band of brightness, below it (q10): the closing darkens the
	// paper under a thick digit a little, so a band may hold much of the
	// digit's ink, which would push its q90 up.
	thrOf := func(h *[256]int32, n int, band bool) int {
		q := func(p float64) int {
			seen, at := 0, int(p*float64(n))
			for c, m := range h {
				if seen += int(m); seen > at {
					return c
				}
			}
			return 255
		}
		med := q(0.5)
		spread := q(0.9) - med
		if band {
			spread = med - q(0.1)
		}
		return min(max(med+3*spread+4, minInk/2), 200)
	}
	var thr [bands]int
	lowest := 255
	for b := range count {
		thr[b] = -1
		if count[b]*minBandShare >= len(f.con) {
			thr[b] = thrOf(&hist[b], count[b], true)
			lowest = min(lowest, thr[b])
		}
	}
	if lowest == 255 {
		// No brightness is common enough: the whole image's noise.
		var all [256]int32
		for b := range hist {
			for c, m := range hist[b] {
				all[c] += m
			}
		}
		return uint8(thrOf(&all, len(f.con), false))
	}
	var shift [bands]uint8 // how much the contrast of each band is lowered
	for b := range thr {
		t := -1
		for d := 0; t < 0; d++ {
			if b-d >= 0 && thr[b-d] >= 0 {
				t = thr[b-d]
			} else if b+d < bands && thr[b+d] >= 0 {
				t = thr[b+d]
			}
		}
		shift[b] = uint8(t - lowest)
	}
	for i, c := range f.con {
		if s := shift[f.bg[i]/brgBand]; s > 0 {
			f.con[i] = c - min(c, s)
		}
	}
	return uint8(lowest)
}

// The bands of paper brightness whose noise the digit path measures apart
// are brgBand grey levels wide; a band is measured when it holds a
// minBandShare-th of the pixels at least (more than a digit's ink).
const (
	brgBand      = 16
	minBandShare = 7
)

// morphBuf holds the buffers of a separable max or min filter.
type morphBuf struct {
	pad, g, h []uint8
}

// filter writes to dst the largest (max) or smallest value of src (w x h)
// over the (2r+1) x (2r+1) square around each pixel, clipped to the image:
// one pass along rows, one along columns, each in constant time per
// pixel whatever r (van Herk and Gil-Werman's method: running extremes
// forwards and backwards within blocks of 2r+1). dst may be src.
func (m *morphBuf) filter(dst, src []uint8, w, h, r int, isMax bool) {
	k := 2*r + 1
	neutral := uint8(255)
	if isMax {
		neutral = 0
	}
	// Along rows: each row padded by r neutral values on both sides.
	total := (w + 2*r + k - 1) / k * k
	m.pad, m.g, m.h = grow(m.pad, total), grow(m.g, total), grow(m.h, total)
	for y := range h {
		p := m.pad
		for i := range p {
			p[i] = neutral
		}
		copy(p[r:], src[y*w:(y+1)*w])
		runExtremes(m.g, m.h, p, k, isMax)
		out := dst[y*w : (y+1)*w]
		g, hh := m.g[2*r:2*r+w], m.h[:w]
		if isMax {
			for i := range out {
				out[i] = max(hh[i], g[i])
			}
		} else {
			for i := range out {
				out[i] = min(hh[i], g[i])
			}
		}
	}
	// Along columns: the same on whole rows at once.
	rows := (h + 2*r + k - 1) / k * k
	m.pad, m.g, m.h = grow(m.pad, rows*w), grow(m.g, rows*w), grow(m.h, rows*w)
	p := m.pad
	for i := range p[:r*w] {
		p[i] = neutral
	}
	copy(p[r*w:], dst[:w*h])
	for i := range p[(r+h)*w:] {
		p[(r+h)*w+i] = neutral
	}
	for b := 0; b < rows; b += k {
		copy(m.g[b*w:(b+1)*w], p[b*w:(b+1)*w])
		for i := b + 1; i < b+k; i++ {
			extremeRow(m.g[i*w:(i+1)*w], m.g[(i-1)*w:i*w], p[i*w:(i+1)*w], isMax)
		}
		copy(m.h[(b+k-1)*w:(b+k)*w], p[(b+k-1)*w:(b+k)*w])
		for i := b + k - 2; i >= b; i-- {
			extremeRow(m.h[i*w:(i+1)*w], m.h[(i+1)*w:(i+2)*w], p[i*w:(i+1)*w], isMax)
		}
	}
	for y := range h {
		extremeRow(dst[y*w:(y+1)*w], m.h[y*w:(y+1)*w], m.g[(y+2*r)*w:(y+2*r+1)*w], isMax)
	}
}

// runExtremes fills g with the running extreme of p from the start of
// each block of k, and h with the running extreme to the block's end.
func runExtremes(g, h, p []uint8, k int, isMax bool) {
	for b := 0; b < len(p); b += k {
		g[b] = p[b]
		h[b+k-1] = p[b+k-1]
		if isMax {
			for i := b + 1; i < b+k; i++ {
				g[i] = max(g[i-1], p[i])
			}
			for i := b + k - 2; i >= b; i-- {
				h[i] = max(h[i+1], p[i])
			}
		} else {
			for i := b + 1; i < b+k; i++ {
				g[i] = min(g[i-1], p[i])
			}
			for i := b + k - 2; i >= b; i-- {
				h[i] = min(h[i+1], p[i])
			}
		}
	}
}

// extremeRow sets dst to the element-wise max (or min) of a and b.
func extremeRow(dst, a, b []uint8, isMax bool) {
	a, b = a[:len(dst)], b[:len(dst)]
	if isMax {
		for i := range dst {
			dst[i] = max(a[i], b[i])
		}
		return
	}
	for i := range dst {
		dst[i] = min(a[i], b[i])
	}
}
