package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkLayoutInt8 times the layers that decide the engine's activation
// layout (BENCHMARKS.md, "The activation layout") at both ends of
// MobileNet v2, int8, on the path in use: a 3×3 depthwise convolution on
// CHW (ConvInt8, a GEMM with one group per channel over its im2col) and on
// HWC (DepthwiseConvInt8, channels in vector lanes), and a 1×1 convolution
// on CHW (ConvInt8, weights × image) and on HWC (ConvInt8HWC, a
// pixel-major GEMM reading the image in place). The fastest call
// (loopMin) is the kernel's own time on a shared machine.
func BenchmarkLayoutInt8(b *testing.B) {
	r := rand.New(rand.NewPCG(69, 70))
	for _, d := range []ConvGeom{dw3x3(32, 112, 1), dw3x3(960, 7, 1)} {
		name := fmt.Sprintf("depthwise/%dx%dx%d", d.H, d.W, d.C)
		c := newConvInt8Case(r, d, d.C, d.C, 3, 0)
		grouped := PackInt8Grouped(c.w, d.C, c.k, d.C)
		rqG := c.q.requant(grouped)
		col := make([]int8, d.C*d.KH*d.KW*c.pixels)
		dst := make([]int8, len(c.dst0))
		b.Run(name+"/CHW", func(b *testing.B) { loopMin(b, func() { ConvInt8(c.src, dst, grouped, rqG, d, col, c.inZP) }) })
		dw := PackDepthwiseInt8(c.w, d.C, d.KH, d.KW)
		rqD := &Requant{Bias: FoldZeroPoint(c.q.bias, dw.RowSums(), c.q.inZP), Multiplier: c.q.multiplier, Shift: c.q.shift,
			ZeroPoint: c.q.outZP, Min: c.q.min, Max: c.q.max}
		b.Run(name+"/HWC", func(b *testing.B) { loopMin(b, func() { DepthwiseConvInt8(c.src, dst, dw, rqD, d, c.inZP) }) })
	}
	for _, p := range []struct{ hw, in, out int }{{112, 32, 16}, {7, 960, 160}, {7, 160, 960}} {
		g := ConvGeom{C: p.in, H: p.hw, W: p.hw, KH: 1, KW: 1, SH: 1, SW: 1, OutH: p.hw, OutW: p.hw}
		name := fmt.Sprintf("pointwise/%dx%dx%d-%d", p.hw, p.hw, p.in, p.out)
		c := newConvInt8Case(r, g, p.out, 1, 3, 0)
		w := PackInt8(c.w, p.out, p.in)
		rq := c.q.requant(w)
		dst := make([]int8, len(c.dst0))
		b.Run(name+"/CHW", func(b *testing.B) { loopMin(b, func() { ConvInt8(c.src, dst, w, rq, g, nil, c.inZP) }) })
		wh := PackConvInt8HWC(c.w, p.out, p.in, 1, 1, 1)
		rqH := c.q.requant(wh)
		b.Run(name+"/HWC", func(b *testing.B) { loopMin(b, func() { ConvInt8HWC(c.src, dst, wh, rqH, g, nil, c.inZP) }) })
	}
}
