package kernels

import (
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
