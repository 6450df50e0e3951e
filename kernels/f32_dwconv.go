package kernels

import (
	"fmt"
	"math"
)

// Depthwise convolution in float32 on HWC images, the twin of
// DepthwiseConvInt8 (i8_dwconv.go): the same runs of output pixels, the
// same pad row (of zeros here), channels in vector lanes.
//
// Exactness. Each output is defined as ConvF32 with one group per channel
// defines it: acc starts at +0 and, for the taps in order (kh, then kw),
// acc = fma(w[c][kh][kw], x, acc), a float32 fused multiply-add rounded
// once, where x is the input cell or 0 where it is padding; then
// v = acc + bias[c] (+ 0 with no bias), rounded, and the result is
// min(max(v, lo), hi) with Go's min and max. Every path gives these bits.

// PackedDepthwiseF32 holds the float32 weights of a depthwise convolution
// (channel multiplier 1), [channels][1][KH][KW] as PyTorch stores them,
// laid out for the path in use. It is immutable and may be shared by
// concurrent calls.
type PackedDepthwiseF32 struct {
	channels, kh, kw int
	path             *impl
	ref              []float32 // [channels][taps]
	lanes            []float32 // [channels/8][taps][8], for the SIMD kernels
}

// dwF32Impl is the float32 depthwise convolution of a SIMD path.
type dwF32Impl struct {
	// run computes a run of output pixels as dwF32Args describes it.
	run func(a *dwF32Args)
}

// dwF32Args describes one run of n output pixels for dwF32Impl.run, the
// channels of blocks*8: tap t of the first pixel reads src+off[t] (or
// pad+off[t] when bit t of padMask is set), offsets in elements, and each
// next pixel reads step elements further along. The kernels read the
// fields at the offsets go_asm.h gives.
type dwF32Args struct {
	src, pad, dst *float32
	w             *float32 // [blocks][taps][8]
	bias          *float32 // blocks*8 values
	off           [dwMaxTaps]int
	padMask       uint64
	taps          int
	step          int // elements between consecutive pixels' windows
	n             int // output pixels, >= 1
	c             int // channels, the elements per pixel
	blocks        int // channels the kernel computes, divided by 8
	lo, hi        float32
}

// PackDepthwiseF32 packs the depthwise weights w ([channels][1][kh][kw])
// for DepthwiseConvF32 on the path in use.
func PackDepthwiseF32(w []float32, channels, kh, kw int) *PackedDepthwiseF32 {
	if channels < 1 || kh < 1 || kw < 1 || len(w) < channels*kh*kw {
		panic(fmt.Sprintf("kernels: PackDepthwiseF32: %d weights for %d channels of %d×%d", len(w), channels, kh, kw))
	}
	taps := kh * kw
	p := &PackedDepthwiseF32{channels: channels, kh: kh, kw: kw, path: active.Load(),
		ref: append([]float32(nil), w[:channels*taps]...)}
	if p.path.dwF32 != nil && taps <= dwMaxTaps {
		// Each block of 8 channels has its taps' weights together, so a
		// kernel walks them with one pointer, block after block.
		p.lanes = make([]float32, channels/8*8*taps)
		for c := range channels / 8 * 8 {
			for t := range taps {
				p.lanes[(c/8*taps+t)*8+c%8] = w[c*taps+t]
			}
		}
	}
	return p
}

// Bytes is the memory the packed weights hold.
func (p *PackedDepthwiseF32) Bytes() int { return 4 * (len(p.ref) + len(p.lanes)) }

// DepthwiseConvF32 computes one image of a float32 depthwise convolution
// (groups = channels = g.C) on HWC images: src [H][W][C], dst
// [OutH][OutW][C], each output as the package documentation's exactness
// rule for depthwise convolution says, clamped to [lo, hi] (-Inf, +Inf for
// none; 0, +Inf for ReLU; 0, 6 for ReLU6). bias holds one value per
// channel, or is nil. dst must not overlap src.
func DepthwiseConvF32(src, dst []float32, w *PackedDepthwiseF32, bias []float32, g ConvGeom, lo, hi float32) {
	checkDepthwiseF32("DepthwiseConvF32", src, dst, w, bias, g)
	dwF32Rows(src, dst, w, bias, g, lo, hi, 0, g.OutH)
}

// DepthwiseConvF32Rows computes output rows [oh0, oh1) of
// DepthwiseConvF32. Calls on disjoint rows may run concurrently.
func DepthwiseConvF32Rows(src, dst []float32, w *PackedDepthwiseF32, bias []float32, g ConvGeom, lo, hi float32, oh0, oh1 int) {
	checkDepthwiseF32("DepthwiseConvF32Rows", src, dst, w, bias, g)
	if oh0 < 0 || oh1 > g.OutH || oh0 > oh1 {
		panic(fmt.Sprintf("kernels: DepthwiseConvF32Rows: rows [%d, %d) outside [0, %d)", oh0, oh1, g.OutH))
	}
	dwF32Rows(src, dst, w, bias, g, lo, hi, oh0, oh1)
}

