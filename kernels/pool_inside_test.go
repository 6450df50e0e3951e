package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPoolInside checks the pools on windows inside the image (the fast
// loops) against the general loops, bit for bit, with NaN and signed zeros
// in the float inputs.
func TestPoolInside(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	n := 0
	for n < 300 {
		k := 1 + r.IntN(4)
		s := 1 + r.IntN(4)
		g := ConvGeom{C: 1 + r.IntN(3), KH: k, KW: k, SH: s, SW: s, OutH: 1 + r.IntN(6), OutW: 1 + r.IntN(6)}
		if r.IntN(3) == 0 {
			g.KW, g.SW = 1+r.IntN(4), 1+r.IntN(3)
		}
		g.H = (g.OutH-1)*g.SH + g.KH + r.IntN(2)
		g.W = (g.OutW-1)*g.SW + g.KW + r.IntN(2)
		if !g.inside() {
			t.Fatalf("%+v not inside", g)
		}
		n++
		src8 := randInt8(r, g.C*g.H*g.W, n%4, -128)
		want8, got8 := make([]int8, g.C*g.OutH*g.OutW), make([]int8, g.C*g.OutH*g.OutW)
		maxPoolInt8Generic(src8, want8, g)
		MaxPoolInt8(src8, got8, g)
		require.Equal(t, want8, got8, "max %+v", g)
		avgPoolInt8Generic(src8, want8, g)
		AvgPoolInt8(src8, got8, g)
		require.Equal(t, want8, got8, "avg %+v", g)

		src := randNorm(r, g.C*g.H*g.W)
		for i := range src {
			switch r.IntN(8) {
			case 0:
				src[i] = float32(math.NaN())
			case 1:
				src[i] = float32(math.Copysign(0, -1))
			case 2:
				src[i] = 0
			}
		}
		want, got := make([]float32, len(want8)), make([]float32, len(want8))
		maxPoolGeneric(src, want, g)
		MaxPoolF32(src, got, g)
		bitsEqual(t, want, got, "max f32")
		avgPoolGeneric(src, want, g)
		AvgPoolF32(src, got, g)
		bitsEqual(t, want, got, "avg f32")
	}
}

// TestMaxU8x8 checks the bytewise maximum on every pair of byte values.
func TestMaxU8x8(t *testing.T) {
	for x := range 256 {
		for y := range 256 {
			// Neighbouring lanes hold other values, to catch borrows between bytes.
			xs := uint64(x)<<8 | 0xFF00000000FF00FF
			ys := uint64(y)<<8 | 0x00FF0000FF000000
			got := maxU8x8(xs, ys)
			if g := int(got >> 8 & 0xFF); g != max(x, y) {
				t.Fatalf("max(%d, %d) = %d", x, y, g)
			}
			if got&^0xFF00 != 0xFFFF0000FFFF00FF {
				t.Fatalf("max(%d, %d): other lanes %#x", x, y, got)
			}
		}
	}
}

// TestPoolAllocs checks that the pools allocate nothing.
func TestPoolAllocs(t *testing.T) {
	g := ConvGeom{C: 4, H: 8, W: 8, KH: 2, KW: 2, SH: 2, SW: 2, OutH: 4, OutW: 4}
	g3 := ConvGeom{C: 4, H: 9, W: 9, KH: 3, KW: 3, SH: 2, SW: 2, OutH: 4, OutW: 4}
	src8, dst8 := make([]int8, 4*81), make([]int8, 64)
	src, dst := make([]float32, 4*81), make([]float32, 64)
	for _, g := range []ConvGeom{g, g3} {
		require.Zero(t, testing.AllocsPerRun(10, func() {
			MaxPoolInt8(src8, dst8, g)
			AvgPoolInt8(src8, dst8, g)
			MaxPoolF32(src, dst, g)
			AvgPoolF32(src, dst, g)
		}))
	}
}
