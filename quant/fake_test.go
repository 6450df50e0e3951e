package quant

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestFakeQuantizeWeightsIsDequantizedQuantizeWeights(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const channels, n = 5, 37
	w := make([]float32, channels*n)
	for i := range w {
		w[i] = float32(rng.NormFloat64()) * float32(i%channels+1)
	}
	// An all-zero channel and a tie at half a step.
	clear(w[2*n : 3*n])
	w[3*n], w[3*n+1] = 127, 0.5
	q, scales := QuantizeWeights(w, channels)
	got, gotScales := make([]float32, len(w)), make([]float32, channels)
	FakeQuantizeWeights(got, gotScales, w)
	require.Equal(t, scales, gotScales)
	for i := range w {
		require.Equal(t, scales[i/n]*float32(q[i]), got[i], "weight %d", i)
	}
	require.Equal(t, float32(1), got[3*n+1], "0.5 rounds half away from zero")
	require.Panics(t, func() { FakeQuantizeWeights(got[1:], gotScales, w) })
}

func TestFakeQuantizeBiasIsDequantizedQuantizeBias(t *testing.T) {
	b := []float32{0.3, -1.7, 0, 1e-3, 25}
	scales := []float32{0.01, 0.02, 0.5, 0.001, 0.003}
	var in float32 = 0.04
	q := QuantizeBias(b, in, scales)
	got := make([]float32, len(b))
	FakeQuantizeBias(got, b, in, scales)
	for c := range b {
		require.Equal(t, float32(float64(q[c])*float64(in)*float64(scales[c])), got[c], "bias %d", c)
	}
}

func TestFakeQuantize(t *testing.T) {
	p := ChooseParams(-1, 3) // scale 4/255
	for _, tc := range []struct {
		x       float32
		inRange bool
	}{{0, true}, {1.2345, true}, {-1, true}, {3, true}, {-1.1, false}, {3.1, false}, {-1 - 0.4*p.Scale, true}} {
		y, ok := FakeQuantize(tc.x, p)
		require.Equal(t, Dequantize(Quantize(tc.x, p), p), y, "x %v", tc.x)
		require.Equal(t, tc.inRange, ok, "x %v", tc.x)
	}
}
