package quant_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/quant"
)

func TestChooseParams(t *testing.T) {
	tests := []struct {
		name     string
		min, max float32
		want     quant.Params
	}{
		{"degenerate zero", 0, 0, quant.Params{Scale: 1, ZeroPoint: 0}},
		{"underflowing range", 0, 1e-37, quant.Params{Scale: 1, ZeroPoint: 0}},
		{"all positive from zero", 0, 255, quant.Params{Scale: 1, ZeroPoint: -128}},
		{"all positive widened to zero", 10, 255, quant.Params{Scale: 1, ZeroPoint: -128}},
		{"all negative", -255, 0, quant.Params{Scale: 1, ZeroPoint: 127}},
		{"all negative widened to zero", -255, -3, quant.Params{Scale: 1, ZeroPoint: 127}},
		{"int8 range", -128, 127, quant.Params{Scale: 1, ZeroPoint: 0}},
		{"relu6", 0, 6, quant.Params{Scale: 6.0 / 255, ZeroPoint: -128}},
		{"skewed", -1, 254, quant.Params{Scale: 1, ZeroPoint: -127}},
		{"zero point rounds", -10.6, 244.4, quant.Params{Scale: 1, ZeroPoint: -117}}, // -117.4
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := quant.ChooseParams(tt.min, tt.max)
			assert.InDelta(t, tt.want.Scale, got.Scale, float64(tt.want.Scale)*1e-6)
			assert.Equal(t, tt.want.ZeroPoint, got.ZeroPoint)
			assert.Equal(t, int8(got.ZeroPoint), quant.Quantize(0, got), "0 is exactly representable")
		})
	}
	for _, r := range [][2]float32{{1, 0}, {float32(math.NaN()), 1}, {0, float32(math.Inf(1))}} {
		assert.Panics(t, func() { quant.ChooseParams(r[0], r[1]) }, "%v", r)
	}
}

// TestChooseParamsProperties checks random ranges: 0 maps to the zero point
// exactly, the ends of the (widened) range map to the ends of the int8 range,
// and a value inside is recovered within half a step.
func TestChooseParamsProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for range 2000 {
		span := float32(math.Exp2(-10 + 20*r.Float64()))
		var lo, hi float32
		switch r.IntN(3) {
		case 0: // straddles 0
			lo = -span * r.Float32()
			hi = span * r.Float32()
		case 1: // all positive
			lo = span * r.Float32()
			hi = lo + span
		case 2: // all negative
			hi = -span * r.Float32()
			lo = hi - span
		}
		p := quant.ChooseParams(lo, hi)
		require.Greater(t, p.Scale, float32(0))
		require.GreaterOrEqual(t, p.ZeroPoint, int32(-128))
		require.LessOrEqual(t, p.ZeroPoint, int32(127))
		require.Equal(t, int8(p.ZeroPoint), quant.Quantize(0, p))
		require.Zero(t, quant.Dequantize(int8(p.ZeroPoint), p))

		wlo, whi := min(lo, 0), max(hi, 0)
		require.LessOrEqual(t, quant.Quantize(wlo, p), int8(-127), "%v..%v %+v", lo, hi, p)
		require.GreaterOrEqual(t, quant.Quantize(whi, p), int8(126), "%v..%v %+v", lo, hi, p)
		for range 20 {
			x := wlo + (whi-wlo)*r.Float32()
			q := quant.Quantize(x, p)
			back := quant.Dequantize(q, p)
			// Half a step, plus the half step the zero point nudge may move
			// an end by, plus float32 slack.
			limit := p.Scale/2 + 1e-5*max(-wlo, whi)
			if q == -128 || q == 127 {
				limit += p.Scale / 2
			}
			if math.Abs(float64(back-x)) > float64(limit) {
				t.Fatalf("x %v in %v..%v %+v: back %v, error over %v", x, lo, hi, p, back, limit)
			}
		}
	}
}

