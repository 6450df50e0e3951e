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
