package kernels

import (
	"fmt"
	"math"
)

// Float32 convolution and pooling on HWC images, the float twins of
// i8_conv_hwc.go. A convolution sums in the order of the package's rule
// (c, kh, kw) on HWC images too: its weights keep the model's
// [out][cg][kh][kw] order (PackConvF32HWC), and a direct kernel reads each
// pixel's window through offset tables (convF32Tables) in that order, so
// a result never depends on the layout the engine picked, and the trainer
// (Im2col and Sgemm on CHW) gets the same bits.

// PackConvF32HWC packs the float32 weights of a convolution,
// [out][cg][kh][kw] (cg = input channels per group), for ConvF32HWC on
// the path in use: per group, the group's filters, in the model's order,
// packed by PackF32.
func PackConvF32HWC(w []float32, out, cg, kh, kw, groups int) []*PackedF32 {
	if out < 1 || cg < 1 || kh < 1 || kw < 1 || groups < 1 || out%groups != 0 {
		panic(fmt.Sprintf("kernels: PackConvF32HWC: bad shape out=%d cg=%d kh=%d kw=%d groups=%d", out, cg, kh, kw, groups))
	}
	k := cg * kh * kw
	if len(w) < out*k {
		panic(fmt.Sprintf("kernels: PackConvF32HWC: len(w)=%d < %d", len(w), out*k))
	}
	ocg := out / groups
	packed := make([]*PackedF32, groups)
	for g := range groups {
		packed[g] = PackF32(w[g*ocg*k:], ocg, k)
	}
	return packed
}

// ConvF32HWC computes output rows [oh0, oh1) of one image of a float32
// convolution on HWC images: src [H][W][C], dst [OutH][OutW][out], w the
// groups' weights packed by PackConvF32HWC, bias one value per output
// channel or nil, each output clamped to [lo, hi], summed by the rule
// above. col is scratch of C*KH*KW*OutH*OutW values (for the unfolded
// rows, or the zero-padded input rows of a direct kernel), unused (and
// may be nil) for a 1×1 convolution with stride 1 and no padding. Calls
// on disjoint rows may run concurrently: each uses its own rows of col.
func ConvF32HWC(src, dst []float32, w []*PackedF32, bias []float32, g ConvGeom, col []float32, lo, hi float32, oh0, oh1 int) {
	groups := len(w)
	if groups < 1 || g.C%groups != 0 {
		panic(fmt.Sprintf("kernels: ConvF32HWC: %d groups for %d channels", groups, g.C))
	}
	k := g.C / groups * g.KH * g.KW
	ocg := w[0].n
	out := ocg * groups
	for _, p := range w {
		if p.k != k || p.n != ocg {
			panic(fmt.Sprintf("kernels: ConvF32HWC: weights of %d×%d do not match %d×%d per group for %+v", p.n, p.k, ocg, k, g))
		}
	}
	if bias != nil && len(bias) < out {
		panic(fmt.Sprintf("kernels: ConvF32HWC: %d biases for %d output channels", len(bias), out))
	}
	g.check("ConvF32HWC", len(src), g.C*g.H*g.W, len(dst), out*g.OutH*g.OutW)
	if oh0 < 0 || oh1 > g.OutH || oh0 > oh1 {
		panic(fmt.Sprintf("kernels: ConvF32HWC: rows [%d, %d) outside [0, %d)", oh0, oh1, g.OutH))
	}
	if oh0 == oh1 || g.OutW == 0 {
		return
	}
	colNeed := g.C * g.KH * g.KW * g.OutH * g.OutW
	if !g.pointwise() && len(col) < colNeed {
		panic(fmt.Sprintf("kernels: ConvF32HWC: col has %d values, need %d for %+v", len(col), colNeed, g))
	}
	p0, n := oh0*g.OutW, (oh1-oh0)*g.OutW
	conv := active.Load().convHWCF32
	var a []float32 // the GEMM's A: the image (1×1) or its unfolding, if made
	lda := g.C * g.KH * g.KW
	var img []float32 // what the tables of a direct kernel index
	t := convF32TablesPool.Get()
	defer convF32TablesPool.Put(t)
	switch {
	case g.pointwise():
		a, lda = src[p0*g.C:], g.C
	case conv != nil && g.directFits():
		img = t.image(src, g, g.C/groups, col[p0*lda:], oh0, oh1)
	default:
		a = col[p0*lda:]
		unfoldF32HWC(src, g, a, oh0, oh1)
	}
	if conv != nil {
		step := g.C / groups // the group's first channel in img
		if img == nil {
			img, step = a, k
			t.matrix(n, lda, k)
		}
		if convGroups(conv, t, img, step, w, bias, dst[p0*out:], out, lo, hi) {
			return
		}
		if a == nil {
			a = col[p0*lda:]
			unfoldF32HWC(src, g, a, oh0, oh1)
		}
	}
	// Blocks of pixels: the bias and clamp of a block run while its
	// output is still in cache.
	const block = 128
	for b0 := 0; b0 < n; b0 += block {
		nb := min(block, n-b0)
		c := dst[(p0+b0)*out:]
		for grp, p := range w {
			SgemmPacked(nb, a[b0*lda+grp*k:], lda, p, c[grp*ocg:], out)
		}
		BiasClampColsF32(c, nb, out, out, bias, lo, hi)
	}
}

