package quant_test

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/quant"
)

// edges are int32 values around every boundary the fixed-point code cares
// about: the ends of the range, 0, ±1 and the 2^30 nudge.
var edges = []int32{
	math.MinInt32, math.MinInt32 + 1, -(1 << 30) - 1, -(1 << 30), -(1 << 30) + 1,
	-65536, -3, -2, -1, 0, 1, 2, 3, 65536,
	(1 << 30) - 1, 1 << 30, (1 << 30) + 1, math.MaxInt32 - 1, math.MaxInt32,
}

// refSRDHM is floor(a*b/2^31 + 1/2), saturated: round to nearest, ties up,
// which is what SQRDMULH computes. Independent of the nudge formulation.
func refSRDHM(a, b int32) int32 {
	if a == math.MinInt32 && b == math.MinInt32 {
		return math.MaxInt32
	}
	ab := int64(a) * int64(b)
	return int32((ab + 1<<30) >> 31) // arithmetic shift = floor
}

// refRDBP is x/2^e rounded half away from zero, via magnitudes in int64.
func refRDBP(x int32, e int) int32 {
	if e == 0 {
		return x
	}
	m := int64(x)
	neg := m < 0
	if neg {
		m = -m
	}
	r := (m + int64(1)<<(e-1)) >> e
	if neg {
		r = -r
	}
	return int32(r)
}

// randInt32 draws int32 values of every magnitude, not just huge ones.
func randInt32(r *rand.Rand) int32 {
	v := int32(r.Uint32())
	switch r.IntN(4) {
	case 0:
		return v
	case 1:
		return v >> r.IntN(32)
	case 2:
		return edges[r.IntN(len(edges))] + int32(r.IntN(5)) - 2 // wraps near the ends, on purpose
	}
	return int32(r.IntN(2001) - 1000)
}

func TestSaturatingRoundingDoublingHighMul(t *testing.T) {
	tests := []struct {
		a, b, want int32
	}{
		{math.MinInt32, math.MinInt32, math.MaxInt32}, // the one overflow saturates
		{math.MinInt32, math.MinInt32 + 1, math.MaxInt32},
		{math.MaxInt32, math.MaxInt32, math.MaxInt32 - 1},
		{math.MinInt32, math.MaxInt32, -math.MaxInt32},
		{math.MinInt32, 1 << 30, -(1 << 30)},
		{math.MinInt32, -1, 1},
		{math.MinInt32, 1, -1},
		{1 << 30, 1 << 30, 1 << 29},
		{0, math.MinInt32, 0},
		{1, 1, 0},
		{-1, 1, 0},
		// Exact halves: ties go toward +∞ (nudge 1<<30 for ab >= 0, 1-(1<<30) below).
		{1, 1 << 30, 1},   // 0.5
		{-1, 1 << 30, 0},  // -0.5
		{3, 1 << 30, 2},   // 1.5
		{-3, 1 << 30, -1}, // -1.5
		{5, 1 << 30, 3},   // 2.5
		{-5, 1 << 30, -2}, // -2.5
		// Just off the half on either side.
		{(1 << 30) - 1, 1, 0},            // 0.4999999995
		{(1 << 30) + 1, 1, 1},            // 0.5000000005
		{-(1 << 30) + 1, 1, 0},           // -0.4999999995
		{-(1 << 30) - 1, 1, -1},          // -0.5000000005
		{-(1 << 30), -1, 1},              // 0.5 from two negatives
		{1 << 30, -1, 0},                 // -0.5
		{math.MaxInt32, 1, 1},            // 0.9999999995
		{math.MaxInt32, -1, -1},          // -0.9999999995
		{math.MaxInt32, 2, 2},            // 1.999999999
		{1000, 1 << 30, 500},             // exact
		{-1000, 1 << 30, -500},           // exact
		{1001, 1 << 29, 250},             // 250.25
		{-1001, 1 << 29, -250},           // -250.25
		{1003, 1 << 29, 251},             // 250.75
		{-1003, 1 << 29, -251},           // -250.75
		{123456789, 987654321, 56779306}, // 56779305.9...
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d*%d", tt.a, tt.b), func(t *testing.T) {
			assert.Equal(t, tt.want, quant.SaturatingRoundingDoublingHighMul(tt.a, tt.b))
			assert.Equal(t, tt.want, quant.SaturatingRoundingDoublingHighMul(tt.b, tt.a), "commutes")
			assert.Equal(t, tt.want, refSRDHM(tt.a, tt.b), "reference agrees with the table")
		})
	}
}

