package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// BenchmarkConvF32ResNet times ResNet-18's 3×3 float32 convolutions on
// the path in use, on CHW (ConvF32: im2col, then a GEMM of the weights by
// the unfolding) and on HWC (ConvF32HWC: on avx2, a direct kernel reads
// each pixel's window through offset tables from a zero-padded copy of
// the input, against the packed weights, bias and clamp fused). The fastest call (loopMin) is the
// kernel's own time on a shared machine.
func BenchmarkConvF32ResNet(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, s := range []struct{ c, hw, out, stride int }{{64, 56, 64, 1}, {128, 28, 128, 1}, {256, 14, 256, 1}, {512, 7, 512, 1}, {64, 56, 128, 2}} {
		oh := (s.hw+2-3)/s.stride + 1
		g := ConvGeom{C: s.c, H: s.hw, W: s.hw, KH: 3, KW: 3, SH: s.stride, SW: s.stride, PadT: 1, PadL: 1, OutH: oh, OutW: oh}
		src := randNorm(r, s.c*s.hw*s.hw)
		w := randNorm(r, s.out*s.c*9)
		bias := randNorm(r, s.out)
		col := make([]float32, s.c*9*oh*oh)
		dst := make([]float32, s.out*oh*oh)
		name := fmt.Sprintf("%dx%dx%d-%d-s%d", s.hw, s.hw, s.c, s.out, s.stride)
		b.Run(name+"/CHW", func(b *testing.B) { loopMin(b, func() { ConvF32(src, dst, w, bias, g, 1, col) }) })
		p := PackConvF32HWC(w, s.out, s.c, 3, 3, 1)
		b.Run(name+"/HWC", func(b *testing.B) {
			loopMin(b, func() { ConvF32HWC(src, dst, p, bias, g, col, float32(math.Inf(-1)), float32(math.Inf(1)), 0, oh) })
		})

	}
}
