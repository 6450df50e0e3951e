package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSgemmPacked checks SgemmPacked on every path against the Sgemm
// definition with transB, on shapes with every tail of the tiles (rows of
// 4, 6, 8 and 12, columns of 4, 8, 16 and 32) and padded leading
// dimensions.
func TestSgemmPacked(t *testing.T) {
	r := rand.New(rand.NewPCG(83, 84))
	dims := []int{1, 2, 3, 5, 6, 7, 8, 12, 13, 16, 17, 31, 32, 33, 40, 70}
	for range 300 {
		m, n, k := dims[r.IntN(len(dims))], dims[r.IntN(len(dims))], dims[r.IntN(len(dims))]
		lda, ldc := k+r.IntN(3), n+r.IntN(3)
		a, w := randF32(r, m*lda), randF32(r, n*k)
		want := randF32(r, m*ldc)
		c0 := append([]float32(nil), want...)
		naiveSgemm(false, true, m, n, k, 1, a, lda, w, k, 0, want, ldc)
		for _, path := range Paths() {
			usePath(t, path)
			p := PackF32(w, n, k)
			c := append([]float32(nil), c0...)
			SgemmPacked(m, a, lda, p, c, ldc)
			require.Equal(t, want, c, "%s m%d n%d k%d", path, m, n, k)
		}
	}
	assert.Panics(t, func() { PackF32(make([]float32, 5), 2, 3) })
	assert.Panics(t, func() {
		SgemmPacked(2, make([]float32, 5), 3, PackF32(make([]float32, 6), 2, 3), make([]float32, 4), 2)
	})
}

// TestSgemmPackedBeta checks, on every path, weights packed by
// PackF32Into from rows with room between them into a reused buffer, and
// the product added to C with beta, against the Sgemm definition.
func TestSgemmPackedBeta(t *testing.T) {
	r := rand.New(rand.NewPCG(85, 86))
	dims := []int{1, 2, 5, 6, 7, 8, 9, 15, 16, 17, 33, 40, 70}
	for range 200 {
		m, n, k := dims[r.IntN(len(dims))], dims[r.IntN(len(dims))], dims[r.IntN(len(dims))]
		ld := k + r.IntN(3)
		a, w := randF32(r, m*k), randF32(r, n*ld)
		beta := []float32{0, 1, 0.5}[r.IntN(3)]
		c0 := randF32(r, m*n)
		want := append([]float32(nil), c0...)
		naiveSgemm(false, true, m, n, k, 1, a, k, w, ld, beta, want, n)
		for _, path := range Paths() {
			usePath(t, path)
			var p PackedF32
			buf := randF32(r, PackedF32Len(n, k)+r.IntN(4)) // garbage everywhere
			PackF32Into(&p, buf, w, n, k, ld)
			c := append([]float32(nil), c0...)
			SgemmPackedBeta(m, a, k, &p, beta, c, n)
			require.Equal(t, want, c, "%s m%d n%d k%d ld%d beta %v", path, m, n, k, ld, beta)
		}
	}
	var p PackedF32
	assert.Panics(t, func() { PackF32Into(&p, make([]float32, 64), make([]float32, 5), 2, 3, 3) })  // short weights
	assert.Panics(t, func() { PackF32Into(&p, make([]float32, 2), make([]float32, 6), 2, 3, 3) })   // short buffer
	assert.Panics(t, func() { PackF32Into(&p, make([]float32, 64), make([]float32, 12), 2, 3, 2) }) // rows overlap
}

// BenchmarkWeightGradientPacked times the trainer's weight gradient of one
// block of images, ResNet-20's 3x3 layers at the trainer's blocks, two
// ways: transposed, dWᵀ += col·dYᵀ with Sgemm packing the im2col matrix
// col as its A operand (a scalar interleave of 6 rows), against
// dW += dY·colᵀ with col packed by PackF32Into (AVX2 transposes of 16-row
// panels) for SgemmPackedBeta. The sums are the same.
func BenchmarkWeightGradientPacked(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, s := range []struct{ c, hw, out, imgs int }{{16, 32, 16, 1}, {32, 16, 32, 1}, {64, 8, 64, 4}} {
		kg, np := s.c*9, s.imgs*s.hw*s.hw
		ld := np + 16 // the trainer's padding of rows 4 KiB apart
		col, dy := randF32(r, kg*ld), randF32(r, s.out*np)
		dw := make([]float32, kg*s.out)
		buf := make([]float32, PackedF32Len(kg, np))
		var pk PackedF32
		name := fmt.Sprintf("%dx%dx%d-%d", s.hw, s.hw, s.c, s.out)
		b.Run(name+"/Sgemm", func(b *testing.B) {
			loopMin(b, func() { Sgemm(false, true, kg, s.out, np, 1, col, ld, dy, np, 1, dw, s.out) })
		})
		b.Run(name+"/PackF32Into+SgemmPackedBeta", func(b *testing.B) {
			loopMin(b, func() {
				PackF32Into(&pk, buf, col, kg, np, ld)
				SgemmPackedBeta(s.out, dy, np, &pk, 1, dw, kg)
			})
		})
	}
}