func TestSaturatingRoundingDoublingHighMulMatchesReference(t *testing.T) {
	for _, a := range edges {
		for _, b := range edges {
			require.Equal(t, refSRDHM(a, b), quant.SaturatingRoundingDoublingHighMul(a, b), "%d*%d", a, b)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 300_000 {
		a, b := randInt32(r), randInt32(r)
		if got, want := quant.SaturatingRoundingDoublingHighMul(a, b), refSRDHM(a, b); got != want {
			require.Equal(t, want, got, "%d*%d", a, b)
		}
	}
}

func TestRoundingDivideByPOT(t *testing.T) {
	tests := []struct {
		x    int32
		e    int
		want int32
	}{
		{math.MinInt32, 0, math.MinInt32},
		{math.MaxInt32, 0, math.MaxInt32},
		{-1, 0, -1},
		{5, 1, 3},   // 2.5 away from zero
		{-5, 1, -3}, // -2.5 away from zero
		{4, 1, 2},
		{-4, 1, -2},
		{3, 1, 2},
		{-3, 1, -2},
		{1, 1, 1},
		{-1, 1, -1},
		{2, 2, 1},   // 0.5
		{-2, 2, -1}, // -0.5
		{5, 2, 1},   // 1.25
		{-5, 2, -1},
		{6, 2, 2}, // 1.5
		{-6, 2, -2},
		{7, 2, 2}, // 1.75
		{-7, 2, -2},
		{-4, 2, -1},
		{-4, 3, -1}, // -0.5
		{-3, 3, 0},  // -0.375
		{math.MinInt32, 1, -(1 << 30)},
		{math.MaxInt32, 1, 1 << 30}, // 1073741823.5
		{math.MinInt32, 31, -1},
		{math.MaxInt32, 31, 1}, // 0.99999999953
		{1 << 30, 31, 1},       // 0.5
		{-(1 << 30), 31, -1},   // -0.5
		{(1 << 30) - 1, 31, 0},
		{-(1 << 30) + 1, 31, 0},
		{(1 << 30) + 1, 31, 1},
		{-(1 << 30) - 1, 31, -1},
		{0, 31, 0},
		{-1, 31, 0},
		{1, 31, 0},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d>>%d", tt.x, tt.e), func(t *testing.T) {
			assert.Equal(t, tt.want, quant.RoundingDivideByPOT(tt.x, tt.e))
			assert.Equal(t, tt.want, refRDBP(tt.x, tt.e), "reference agrees with the table")
		})
	}
}

func TestRoundingDivideByPOTExhaustive(t *testing.T) {
	// Every exponent against every small x (all ties of the small exponents
	// included), the edges, and random x.
	r := rand.New(rand.NewPCG(3, 4))
	for e := 0; e <= 31; e++ {
		for x := int32(-70_000); x <= 70_000; x++ {
			if got, want := quant.RoundingDivideByPOT(x, e), refRDBP(x, e); got != want {
				require.Equal(t, want, got, "%d>>%d", x, e)
			}
		}
		for _, x := range edges {
			require.Equal(t, refRDBP(x, e), quant.RoundingDivideByPOT(x, e), "%d>>%d", x, e)
		}
		for range 20_000 {
			x := randInt32(r)
			if got, want := quant.RoundingDivideByPOT(x, e), refRDBP(x, e); got != want {
				require.Equal(t, want, got, "%d>>%d", x, e)
			}
		}
	}
}