func TestQuantizeDequantize(t *testing.T) {
	p := quant.Params{Scale: 0.5, ZeroPoint: 10}
	tests := []struct {
		x    float32
		want int8
	}{
		{0, 10},
		{0.25, 11},  // 0.5 steps: half away from zero
		{-0.25, 9},  // -0.5 steps
		{0.75, 12},  // 1.5
		{-1.25, 7},  // -2.5
		{0.24, 10},  // 0.48
		{-0.24, 10}, // -0.48
		{58.5, 127}, // 117 + 10
		{58.75, 127},
		{1000, 127},
		{-69, -128},
		{-1000, -128},
		{float32(math.Inf(1)), 127},
		{float32(math.Inf(-1)), -128},
		{float32(math.NaN()), 10},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, quant.Quantize(tt.x, p), "Quantize(%v)", tt.x)
	}
	assert.Equal(t, float32(58.5), quant.Dequantize(127, p))
	assert.Equal(t, float32(-69), quant.Dequantize(-128, p))
	assert.Equal(t, float32(0), quant.Dequantize(10, p))

	src := []float32{0, 0.25, -1.25, 1000}
	q := make([]int8, len(src))
	quant.QuantizeSlice(q, src, p)
	assert.Equal(t, []int8{10, 11, 7, 127}, q)
	back := make([]float32, len(q))
	quant.DequantizeSlice(back, q, p)
	assert.Equal(t, []float32{0, 0.5, -1.5, 58.5}, back)
	assert.Panics(t, func() { quant.QuantizeSlice(q[:1], src, p) })
	assert.Panics(t, func() { quant.DequantizeSlice(back[:1], q, p) })
}

func TestQuantizeWeights(t *testing.T) {
	w := []float32{
		127, 0.5, -0.5, 2.5, -2.5, 1.49, // channel 0: scale 1, exact ties
		-1, 0.5, 0.25, 0, 0, 0, // channel 1: the negative end is -127, never -128
		0, 0, 0, 0, 0, 0, // channel 2: all zero
		1e-38, -1e-39, 0, 0, 0, 0, // channel 3: scale would underflow
	}
	q, scales := quant.QuantizeWeights(w, 4)
	assert.Equal(t, []float32{1, 1.0 / 127, 1, 1}, scales)
	assert.Equal(t, []int8{
		127, 1, -1, 3, -3, 1,
		-127, 64, 32, 0, 0, 0, // 63.5 rounds away from zero
		0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0,
	}, q)

	assert.Panics(t, func() { quant.QuantizeWeights(w, 5) })
	assert.Panics(t, func() { quant.QuantizeWeights(w, 0) })
	assert.Panics(t, func() { quant.QuantizeWeights([]float32{1, float32(math.NaN())}, 1) })
}

// TestQuantizeWeightsRandom: never -128, the largest magnitude of each
// channel is ±127, and dequantization is within half a step.
func TestQuantizeWeightsRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	for trial := range 200 {
		channels := 1 + r.IntN(16)
		n := 1 + r.IntN(100)
		w := make([]float32, channels*n)
		for c := range channels {
			s := math.Exp2(-20 + 30*r.Float64())
			for i := range n {
				w[c*n+i] = float32(r.NormFloat64() * s)
			}
			if trial%3 == 0 {
				w[c*n] = float32(-10 * s) // a negative extreme
			}
		}
		q, scales := quant.QuantizeWeights(w, channels)
		require.Len(t, q, len(w))
		require.Len(t, scales, channels)
		for c := range channels {
			var maxAbs float32
			var extreme int8
			for i := range n {
				v, qv := w[c*n+i], q[c*n+i]
				if qv == -128 || math.Abs(float64(v-scales[c]*float32(qv))) > float64(scales[c])*0.5*(1+1e-5) {
					t.Fatalf("channel %d value %v -> %d (scale %v): want -127..127 within half a step", c, v, qv, scales[c])
				}
				if a := float32(math.Abs(float64(v))); a > maxAbs {
					maxAbs, extreme = a, qv
				}
			}
			require.Equal(t, int8(127), max(extreme, -extreme), "the largest magnitude maps to ±127")
		}
	}
}

func TestQuantizeBias(t *testing.T) {
	got := quant.QuantizeBias(
		[]float32{1, -1, 0.25, -0.25, 0.2, 1e30, -1e30, 0},
		0.5, []float32{1, 1, 0.5, 0.5, 0.5, 1, 1, 1})
	assert.Equal(t, []int32{2, -2, 1, -1, 1, math.MaxInt32, -math.MaxInt32, 0}, got) // 0.2/0.25 = 0.8

	// One scale for all.
	assert.Equal(t, []int32{4, -6}, quant.QuantizeBias([]float32{1, -1.5}, 0.25, []float32{1}))
	// The bias scale is computed in float64: 3 * 0.1 * 0.1 / (0.1f * 0.1f) is 3.
	assert.Equal(t, []int32{3}, quant.QuantizeBias([]float32{float32(0.1) * float32(0.1) * 3}, 0.1, []float32{0.1}))

	assert.Panics(t, func() { quant.QuantizeBias([]float32{1, 2}, 1, []float32{1, 1, 1}) })
	assert.Panics(t, func() { quant.QuantizeBias([]float32{1}, 0, []float32{1}) })
	assert.Panics(t, func() { quant.QuantizeBias([]float32{float32(math.NaN())}, 1, []float32{1}) })
}

