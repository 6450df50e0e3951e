package kernels

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTransposeF32(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	for range 200 {
		rows, cols := r.IntN(40), r.IntN(150)
		lda, ldt := cols+r.IntN(3), max(rows+r.IntN(10), 1)
		a := randNorm(r, max(rows*lda, 1))
		tr := randNorm(r, cols*ldt) // overwritten everywhere
		TransposeF32(tr, ldt, a, lda, rows, cols)
		want := make([]float32, cols*ldt)
		for j := range cols {
			for i := range rows {
				want[j*ldt+i] = a[i*lda+j]
			}
		}
		require.Equal(t, want, tr, "%dx%d lda %d ldt %d", rows, cols, lda, ldt)
	}
	require.Panics(t, func() { TransposeF32(make([]float32, 5), 2, make([]float32, 6), 3, 2, 3) })
	require.Panics(t, func() { TransposeF32(make([]float32, 6), 1, make([]float32, 6), 3, 2, 3) })
}

// BenchmarkTransposeF32 times the transpose of a LeNet-5 conv1 im2col
// chunk (26 rows with the bias row, 4096 columns, rows padded to 32).
func BenchmarkTransposeF32(b *testing.B) {
	const rows, cols, ldt = 26, 4096, 32
	a := randNorm(rand.New(rand.NewPCG(1, 2)), rows*cols)
	t := make([]float32, cols*ldt)
	for b.Loop() {
		TransposeF32(t, ldt, a, cols, rows, cols)
	}
	b.ReportMetric(float64(b.N*rows*cols)/b.Elapsed().Seconds()/1e9, "Gfloat/s")
}