func TestRoundingDivideByPOTPanicsOutOfRange(t *testing.T) {
	assert.Panics(t, func() { quant.RoundingDivideByPOT(1, -1) })
	assert.Panics(t, func() { quant.RoundingDivideByPOT(1, 32) })
}

func TestQuantizeMultiplier(t *testing.T) {
	tests := []struct {
		real      float64
		wantM     int32
		wantShift int
	}{
		{0, 0, 0},
		{math.Copysign(0, -1), 0, 0},
		{0.5, 1 << 30, 0},
		{1, 1 << 30, 1},
		{2, 1 << 30, 2},
		{0.25, 1 << 30, -1},
		{0.75, 3 << 29, 0},
		{1.5, 3 << 29, 1},
		{0x1p30, 1 << 30, 31},                   // the largest shift
		{0x1p-32, 1 << 30, -31},                 // the smallest shift
		{0x1p-33, 0, 0},                         // shift -32 < -31: the product is 0
		{0x1.fffffp-34, 0, 0},                   // still shift -32
		{0x1p-32 * 0.99999999999, 1 << 30, -31}, // shift -32, but frac rounds up to 2^31: rescued
		{0.99999999999, 1 << 30, 1},             // rounds up to 2^31: halved, shift+1
		{0.49999999999, 1 << 30, 0},
		{1 - 0x1p-32, 1 << 30, 1}, // frac*2^31 = 2^31-0.5: the tie rounds away from zero
		{1 - 0x1p-31, math.MaxInt32, 0},
		{0.1, 1717986918, -3},    // 0.8*2^31 = 1717986918.4
		{0.0123, 1690499128, -6}, // 0.7872*2^31 = 1690499127.7
		{3.14159265358979, 1686629713, 2},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.real), func(t *testing.T) {
			m, shift := quant.QuantizeMultiplier(tt.real)
			assert.Equal(t, tt.wantM, m, "multiplier")
			assert.Equal(t, tt.wantShift, shift, "shift")
		})
	}
}

func TestQuantizeMultiplierPanics(t *testing.T) {
	for _, real := range []float64{-1, -0x1p-40, math.NaN(), math.Inf(1), math.Inf(-1), 0x1p31, 1e300} {
		assert.Panics(t, func() { quant.QuantizeMultiplier(real) }, "%v", real)
		assert.Error(t, quant.CheckMultiplier(real), "%v", real)
	}
	// The largest accepted reals, and the first one rounding up to 2^31.
	for _, real := range []float64{0, 1e-300, 0x1p31 - 1} {
		assert.NoError(t, quant.CheckMultiplier(real), "%v", real)
		assert.NotPanics(t, func() { quant.QuantizeMultiplier(real) }, "%v", real)
	}
	require.Error(t, quant.CheckMultiplier(0x1p31-0.5), "rounds to 2^31")
}

// TestQuantizeMultiplierRandom checks the representation against float64 on
// log-uniform reals: the multiplier is normalised and within half a unit of
// the Q31 value (real*2^(31-shift) is exact in float64, and so is its
// difference with an integer of the same binade).
func TestQuantizeMultiplierRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 200_000 {
		real := math.Exp2(-40 + 70*r.Float64())
		m, shift := quant.QuantizeMultiplier(real)
		if m == 0 {
			if shift != 0 || real >= 0x1p-32 {
				t.Fatalf("%v -> (0, %d): only reals below 2^-32 vanish, with shift 0", real, shift)
			}
			continue
		}
		exact := math.Ldexp(real, 31-shift)
		if m < 1<<30 || shift < -31 || shift > 31 || math.Abs(float64(m)-exact) > 0.5 {
			t.Fatalf("%v -> (%d, %d): want m in [2^30, 2^31), shift in [-31, 31], |m - %v| <= 1/2", real, m, shift, exact)
		}
	}
}

