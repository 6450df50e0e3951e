//go:build !purego

#include "textflag.h"

// The accumulators of row i are V(2i) (columns 0-3) and V(2i+1) (4-7).

// Two rows of one step p: broadcast A values into V18/V19 (R0 += 8), then
// four FMLAs with the B row in V16:V17.
#define ROWS(r0, r1, r2, r3) \
	VLD1R.P 4(R0), [V18.S4]      \
	VLD1R.P 4(R0), [V19.S4]      \
	VFMLA   V16.S4, V18.S4, r0   \
	VFMLA   V17.S4, V18.S4, r1   \
	VFMLA   V16.S4, V19.S4, r2   \
	VFMLA   V17.S4, V19.S4, r3

// The product alpha*acc of one register (V26 = alpha, V27 = -0), computed
// exactly rounded as fma(alpha, acc, -0), left in acc.
#define SCALE(acc) \
	VORR  V27.B16, V27.B16, V28.B16 \
	VFMLA V26.S4, acc.S4, V28.S4    \
	VORR  V28.B16, V28.B16, acc.B16

// Row = row + beta*C for the row at R3 (V29 = beta, V30 = 1.0), stored back,
// then R3 += R4. beta*C is fma(beta, C, -0); the sum is fma(beta*C, 1, row).
#define BETAROW(lo, hi) \
	VLD1    (R3), [V16.S4, V17.S4]         \
	VORR    V27.B16, V27.B16, V18.B16      \
	VORR    V27.B16, V27.B16, V19.B16      \
	VFMLA   V29.S4, V16.S4, V18.S4         \
	VFMLA   V29.S4, V17.S4, V19.S4         \
	VFMLA   V30.S4, V18.S4, lo             \
	VFMLA   V30.S4, V19.S4, hi             \
	VST1.P  [lo, hi], (R3)(R4)

// func sgemm8x8(k int, a, b *float32, bs int, c *float32, ldc int, alpha, beta float32)
TEXT ·sgemm8x8(SB), NOSPLIT, $0-56
	MOVD k+0(FP), R5
	MOVD a+8(FP), R0
	MOVD b+16(FP), R1
	MOVD bs+24(FP), R2
	LSL  $2, R2, R2
	MOVD c+32(FP), R3
	MOVD ldc+40(FP), R4
	LSL  $2, R4, R4

	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V2.B16, V2.B16, V2.B16
	VEOR V3.B16, V3.B16, V3.B16
	VEOR V4.B16, V4.B16, V4.B16
	VEOR V5.B16, V5.B16, V5.B16
	VEOR V6.B16, V6.B16, V6.B16
	VEOR V7.B16, V7.B16, V7.B16
	VEOR V8.B16, V8.B16, V8.B16
	VEOR V9.B16, V9.B16, V9.B16
	VEOR V10.B16, V10.B16, V10.B16
	VEOR V11.B16, V11.B16, V11.B16
	VEOR V12.B16, V12.B16, V12.B16
	VEOR V13.B16, V13.B16, V13.B16
	VEOR V14.B16, V14.B16, V14.B16
	VEOR V15.B16, V15.B16, V15.B16

loop:
	VLD1.P (R1)(R2), [V16.S4, V17.S4]
	ROWS(V0.S4, V1.S4, V2.S4, V3.S4)
	ROWS(V4.S4, V5.S4, V6.S4, V7.S4)
	ROWS(V8.S4, V9.S4, V10.S4, V11.S4)
	ROWS(V12.S4, V13.S4, V14.S4, V15.S4)
	SUBS $1, R5, R5
	BNE  loop

	FMOVS alpha+48(FP), F26
	VDUP  V26.S[0], V26.S4
	MOVW  $0x80000000, R6
	VDUP  R6, V27.S4
	SCALE(V0)
	SCALE(V1)
	SCALE(V2)
	SCALE(V3)
	SCALE(V4)
	SCALE(V5)
	SCALE(V6)
	SCALE(V7)
	SCALE(V8)
	SCALE(V9)
	SCALE(V10)
	SCALE(V11)
	SCALE(V12)
	SCALE(V13)
	SCALE(V14)
	SCALE(V15)

	// beta == 0 (either sign; NaN is not zero) overwrites C.
	FMOVS beta+52(FP), F29
	FCMPS $(0.0), F29
	BNE   withbeta

	VST1.P [V0.S4, V1.S4], (R3)(R4)
	VST1.P [V2.S4, V3.S4], (R3)(R4)
	VST1.P [V4.S4, V5.S4], (R3)(R4)
	VST1.P [V6.S4, V7.S4], (R3)(R4)
	VST1.P [V8.S4, V9.S4], (R3)(R4)
	VST1.P [V10.S4, V11.S4], (R3)(R4)
	VST1.P [V12.S4, V13.S4], (R3)(R4)
	VST1.P [V14.S4, V15.S4], (R3)(R4)
	RET

withbeta:
	VDUP  V29.S[0], V29.S4
	MOVW  $0x3f800000, R6
	VDUP  R6, V30.S4
	BETAROW(V0.S4, V1.S4)
	BETAROW(V2.S4, V3.S4)
	BETAROW(V4.S4, V5.S4)
	BETAROW(V6.S4, V7.S4)
	BETAROW(V8.S4, V9.S4)
	BETAROW(V10.S4, V11.S4)
	BETAROW(V12.S4, V13.S4)
	BETAROW(V14.S4, V15.S4)
	RET
