package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// adamValue returns an Adam operand: mostly gradient-sized, sometimes at
// the thresholds of FlushTiny and of the g*g term, subnormal, zero of
// either sign, huge, infinite or NaN.
func adamValue(r *rand.Rand) float32 {
	sign := float32(1 - 2*r.IntN(2))
	switch r.IntN(20) {
	case 0:
		return 0 * sign
	case 1:
		return Tiny * sign
	case 2:
		return math.Nextafter32(Tiny, 0) * sign
	case 3:
		return adamMinGrad * sign
	case 4:
		return math.Nextafter32(adamMinGrad, 0) * sign
	case 5:
		return float32(r.Float64()) * 1e-38 * sign // subnormal or near
	case 6:
		return float32(r.NormFloat64()) * 1e30
	case 7:
		return float32(math.Inf(1)) * sign
	case 8:
		return float32(math.NaN())
	case 9:
		return float32(r.NormFloat64()) * 1e-20
	}
	return float32(r.NormFloat64()) * 1e-3
}

// adamCase is one call: the state and gradients of n elements.
type adamCase struct {
	w, m, v, g []float32
	h          Adam
}

func newAdamCase(r *rand.Rand, n int) adamCase {
	c := adamCase{w: make([]float32, n), m: make([]float32, n), v: make([]float32, n), g: make([]float32, n)}
	for i := range n {
		c.w[i], c.m[i], c.g[i] = adamValue(r), adamValue(r), adamValue(r)
		c.v[i] = float32(math.Abs(float64(adamValue(r)))) // v is a sum of squares
	}
	t := 1 + r.IntN(1000)
	c.h = Adam{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, LR: float32(r.Float64()) * 1e-2,
		R1: float32(1 / (1 - math.Pow(0.9, float64(t)))), R2: float32(1 / (1 - math.Pow(0.999, float64(t))))}
	if r.IntN(2) == 0 {
		c.h.Decay = 5e-4
	}
	return c
}

// run applies AdamF32 to copies of c's state and returns them.
func (c adamCase) run() (w, m, v []float32) {
	w, m, v = append([]float32(nil), c.w...), append([]float32(nil), c.m...), append([]float32(nil), c.v...)
	AdamF32(w, m, v, c.g, &c.h)
	return w, m, v
}

// TestAdamF32Paths: every path gives the generic path's bits, over lengths
// with every tail and operands at every threshold.
func TestAdamF32Paths(t *testing.T) {
	r := rand.New(rand.NewPCG(51, 52))
	cases := 300
	if testing.Short() {
		cases = 100
	}
	for i := range cases {
		c := newAdamCase(r, r.IntN(70))
		usePath(t, PathGeneric)
		w, m, v := c.run()
		for _, path := range Paths() {
			usePath(t, path)
			gw, gm, gv := c.run()
			where := fmt.Sprintf("case %d (%d elements), path %s", i, len(c.g), path)
			bitsEqual(t, w, gw, "w, "+where)
			bitsEqual(t, m, gm, "m, "+where)
			bitsEqual(t, v, gv, "v, "+where)
		}
	}
}

// TestAdamF32Step checks the definition on values worked by hand: the
// first step moves each weight by about LR against its gradient's sign,
// tiny state is flushed, and a gradient too small to square leaves v alone.
func TestAdamF32Step(t *testing.T) {
	for _, path := range Paths() {
		usePath(t, path)
		h := Adam{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, R1: 1 / (1 - 0.9), R2: 1 / (1 - 0.999), LR: 0.01}
		n := 11 // a full vector of 8 and a tail of 3
		w, m, v, g := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
		for i := range n {
			w[i], g[i] = 1, float32(i-5)
		}
		m[5], v[5] = 1e-31, 1e-31 // g[5] = 0: both decay below Tiny and are flushed
		g[10] = 1e-18             // m moves, v does not: g*g is skipped
		AdamF32(w, m, v, g, &h)
		for i := range 10 {
			want := 1 - 0.01*float32(math.Copysign(1, float64(g[i])))
			if g[i] == 0 {
				want = 1
			}
			require.InDelta(t, want, w[i], 1e-6, "path %s, element %d", path, i)
		}
		c1 := float32(1) - h.Beta1
		require.Equal(t, c1*-5, m[0], path)
		require.Zero(t, m[5], path)
		require.Zero(t, v[5], path)
		require.Zero(t, v[10], path)
		require.InDelta(t, 1e-19, m[10], 1e-24, path)
		h.Decay = 0.5
		w[0], m[0], v[0], g[0] = 2, 0, 0, 0
		AdamF32(w[:1], m[:1], v[:1], g[:1], &h)
		require.Equal(t, float32(2-0.01*0.5*2), w[0], "decoupled decay, path %s", path)
	}
}

func TestAdamF32RejectsShortState(t *testing.T) {
	require.PanicsWithValue(t, "kernels: AdamF32: 3 gradients, but w, m, v hold 3, 2, 3", func() {
		AdamF32(make([]float32, 3), make([]float32, 2), make([]float32, 3), make([]float32, 3), &Adam{})
	})
}

func BenchmarkAdamF32(b *testing.B) {
	const n = 1 << 22 // 16 MB per slice: from memory, as in training
	c := newAdamCase(rand.New(rand.NewPCG(1, 2)), 0)
	w, m, v, g := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
	r := rand.New(rand.NewPCG(3, 4))
	for i := range n {
		g[i] = float32(r.NormFloat64()) * 1e-3
	}
	for _, path := range Paths() {
		b.Run(path, func(b *testing.B) {
			usePath(b, path)
			b.SetBytes(n * 28) // read w, m, v, g; write w, m, v
			for b.Loop() {
				AdamF32(w, m, v, g, &c.h)
			}
		})
	}
}
