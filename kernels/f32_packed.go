package kernels

import "fmt"

// PackedF32 holds float32 weights, an n×k matrix W (n output channels, k
// values each), packed once into the panels of the float32 micro-kernel of
// the path in use, for SgemmPacked: the B operand of a GEMM whose A is the
// activations, one row per pixel (a convolution on HWC images) or per
// sample. Sgemm would pack W again on every call.
type PackedF32 struct {
	n, k  int
	path  *impl
	shape *gemmShape
	data  []float32 // panels of shape.nr channels, k steps each, zero past n
}

// PackF32 packs the n×k row-major weights w for SgemmPacked on the path in
// use. It panics if n or k is below 1 or w is shorter than n*k.
func PackF32(w []float32, n, k int) *PackedF32 {
	if n < 1 || k < 1 || len(w) < n*k {
		panic(fmt.Sprintf("kernels: PackF32: %d weights for %d×%d", len(w), n, k))
	}
	p := new(PackedF32)
	PackF32Into(p, make([]float32, PackedF32Len(n, k)), w, n, k, k)
	return p
}

// PackedF32Len is how many floats the panels of n×k weights take on the
// path in use: PackF32Into's buf.
func PackedF32Len(n, k int) int { return roundUp(n, active.Load().f32Shape(n).nr) * k }

// PackF32Into is PackF32 for weights whose rows are ld apart, into dst,
// with the panels kept in buf (PackedF32Len(n, k) floats or more), which
// dst uses until buf is written again: it allocates nothing, for operands
// packed anew on every call, such as the im2col matrix that the trainer's
// weight gradient multiplies. Each panel is the transpose of nr rows of w
// (TransposeF32). It panics if n or k is below 1 or w or buf is short.
func PackF32Into(dst *PackedF32, buf, w []float32, n, k, ld int) {
	if n < 1 || k < 1 || ld < k || len(w) < (n-1)*ld+k {
		panic(fmt.Sprintf("kernels: PackF32Into: %d weights for %d×%d, rows %d apart", len(w), n, k, ld))
	}
	p := active.Load()
	s := p.f32Shape(n)
	size := roundUp(n, s.nr) * k
	if len(buf) < size {
		panic(fmt.Sprintf("kernels: PackF32Into: %d floats of panels for %d×%d, want %d", len(buf), n, k, size))
	}
	for q := 0; q*s.nr < n; q++ {
		TransposeF32(buf[q*s.nr*k:], s.nr, w[q*s.nr*ld:], ld, min(s.nr, n-q*s.nr), k)
	}
	*dst = PackedF32{n: n, k: k, path: p, shape: s, data: buf[:size]}
}

// Bytes is the memory the packed weights hold.
func (p *PackedF32) Bytes() int { return 4 * len(p.data) }

// SgemmPacked computes C = A·Wᵀ for the m×k row-major matrix A (leading
// dimension lda) and the packed weights: C[i][j] = Σ_p A[i][p]·W[j][p] for
// j < n, each element the FMA chain of the Sgemm definition, so the result
// is Sgemm(false, true, m, n, k, 1, a, lda, w, k, 0, c, ldc)'s bit for bit.
// C is m×n with leading dimension ldc. It panics on short slices, and if
// the weights were packed for a path with another micro-kernel.
func SgemmPacked(m int, a []float32, lda int, w *PackedF32, c []float32, ldc int) {
	SgemmPackedBeta(m, a, lda, w, 0, c, ldc)
}

// SgemmPackedBeta is SgemmPacked with C scaled by beta and added:
// C = A·Wᵀ + beta·C, rounded as Sgemm's epilogue rounds it, so bit for bit
// Sgemm(false, true, m, n, k, 1, a, lda, w, k, beta, c, ldc). With beta 1
// it accumulates a product over several calls.
func SgemmPackedBeta(m int, a []float32, lda int, w *PackedF32, beta float32, c []float32, ldc int) {
	if w == nil || m < 0 {
		panic(fmt.Sprintf("kernels: SgemmPacked: nil weights or m=%d", m))
	}
	if s := active.Load().f32Shape(w.n); s != w.shape {
		panic(fmt.Sprintf("kernels: SgemmPacked: the weights were packed for path %s, but %s is in use: pack them again after kernels.Use",
			w.path.name, active.Load().name))
	}
	checkMatrix("SgemmPacked", "A", m, w.k, a, lda)
	checkMatrix("SgemmPacked", "C", m, w.n, c, ldc)
	if m == 0 {
		return
	}
	sgemmPanels(w.shape, false, true, m, w.n, w.k, 1, a, lda, nil, 0, w.data, beta, c, ldc)
}
