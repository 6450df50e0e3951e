package kernels_test

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/kernels"
	"github.com/edgecnn/edgecnn/quant"
)

// TestLinearInt8Float checks the float-output layer on every path against
// its definition, sums taken in int64 (they fit in int32 here), on odd
// sizes (depths with and without tails of the 16-value SDOT blocks).
func TestLinearInt8Float(t *testing.T) {
	r := rand.New(rand.NewPCG(14, 1))
	old := kernels.Path()
	for _, sz := range [][4]int{{1, 1, 1, 1}, {7, 13, 3, 7}, {10, 1280, 2, 10}, {33, 5, 0, 33}, {5, 9, 3, 12}, {9, 37, 2, 9}} {
		m, k, n, ldy := sz[0], sz[1], sz[2], sz[3]
		w, x := make([]int8, m*k), make([]int8, n*k)
		for i := range w {
			w[i] = int8(r.IntN(255) - 127)
		}
		for i := range x {
			x[i] = int8(r.IntN(256) - 128)
		}
		bias, scale := make([]int32, m), make([]float32, m)
		for i := range bias {
			bias[i] = int32(r.IntN(1<<20)) - 1<<19
			scale[i] = quant.AccumulatorScale(0.01+r.Float32(), 1e-3*r.Float32()+1e-5)
		}
		for _, path := range kernels.Paths() {
			require.NoError(t, kernels.Use(path))
			y := make([]float32, n*ldy)
			kernels.LinearInt8Float(w, m, k, x, n, bias, scale, y, ldy)
			checkLinearInt8Float(t, sz, path, w, x, bias, scale, y)
		}
	}
	require.NoError(t, kernels.Use(old))
	require.Panics(t, func() {
		kernels.LinearInt8Float(make([]int8, 5), 2, 3, nil, 0, make([]int32, 2), make([]float32, 2), nil, 2)
	})
	require.Panics(t, func() {
		kernels.LinearInt8Float(make([]int8, 6), 2, 3, make([]int8, 6), 2, make([]int32, 2), make([]float32, 2), make([]float32, 4), 3)
	})
}

// checkLinearInt8Float compares y with the definition of LinearInt8Float.
func checkLinearInt8Float(t *testing.T, sz [4]int, path string, w, x []int8, bias []int32, scale, y []float32) {
	m, k, n, ldy := sz[0], sz[1], sz[2], sz[3]
	for j := range n {
		for i := range m {
			acc := int64(bias[i])
			for p := range k {
				acc += int64(w[i*k+p]) * int64(x[j*k+p])
			}
			require.Equal(t, float32(acc)*scale[i], y[j*ldy+i], "%s %v: sample %d output %d", path, sz, j, i)
		}
		for _, v := range y[j*ldy+m : (j+1)*ldy] {
			require.Zero(t, v, "%s %v: written between samples", path, sz)
		}
	}
}

func BenchmarkLinearInt8Float(b *testing.B) {
	const m, k = 1000, 1024
	w, x := make([]int8, m*k), make([]int8, k)
	for i := range w {
		w[i] = int8(i*7%255 - 127)
	}
	bias, scale, y := make([]int32, m), make([]float32, m), make([]float32, m)
	for b.Loop() {
		kernels.LinearInt8Float(w, m, k, x, 1, bias, scale, y, m)
	}
}
