//go:build !purego

#include "textflag.h"

// One step p of the 6x16 tile: B row p in Y12:Y13 (from BX, then BX += DX),
// the six A values broadcast in turn into Y14/Y15, and 12 FMAs into Y0-Y11
// (row i in Y(2i), Y(2i+1)). off is the byte offset of step p in the A panel.
#define STEP(off) \
	VMOVUPS      (BX), Y12           \
	VMOVUPS      32(BX), Y13         \
	ADDQ         DX, BX              \
	VBROADCASTSS (off+0)(AX), Y14    \
	VFMADD231PS  Y12, Y14, Y0        \
	VFMADD231PS  Y13, Y14, Y1        \
	VBROADCASTSS (off+4)(AX), Y15    \
	VFMADD231PS  Y12, Y15, Y2        \
	VFMADD231PS  Y13, Y15, Y3        \
	VBROADCASTSS (off+8)(AX), Y14    \
	VFMADD231PS  Y12, Y14, Y4        \
	VFMADD231PS  Y13, Y14, Y5        \
	VBROADCASTSS (off+12)(AX), Y15   \
	VFMADD231PS  Y12, Y15, Y6        \
	VFMADD231PS  Y13, Y15, Y7        \
	VBROADCASTSS (off+16)(AX), Y14   \
	VFMADD231PS  Y12, Y14, Y8        \
	VFMADD231PS  Y13, Y14, Y9        \
	VBROADCASTSS (off+20)(AX), Y15   \
	VFMADD231PS  Y12, Y15, Y10       \
	VFMADD231PS  Y13, Y15, Y11

// Store row i (Y(lo), Y(hi)) at R8 as alpha*acc (already scaled), then R8 += SI.
#define STOREROW(lo, hi) \
	VMOVUPS lo, (R8)   \
	VMOVUPS hi, 32(R8) \
	ADDQ    SI, R8

// Row i = row i + beta*C (beta in Y15), stored at R8, then R8 += SI.
#define BETAROW(lo, hi) \
	VMULPS  (R8), Y15, Y12   \
	VADDPS  Y12, lo, lo      \
	VMULPS  32(R8), Y15, Y13 \
	VADDPS  Y13, hi, hi      \
	VMOVUPS lo, (R8)         \
	VMOVUPS hi, 32(R8)       \
	ADDQ    SI, R8

// func sgemm6x16(k int, a, b *float32, bs int, c *float32, ldc int, alpha, beta float32)
TEXT ·sgemm6x16(SB), NOSPLIT, $0-56
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), BX
	MOVQ bs+24(FP), DX
	SHLQ $2, DX
	MOVQ c+32(FP), DI
	MOVQ ldc+40(FP), SI
	SHLQ $2, SI

	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11

	// Four steps per iteration, then the remaining k%4 one at a time.
	MOVQ CX, R9
	SHRQ $2, R9
	JZ   tail

loop4:
	STEP(0)
	STEP(24)
	STEP(48)
	STEP(72)
	ADDQ $96, AX
	DECQ R9
	JNZ  loop4

tail:
	ANDQ $3, CX
	JZ   epilogue

loop1:
	STEP(0)
	ADDQ $24, AX
	DECQ CX
	JNZ  loop1

epilogue:
	VBROADCASTSS alpha+48(FP), Y14
	VMULPS       Y14, Y0, Y0
	VMULPS       Y14, Y1, Y1
	VMULPS       Y14, Y2, Y2
	VMULPS       Y14, Y3, Y3
	VMULPS       Y14, Y4, Y4
	VMULPS       Y14, Y5, Y5
	VMULPS       Y14, Y6, Y6
	VMULPS       Y14, Y7, Y7
	VMULPS       Y14, Y8, Y8
	VMULPS       Y14, Y9, Y9
	VMULPS       Y14, Y10, Y10
	VMULPS       Y14, Y11, Y11
	MOVQ         DI, R8

	// beta == 0 (either sign; NaN is not zero) overwrites C.
	VMOVSS  beta+52(FP), X15
	VXORPS  X13, X13, X13
	VUCOMISS X13, X15
	JNE     withbeta
	JPS     withbeta

	STOREROW(Y0, Y1)
	STOREROW(Y2, Y3)
	STOREROW(Y4, Y5)
	STOREROW(Y6, Y7)
	STOREROW(Y8, Y9)
	STOREROW(Y10, Y11)
	VZEROUPPER
	RET

