package kernels

import (
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
