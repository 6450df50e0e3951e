//go:build !purego

package kernels

import (
	"strings"

	"github.com/klauspost/cpuid/v2"
)

const purego = false

// archImpls returns the amd64 rows of the dispatch table. The float32 kernels
// of avxvnni are those of avx2, and vnni's use AVX-512F where the tile fits.
func archImpls() []*impl {
	var need []string
	if !cpuid.CPU.Has(cpuid.AVX2) {
		need = append(need, "AVX2")
	}
	if !cpuid.CPU.Has(cpuid.FMA3) {
		need = append(need, "FMA3")
	}
	avx2 := strings.Join(need, ", ")
	missing := func(feature string, ids ...cpuid.FeatureID) string {
		if cpuid.CPU.Supports(ids...) {
			return avx2
		}
		return strings.Join(append(need[:len(need):len(need)], feature), ", ")
	}
	avx2Row := &impl{name: PathAVX2, missing: avx2, sgemm: sgemmAVX2, f32Shape: avx2F32Shape, i8: avx2Int8,
		dw: dwAVX2, dwF32: dwF32AVX2, add: addInt8AVX2, addF32: addF32AVX2,
		maxPoolHWC: i8MaxPoolHWCAVX2, maxPoolHWCF32: f32MaxPoolHWCAVX2, maxPoolF32: maxPoolF32CHWAVX2, maxPool: maxPoolInt8SIMD, sumPixels: sumPixelsAVX2, im2colRuns: i8Im2colRunsAMD64,
		adam: adamF32AVX2, biasClamp: biasClampAVX2, convHWCF32: convHWCF32AVX2,
		idct: idctIslow8x8AVX2, resampleRows: resampleRowsU8AVX2, resampleCols: resampleColsU8AVX2,
		upsample: upsampleAVX2, upsampleH2V1: upsampleH2V1AVX2, ycc: yccAVX2}
	// The other two rows are avx2's with their own int8 GEMM (and vnni's
	// AVX-512F float32 GEMM).
	avxvnniRow, vnniRow := *avx2Row, *avx2Row
	avxvnniRow.name, avxvnniRow.missing, avxvnniRow.i8 = PathAVXVNNI, missing("AVX_VNNI", cpuid.AVXVNNI), avxvnniInt8
	vnniRow.name, vnniRow.missing, vnniRow.i8 = PathVNNI, missing("AVX512F+AVX512VL+AVX512_VNNI", cpuid.AVX512F, cpuid.AVX512VL, cpuid.AVX512VNNI), vnniInt8
	vnniRow.sgemm, vnniRow.f32Shape = sgemmAVX512, avx512F32Shape
	return []*impl{avx2Row, &avxvnniRow, &vnniRow}
}

// AVX2 micro-kernel tile: 6 rows by 16 columns of C in 12 YMM registers.
const (
	avx2MR = 6
	avx2NR = 16
)

var avx2Shape = &gemmShape{mr: avx2MR, nr: avx2NR, kernel: kernelAVX2}