withbeta:
	VBROADCASTSS beta+52(FP), Y15
	BETAROW(Y0, Y1)
	BETAROW(Y2, Y3)
	BETAROW(Y4, Y5)
	BETAROW(Y6, Y7)
	BETAROW(Y8, Y9)
	BETAROW(Y10, Y11)
	VZEROUPPER
	RET

// func sgemmRows(m, k, n int, a *float32, asi, asp int, b *float32, ldb int, acc *float32, ldacc int)
//
// For p = 0 ... k-1, for i = 0 ... m-1, for j = 0 ... n-1:
// acc[i*ldacc+j] = fma(a[i*asi+p*asp], b[p*ldb+j], acc[i*ldacc+j]), one
// rounding each, so every acc element is the sequential FMA chain over p.
// Registers: AX A at step p, BX B row p, CX steps left, DX rows left, SI A
// at (i, p), DI acc row i, R8 byte offset of column j, R9/R10/R11 the byte
// ends of the 32-wide, 8-wide and scalar column loops, R12 asi*4, R13 ldacc*4.
TEXT ·sgemmRows(SB), NOSPLIT, $0-80
	MOVQ k+8(FP), CX
	MOVQ a+24(FP), AX
	MOVQ b+48(FP), BX
	MOVQ n+16(FP), R11
	MOVQ R11, R9
	ANDQ $-32, R9
	SHLQ $2, R9
	MOVQ R11, R10
	ANDQ $-8, R10
	SHLQ $2, R10
	SHLQ $2, R11
	MOVQ asi+32(FP), R12
	SHLQ $2, R12
	MOVQ ldacc+72(FP), R13
	SHLQ $2, R13

step:
	MOVQ m+0(FP), DX
	MOVQ AX, SI
	MOVQ acc+64(FP), DI

row:
	VBROADCASTSS (SI), Y15
	XORQ         R8, R8
	CMPQ         R8, R9
	JGE          tail8

loop32:
	VMOVUPS     (DI)(R8*1), Y0
	VMOVUPS     32(DI)(R8*1), Y1
	VMOVUPS     64(DI)(R8*1), Y2
	VMOVUPS     96(DI)(R8*1), Y3
	VFMADD231PS (BX)(R8*1), Y15, Y0
	VFMADD231PS 32(BX)(R8*1), Y15, Y1
	VFMADD231PS 64(BX)(R8*1), Y15, Y2
	VFMADD231PS 96(BX)(R8*1), Y15, Y3
	VMOVUPS     Y0, (DI)(R8*1)
	VMOVUPS     Y1, 32(DI)(R8*1)
	VMOVUPS     Y2, 64(DI)(R8*1)
	VMOVUPS     Y3, 96(DI)(R8*1)
	ADDQ        $128, R8
	CMPQ        R8, R9
	JLT         loop32

tail8:
	CMPQ R8, R10
	JGE  tail1

loop8:
	VMOVUPS     (DI)(R8*1), Y0
	VFMADD231PS (BX)(R8*1), Y15, Y0
	VMOVUPS     Y0, (DI)(R8*1)
	ADDQ        $32, R8
	CMPQ        R8, R10
	JLT         loop8

tail1:
	CMPQ R8, R11
	JGE  rowdone

loop1:
	VMOVSS      (DI)(R8*1), X0
	VFMADD231SS (BX)(R8*1), X15, X0
	VMOVSS      X0, (DI)(R8*1)
	ADDQ        $4, R8
	CMPQ        R8, R11
	JLT         loop1

