package quant_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/quant"
)

// TestMulIsTheRealProduct checks the definition against real arithmetic:
// for every pair of int8 inputs, the product requantized is one of the
// two output codes next to the real product's (the double rounding of
// MultiplyByQuantizedMultiplier does not always give the nearest).
func TestMulIsTheRealProduct(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 14))
	for trial := range 60 {
		pa, pb, po := randomMulParams(rng), randomMulParams(rng), randomMulParams(rng)
		if trial == 0 {
			// An SE gate: sigmoid output in [0, 1] times activations.
			pa, pb, po = quant.Params{Scale: 0.05, ZeroPoint: -3}, quant.Params{Scale: 1.0 / 255, ZeroPoint: -128}, quant.Params{Scale: 0.04, ZeroPoint: -10}
		}
		p, err := quant.NewMul(pa, pb, po)
		require.NoError(t, err)
		for a := -128; a <= 127; a++ {
			for b := -128; b <= 127; b++ {
				got := float64(p.Mul(int8(a), int8(b)))
				real := float64(pa.Scale) * float64(int32(a)-pa.ZeroPoint) * float64(pb.Scale) * float64(int32(b)-pb.ZeroPoint)
				exact := real/float64(po.Scale) + float64(po.ZeroPoint)
				lo := math.Max(-128, math.Min(127, math.Floor(exact)))
				hi := math.Max(-128, math.Min(127, math.Ceil(exact)))
				if got != lo && got != hi {
					t.Fatalf("%d * %d under %+v %+v -> %+v: got %v, exact %v", a, b, pa, pb, po, got, exact)
				}
			}
		}
	}
}

func randomMulParams(rng *rand.Rand) quant.Params {
	return quant.Params{Scale: float32(math.Exp(rng.Float64()*8 - 6)), ZeroPoint: int32(rng.IntN(256) - 128)}
}

func TestNewMulRefusesHugeMultipliers(t *testing.T) {
	big := quant.Params{Scale: 1e30, ZeroPoint: 0}
	tiny := quant.Params{Scale: 1e-30, ZeroPoint: 0}
	_, err := quant.NewMul(big, big, tiny)
	require.ErrorContains(t, err, "outside [0, 2^31)")
	p, err := quant.NewMul(tiny, tiny, big)
	require.NoError(t, err)
	require.Equal(t, int8(0), p.Mul(127, 127), "a product below the output's resolution is 0")
}