func sgemmAVX2(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m < avx2MR && transB {
		sgemmDotAVX2(transA, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	if m < avx2MR {
		sgemmSmallM(rowsAVX2, transA, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
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

// AVX-512 micro-kernel tile: 12 rows by 32 columns of C in 24 ZMM registers.
const (
	avx512MR = 12
	avx512NR = 32
)

var avx512Shape = &gemmShape{mr: avx512MR, nr: avx512NR, kernel: kernelAVX512}

// sgemmAVX512 is the Sgemm of the vnni path: the 12×32 tile where C fills
// it, the avx2 kernels where it would not: fewer rows, or columns whose
// last 32-wide tile would leave more than an eighth of the work unused
// (AlexNet conv3 at batch 1, 36 columns, ran at 0.6 times avx2's speed).
func sgemmAVX512(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m < avx512MR || avx512F32Shape(n) != avx512Shape {
		sgemmAVX2(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	sgemmBlocked(avx512Shape, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// avx2F32Shape is the f32Shape of the avx2 and avxvnni paths.
func avx2F32Shape(int) *gemmShape { return avx2Shape }

// avx512F32Shape is the f32Shape of the vnni path: the 12×32 tile unless
// the last 32 columns would leave more than an eighth of the work unused.
func avx512F32Shape(n int) *gemmShape {
	if (roundUp(n, avx512NR)-n)*8 > n {
		return avx2Shape
	}
	return avx512Shape
}

// kernelAVX512 is the gemmKernel of the vnni path (see kernelAVX2).
func kernelAVX512(k int, ap, bp []float32, bs int, c []float32, ldc int, alpha, beta float32) {
	_ = ap[k*avx512MR-1]
	_ = bp[(k-1)*bs+avx512NR-1]
	_ = c[(avx512MR-1)*ldc+avx512NR-1]
	sgemm12x32(k, &ap[0], &bp[0], bs, &c[0], ldc, alpha, beta)
}

// sgemm12x32 is sgemm6x16 on a 12×32 tile with AVX-512F (kernels_amd64.s):
// 12 floats of A and 32 of B per step p, the same FMA chains and epilogue.
//
//go:noescape
func sgemm12x32(k int, a, b *float32, bs int, c *float32, ldc int, alpha, beta float32)

// sgemm6x16 computes a 6×16 tile of C with AVX2 FMA (kernels_amd64.s). For
// k >= 1 steps p it reads 6 floats at a+6p (a packed A panel) and 16 floats
// at b+p*bs, and accumulates acc[i][j] = fma(a[6p+i], b[p*bs+j], acc[i][j])
// from acc = 0, in the order of p. It then stores C[i*ldc+j] = alpha*acc, or
// (alpha*acc) + (beta*C[i*ldc+j]) when beta != 0, each operation rounded to
// float32, exactly as kernelGeneric does.
//
//go:noescape
func sgemm6x16(k int, a, b *float32, bs int, c *float32, ldc int, alpha, beta float32)

// rowsAVX2 is the rowsKernel of the avx2 path. The slices are only checked
// here, cheaply; the caller guarantees their extent.
func rowsAVX2(m, k, n int, a []float32, asi, asp int, b []float32, ldb int, acc []float32, ldacc int) {
	_ = a[(m-1)*asi+(k-1)*asp]
	_ = b[(k-1)*ldb+n-1]
	_ = acc[(m-1)*ldacc+n-1]
	sgemmRows(m, k, n, &a[0], asi, asp, &b[0], ldb, &acc[0], ldacc)
}

// sgemmRows is the rowsKernel loop in AVX2 FMA (kernels_amd64.s): for each
// step p in order and each row i, acc row i += a[i*asi+p*asp] * B row p,
// one fused multiply-add per element.
//
//go:noescape
func sgemmRows(m, k, n int, a *float32, asi, asp int, b *float32, ldb int, acc *float32, ldacc int)

// sgemmDotAVX2 computes Sgemm with transB for few rows: each C element is a
// dot product of a row of op(A) (gathered into a buffer) and a row of B,
// eight rows of B at a time, each a sequential chain of scalar FMAs. B
// streams through once per row of C, row by row.
func sgemmDotAVX2(transA bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sc := scratchPool.Get()
	sc.a = grow(sc.a, k)
	x := sc.a
	var out [8]float32
	for i := range m {
		if transA {
			for p := range x {
				x[p] = a[p*lda+i]
			}
		} else {
			copy(x, a[i*lda:i*lda+k])
		}
		row := c[i*ldc : i*ldc+n]
		j := 0
		for ; j+8 <= n; j += 8 {
			_ = b[(j+7)*ldb+k-1]
			sdot8(k, &x[0], &b[j*ldb], ldb, &out[0])
			for r, v := range out {
				row[j+r] = epilogue(v, alpha, beta, row[j+r])
			}
		}
		for ; j < n; j++ {
			_ = b[j*ldb+k-1]
			row[j] = epilogue(sdot1(k, &x[0], &b[j*ldb]), alpha, beta, row[j])
		}
	}
	scratchPool.Put(sc)
}

// sdot8 computes eight dot products of x with the rows of b (ldb apart), each
// a sequential chain of scalar FMAs (kernels_amd64.s).
//
//go:noescape
func sdot8(k int, x, b *float32, ldb int, out *float32)

// sdot1 computes the dot product of x and b as a sequential FMA chain.
//
//go:noescape
func sdot1(k int, x, b *float32) float32