func TestMultiplyByQuantizedMultiplier(t *testing.T) {
	tests := []struct {
		acc, m int32
		shift  int
		want   int32
	}{
		{100, 1 << 30, 0, 50},
		{3, 1 << 30, 0, 2},   // 1.5: SRDHM ties up
		{-3, 1 << 30, 0, -1}, // -1.5: SRDHM ties up, not away from zero
		{3, 1 << 30, -1, 1},  // 0.75: 2 then 2/2
		{-3, 1 << 30, -1, -1},
		{1000, 1 << 30, -3, 63}, // 62.5: 500 then 500/8 away from zero
		{-1000, 1 << 30, -3, -63},
		// Double rounding: exact 0.4999999998, but 2^31-1 -> 2^30 -> 1.
		{math.MaxInt32, 1 << 30, -31, 1},
		{math.MinInt32, 1 << 30, -31, -1}, // -0.5 exactly, away from zero
		{100, 1 << 30, 2, 200},            // left shift
		{-100, 3 << 29, 3, -600},          // -100 * 0.75 * 8
		// Left shifts saturate: the result is the end of the int32 range, halved.
		{math.MaxInt32, 1 << 30, 1, 1 << 30},
		{1 << 30, 1 << 30, 2, 1 << 30},
		{math.MinInt32, 1 << 30, 1, -(1 << 30)},
		{-(1 << 29), math.MaxInt32, 31, math.MinInt32 + 1},
		{0, math.MaxInt32, 31, 0},
		{12345, 0, 0, 0}, // a vanished multiplier
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d*%d<<%d", tt.acc, tt.m, tt.shift), func(t *testing.T) {
			assert.Equal(t, tt.want, quant.MultiplyByQuantizedMultiplier(tt.acc, tt.m, tt.shift))
		})
	}
	assert.Panics(t, func() { quant.MultiplyByQuantizedMultiplier(1, 1<<30, -32) })
	assert.Panics(t, func() { quant.MultiplyByQuantizedMultiplier(1, 1<<30, 32) })
}

// TestMultiplyByQuantizedMultiplierBound compares against the exact rational
// x*M*2^(shift-31) (x = acc << left, when that does not saturate): the
// result is within 1/2 + 2^-(right+1) of it when right > 0 and within 1/2 when
// right == 0, so it is always floor or ceil of the exact value. Scaled by
// 2^(32+right): |res*2^(32+right) - 2*x*M| <= 2^(31+right) + [right > 0]*2^31.
func TestMultiplyByQuantizedMultiplierBound(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	var got, prod, bound, tmp big.Int
	for i := range 200_000 {
		acc := randInt32(r)
		m := int32(1<<30 + r.Int64N(1<<30))
		shift := -31 + r.IntN(36) // mostly right shifts, some left
		if i%10 == 0 {
			shift = -r.IntN(4) // small shifts: many results far from 0
		}
		left, right := max(shift, 0), max(-shift, 0)
		x := int64(acc) << left
		if x > math.MaxInt32 || x < math.MinInt32 {
			continue // saturated: covered by the table
		}
		res := quant.MultiplyByQuantizedMultiplier(acc, m, shift)

		got.Lsh(big.NewInt(int64(res)), uint(32+right))
		prod.Mul(big.NewInt(x), big.NewInt(int64(m)))
		prod.Lsh(&prod, 1)
		got.Sub(&got, &prod)
		got.Abs(&got)
		bound.Lsh(big.NewInt(1), uint(31+right))
		if right > 0 {
			bound.Add(&bound, tmp.Lsh(big.NewInt(1), 31))
		}
		if got.Cmp(&bound) > 0 {
			t.Fatalf("acc %d m %d shift %d -> %d: 2^(32+right)*error %v > %v", acc, m, shift, res, &got, &bound)
		}
	}
}

// TestMultiplyByQuantizedMultiplierReal checks the whole path from a real
// multiplier: MultiplyByQuantizedMultiplier(acc, QuantizeMultiplier(real))
// is within 1/2 + 2^-(right+1) + |acc*real|*2^-31 (the multiplier's own
// error) of acc*real, so below 1 for the accumulators that matter.
func TestMultiplyByQuantizedMultiplierReal(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for range 200_000 {
		real := math.Exp2(-24 + 26*r.Float64()) // [2^-24, 4)
		m, shift := quant.QuantizeMultiplier(real)
		acc := int32(r.Int64N(1<<25) - 1<<24)
		exact := float64(acc) * real
		res := quant.MultiplyByQuantizedMultiplier(acc, m, shift)
		bound := 0.5 + math.Abs(exact)*0x1p-31 + 1e-9
		if shift < 0 {
			bound += math.Ldexp(1, shift-1)
		}
		if math.Abs(float64(res)-exact) > bound {
			t.Fatalf("acc %d real %v -> %d, exact %v: error over %v", acc, real, res, exact, bound)
		}
	}
}