rowdone:
	ADDQ R12, SI
	ADDQ R13, DI
	DECQ DX
	JNZ  row

	MOVQ asp+40(FP), R8
	SHLQ $2, R8
	ADDQ R8, AX
	MOVQ ldb+56(FP), R8
	SHLQ $2, R8
	ADDQ R8, BX
	DECQ CX
	JNZ  step
	VZEROUPPER
	RET

// func sdot8(k int, x, b *float32, ldb int, out *float32)
//
// For the 8 rows r of b (ldb apart): out[r] = the FMA chain over p = 0 ...
// k-1 in order of fma(x[p], b[r*ldb+p], acc) from acc = +0, with scalar
// FMAs (a horizontal sum would change the order). Rows in BX, DX, SI, DI,
// R9-R12 share the byte offset R8 with x (AX); CX is the end offset.
TEXT ·sdot8(SB), NOSPLIT, $0-40
	MOVQ k+0(FP), CX
	SHLQ $2, CX
	MOVQ x+8(FP), AX
	MOVQ b+16(FP), BX
	MOVQ ldb+24(FP), R13
	SHLQ $2, R13
	LEAQ (BX)(R13*1), DX
	LEAQ (DX)(R13*1), SI
	LEAQ (SI)(R13*1), DI
	LEAQ (DI)(R13*1), R9
	LEAQ (R9)(R13*1), R10
	LEAQ (R10)(R13*1), R11
	LEAQ (R11)(R13*1), R12
	VXORPS X0, X0, X0
	VXORPS X1, X1, X1
	VXORPS X2, X2, X2
	VXORPS X3, X3, X3
	VXORPS X4, X4, X4
	VXORPS X5, X5, X5
	VXORPS X6, X6, X6
	VXORPS X7, X7, X7
	XORQ   R8, R8

dot8:
	VMOVSS      (AX)(R8*1), X15
	VFMADD231SS (BX)(R8*1), X15, X0
	VFMADD231SS (DX)(R8*1), X15, X1
	VFMADD231SS (SI)(R8*1), X15, X2
	VFMADD231SS (DI)(R8*1), X15, X3
	VFMADD231SS (R9)(R8*1), X15, X4
	VFMADD231SS (R10)(R8*1), X15, X5
	VFMADD231SS (R11)(R8*1), X15, X6
	VFMADD231SS (R12)(R8*1), X15, X7
	ADDQ        $4, R8
	CMPQ        R8, CX
	JLT         dot8

	MOVQ   out+32(FP), AX
	VMOVSS X0, (AX)
	VMOVSS X1, 4(AX)
	VMOVSS X2, 8(AX)
	VMOVSS X3, 12(AX)
	VMOVSS X4, 16(AX)
	VMOVSS X5, 20(AX)
	VMOVSS X6, 24(AX)
	VMOVSS X7, 28(AX)
	RET

// func sdot1(k int, x, b *float32) float32
//
// The FMA chain over p = 0 ... k-1 of fma(x[p], b[p], acc) from acc = +0.
TEXT ·sdot1(SB), NOSPLIT, $0-28
	MOVQ   k+0(FP), CX
	SHLQ   $2, CX
	MOVQ   x+8(FP), AX
	MOVQ   b+16(FP), BX
	VXORPS X0, X0, X0
	XORQ   R8, R8

dot1:
	VMOVSS      (AX)(R8*1), X15
	VFMADD231SS (BX)(R8*1), X15, X0
	ADDQ        $4, R8
	CMPQ        R8, CX
	JLT         dot1

	VMOVSS X0, ret+24(FP)
	RET

// ---------------------------------------------------------------------------
// The 12×32 tile of the vnni path (AVX-512F): the same arithmetic as the
// 6×16 one on ZMM registers, twice the rows and columns per B and A load.
// Row i accumulates in Z(2i) (columns 0-15) and Z(2i+1) (16-31); B row p
// goes to Z28:Z29 and each A value is broadcast into Z30.

