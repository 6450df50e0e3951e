package kernels

import (
	"fmt"
	"math"

	"github.com/edgecnn/edgecnn/quant"
)

// Depthwise convolution in int8 on HWC images (channels innermost), the
// layout in which a depthwise convolution keeps its channels in vector
// lanes: every output value is one channel's KH×KW window, and the SIMD
// paths compute 16 channels of one output pixel per vector step.
//
// The pure-Go reference (dwInt8Ref) is the definition; a path's kernel
// (dwImpl) computes runs of output pixels of one output row whose windows
// are known, and dwInt8Rows cuts each output row into such runs: the
// pixels whose windows lie inside the image columns in one run, the few at
// the left and right edges one by one. Taps that fall on padding read a
// row of input zero points (the pad row) instead of the image, so the
// kernels never test for the border.

// dwMaxTaps is the largest window the SIMD kernels take (5×5); larger
// ones run in Go.
const dwMaxTaps = 25

// PackedDepthwiseInt8 holds the int8 weights of a depthwise convolution
// (channel multiplier 1), [channels][1][KH][KW] as PyTorch stores them,
// with the sum of each channel's weights (for FoldZeroPoint). A SIMD path
// lays them out together with the requantize parameters of the Requant
// they are used with, on the first call with it, and keeps that layout
// with the weights. It may be shared by concurrent calls.
//
// It records the path that packed it: after Use switches to a path with
// another kernel, DepthwiseConvInt8 panics with a message that says so.
type PackedDepthwiseInt8 struct {
	channels, kh, kw int
	path             *impl  // the path that packed it
	ref              []int8 // the weights [channels][taps]
	rowSums          []int32
	prepared         rqCache[*dwPrepared]
}

// dwImpl is the depthwise convolution of a SIMD path.
type dwImpl struct {
	// lanes is the channel multiple the kernel handles; the channels past
	// the last multiple run in Go.
	lanes int
	// prepare lays out the weights w ([channels][taps]) of the channels
	// the kernel handles together with their requantize parameters l, in
	// the records that run reads.
	prepare func(w []int8, channels, taps int, l *i8Lanes) []byte
	// run computes a run of output pixels as dwArgs describes it.
	run func(a *dwArgs)
}

// dwPrepared is what a SIMD path lays out from the weights and one Requant.
type dwPrepared struct {
	rec []byte // dwImpl.prepare's records
	// general is set when the epilogue needs its rare steps: some channel
	// does not shift right, or some multiplier is MinInt32.
	general bool
}

// dwArgs describes one run of n output pixels for dwImpl.run, all
// channels the kernel handles: tap t of the run's first pixel reads the c
// channels at src+off[t] (or pad+off[t] when bit t of padMask is set),
// and each next pixel reads step bytes further along, from src or pad
// alike. The kernels read the fields at the offsets go_asm.h gives.
type dwArgs struct {
	src, pad, dst *int8
	rec           *byte // dwImpl.prepare's records
	zp, lo, hi    int32
	general       int32 // 1 when some channel does not shift right or some multiplier is MinInt32
	off           [dwMaxTaps]int
	padMask       uint64
	taps          int
	step          int // bytes between consecutive pixels' windows
	n             int // output pixels, >= 1
	c             int // channels, the bytes per pixel of src, pad and dst
	blocks        int // channels the kernel computes, divided by dwImpl.lanes
}

// PackDepthwiseInt8 packs the depthwise weights w ([channels][1][kh][kw],
// values in [-127, 127]) for DepthwiseConvInt8 on the path in use. It
// panics on a bad shape, a short w, or a weight of -128.
func PackDepthwiseInt8(w []int8, channels, kh, kw int) *PackedDepthwiseInt8 {
	if channels < 1 || kh < 1 || kw < 1 {
		panic(fmt.Sprintf("kernels: PackDepthwiseInt8: bad shape %d channels of %d×%d", channels, kh, kw))
	}
	taps := kh * kw
	if len(w) < channels*taps {
		panic(fmt.Sprintf("kernels: PackDepthwiseInt8: len(w)=%d < %d for %d channels of %d×%d", len(w), channels*taps, channels, kh, kw))
	}
	w = w[:channels*taps]
	sums := make([]int32, channels)
	for i, v := range w {
		if v == math.MinInt8 {
			panic(fmt.Sprintf("kernels: PackDepthwiseInt8: weight (%d, %d) is -128; int8 weights must lie in [-127, 127]", i/taps, i%taps))
		}
		sums[i/taps] += int32(v)
	}
	return &PackedDepthwiseInt8{channels: channels, kh: kh, kw: kw, path: active.Load(), rowSums: sums,
		ref: append([]int8(nil), w...)}
}

// Bytes is the memory the packed weights hold, including what a SIMD path
// lays out on the first call with a Requant (about 4*(taps+7) bytes per
// channel).
func (p *PackedDepthwiseInt8) Bytes() int {
	return len(p.ref) + 4*len(p.rowSums) + 4*(p.kh*p.kw+7)*roundUp(p.channels, 16)
}

