//go:build unix

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

// TestAddInt8Paths checks every path against the Go loop, bit for bit:
// parameters as the engine derives them and arbitrary ones (any zero
// points, multipliers of either sign, shifts in [-31, 31], clamps),
// lengths with every tail of the SIMD steps, extreme inputs, dst aliasing
// an input, and every operand ending at an inaccessible page.
func TestAddInt8Paths(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	aMem, bMem, dMem := guarded(t, 4096), guarded(t, 4096), guarded(t, 4096)
	for round := range 400 {
		var p AddParams
		if round%2 == 0 {
			pa, pb, po := randomParams(rng), randomParams(rng), randomParams(rng)
			twiceMax := 2 * math.Max(float64(pa.Scale), float64(pb.Scale))
			p = AddParams{InZeroPoint: [2]int32{pa.ZeroPoint, pb.ZeroPoint}, OutZeroPoint: po.ZeroPoint, Min: -128, Max: 127}
			for k, in := range []quant.Params{pa, pb} {
				m, s := quant.QuantizeMultiplier(float64(in.Scale) / twiceMax)
				p.InMultiplier[k], p.InShift[k] = m, int32(s)
			}
			m, s := quant.QuantizeMultiplier(twiceMax / (float64(int64(1)<<AddLeftShift) * float64(po.Scale)))
			p.OutMultiplier, p.OutShift = m, int32(s)
		} else {
			shift := func() int32 {
				if rng.IntN(8) == 0 {
					return int32(rng.IntN(32))
				}
				return -int32(rng.IntN(32))
			}
			p = AddParams{InZeroPoint: [2]int32{randZeroPoint(rng, round/2), randZeroPoint(rng, rng.IntN(4))},
				InMultiplier: [2]int32{int32(rng.Uint32()), int32(rng.Uint32())}, InShift: [2]int32{shift(), shift()},
				OutMultiplier: int32(rng.Uint32()), OutShift: shift(), OutZeroPoint: randZeroPoint(rng, rng.IntN(4))}
			p.Min = int32(rng.IntN(256) - 128)
			p.Max = p.Min + int32(rng.IntN(128-int(p.Min)))
		}
		n := rng.IntN(100)
		if round%10 == 0 {
			n = 4096
		}
		a := aMem[len(aMem)-n:]
		b := bMem[len(bMem)-n:]
		copy(a, randInt8(rng, n, round%4, -128))
		copy(b, randInt8(rng, n, rng.IntN(4), -128))
		want := make([]int8, n)
		addInt8Generic(want, a, b, &p)
		for _, path := range Paths() {
			usePath(t, path)
			dst := dMem[len(dMem)-n:]
			AddInt8(dst, a, b, &p)
			require.Equal(t, want, []int8(dst), "%s: %+v n=%d", path, p, n)
			if n > 0 {
				saved := append([]int8(nil), a...)
				AddInt8(a, a, b, &p)
				require.Equal(t, want, []int8(a), "%s: in place", path)
				copy(a, saved)
			}
		}
	}
}

func BenchmarkAddInt8(b *testing.B) {
	p := &AddParams{InMultiplier: [2]int32{1 << 30, 1<<30 + 12345}, InShift: [2]int32{-1, -2},
		OutMultiplier: 1<<30 + 999, OutShift: -17, InZeroPoint: [2]int32{3, -5}, OutZeroPoint: 7, Min: -128, Max: 127}
	r := rand.New(rand.NewPCG(10, 11))
	x, y, d := randInt8(r, 56*56*64, 0, -128), randInt8(r, 56*56*64, 0, -128), make([]int8, 56*56*64)
	for _, path := range Paths() {
		b.Run(path+"/56x56x64", func(b *testing.B) {
			usePath(b, path)
			loopMin(b, func() { AddInt8(d, x, y, p) })
		})
	}
}
