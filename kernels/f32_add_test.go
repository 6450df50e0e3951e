package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestAddF32 checks AddF32 on every path against Go's max and min, bit for
// bit: lengths around the 16-element step, the clamps of no activation,
// ReLU, ReLU6 and odd ones (a NaN bound, bounds of -0), sums that are NaN,
// infinite and signed zeros, dst aliasing an input, and the inputs and
// dst ending at an inaccessible page.
func TestAddF32(t *testing.T) {
	r := rand.New(rand.NewPCG(35, 36))
	inf, nan, negZero := float32(math.Inf(1)), float32(math.NaN()), float32(math.Copysign(0, -1))
	clamps := [][2]float32{{-inf, inf}, {0, inf}, {0, 6}, {negZero, negZero}, {nan, 6}, {0, nan}, {-1, 1}}
	aMem, bMem, dMem := guardedF32(t, 1024), guardedF32(t, 1024), guardedF32(t, 1024)
	special := []float32{nan, inf, -inf, 0, negZero, 6, -6}
	for _, n := range []int{0, 1, 15, 16, 17, 31, 32, 33, 100, 1000} {
		for _, c := range clamps {
			a, b, d := aMem[len(aMem)-n:], bMem[len(bMem)-n:], dMem[len(dMem)-n:]
			for i := range n {
				a[i], b[i] = float32(r.NormFloat64()*4), float32(r.NormFloat64()*4)
				if r.IntN(4) == 0 {
					a[i], b[i] = special[r.IntN(len(special))], special[r.IntN(len(special))]
				}
			}
			want := make([]float32, n)
			for i := range want {
				want[i] = min(max(a[i]+b[i], c[0]), c[1])
			}
			for _, path := range Paths() {
				usePath(t, path)
				clear(d)
				AddF32(d, a, b, c[0], c[1])
				requireSameF32(t, want, d, "%s n %d clamp %v", path, n, c)
				inPlace := append([]float32(nil), a...)
				AddF32(inPlace, inPlace, b, c[0], c[1])
				requireSameF32(t, want, inPlace, "%s in place, n %d clamp %v", path, n, c)
			}
		}
	}
	require.Panics(t, func() { AddF32(make([]float32, 2), make([]float32, 1), make([]float32, 2), 0, 1) })
}

// BenchmarkAddF32 times the residual add with ReLU of ResNet-18's first
// stage (64x56x56) on every path.
func BenchmarkAddF32(b *testing.B) {
	r := rand.New(rand.NewPCG(37, 38))
	a, x, d := randNorm(r, 64*56*56), randNorm(r, 64*56*56), make([]float32, 64*56*56)
	for _, path := range Paths() {
		b.Run(path, func(b *testing.B) {
			usePath(b, path)
			for b.Loop() {
				AddF32(d, a, x, 0, float32(math.Inf(1)))
			}
			b.SetBytes(int64(12 * len(d)))
		})
	}
}
