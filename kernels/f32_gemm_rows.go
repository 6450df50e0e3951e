package kernels

// rowsKernel accumulates, for validated arguments, p = 0 ... k-1 in order:
// acc[i*ldacc+j] = fma(a[i*asi+p*asp], b[p*ldb+j], acc[i*ldacc+j]) for
// i < m, j < n, each a float32 FMA rounded once. Started from acc = +0, each
// element is exactly the FMA chain of the Sgemm definition, and it can be
// continued over a later range of p by calling it again on the same acc.
type rowsKernel func(m, k, n int, a []float32, asi, asp int, b []float32, ldb int, acc []float32, ldacc int)

// rowsWidth is the number of accumulator floats per sgemmSmallM block
// (16 KiB, half an L1 data cache).
const rowsWidth = 4096

// sgemmSmallM computes Sgemm without transB for few rows (m below the
// micro-kernel's mr) with a rows kernel: the rows of B stream through once,
// contiguously, and the accumulators live in a small buffer, a block of
// columns at a time.
func sgemmSmallM(kern rowsKernel, transA bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	asi, asp := lda, 1
	if transA {
		asi, asp = 1, lda
	}
	nb := min(n, max(rowsWidth/m/8*8, 8))
	sc := scratchPool.Get()
	sc.tile = grow(sc.tile, m*nb)
	acc := sc.tile
	for j0 := 0; j0 < n; j0 += nb {
		w := min(nb, n-j0)
		clear(acc)
		kern(m, k, w, a, asi, asp, b[j0:], ldb, acc, nb)
		for i := range m {
			row := c[i*ldc+j0 : i*ldc+j0+w]
			for j, v := range acc[i*nb : i*nb+w] {
				row[j] = epilogue(v, alpha, beta, row[j])
			}
		}
	}
	scratchPool.Put(sc)
}