// RowSums returns a copy of the sums of each channel's weights, for
// FoldZeroPoint.
func (p *PackedDepthwiseInt8) RowSums() []int32 { return append([]int32(nil), p.rowSums...) }

// simd returns the kernel that runs p, or nil for the Go reference.
func (p *PackedDepthwiseInt8) simd() *dwImpl {
	if p.kh*p.kw > dwMaxTaps {
		return nil
	}
	return p.path.dw
}

// DepthwiseConvInt8 computes one image of an int8 depthwise convolution
// (groups = channels = g.C, one output channel per input channel) on HWC
// images: src is [H][W][C] with zero point inZeroPoint, dst [OutH][OutW][C],
// and for each output pixel and channel c
//
//	acc = rq.Bias[c] + Σ_{kh,kw} w[c][kh][kw] * src[oh*SH-PadT+kh][ow*SW-PadL+kw][c]   (int32, wrapping)
//	dst[oh][ow][c] = quant.Requantize(acc, rq.Multiplier[c], rq.Shift[c], rq.ZeroPoint, rq.Min, rq.Max)
//
// where cells in the padding hold inZeroPoint (real 0), and rq.Bias has
// the zero point folded in (FoldZeroPoint with w.RowSums()). dst must not
// overlap src. It allocates nothing once it has run with w and rq: the
// SIMD paths keep a prepared copy of rq's per-channel parameters with the
// weights, so Bias, Multiplier and Shift must not change after the first
// call (pass a new Requant instead; ZeroPoint, Min and Max are read on
// every call).
func DepthwiseConvInt8(src, dst []int8, w *PackedDepthwiseInt8, rq *Requant, g ConvGeom, inZeroPoint int8) {
	checkDepthwise("DepthwiseConvInt8", src, dst, w, rq, g)
	dwInt8Rows(src, dst, w, rq, g, inZeroPoint, 0, g.OutH)
}

// DepthwiseConvInt8Rows computes output rows [oh0, oh1) of
// DepthwiseConvInt8. Calls on disjoint rows may run concurrently.
func DepthwiseConvInt8Rows(src, dst []int8, w *PackedDepthwiseInt8, rq *Requant, g ConvGeom, inZeroPoint int8, oh0, oh1 int) {
	checkDepthwise("DepthwiseConvInt8Rows", src, dst, w, rq, g)
	if oh0 < 0 || oh1 > g.OutH || oh0 > oh1 {
		panic(fmt.Sprintf("kernels: DepthwiseConvInt8Rows: rows [%d, %d) outside [0, %d)", oh0, oh1, g.OutH))
	}
	dwInt8Rows(src, dst, w, rq, g, inZeroPoint, oh0, oh1)
}

func checkDepthwise(fn string, src, dst []int8, w *PackedDepthwiseInt8, rq *Requant, g ConvGeom) {
	if w == nil {
		panic(fmt.Sprintf("kernels: %s: nil weights", fn))
	}
	if a := active.Load(); w.path.dw != a.dw {
		panic(fmt.Sprintf("kernels: %s: the weights were packed for path %s, but %s is in use: pack them again after kernels.Use",
			fn, w.path.name, a.name))
	}
	if g.C != w.channels || g.KH != w.kh || g.KW != w.kw {
		panic(fmt.Sprintf("kernels: %s: weights of %d channels of %d×%d do not match %+v", fn, w.channels, w.kh, w.kw, g))
	}
	rq.check(fn, g.C)
	g.check(fn, len(src), g.C*g.H*g.W, len(dst), g.C*g.OutH*g.OutW)
}

// dwScratch is the per-call state of the SIMD depthwise driver.
type dwScratch struct {
	args dwArgs
	pad  []int8 // the pad row: input zero points
	// padZP fills the first padFilled values of pad, from an earlier call:
	// the layers of a network mostly share their input zero point, and the
	// row need not be written again.
	padZP     int8
	padFilled int
}

var dwPool = newFreeList(func() *dwScratch { return new(dwScratch) }, func(d, s *dwScratch) {
	if cap(d.pad) < cap(s.pad) {
		d.pad, d.padFilled = make([]int8, cap(s.pad)), 0
	}
})

