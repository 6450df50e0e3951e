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
