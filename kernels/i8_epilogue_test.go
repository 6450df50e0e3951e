package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/quant"
)

// TestGemmInt8EpilogueCorners drives the requantize epilogue of every path through
// its corners: accumulators at and next to the int32 limits, every shift
// from -31 to 31, multipliers that are not Q31 normalised (0, 1, -1,
// MinInt32, MaxInt32, negative), ties of the rounding right shift on both
// signs, and every clamp. acc = Bias[i] + W[i]*X[j] with k = 1, so each
// element's accumulator is chosen directly; the expected value is
// quant.Requantize.
func TestGemmInt8EpilogueCorners(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	specialAcc := []int64{math.MinInt32, math.MinInt32 + 1, math.MaxInt32, math.MaxInt32 - 1, 0, 1, -1, 2, -2,
		1 << 30, -1 << 30, 1<<30 + 1, -(1 << 30) - 1, 3, -3, 5, -5, 6, -6}
	specialMul := []int32{math.MinInt32, math.MinInt32 + 1, math.MaxInt32, 0, 1, -1, 1 << 30, -1 << 30, 1<<30 + 1, 3 << 29}
	old := Path()
	t.Cleanup(func() { _ = Use(old) })
	rounds := 60
	if testing.Short() {
		rounds = 15
	}
	for round := range rounds {
		m, n := 1+r.IntN(40), 1+r.IntN(70)
		w := make([]int8, m)
		bias := make([]int32, m)
		mul := make([]int32, m)
		shift := make([]int32, m)
		for i := range m {
			w[i] = []int8{127, -127, 1, -1, 0, 64}[r.IntN(6)]
			switch r.IntN(3) {
			case 0:
				bias[i] = int32(specialAcc[r.IntN(len(specialAcc))])
			case 1:
				bias[i] = int32(r.Uint32())
			default:
				bias[i] = int32(r.IntN(1<<16) - 1<<15)
			}
			switch r.IntN(3) {
			case 0:
				mul[i] = specialMul[r.IntN(len(specialMul))]
			case 1:
				mul[i] = int32(r.Uint32())
			default:
				mul[i] = 1<<30 + int32(r.IntN(1<<30))
			}
			switch r.IntN(4) {
			case 0:
				shift[i] = []int32{-31, 31, 0, -1, 1, 30, -30}[r.IntN(7)]
			default:
				shift[i] = int32(r.IntN(63) - 31)
			}
		}
		x := make([]int8, n)
		for j := range x {
			x[j] = int8(r.IntN(256) - 128)
			if r.IntN(4) == 0 {
				x[j] = []int8{-128, 127, 0, 1, -1}[r.IntN(5)]
			}
		}
		zp := randZeroPoint(r, round)
		lo, hi := int32(-128), int32(127)
		switch r.IntN(3) {
		case 1:
			lo = zp
		case 2:
			lo = int32(r.IntN(256) - 128)
			hi = lo + int32(r.IntN(int(128-lo)))
		}
		want := make([]int8, m*n)
		for i := range m {
			for j := range n {
				acc := bias[i] + int32(w[i])*int32(x[j])
				want[i*n+j] = quant.Requantize(acc, mul[i], int(shift[i]), zp, lo, hi)
			}
		}
		for _, path := range Paths() {
			require.NoError(t, Use(path))
			p := PackInt8(w, m, 1)
			rq := &Requant{Bias: bias, Multiplier: mul, Shift: shift, ZeroPoint: zp, Min: lo, Max: hi}
			got := make([]int8, m*n)
			GemmInt8(p, x, n, n, 1, rq, got, n, 1)
			for e := range got {
				if got[e] != want[e] {
					i, j := e/n, e%n
					acc := bias[i] + int32(w[i])*int32(x[j])
					t.Fatalf("%s: round %d (%d, %d): acc %d mult %d shift %d zp %d clamp [%d, %d]: got %d, want %d",
						path, round, i, j, acc, mul[i], shift[i], zp, lo, hi, got[e], want[e])
				}
			}
		}
	}
}

// TestGemmInt8RoundingTies checks the epilogue of every path on a
// dense grid of accumulators around every rounding tie for every right
// shift: acc = q*2^r + t for t near 2^(r-1), both signs, multiplier
// MaxInt32 (≈1) so the shift decides.
func TestGemmInt8RoundingTies(t *testing.T) {
	old := Path()
	t.Cleanup(func() { _ = Use(old) })
	const n = 64
	var bias, mul, shift []int32
	var x []int8
	for j := range n {
		x = append(x, int8(j-32))
	}
	for s := 0; s <= 31; s++ {
		for _, base := range []int64{0, 1 << 20, -1 << 20, 1 << 29, -1 << 29} {
			half := int64(1) << max(s-1, 0)
			b := base + half
			if b > math.MaxInt32-64 || b < math.MinInt32+64 {
				continue
			}
			bias = append(bias, int32(b), int32(-b))
			mul = append(mul, 1<<30, 1<<30)
			shift = append(shift, int32(-s+1), int32(-s+1))
		}
	}
	m := len(bias)
	w := make([]int8, m)
	for i := range w {
		w[i] = 1
	}
	for _, zp := range []int32{-128, 0, 127} {
		want := make([]int8, m*n)
		for i := range m {
			for j := range n {
				want[i*n+j] = quant.Requantize(bias[i]+int32(x[j]), mul[i], int(shift[i]), zp, -128, 127)
			}
		}
		for _, path := range Paths() {
			require.NoError(t, Use(path))
			p := PackInt8(w, m, 1)
			rq := &Requant{Bias: bias, Multiplier: mul, Shift: shift, ZeroPoint: zp, Min: -128, Max: 127}
			got := make([]int8, m*n)
			GemmInt8(p, x, n, n, 1, rq, got, n, 1)
			for e := range got {
				if got[e] != want[e] {
					i, j := e/n, e%n
					t.Fatalf("%s zp %d: (%d, %d) of %d×%d: acc %d shift %d: got %d, want %d", path, zp, i, j, m, n,
						bias[i]+int32(x[j]), shift[i], got[e], want[e])
				}
			}
		}
	}
}