// dwInt8Rows computes output rows [oh0, oh1) for checked arguments.
func dwInt8Rows(src, dst []int8, w *PackedDepthwiseInt8, rq *Requant, g ConvGeom, inZP int8, oh0, oh1 int) {
	if oh0 >= oh1 || g.OutW == 0 || g.C == 0 {
		return
	}
	dw := w.simd()
	if dw == nil {
		dwInt8Ref(src, dst, w.ref, rq, g, inZP, oh0, oh1, 0, g.C)
		return
	}
	c := g.C
	simdC := c / dw.lanes * dw.lanes
	if simdC < c {
		dwInt8Ref(src, dst, w.ref, rq, g, inZP, oh0, oh1, simdC, c)
	}
	if simdC == 0 {
		return
	}
	sc := dwPool.Get()
	// The pad row covers a whole output row's windows (every pixel of a
	// run advances along it), plus a vector past the last channel.
	padLen := ((g.OutW-1)*g.SW+g.KW)*c + 64
	if cap(sc.pad) < padLen {
		sc.pad, sc.padFilled = make([]int8, padLen), 0
	}
	pad := sc.pad[:padLen]
	if sc.padZP != inZP || sc.padFilled < padLen {
		fillInt8(pad, inZP)
		sc.padZP, sc.padFilled = inZP, padLen
	}
	taps := g.KH * g.KW
	prep, ok := w.prepared.get(rq)
	if !ok {
		l := newI8Lanes(rq, simdC)
		prep = &dwPrepared{rec: dw.prepare(w.ref, simdC, taps, l), general: l.anyLeft || l.anyUnshifted || l.anyMinMult}
		w.prepared.put(rq, prep)
	}
	a := &sc.args
	*a = dwArgs{
		src: &src[0], pad: &pad[0], rec: &prep.rec[0],
		zp: rq.ZeroPoint, lo: rq.Min, hi: rq.Max,
		taps: taps, step: g.SW * c, c: c, blocks: simdC / dw.lanes,
	}
	if prep.general {
		a.general = 1
	}
	dwRuns(g, oh0, oh1, &a.off, func(oh, ow0, n, shift int, padMask uint64) {
		a.src, a.padMask, a.dst, a.n = &src[shift], padMask, &dst[(oh*g.OutW+ow0)*c], n
		dw.run(a)
	})
	sc.args = dwArgs{}
	dwPool.Put(sc)
}

// dwRuns cuts output rows [oh0, oh1) of the depthwise convolution g into
// runs of pixels whose windows are known: in each row the pixels whose
// windows lie inside the image columns as one run, those at the left and
// right edges one by one. For each run it sets off[t] to the offset, in
// elements, of tap t of the run's first pixel, in the image or, where
// that cell is padding, in the pad row (bit t of padMask; only rows
// outside the image, or the columns of a single edge pixel, are), and
// calls visit with the run and shift: the image taps are at off[t]+shift.
//
// It goes down the columns, one run of columns at a time: rows whose
// windows cover the same window rows inside the image (all but the top
// and bottom few) share off and padMask, and only shift moves, by the
// rows' distance; off is computed again where that changes.
func dwRuns(g ConvGeom, oh0, oh1 int, off *[dwMaxTaps]int, visit func(oh, ow0, n, shift int, padMask uint64)) {
	c := g.C
	var offs [dwMaxTaps]int // off of the row base; visit may overwrite *off (the arm64 kernels do)
	lo, hi := g.insideColumns()
	rowStep := g.SH * g.W * c
	for ow0 := 0; ow0 < g.OutW; {
		n := 1
		if ow0 == lo && lo < hi {
			n = hi - lo
		}
		iw0 := ow0*g.SW - g.PadL
		var padMask uint64
		base, baseLo, baseHi := -1, 0, 0 // the row off holds, and its window rows inside
		for oh := oh0; oh < oh1; oh++ {
			ih0 := oh*g.SH - g.PadT
			khLo, khHi := max(-ih0, 0), min(g.H-ih0, g.KH)
			if base < 0 || khLo != baseLo || khHi != baseHi || khLo >= khHi {
				base, baseLo, baseHi = oh, khLo, khHi
				padMask = 0
				t := 0
				for kh := range g.KH {
					at := ((ih0+kh)*g.W + iw0) * c
					for kw := range g.KW {
						if iw := iw0 + kw; kh >= khLo && kh < khHi && iw >= 0 && iw < g.W {
							offs[t] = at
						} else {
							padMask |= 1 << t
							offs[t] = kw * c
						}
						at += c
						t++
					}
				}
			}
			*off = offs
			visit(oh, ow0, n, (oh-base)*rowStep, padMask)
		}
		ow0 += n
	}
}

// dwInt8Ref is the definition of DepthwiseConvInt8 on output rows [oh0,
// oh1) and channels [c0, c1), the weights w row-major [channels][taps].
func dwInt8Ref(src, dst, w []int8, rq *Requant, g ConvGeom, inZP int8, oh0, oh1, c0, c1 int) {
	taps := g.KH * g.KW
	for oh := oh0; oh < oh1; oh++ {
		for ow := range g.OutW {
			out := dst[(oh*g.OutW+ow)*g.C:]
			for c := c0; c < c1; c++ {
				acc := rq.Bias[c]
				wc := w[c*taps : (c+1)*taps]
				for kh := range g.KH {
					ih := oh*g.SH - g.PadT + kh
					for kw := range g.KW {
						iw := ow*g.SW - g.PadL + kw
						x := inZP
						if ih >= 0 && ih < g.H && iw >= 0 && iw < g.W {
							x = src[(ih*g.W+iw)*g.C+c]
						}
						acc += int32(wc[kh*g.KW+kw]) * int32(x)
					}
				}
				out[c] = quant.Requantize(acc, rq.Multiplier[c], int(rq.Shift[c]), rq.ZeroPoint, rq.Min, rq.Max)
			}
		}
	}
}