#define ZROW(off, lo, hi) \
	VBROADCASTSS (off)(AX), Z30 \
	VFMADD231PS  Z28, Z30, lo   \
	VFMADD231PS  Z29, Z30, hi

#define ZSTEP(off) \
	VMOVUPS (BX), Z28           \
	VMOVUPS 64(BX), Z29         \
	ADDQ    DX, BX              \
	ZROW(off+0, Z0, Z1)         \
	ZROW(off+4, Z2, Z3)         \
	ZROW(off+8, Z4, Z5)         \
	ZROW(off+12, Z6, Z7)        \
	ZROW(off+16, Z8, Z9)        \
	ZROW(off+20, Z10, Z11)      \
	ZROW(off+24, Z12, Z13)      \
	ZROW(off+28, Z14, Z15)      \
	ZROW(off+32, Z16, Z17)      \
	ZROW(off+36, Z18, Z19)      \
	ZROW(off+40, Z20, Z21)      \
	ZROW(off+44, Z22, Z23)

// Row (lo, hi) times alpha (Z30), then + beta*C (beta in Z31) when withBeta
// is set, stored at R8; R8 += SI.
#define ZSTORE(lo, hi) \
	VMULPS  Z30, lo, lo \
	VMULPS  Z30, hi, hi \
	VMOVUPS lo, (R8)    \
	VMOVUPS hi, 64(R8)  \
	ADDQ    SI, R8

#define ZBETA(lo, hi) \
	VMULPS  Z30, lo, lo      \
	VMULPS  Z30, hi, hi      \
	VMULPS  (R8), Z31, Z28   \
	VADDPS  Z28, lo, lo      \
	VMULPS  64(R8), Z31, Z29 \
	VADDPS  Z29, hi, hi      \
	VMOVUPS lo, (R8)         \
	VMOVUPS hi, 64(R8)       \
	ADDQ    SI, R8

#define ZALL(M) \
	M(Z0, Z1)   \
	M(Z2, Z3)   \
	M(Z4, Z5)   \
	M(Z6, Z7)   \
	M(Z8, Z9)   \
	M(Z10, Z11) \
	M(Z12, Z13) \
	M(Z14, Z15) \
	M(Z16, Z17) \
	M(Z18, Z19) \
	M(Z20, Z21) \
	M(Z22, Z23)

#define ZCLEAR(lo, hi) \
	VPXORD lo, lo, lo \
	VPXORD hi, hi, hi

// func sgemm12x32(k int, a, b *float32, bs int, c *float32, ldc int, alpha, beta float32)
TEXT ·sgemm12x32(SB), NOSPLIT, $0-56
	MOVQ k+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), BX
	MOVQ bs+24(FP), DX
	SHLQ $2, DX
	MOVQ c+32(FP), DI
	MOVQ ldc+40(FP), SI
	SHLQ $2, SI

	ZALL(ZCLEAR)

	MOVQ CX, R9
	SHRQ $2, R9
	JZ   ztail

zloop4:
	ZSTEP(0)
	ZSTEP(48)
	ZSTEP(96)
	ZSTEP(144)
	ADDQ $192, AX
	DECQ R9
	JNZ  zloop4

ztail:
	ANDQ $3, CX
	JZ   zepilogue

zloop1:
	ZSTEP(0)
	ADDQ $48, AX
	DECQ CX
	JNZ  zloop1

zepilogue:
	VBROADCASTSS alpha+48(FP), Z30
	MOVQ         DI, R8

	// beta == 0 (either sign; NaN is not zero) overwrites C.
	VMOVSS   beta+52(FP), X31
	VXORPS   X29, X29, X29
	VUCOMISS X29, X31
	JNE      zwithbeta
	JPS      zwithbeta
	ZALL(ZSTORE)
	VZEROUPPER
	RET

zwithbeta:
	VBROADCASTSS beta+52(FP), Z31
	ZALL(ZBETA)
	VZEROUPPER
	RET
