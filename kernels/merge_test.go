package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/quant"
)

// TestAddInt8 compares the fixed-point addition with the real sum of the
// dequantized inputs, requantized: the two may differ by one step only.
func TestAddInt8(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 5))
	for range 200 {
		pa, pb, po := randomParams(rng), randomParams(rng), randomParams(rng)
		twiceMax := 2 * math.Max(float64(pa.Scale), float64(pb.Scale))
		p := AddParams{InZeroPoint: [2]int32{pa.ZeroPoint, pb.ZeroPoint}, OutZeroPoint: po.ZeroPoint, Min: -128, Max: 127}
		for k, in := range []quant.Params{pa, pb} {
			m, s := quant.QuantizeMultiplier(float64(in.Scale) / twiceMax)
			p.InMultiplier[k], p.InShift[k] = m, int32(s)
		}
		m, s := quant.QuantizeMultiplier(twiceMax / (float64(int64(1)<<AddLeftShift) * float64(po.Scale)))
		p.OutMultiplier, p.OutShift = m, int32(s)
		a, b, dst := make([]int8, 256), make([]int8, 256), make([]int8, 256)
		for i := range a {
			a[i], b[i] = int8(i-128), int8(rng.IntN(256)-128)
		}
		AddInt8(dst, a, b, &p)
		for i := range dst {
			real := float64(pa.Scale)*float64(int32(a[i])-pa.ZeroPoint) + float64(pb.Scale)*float64(int32(b[i])-pb.ZeroPoint)
			want := math.Max(-128, math.Min(127, math.Round(real/float64(po.Scale))+float64(po.ZeroPoint)))
			require.InDelta(t, want, float64(dst[i]), 1, "a=%d b=%d %+v %+v -> %+v", a[i], b[i], pa, pb, po)
		}
	}
}

func TestRequantizeInt8(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 7))
	for range 200 {
		in, out := randomParams(rng), randomParams(rng)
		m, s := quant.QuantizeMultiplier(float64(in.Scale) / float64(out.Scale))
		src, dst := make([]int8, 256), make([]int8, 256)
		for i := range src {
			src[i] = int8(i - 128)
		}
		RequantizeInt8(dst, src, in.ZeroPoint, m, int32(s), out.ZeroPoint)
		for i, v := range src {
			real := float64(in.Scale) * float64(int32(v)-in.ZeroPoint)
			want := math.Max(-128, math.Min(127, math.Round(real/float64(out.Scale))+float64(out.ZeroPoint)))
			require.InDelta(t, want, float64(dst[i]), 1)
		}
	}
}

func randomParams(rng *rand.Rand) quant.Params {
	return quant.Params{Scale: float32(math.Exp(rng.Float64()*6 - 5)), ZeroPoint: int32(rng.IntN(256) - 128)}
}
