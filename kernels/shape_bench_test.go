package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkSgemmShapes times the float32 GEMM shapes of real layers at batch
// 1: a fully connected layer (m = 1, both layouts of the weights) and the
// small-n convolutions of the 32x32 AlexNet.
func BenchmarkSgemmShapes(b *testing.B) {
	shapes := []struct {
		transB  bool
		m, n, k int
	}{
		{false, 1, 4096, 2304}, // fc at batch 1, weights k×n
		{true, 1, 4096, 2304},  // fc at batch 1, weights n×k
		{false, 3, 4096, 2304}, // fc at batch 3
		{false, 384, 36, 2304}, // AlexNet-32 conv
		{false, 256, 144, 864}, // AlexNet-32 conv
	}
	for _, path := range Paths() {
		for _, s := range shapes {
			t := "N"
			if s.transB {
				t = "T"
			}
			b.Run(fmt.Sprintf("%s/%s/%dx%dx%d", path, t, s.m, s.n, s.k), func(b *testing.B) {
				usePath(b, path)
				r := rand.New(rand.NewPCG(5, 6))
				a := randNorm(r, s.m*s.k)
				bb := randNorm(r, s.k*s.n)
				c := make([]float32, s.m*s.n)
				ldb := s.n
				if s.transB {
					ldb = s.k
				}
				b.ResetTimer()
				for b.Loop() {
					Sgemm(false, s.transB, s.m, s.n, s.k, 1, a, s.k, bb, ldb, 0, c, s.n)
				}
				b.ReportMetric(float64(s.m)*float64(s.n)*float64(s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
			})
		}
	}
}

// BenchmarkPool times AlexNet-32 pool1 (96x24x24 to 96x12x12, 2x2 stride 2)
// and a 3x3 stride 2 window.
func BenchmarkPool(b *testing.B) {
	geoms := []ConvGeom{
		{C: 96, H: 24, W: 24, KH: 2, KW: 2, SH: 2, SW: 2, OutH: 12, OutW: 12},
		{C: 64, H: 27, W: 27, KH: 3, KW: 3, SH: 2, SW: 2, OutH: 13, OutW: 13},
	}
	for _, g := range geoms {
		r := rand.New(rand.NewPCG(7, 8))
		name := fmt.Sprintf("%dx%dx%d_k%ds%d", g.C, g.H, g.W, g.KH, g.SH)
		src8 := randInt8(r, g.C*g.H*g.W, 0, -128)
		dst8 := make([]int8, g.C*g.OutH*g.OutW)
		src := randNorm(r, g.C*g.H*g.W)
		dst := make([]float32, g.C*g.OutH*g.OutW)
		b.Run("MaxPoolInt8/"+name, func(b *testing.B) {
			for b.Loop() {
				MaxPoolInt8(src8, dst8, g)
			}
		})
		b.Run("AvgPoolInt8/"+name, func(b *testing.B) {
			for b.Loop() {
				AvgPoolInt8(src8, dst8, g)
			}
		})
		b.Run("MaxPoolF32/"+name, func(b *testing.B) {
			for b.Loop() {
				MaxPoolF32(src, dst, g)
			}
		})
	}
}

// BenchmarkSgemmPowerOfTwoStride times the GEMMs of the trainer's batched
// 3x3 convolutions (train.conv, ResNet-20 at 64 images per thread), whose
// B and C rows are n = 64*H*W floats apart, a multiple of 4 KiB, against
// the same GEMMs with rows 32 floats further apart (+32): the first pair is
// the forward pass of the first stage, the second its input gradient, then
// the same for the last stage.
func BenchmarkSgemmPowerOfTwoStride(b *testing.B) {
	for _, s := range [][3]int{{16, 65536, 144}, {144, 65536, 16}, {64, 4096, 576}, {576, 4096, 64}} {
		m, n, k := s[0], s[1], s[2]
		for _, extra := range []int{0, 32} {
			b.Run(fmt.Sprintf("%dx%dx%d+%d", m, n, k, extra), func(b *testing.B) {
				r := rand.New(rand.NewPCG(5, 6))
				ld := n + extra
				a, bb, c := randNorm(r, m*k), randNorm(r, k*ld), make([]float32, m*ld)
				for b.Loop() {
					Sgemm(false, false, m, n, k, 1, a, k, bb, ld, 0, c, ld)
				}
				b.ReportMetric(float64(m)*float64(n)*float64(k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
			})
		}
	}
}
