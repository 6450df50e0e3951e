//go:build !purego

package kernels

import (
	"strings"

	"github.com/klauspost/cpuid/v2"
)

const purego = false

// archImpls returns the arm64 rows of the dispatch table. The float32 kernels
// of dotprod are those of neon; dotprod differs in its int8 kernels.
func archImpls() []*impl {
	var need []string
	if !cpuid.CPU.Has(cpuid.ASIMD) {
		need = append(need, "ASIMD")
	}
	neon := strings.Join(need, ", ")
	if !cpuid.CPU.Has(cpuid.ASIMDDP) {
		need = append(need, "ASIMDDP")
	}
	dotprod := strings.Join(need, ", ")
	neonRow := &impl{name: PathNEON, missing: neon, sgemm: sgemmNEON, f32Shape: neonF32Shape, i8: neonInt8, dw: dwNEON, add: addInt8NEON, addF32: addF32NEON,
		maxPoolHWC: i8MaxPoolHWCNEON, maxPoolHWCF32: f32MaxPoolHWCNEON, maxPoolF32: maxPoolF32CHWNEON, maxPool: maxPoolInt8SIMD,
		sumPixels: sumPixelsNEON, im2colRuns: im2colRunsARM64, lookupPlanes: lookupPlanesNEON,
		resampleRows: resampleRowsU8NEON, resampleCols: resampleColsU8NEON, upsample: upsampleNEON, upsampleH2V1: upsampleH2V1NEON, ycc: yccNEON, idct: idctIslow8x8NEON}
	dotprodRow := *neonRow
	dotprodRow.name, dotprodRow.missing, dotprodRow.i8 = PathDotProd, dotprod, dotprodInt8
	dotprodRow.dot4 = dot4Dot
	return []*impl{neonRow, &dotprodRow}
}

// NEON micro-kernel tile: 8 rows by 8 columns of C in 16 Q registers.
const (
	neonMR = 8
	neonNR = 8
)

var neonShape = &gemmShape{mr: neonMR, nr: neonNR, kernel: kernelNEON}

func sgemmNEON(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m < neonMR && !transB {
		sgemmSmallM(rowsNEON, transA, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	sgemmBlocked(neonShape, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// neonF32Shape is the f32Shape of the arm64 paths.
func neonF32Shape(int) *gemmShape { return neonShape }

// kernelNEON is the gemmKernel of the neon path. The slices are only checked
// here, cheaply; the driver guarantees their extent.
func kernelNEON(k int, ap, bp []float32, bs int, c []float32, ldc int, alpha, beta float32) {
	_ = ap[k*neonMR-1]
	_ = bp[(k-1)*bs+neonNR-1]
	_ = c[(neonMR-1)*ldc+neonNR-1]
	sgemm8x8(k, &ap[0], &bp[0], bs, &c[0], ldc, alpha, beta)
}

// sgemm8x8 computes an 8×8 tile of C with NEON FMLA (kernels_arm64.s). For
// k >= 1 steps p it reads 8 floats at a+8p (a packed A panel) and 8 floats at
// b+p*bs, and accumulates acc[i][j] = fma(a[8p+i], b[p*bs+j], acc[i][j]) from
// acc = 0, in the order of p. It then stores C[i*ldc+j] = alpha*acc, or
// (alpha*acc) + (beta*C[i*ldc+j]) when beta != 0, each operation rounded to
// float32, exactly as kernelGeneric does.
//
//go:noescape
func sgemm8x8(k int, a, b *float32, bs int, c *float32, ldc int, alpha, beta float32)

// rowsNEON is the rowsKernel of the neon path. The slices are only checked
// here, cheaply; the caller guarantees their extent.
func rowsNEON(m, k, n int, a []float32, asi, asp int, b []float32, ldb int, acc []float32, ldacc int) {
	_ = a[(m-1)*asi+(k-1)*asp]
	_ = b[(k-1)*ldb+n-1]
	_ = acc[(m-1)*ldacc+n-1]
	sgemmRows(m, k, n, &a[0], asi, asp, &b[0], ldb, &acc[0], ldacc)
}

// sgemmRows is the rowsKernel loop in NEON FMLA (kernels_arm64.s): for each
// step p in order and each row i, acc row i += a[i*asi+p*asp] * B row p,
// one fused multiply-add per element.
//
//go:noescape
func sgemmRows(m, k, n int, a *float32, asi, asp int, b *float32, ldb int, acc *float32, ldacc int)