func TestOutputMultipliers(t *testing.T) {
	m, s := quant.OutputMultiplier(0.5, 0.25, 0.5) // 0.25
	assert.Equal(t, int32(1<<30), m)
	assert.Equal(t, -1, s)

	ms, ss, err := quant.OutputMultipliers(0.02, []float32{0.01, 0.004, 1}, 0.05)
	require.NoError(t, err)
	require.Len(t, ms, 3)
	for c, ws := range []float32{0.01, 0.004, 1} {
		wm, wsh := quant.QuantizeMultiplier(float64(float32(0.02)) * float64(ws) / float64(float32(0.05)))
		assert.Equal(t, wm, ms[c])
		assert.Equal(t, wsh, ss[c])
	}
	assert.Equal(t, -1, ss[2], "0.02*1/0.05 = 0.4 = 0.8*2^-1")
}

// TestOutputMultipliersReportExtremeScales: scales that are each positive
// and finite, as a model file may hold them, but whose factor is 2^31 or
// more, are an error naming the channel, where OutputMultiplier panics.
func TestOutputMultipliersReportExtremeScales(t *testing.T) {
	for _, tt := range []struct{ in, fine, w, out float32 }{
		{0.02, 0.5, 3e38, 0.05},
		{0.02, 1e-30, 0.01, 1e-30},
		{1, 1e-45, 1, 1e-45}, // a denormal output scale
		{1, 0.5, 0x1p31, 1},
	} {
		_, _, err := quant.OutputMultipliers(tt.in, []float32{tt.fine, tt.w}, tt.out)
		require.Error(t, err, "%v", tt)
		assert.Contains(t, err.Error(), "output channel 1")
		assert.Panics(t, func() { quant.OutputMultiplier(tt.in, tt.w, tt.out) })
	}
	_, _, err := quant.OutputMultipliers(1, []float32{1e-45}, 1) // a denormal weight scale: the factor is 0
	require.NoError(t, err)
}

func TestAddFactors(t *testing.T) {
	in, sum := quant.AddFactors(quant.Params{Scale: 0.5}, quant.Params{Scale: 0.25}, quant.Params{Scale: 2})
	assert.Equal(t, [2]float64{0.5, 0.25}, in)
	assert.Equal(t, 1.0/(1<<quant.AddLeftShift)/2, sum)
	_, sum = quant.AddFactors(quant.Params{Scale: 1}, quant.Params{Scale: 1}, quant.Params{Scale: 1e-30})
	require.Error(t, quant.CheckMultiplier(sum))
}

func TestActivationRange(t *testing.T) {
	tests := []struct {
		name   string
		act    quant.Activation
		p      quant.Params
		lo, hi int32
	}{
		{"none", quant.None, quant.Params{Scale: 0.1, ZeroPoint: 10}, -128, 127},
		{"relu", quant.ReLU, quant.Params{Scale: 0.1, ZeroPoint: 10}, 10, 127},
		{"relu6", quant.ReLU6, quant.Params{Scale: 0.1, ZeroPoint: 10}, 10, 70},
		{"relu6 full range", quant.ReLU6, quant.ChooseParams(0, 6), -128, 127},
		{"relu6 wide range", quant.ReLU6, quant.Params{Scale: 1, ZeroPoint: -128}, -128, -122},
		{"relu6 narrow range", quant.ReLU6, quant.Params{Scale: 0.01, ZeroPoint: 0}, 0, 127},
		{"relu6 tie", quant.ReLU6, quant.Params{Scale: 4, ZeroPoint: 0}, 0, 2}, // 1.5 -> 2
		{"relu all negative", quant.ReLU, quant.Params{Scale: 1, ZeroPoint: 127}, 127, 127},
		{"relu6 tiny scale", quant.ReLU6, quant.Params{Scale: 1e-30, ZeroPoint: -5}, -5, 127},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lo, hi := quant.ActivationRange(tt.act, tt.p)
			assert.Equal(t, tt.lo, lo, "min")
			assert.Equal(t, tt.hi, hi, "max")
		})
	}
	assert.Panics(t, func() { quant.ActivationRange(quant.Activation(99), quant.Params{Scale: 1}) })
}

