package kernels

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/quant"
)

// mulCases are multiplications whose requantization shifts right (the
// usual case), not at all, and left (an output scale finer than the
// inputs'), with extreme zero points.
func mulCases(rng *rand.Rand) []quant.MulParams {
	var cases []quant.MulParams
	for _, real := range []float64{0.003, 0.4, 0.75, 1, 3.5, 200, 70000} {
		for range 3 {
			a, b, out := randomParams(rng), randomParams(rng), randomParams(rng)
			out.Scale = float32(float64(a.Scale) * float64(b.Scale) / real)
			p, err := quant.NewMul(a, b, out)
			if err != nil {
				panic(err)
			}
			cases = append(cases, p)
		}
	}
	cases[0].AZeroPoint, cases[0].BZeroPoint, cases[0].OutZeroPoint = -128, 127, -128
	cases[1].AZeroPoint, cases[1].BZeroPoint, cases[1].OutZeroPoint = 127, -128, 127
	return cases
}

// TestMulInt8 runs every pair of int8 inputs through MulInt8 and compares
// with the definition, quant.MulParams.Mul.
func TestMulInt8(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 1))
	a, b := make([]int8, 1<<16), make([]int8, 1<<16)
	for i := range a {
		a[i], b[i] = int8(i>>8), int8(i)
	}
	dst := make([]int8, len(a))
	for _, p := range mulCases(rng) {
		MulInt8(dst, a, b, &p)
		for i := range dst {
			if want := p.Mul(a[i], b[i]); dst[i] != want {
				t.Fatalf("%d * %d under %+v: got %d, want %d", a[i], b[i], p, dst[i], want)
			}
		}
	}
}

// TestMulChannelsInt8 gates 256 channels, one per int8 value, of planes
// holding every int8 value (and an odd plane size), against the
// definition.
func TestMulChannelsInt8(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 2))
	for _, plane := range []int{256, 7} {
		gate := make([]int8, 256)
		for c := range gate {
			gate[c] = int8(c)
		}
		x := make([]int8, len(gate)*plane)
		for i := range x {
			x[i] = int8(i * 37)
		}
		dst := make([]int8, len(x))
		for _, p := range mulCases(rng) {
			MulChannelsInt8(dst, x, gate, plane, &p)
			for i := range dst {
				if want := p.Mul(x[i], gate[i/plane]); dst[i] != want {
					t.Fatalf("channel %d: %d * %d under %+v: got %d, want %d", i/plane, x[i], gate[i/plane], p, dst[i], want)
				}
			}
		}
	}
	require.Panics(t, func() { MulChannelsInt8(make([]int8, 10), make([]int8, 10), make([]int8, 3), 3, &quant.MulParams{}) })
}
