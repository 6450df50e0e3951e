package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestMaxPoolArgF32 checks, on random geometries (the 2x2 fast path among
// them) and inputs full of ties, that the maxima are MaxPoolF32's and each
// index is the first cell of its window, in row order, holding the maximum.
func TestMaxPoolArgF32(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	for i := range 300 {
		g := ConvGeom{C: 1 + r.IntN(3), H: 1 + r.IntN(9), W: 1 + r.IntN(9), KH: 1 + r.IntN(3), KW: 1 + r.IntN(3),
			SH: 1 + r.IntN(3), SW: 1 + r.IntN(3), PadT: r.IntN(2), PadL: r.IntN(2)}
		if i%3 == 0 {
			g.KH, g.KW, g.SH, g.SW, g.PadT, g.PadL = 2, 2, 2, 2, 0, 0
		}
		g.OutH = max((g.H+g.PadT+r.IntN(2)-g.KH)/g.SH+1, 0)
		g.OutW = max((g.W+g.PadL+r.IntN(2)-g.KW)/g.SW+1, 0)
		src := make([]float32, g.C*g.H*g.W)
		for j := range src {
			src[j] = float32(r.IntN(7) - 3)
		}
		size := g.C * g.OutH * g.OutW
		want, got, arg := make([]float32, size), make([]float32, size), make([]int32, size)
		MaxPoolF32(src, want, g)
		MaxPoolArgF32(src, got, arg, g)
		require.Equal(t, want, got, "%+v", g)
		for c := range g.C {
			for oh := range g.OutH {
				for ow := range g.OutW {
					o := (c*g.OutH+oh)*g.OutW + ow
					first := int32(-1)
					for iy := max(oh*g.SH-g.PadT, 0); iy < min(oh*g.SH-g.PadT+g.KH, g.H) && first < 0; iy++ {
						for ix := max(ow*g.SW-g.PadL, 0); ix < min(ow*g.SW-g.PadL+g.KW, g.W); ix++ {
							if i := (c*g.H+iy)*g.W + ix; src[i] == want[o] {
								first = int32(i)
								break
							}
						}
					}
					require.Equal(t, first, arg[o], "%+v output %d", g, o)
				}
			}
		}
	}
	require.Panics(t, func() {
		MaxPoolArgF32(make([]float32, 4), make([]float32, 1), nil, ConvGeom{C: 1, H: 2, W: 2, KH: 2, KW: 2, SH: 2, SW: 2, OutH: 1, OutW: 1})
	})
}

// BenchmarkMaxPoolArgF32 times the 2x2 pool of LeNet-5's conv1 output over
// a training shard.
func BenchmarkMaxPoolArgF32(b *testing.B) {
	g := ConvGeom{C: 6 * 32, H: 28, W: 28, KH: 2, KW: 2, SH: 2, SW: 2, OutH: 14, OutW: 14}
	src := randNorm(rand.New(rand.NewPCG(1, 2)), g.C*g.H*g.W)
	dst, arg := make([]float32, g.C*g.OutH*g.OutW), make([]int32, g.C*g.OutH*g.OutW)
	for b.Loop() {
		MaxPoolArgF32(src, dst, arg, g)
	}
}

// TestMaxPoolF32Paths checks MaxPoolF32 on every path against the Go loop
// bit for bit: rows wide enough for the vector kernels' blocks of 8
// outputs and narrow ones, strides 1 to 3, padding, windows up to 4×4,
// NaN, signed zeros and ties in window order, with src and dst ending at
// an inaccessible page.
func TestMaxPoolF32Paths(t *testing.T) {
	r := rand.New(rand.NewPCG(33, 34))
	srcMem, dstMem := guardedF32(t, 1<<15), guardedF32(t, 1<<15)
	for i := range 300 {
		g := ConvGeom{C: 1 + r.IntN(3), H: 1 + r.IntN(8), W: 1 + r.IntN(60), KH: 1 + r.IntN(4), KW: 1 + r.IntN(4),
			SH: 1 + r.IntN(3), SW: 1 + r.IntN(3), PadT: r.IntN(3), PadL: r.IntN(3)}
		if i%2 == 0 {
			g.KH, g.KW, g.SH, g.SW, g.PadT, g.PadL = 3, 3, 2, 2, 1, 1 // a ResNet stem's pool
		}
		g.OutH = (g.H+g.PadT+r.IntN(3)-g.KH)/g.SH + 1
		g.OutW = (g.W+g.PadL+r.IntN(3)-g.KW)/g.SW + 1
		if g.OutH <= 0 || g.OutW <= 0 || !g.noEmptyWindow() {
			continue
		}
		src := srcMem[len(srcMem)-g.C*g.H*g.W:]
		for j := range src {
			src[j] = []float32{float32(math.NaN()), float32(math.Copysign(0, -1)), 0, 1, -1, float32(r.NormFloat64())}[r.IntN(6)]
		}
		want := make([]float32, g.C*g.OutH*g.OutW)
		maxPoolGeneric(src, want, g)
		got := dstMem[len(dstMem)-len(want):]
		for _, path := range Paths() {
			usePath(t, path)
			clear(got)
			MaxPoolF32(src, got, g)
			requireSameF32(t, want, got, "%s %+v", path, g)
		}
	}
}

// BenchmarkMaxPoolF32ResNet times the 3x3 stride 2 pad 1 max pool after
// ResNet-18's stem (64x112x112 to 64x56x56), CHW and HWC, on every path.
func BenchmarkMaxPoolF32ResNet(b *testing.B) {
	g := ConvGeom{C: 64, H: 112, W: 112, KH: 3, KW: 3, SH: 2, SW: 2, PadT: 1, PadL: 1, OutH: 56, OutW: 56}
	src := randNorm(rand.New(rand.NewPCG(5, 6)), g.C*g.H*g.W)
	dst := make([]float32, g.C*g.OutH*g.OutW)
	for _, path := range Paths() {
		usePath(b, path)
		b.Run("CHW/"+path, func(b *testing.B) {
			for b.Loop() {
				MaxPoolF32(src, dst, g)
			}
		})
		b.Run("HWC/"+path, func(b *testing.B) {
			for b.Loop() {
				MaxPoolF32HWC(src, dst, g)
			}
		})
	}
}