func checkDepthwiseF32(fn string, src, dst []float32, w *PackedDepthwiseF32, bias []float32, g ConvGeom) {
	if w == nil {
		panic(fmt.Sprintf("kernels: %s: nil weights", fn))
	}
	if a := active.Load(); (w.lanes != nil) != (a.dwF32 != nil && w.kh*w.kw <= dwMaxTaps) {
		panic(fmt.Sprintf("kernels: %s: the weights were packed for path %s, but %s is in use: pack them again after kernels.Use",
			fn, w.path.name, a.name))
	}
	if g.C != w.channels || g.KH != w.kh || g.KW != w.kw {
		panic(fmt.Sprintf("kernels: %s: weights of %d channels of %d×%d do not match %+v", fn, w.channels, w.kh, w.kw, g))
	}
	if bias != nil && len(bias) < g.C {
		panic(fmt.Sprintf("kernels: %s: %d biases for %d channels", fn, len(bias), g.C))
	}
	g.check(fn, len(src), g.C*g.H*g.W, len(dst), g.C*g.OutH*g.OutW)
}

// dwF32Scratch is the per-call state of the SIMD driver.
type dwF32Scratch struct {
	args dwF32Args
	pad  []float32 // the pad row: zeros
	bias []float32 // the bias, or zeros, for the kernel's channels
}

var dwF32Pool = newFreeList(func() *dwF32Scratch { return new(dwF32Scratch) }, func(d, s *dwF32Scratch) {
	fitSlice(&d.pad, s.pad)
	fitSlice(&d.bias, s.bias)
})

// dwF32Rows computes output rows [oh0, oh1) for checked arguments.
func dwF32Rows(src, dst []float32, w *PackedDepthwiseF32, bias []float32, g ConvGeom, lo, hi float32, oh0, oh1 int) {
	if oh0 >= oh1 || g.OutW == 0 || g.C == 0 {
		return
	}
	c := g.C
	c8 := c / 8 * 8
	// The kernels' max and min match Go's except for NaN bounds and a
	// bound of -0 against +0; such clamps run in Go.
	exotic := lo != lo || hi != hi || (hi == 0 && math.Signbit(float64(hi)))
	if w.lanes == nil || exotic {
		c8 = 0
	}
	if c8 < c {
		dwF32Ref(src, dst, w.ref, bias, g, lo, hi, oh0, oh1, c8, c)
	}
	if c8 == 0 {
		return
	}
	sc := dwF32Pool.Get()
	padLen := ((g.OutW-1)*g.SW + g.KW) * c
	if cap(sc.pad) < padLen {
		sc.pad = make([]float32, padLen)
	}
	if cap(sc.bias) < c8 {
		sc.bias = make([]float32, c8)
	}
	b := sc.bias[:c8]
	if bias != nil {
		copy(b, bias)
	} else {
		clear(b)
	}
	a := &sc.args
	*a = dwF32Args{src: &src[0], pad: &sc.pad[0], w: &w.lanes[0], bias: &b[0], taps: g.KH * g.KW,
		step: g.SW * c, c: c, blocks: c8 / 8, lo: lo, hi: hi}
	run := w.path.dwF32.run
	dwRuns(g, oh0, oh1, &a.off, func(oh, ow0, n, shift int, padMask uint64) {
		a.src, a.padMask, a.dst, a.n = &src[shift], padMask, &dst[(oh*g.OutW+ow0)*c], n
		run(a)
	})
	sc.args = dwF32Args{}
	dwF32Pool.Put(sc)
}

// dwF32Ref is the definition of DepthwiseConvF32 on output rows [oh0,
// oh1) and channels [c0, c1), the weights w row-major [channels][taps].
func dwF32Ref(src, dst, w, bias []float32, g ConvGeom, lo, hi float32, oh0, oh1, c0, c1 int) {
	taps := g.KH * g.KW
	for oh := oh0; oh < oh1; oh++ {
		for ow := range g.OutW {
			out := dst[(oh*g.OutW+ow)*g.C:]
			for c := c0; c < c1; c++ {
				var acc float32
				wc := w[c*taps : (c+1)*taps]
				for kh := range g.KH {
					ih := oh*g.SH - g.PadT + kh
					for kw := range g.KW {
						iw := ow*g.SW - g.PadL + kw
						var x float32
						if ih >= 0 && ih < g.H && iw >= 0 && iw < g.W {
							x = src[(ih*g.W+iw)*g.C+c]
						}
						acc = fma32(wc[kh*g.KW+kw], x, acc)
					}
				}
				var b float32
				if bias != nil {
					b = bias[c]
				}
				out[c] = min(max(acc+b, lo), hi)
			}
		}
	}
}