// convGroups runs conv on each group, the group's A at step floats
// further into img than the last's, and reports whether it could.
func convGroups(conv convHWCF32Func, t *convF32Tables, img []float32, step int, w []*PackedF32, bias, dst []float32, ldc int, lo, hi float32) bool {
	ocg := w[0].n
	defer func() { t.img = nil }()
	for grp, p := range w {
		var b []float32
		if bias != nil {
			b = bias[grp*ocg : (grp+1)*ocg]
		}
		t.img = img[grp*step:]
		if !conv(t, p, b, dst[grp*ocg:], ldc, lo, hi) {
			return false
		}
	}
	return true
}

// unfoldF32HWC unfolds output rows [oh0, oh1) of the HWC image src into
// col, from its start, one row of C*KH*KW values per output pixel: the
// window values in the order (c, kh, kw), 0 where they are padding, so
// that each group's channels form its part of the row in the rule's
// order; the rows of Im2col's matrix for the pixel.
func unfoldF32HWC(src []float32, g ConvGeom, col []float32, oh0, oh1 int) {
	taps := g.KH * g.KW
	k := g.C * taps
	for oh := oh0; oh < oh1; oh++ {
		for ow := range g.OutW {
			row := col[((oh-oh0)*g.OutW+ow)*k:][:k]
			for kh := range g.KH {
				ih := oh*g.SH - g.PadT + kh
				for kw := range g.KW {
					iw := ow*g.SW - g.PadL + kw
					t := kh*g.KW + kw
					if ih < 0 || ih >= g.H || iw < 0 || iw >= g.W {
						for c := range g.C {
							row[c*taps+t] = 0
						}
						continue
					}
					for c, v := range src[(ih*g.W+iw)*g.C:][:g.C] {
						row[c*taps+t] = v
					}
				}
			}
		}
	}
}

// directFits reports whether a direct kernel can read the convolution g
// through offset tables (convF32Tables): in place when there is no
// padding and every window lies inside the image, or from zero-padded
// copies of the input rows, which fit in the rows of col that the output
// rows own when the strides do not exceed the window; and the window's
// offsets fit in an int32.
func (g ConvGeom) directFits() bool {
	w := (g.OutW-1)*g.SW + g.KW // the columns the windows span
	if g.PadT == 0 && g.PadL == 0 {
		if (g.OutH-1)*g.SH+g.KH > g.H || w > g.W {
			return false
		}
		w = g.W
	} else if g.SH > g.KH || g.SW > g.KW {
		return false
	}
	return 4*(int64(g.KH)*int64(w)+1)*int64(paddedPitch(g.C)) <= math.MaxInt32
}

// convF32Tables describes the A operand of a float32 convolution on HWC
// images for a direct kernel: output pixel i's window value number t, in
// the rule's order (c, kh, kw) within a group, is the float at byte offset
// pix[i] + taps[t] from img, the group's first channel of the image.
// Offsets are bytes so that kernels add them to addresses as they are.
type convF32Tables struct {
	img  []float32
	pix  []int   // n entries, then the last repeated up to a multiple of pixTile
	taps []int32 // cg*KH*KW entries
	n    int     // output pixels
}

// pixTile is a multiple of every direct kernel's pixel tile: pix has
// roundUp(n, pixTile) entries, so a kernel may read a whole tile of them.
const pixTile = 12

var convF32TablesPool = newFreeList(func() *convF32Tables { return new(convF32Tables) }, func(dst, src *convF32Tables) {
	if cap(dst.pix) < cap(src.pix) {
		dst.pix = make([]int, 0, cap(src.pix))
	}
	if cap(dst.taps) < cap(src.taps) {
		dst.taps = make([]int32, 0, cap(src.taps))
	}
})

