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
	p := active.Load()
	s := p.f32Shape(n)
	data := make([]float32, roundUp(n, s.nr)*k)
	packB(true, w, k, 0, n, k, s.nr, data)
	return &PackedF32{n: n, k: k, path: p, shape: s, data: data}
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
	sgemmPanels(w.shape, false, true, m, w.n, w.k, 1, a, lda, nil, 0, w.data, 0, c, ldc)
}
