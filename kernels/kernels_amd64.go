//go:build !purego

package kernels

import (
	"strings"

	"github.com/klauspost/cpuid/v2"
)

const purego = false

// archImpls returns the amd64 rows of the dispatch table. The float32 kernels
// of vnni are those of avx2; vnni differs in its int8 kernels.
func archImpls() []*impl {
	var need []string
	if !cpuid.CPU.Has(cpuid.AVX2) {
		need = append(need, "AVX2")
	}
	if !cpuid.CPU.Has(cpuid.FMA3) {
		need = append(need, "FMA3")
	}
	avx2 := strings.Join(need, ", ")
	if !cpuid.CPU.Supports(cpuid.AVX512F, cpuid.AVX512VL, cpuid.AVX512VNNI) {
		need = append(need, "AVX512F+AVX512VL+AVX512_VNNI")
	}
	vnni := strings.Join(need, ", ")
	return []*impl{
		{name: PathAVX2, missing: avx2, sgemm: sgemmAVX2, i8: avx2Int8},
		{name: PathVNNI, missing: vnni, sgemm: sgemmAVX2, i8: vnniInt8},
	}
}

// AVX2 micro-kernel tile: 6 rows by 16 columns of C in 12 YMM registers.
const (
	avx2MR = 6
	avx2NR = 16
)

var avx2Shape = &gemmShape{mr: avx2MR, nr: avx2NR, kernel: kernelAVX2}

func sgemmAVX2(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemmBlocked(avx2Shape, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// kernelAVX2 is the gemmKernel of the avx2 path. The slices are only checked
// here, cheaply; the driver guarantees their extent.
func kernelAVX2(k int, ap, bp []float32, bs int, c []float32, ldc int, alpha, beta float32) {
	_ = ap[k*avx2MR-1]
	_ = bp[(k-1)*bs+avx2NR-1]
	_ = c[(avx2MR-1)*ldc+avx2NR-1]
	sgemm6x16(k, &ap[0], &bp[0], bs, &c[0], ldc, alpha, beta)
}

// sgemm6x16 computes a 6×16 tile of C with AVX2 FMA (kernels_amd64.s). For
// k >= 1 steps p it reads 6 floats at a+6p (a packed A panel) and 16 floats
// at b+p*bs, and accumulates acc[i][j] = fma(a[6p+i], b[p*bs+j], acc[i][j])
// from acc = 0, in the order of p. It then stores C[i*ldc+j] = alpha*acc, or
// (alpha*acc) + (beta*C[i*ldc+j]) when beta != 0, each operation rounded to
// float32, exactly as kernelGeneric does.
//
//go:noescape
func sgemm6x16(k int, a, b *float32, bs int, c *float32, ldc int, alpha, beta float32)