// image fills the tables for output rows [oh0, oh1) of the convolution g,
// cg channels per group, of the HWC image src and returns the image they
// index: src itself when g has no padding, otherwise the input rows that
// the output rows read, with their padding, copied into pad (directFits
// says they fit).
//
// The copy's pixels are paddedPitch floats apart: the rule's order reads
// the same channel of every window cell before the next channel, and with
// a pitch of a power of two bytes (512 channels: 2 KiB) all those cells
// fall in a few sets of the L1 cache and evict each other.
func (t *convF32Tables) image(src []float32, g ConvGeom, cg int, pad []float32, oh0, oh1 int) []float32 {
	img, w, pitch, row0 := src, g.W, g.C, 0 // row0: the input row at the image's start
	if g.PadT != 0 || g.PadL != 0 {
		rows, cols := (oh1-oh0-1)*g.SH+g.KH, (g.OutW-1)*g.SW+g.KW
		if p := paddedPitch(g.C); rows*cols*p <= (oh1-oh0)*g.OutW*g.C*g.KH*g.KW {
			pitch = p
		}
		img, w, row0 = pad[:rows*cols*pitch], cols, oh0*g.SH-g.PadT
		for r := range rows {
			ih := row0 + r
			lo := min(g.PadL, cols) // columns [lo, hi) are inside the image
			hi := max(lo, min(cols, g.W+g.PadL))
			if ih < 0 || ih >= g.H {
				lo, hi = 0, 0
			}
			for col := range cols {
				dst := img[(r*cols+col)*pitch:][:g.C]
				if col < lo || col >= hi {
					clear(dst)
					continue
				}
				copy(dst, src[(ih*g.W+col-g.PadL)*g.C:])
			}
		}
	}
	// Pixel (oh, ow)'s window starts at input row oh*SH-PadT, column
	// ow*SW-PadL: the image's row oh*SH-PadT-row0 and column ow*SW, both
	// when it is padded and in place (where PadL is 0).
	top := g.PadT + row0
	n := (oh1 - oh0) * g.OutW
	t.n = n
	t.pix = t.pix[:0]
	for oh := oh0; oh < oh1; oh++ {
		for ow := range g.OutW {
			t.pix = append(t.pix, 4*((oh*g.SH-top)*w+ow*g.SW)*pitch)
		}
	}
	for len(t.pix)%pixTile != 0 {
		t.pix = append(t.pix, t.pix[n-1])
	}
	t.taps = t.taps[:0]
	for c := range cg {
		for kh := range g.KH {
			for kw := range g.KW {
				t.taps = append(t.taps, int32(4*((kh*w+kw)*pitch+c)))
			}
		}
	}
	return img
}

// matrix fills the tables for a row-major matrix of n rows of k values,
// lda apart.
func (t *convF32Tables) matrix(n, lda, k int) {
	t.n = n
	t.pix = t.pix[:0]
	for i := range roundUp(n, pixTile) {
		t.pix = append(t.pix, 4*min(i, n-1)*lda)
	}
	t.taps = t.taps[:0]
	for i := range k {
		t.taps = append(t.taps, int32(4*i))
	}
}

// paddedPitch is the distance in floats between the pixels of a padded
// copy of an image of c channels: on 64 channels or more, an odd number
// of 64-byte cache lines, so that a window's pixels spread over the sets
// of the cache.
func paddedPitch(c int) int {
	if lines := (c + 15) / 16; lines >= 4 {
		return (lines | 1) * 16
	}
	return c
}

// MaxPoolF32HWC is MaxPoolF32 on HWC images: each channel's maximum over
// the window's cells inside the image, in window order, the first cell
// replaced only by a strictly greater value (so NaN and signed zeros come
// out as MaxPoolF32 gives them).
func MaxPoolF32HWC(src, dst []float32, g ConvGeom) {
	g.check("MaxPoolF32HWC", len(src), g.C*g.H*g.W, len(dst), g.C*g.OutH*g.OutW)
	if g.OutH*g.OutW*g.C == 0 {
		return
	}
	if run := active.Load().maxPoolHWCF32; run != nil && g.KH*g.KW <= poolMaxTaps && g.noEmptyWindow() {
		poolHWCRuns(src, dst, g, run, func(c0 int) { poolHWCF32(src, dst, g, true, c0) })
		return
	}
	poolHWCF32(src, dst, g, true, 0)
}

// AvgPoolF32HWC is AvgPoolF32 on HWC images: each channel's sum over the
// window's cells inside the image, in window order from 0, divided by
// their count (0 for a window all padding).
func AvgPoolF32HWC(src, dst []float32, g ConvGeom) {
	g.check("AvgPoolF32HWC", len(src), g.C*g.H*g.W, len(dst), g.C*g.OutH*g.OutW)
	poolHWCF32(src, dst, g, false, 0)
}

// poolHWCF32 is the reference of the float32 HWC pools, on channels
// [c0, C).
func poolHWCF32(src, dst []float32, g ConvGeom, isMax bool, c0 int) {
	c := g.C
	for oh := range g.OutH {
		for ow := range g.OutW {
			h0, h1, w0, w1 := poolWindow(g, oh, ow)
			out := dst[(oh*g.OutW+ow)*c:][c0:c]
			clear(out)
			first := true
			for ih := h0; ih < h1; ih++ {
				for iw := w0; iw < w1; iw++ {
					in := src[(ih*g.W+iw)*c:][c0:c]
					switch {
					case isMax && first:
						copy(out, in)
					case isMax:
						for i, v := range in {
							if v > out[i] {
								out[i] = v
							}
						}
					default:
						for i, v := range in {
							out[i] += v
						}
					}
					first = false
				}
			}
			if !isMax && !first {
				n := float32((h1 - h0) * (w1 - w0))
				for i := range out {
					out[i] /= n
				}
			}
		}
	}
}