func TestRequantize(t *testing.T) {
	tests := []struct {
		name             string
		acc, m           int32
		shift            int
		zp, lo, hi, want int32
	}{
		{"plain", 1000, 1 << 30, -3, -128, -128, 127, -65}, // 63 - 128
		{"negative", -1000, 1 << 30, -3, 5, -128, 127, -58},
		{"zero acc is the zero point", 0, 1 << 30, -3, 17, -128, 127, 17},
		{"clamp high", 1 << 20, 1 << 30, -3, 0, -128, 127, 127},
		{"clamp low", -1 << 20, 1 << 30, -3, 0, -128, 127, -128},
		{"relu clamp", -1000, 1 << 30, -3, -10, -10, 127, -10},
		{"relu6 clamp", 1000, 1 << 30, -3, -10, -10, 40, 40},
		// MaxInt32-1 + 127 overflows int32: the sum does not wrap.
		{"no wrap", math.MaxInt32, math.MaxInt32, 0, 127, -128, 127, 127},
		{"no wrap low", math.MinInt32, math.MaxInt32, 0, -128, -128, 127, -128},
		// A saturating left shift still clamps to the right end.
		{"saturated left shift", math.MaxInt32, 1 << 30, 5, 0, -128, 127, 127},
		{"saturated left shift low", math.MinInt32, 1 << 30, 5, 0, -128, 127, -128},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := quant.Requantize(tt.acc, tt.m, tt.shift, tt.zp, tt.lo, tt.hi)
			assert.Equal(t, int8(tt.want), got)
		})
	}
	for _, r := range [][2]int32{{-129, 127}, {-128, 128}, {10, 9}} {
		assert.Panics(t, func() { quant.Requantize(0, 1<<30, 0, 0, r[0], r[1]) }, "%v", r)
	}
}

// TestRequantizeComposes pins the definition: Requantize is
// MultiplyByQuantizedMultiplier, plus the zero point, clamped.
func TestRequantizeComposes(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for range 100_000 {
		acc := randInt32(r)
		m := int32(1<<30 + r.Int64N(1<<30))
		shift := -31 + r.IntN(40)
		zp := int32(r.IntN(256) - 128)
		lo := int32(r.IntN(256) - 128)
		hi := lo + int32(r.IntN(int(128-lo)))
		want := int64(quant.MultiplyByQuantizedMultiplier(acc, m, shift)) + int64(zp)
		want = max(int64(lo), min(want, int64(hi)))
		if got := quant.Requantize(acc, m, shift, zp, lo, hi); got != int8(want) {
			t.Fatalf("Requantize(%d, %d, %d, %d, %d, %d) = %d, want %d", acc, m, shift, zp, lo, hi, got, want)
		}
	}
}

func TestDequantizeAccumulator(t *testing.T) {
	s := quant.AccumulatorScale(0.02, 0.004)
	require.Equal(t, float32(float64(float32(0.02))*float64(float32(0.004))), s)
	require.Equal(t, float32(0), quant.DequantizeAccumulator(0, s))
	require.InDelta(t, -12345*0.02*0.004, quant.DequantizeAccumulator(-12345, s), 1e-7)
	// Above 2^24 the conversion rounds to nearest even before the product.
	require.Equal(t, float32(1<<24)*0.5, quant.DequantizeAccumulator(1<<24+1, 0.5))
	require.Equal(t, float32(1<<24+4)*0.5, quant.DequantizeAccumulator(1<<24+3, 0.5)) // a tie, to the even 2^24+4
}