func TestParseActivation(t *testing.T) {
	for _, a := range []quant.Activation{quant.None, quant.ReLU, quant.ReLU6} {
		got, err := quant.ParseActivation(a.String())
		require.NoError(t, err)
		assert.Equal(t, a, got)
	}
	got, err := quant.ParseActivation("")
	require.NoError(t, err)
	assert.Equal(t, quant.None, got)
	_, err = quant.ParseActivation("tanh")
	assert.ErrorContains(t, err, `"tanh"`)
	assert.Equal(t, "Activation(7)", quant.Activation(7).String())
}

func TestSQNR(t *testing.T) {
	assert.Equal(t, math.Inf(1), quant.SQNR([]float32{1, -2, 3}, []float32{1, -2, 3}))
	assert.Equal(t, math.Inf(1), quant.SQNR(nil, nil))
	assert.Equal(t, math.Inf(1), quant.SQNR([]float32{0, 0}, []float32{0, 0}))
	assert.Equal(t, math.Inf(-1), quant.SQNR([]float32{0, 0}, []float32{0, 1}))
	// signal 2, noise 0.02: 20 dB.
	assert.InDelta(t, 20, quant.SQNR([]float32{1, 1}, []float32{1.1, 0.9}), 1e-5)
	// signal 1, noise 1: 0 dB.
	assert.InDelta(t, 0, quant.SQNR([]float32{1}, []float32{0}), 1e-12)
	assert.Panics(t, func() { quant.SQNR([]float32{1}, nil) })
}

// TestDotProductEndToEnd runs the whole scheme on a fully connected layer:
// quantize input, weights and bias, accumulate in int32, Requantize, and
// compare with the float layer computed on the dequantized operands. The
// only error left is the output rounding: at most one step.
func TestDotProductEndToEnd(t *testing.T) {
	r := rand.New(rand.NewPCG(25, 26))
	const in, out = 64, 16
	x := make([]float32, in)
	for i := range x {
		x[i] = float32(math.Max(0, r.NormFloat64())) // post-ReLU input
	}
	w := make([]float32, in*out)
	for i := range w {
		w[i] = float32(r.NormFloat64() * 0.1)
	}
	b := make([]float32, out)
	for i := range b {
		b[i] = float32(r.NormFloat64() * 0.1)
	}
	xp := quant.ChooseParams(0, 4)
	qx := make([]int8, in)
	quant.QuantizeSlice(qx, x, xp)
	qw, ws := quant.QuantizeWeights(w, out)
	qb := quant.QuantizeBias(b, xp.Scale, ws)

	// The float reference on the dequantized operands, and the output params.
	ref := make([]float32, out)
	for c := range out {
		s := float64(xp.Scale) * float64(ws[c]) * float64(qb[c])
		for k := range in {
			s += float64(quant.Dequantize(qx[k], xp)) * float64(ws[c]) * float64(qw[c*in+k])
		}
		ref[c] = float32(s)
	}
	yp := quant.ChooseParams(-3, 3)
	ms, ss, err := quant.OutputMultipliers(xp.Scale, ws, yp.Scale)
	require.NoError(t, err)
	lo, hi := quant.ActivationRange(quant.None, yp)
	got := make([]float32, out)
	for c := range out {
		acc := qb[c]
		for k := range in {
			acc += (int32(qx[k]) - xp.ZeroPoint) * int32(qw[c*in+k])
		}
		q := quant.Requantize(acc, ms[c], ss[c], yp.ZeroPoint, lo, hi)
		got[c] = quant.Dequantize(q, yp)
		want := max(float64(quant.Dequantize(-128, yp)), min(float64(ref[c]), float64(quant.Dequantize(127, yp))))
		bound := float64(yp.Scale) * (0.5 + math.Ldexp(1, ss[c]-1) + 1e-4)
		require.InDelta(t, want, float64(got[c]), bound, "channel %d", c)
	}
	assert.Greater(t, quant.SQNR(ref, got), 25.0)
}
