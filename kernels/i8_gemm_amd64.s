//go:build !purego

#include "go_asm.h"
#include "textflag.h"
#include "vexdpbusd_amd64.h"

// The int8 micro-kernels of the avx2 and vnni paths, and their activation
// packers. Go declarations, layouts and the driver are in int8_amd64.go.
//
// The i8Epi offsets (the per-tile epilogue parameters) come from go_asm.h.

// Constants: 2^30 (the rounding term of the doubling high multiply) as a
// quadword, and the dword order that undoes VPACKSS's 128-bit lanes.
DATA i8round30<>+0(SB)/8, $0x40000000
GLOBL i8round30<>(SB), RODATA|NOPTR, $8

DATA i8permd<>+0(SB)/4, $0
DATA i8permd<>+4(SB)/4, $4
DATA i8permd<>+8(SB)/4, $1
DATA i8permd<>+12(SB)/4, $5
DATA i8permd<>+16(SB)/4, $2
DATA i8permd<>+20(SB)/4, $6
DATA i8permd<>+24(SB)/4, $3
DATA i8permd<>+28(SB)/4, $7
GLOBL i8permd<>(SB), RODATA|NOPTR, $32

DATA i8flip<>+0(SB)/4, $0x80808080
GLOBL i8flip<>(SB), RODATA|NOPTR, $4

// ---------------------------------------------------------------------------
// avx2: 6×16 tile, int16 operands, VPMADDWD + VPADDD.
//
// Weight panel: per step s (two k values) 16 rows × 2 int16 = 64 bytes, of
// which the kernel reads 6 rows (24 bytes at w, the caller picks them).
// Activation panel: per step s 16 columns × 2 int16 = 64 bytes.
// Row i of the tile accumulates in Y(2i) (columns 0-7) and Y(2i+1) (8-15).

#define A2STEP(wo, xo) \
	VMOVDQU      (xo)(SI), Y12      \
	VMOVDQU      (xo+32)(SI), Y13   \
	VPBROADCASTD (wo)(DX), Y14      \
	VPMADDWD     Y12, Y14, Y15      \
	VPADDD       Y15, Y0, Y0        \
	VPMADDWD     Y13, Y14, Y15      \
	VPADDD       Y15, Y1, Y1        \
	VPBROADCASTD (wo+4)(DX), Y14    \
	VPMADDWD     Y12, Y14, Y15      \
	VPADDD       Y15, Y2, Y2        \
	VPMADDWD     Y13, Y14, Y15      \
	VPADDD       Y15, Y3, Y3        \
	VPBROADCASTD (wo+8)(DX), Y14    \
	VPMADDWD     Y12, Y14, Y15      \
	VPADDD       Y15, Y4, Y4        \
	VPMADDWD     Y13, Y14, Y15      \
	VPADDD       Y15, Y5, Y5        \
	VPBROADCASTD (wo+12)(DX), Y14   \
	VPMADDWD     Y12, Y14, Y15      \
	VPADDD       Y15, Y6, Y6        \
	VPMADDWD     Y13, Y14, Y15      \
	VPADDD       Y15, Y7, Y7        \
	VPBROADCASTD (wo+16)(DX), Y14   \
	VPMADDWD     Y12, Y14, Y15      \
	VPADDD       Y15, Y8, Y8        \
	VPMADDWD     Y13, Y14, Y15      \
	VPADDD       Y15, Y9, Y9        \
	VPBROADCASTD (wo+20)(DX), Y14   \
	VPMADDWD     Y12, Y14, Y15      \
	VPADDD       Y15, Y10, Y10      \
	VPMADDWD     Y13, Y14, Y15      \
	VPADDD       Y15, Y11, Y11

// Saturating left shift of A by the count at 16(SP): where shifting back
// does not return A, the result is MaxInt32 or MinInt32 by A's sign.
// Uses Y12-Y15.
#define A2LSHIFT(A) \
	VPSLLD    16(SP), A, Y13      \
	VPSRAD    16(SP), Y13, Y14    \
	VPCMPEQD  Y14, A, Y14         \
	VPCMPEQD  Y12, Y12, Y12       \
	VPSRLD    $1, Y12, Y12        \
	VPSRAD    $31, A, Y15         \
	VPXOR     Y12, Y15, Y15       \
	VPBLENDVB Y14, Y13, Y15, A

// SaturatingRoundingDoublingHighMul without the saturation: per lane
// (A*M + 2^30) >> 31, from the 64-bit products of even and odd lanes.
// Y12 = M in every dword, Y13 = 2^30 in every qword; uses Y14, Y15.
#define A2SRDHM(A) \
	VPMULDQ  Y12, A, Y14          \
	VPSRLQ   $32, A, Y15          \
	VPMULDQ  Y12, Y15, Y15        \
	VPADDQ   Y13, Y14, Y14        \
	VPADDQ   Y13, Y15, Y15        \
	VPSRLQ   $31, Y14, Y14        \
	VPSLLQ   $1, Y15, Y15         \
	VPBLENDD $0xAA, Y15, Y14, A

// The one overflow of the high multiply (MinInt32 * MinInt32) left
// MinInt32 in A; it must be MaxInt32. Y12 = MinInt32 in every dword.
#define A2SATMIN(A) \
	VPCMPEQD Y12, A, Y13 \
	VPXOR    Y13, A, A

// RoundingDivideByPOT by the count at 0(SP): Y12 = mask 2^r-1, Y13 =
// mask>>1; result = (A >> r) + (A&mask + (A>>31) > mask>>1).
#define A2RDIV(A) \
	VPAND    Y12, A, Y14          \
	VPSRAD   $31, A, Y15          \
	VPADDD   Y15, Y14, Y14        \
	VPCMPGTD Y13, Y14, Y14        \
	VPSRAD   0(SP), A, A          \
	VPSUBD   Y14, A, A

// The requantize epilogue of row r (accumulators A, B), up to the
// clamp: bias, saturating left shift, high multiply, rounding right shift.
// R8 = bias, R9 = multipliers, R10 = shifts.
#define A2ROW(r, A, B, L1, L2, L3) \
	VPBROADCASTD (r*4)(R8), Y12       \
	VPADDD       Y12, A, A            \
	VPADDD       Y12, B, B            \
	MOVLQSX      (r*4)(R10), AX       \
	TESTQ        AX, AX               \
	JLE          L1          \
	MOVQ         AX, 16(SP)           \
	A2LSHIFT(A)                       \
	A2LSHIFT(B)                       \
	XORQ         AX, AX               \
L1:                          \
	NEGQ         AX                   \
	MOVQ         AX, 0(SP)            \
	VPBROADCASTD (r*4)(R9), Y12       \
	VPBROADCASTQ i8round30<>(SB), Y13 \
	A2SRDHM(A)                        \
	A2SRDHM(B)                        \
	CMPL         (r*4)(R9), $-2147483648 \
	JNE          L2           \
	VPCMPEQD     Y12, Y12, Y12        \
	VPSLLD       $31, Y12, Y12        \
	A2SATMIN(A)                       \
	A2SATMIN(B)                       \
L2:                           \
	TESTQ        AX, AX               \
	JZ           L3            \
	MOVL         $1, BX               \
	MOVQ         AX, CX               \
	SHLL         CX, BX               \
	DECL         BX                   \
	VMOVD        BX, X12              \
	VPBROADCASTD X12, Y12             \
	SHRL         $1, BX               \
	VMOVD        BX, X13              \
	VPBROADCASTD X13, Y13             \
	A2RDIV(A)                         \
	A2RDIV(B)                         \
L3:

// Rows A (Y(a), Y(a+1)) and C (Y(c), Y(c+1)) to int8, with the zero point
// added and clamped: saturating packs to int16, + zp (saturating), pack to
// int8 (saturating), clamp, and a dword permutation that restores column
// order. Row a lands in the low 16 bytes of Ya, row c in the high ones.
// Y12 = zp words, Y13 = lo bytes, Y14 = hi bytes, Y15 = permutation.
#define A2PACK(a0, a1, c0, c1) \
	VPACKSSDW a1, a0, a0 \
	VPACKSSDW c1, c0, c0 \
	VPADDSW   Y12, a0, a0 \
	VPADDSW   Y12, c0, c0 \
	VPACKSSWB c0, a0, a0 \
	VPMAXSB   Y13, a0, a0 \
	VPMINSB   Y14, a0, a0 \
	VPERMD    a0, Y15, a0

// The end of a 6×16 kernel on requantized rows Y0/Y1 ... Y10/Y11: pack
// them to int8 and store ep.rows rows of 16 bytes at c + i*ldc, then
// return. end names the label of the return.
#define A2STORE(end) \
	MOVQ         ep+40(FP), DI         \
	VPBROADCASTW i8Epi_zp(DI), Y12        \
	VPBROADCASTB i8Epi_lo(DI), Y13        \
	VPBROADCASTB i8Epi_hi(DI), Y14        \
	VMOVDQU      i8permd<>(SB), Y15    \
	A2PACK(Y0, Y1, Y2, Y3)             \
	A2PACK(Y4, Y5, Y6, Y7)             \
	A2PACK(Y8, Y9, Y10, Y11)           \
	MOVLQSX      i8Epi_rows(DI), CX       \
	MOVQ         c+24(FP), DI          \
	MOVQ         ldc+32(FP), BX        \
	VMOVDQU      X0, (DI)              \
	DECQ         CX                    \
	JZ           end                   \
	VEXTRACTI128 $1, Y0, (DI)(BX*1)    \
	LEAQ         (DI)(BX*2), DI        \
	DECQ         CX                    \
	JZ           end                   \
	VMOVDQU      X4, (DI)              \
	DECQ         CX                    \
	JZ           end                   \
	VEXTRACTI128 $1, Y4, (DI)(BX*1)    \
	LEAQ         (DI)(BX*2), DI        \
	DECQ         CX                    \
	JZ           end                   \
	VMOVDQU      X8, (DI)              \
	DECQ         CX                    \
	JZ           end                   \
	VEXTRACTI128 $1, Y8, (DI)(BX*1)    \
end:                                   \
	VZEROUPPER                         \
	RET

// func i8Gemm6x16c2AVX2(ks int, w *int8, x *byte, c *int8, ldc int, ep *i8Epi)
TEXT ·i8Gemm6x16c2AVX2(SB), NOSPLIT, $32-48
	MOVQ ks+0(FP), CX
	MOVQ w+8(FP), DX
	MOVQ x+16(FP), SI

	VPXOR   Y0, Y0, Y0
	VPXOR   Y1, Y1, Y1
	VPXOR   Y2, Y2, Y2
	VPXOR   Y3, Y3, Y3
	VPXOR   Y4, Y4, Y4
	VPXOR   Y5, Y5, Y5
	VPXOR   Y6, Y6, Y6
	VPXOR   Y7, Y7, Y7
	VPXOR   Y8, Y8, Y8
	VPXOR   Y9, Y9, Y9
	VPXOR   Y10, Y10, Y10
	VPXOR   Y11, Y11, Y11

	MOVQ CX, R11
	SHRQ $2, R11
	JZ   a2tail

a2loop4:
	A2STEP(0, 0)
	A2STEP(64, 64)
	A2STEP(128, 128)
	A2STEP(192, 192)
	ADDQ $256, DX
	ADDQ $256, SI
	DECQ R11
	JNZ  a2loop4

a2tail:
	ANDQ $3, CX
	JZ   a2epi

a2loop1:
	A2STEP(0, 0)
	ADDQ $64, DX
	ADDQ $64, SI
	DECQ CX
	JNZ  a2loop1

a2epi:
	MOVQ ep+40(FP), DI
	MOVQ i8Epi_bias(DI), R8
	MOVQ i8Epi_mult(DI), R9
	MOVQ i8Epi_shift(DI), R10
	MOVQ $0, 8(SP)
	MOVQ $0, 24(SP)
	A2ROW(0, Y0, Y1, a2nl0, a2nm0, a2dn0)
	A2ROW(1, Y2, Y3, a2nl1, a2nm1, a2dn1)
	A2ROW(2, Y4, Y5, a2nl2, a2nm2, a2dn2)
	A2ROW(3, Y6, Y7, a2nl3, a2nm3, a2dn3)
	A2ROW(4, Y8, Y9, a2nl4, a2nm4, a2dn4)
	A2ROW(5, Y10, Y11, a2nl5, a2nm5, a2dn5)

	A2STORE(a2end)

// func i8Pack16c2AVX2(ks int, x *int8, off *int32, dst *byte)
// For steps s < ks: rows 2s and 2s+1 of X (16 contiguous bytes each, at
// x+off[2s] and x+off[2s+1]) interleaved as 16 pairs of int16 (64 bytes at
// dst+64s).
TEXT ·i8Pack16c2AVX2(SB), NOSPLIT, $0-32
	MOVQ ks+0(FP), CX
	MOVQ x+8(FP), SI
	MOVQ off+16(FP), BX
	MOVQ dst+24(FP), DI
	TESTQ CX, CX
	JZ    p2done

p2loop:
	MOVLQSX    (BX), R8
	MOVLQSX    4(BX), R9
	VMOVDQU    (SI)(R8*1), X0
	VMOVDQU    (SI)(R9*1), X1
	VPUNPCKLBW X1, X0, X2
	VPUNPCKHBW X1, X0, X3
	VPMOVSXBW  X2, Y2
	VPMOVSXBW  X3, Y3
	VMOVDQU    Y2, (DI)
	VMOVDQU    Y3, 32(DI)
	ADDQ       $8, BX
	ADDQ       $64, DI
	DECQ       CX
	JNZ        p2loop

p2done:
	VZEROUPPER
	RET

// ---------------------------------------------------------------------------
// vnni: 8×32 tile on ZMM registers, VPDPBUSD (unsigned activations + 128,
// signed weights).
//
// Weight panel: per step s (four k values) 16 rows × 4 int8 = 64 bytes; the
// kernel reads 8 of them (32 bytes at w, the caller picks the half).
// Activation panel: per step s 32 columns × 4 uint8 = 128 bytes.
// Row i of the tile accumulates in Z(2i) (columns 0-15) and Z(2i+1) (16-31).

#define V8ROW(wo, A, B, T) \
	VPBROADCASTD (wo)(DX), T \
	VPDPBUSD     T, Z16, A   \
	VPDPBUSD     T, Z17, B

#define V8STEP(wo, xo) \
	VMOVDQU32 (xo)(SI), Z16           \
	VMOVDQU32 (xo+64)(SI), Z17        \
	V8ROW(wo, Z0, Z1, Z18)            \
	V8ROW(wo+4, Z2, Z3, Z19)          \
	V8ROW(wo+8, Z4, Z5, Z20)          \
	V8ROW(wo+12, Z6, Z7, Z21)         \
	V8ROW(wo+16, Z8, Z9, Z18)         \
	V8ROW(wo+20, Z10, Z11, Z19)       \
	V8ROW(wo+24, Z12, Z13, Z20)       \
	V8ROW(wo+28, Z14, Z15, Z21)

// Saturating left shift of A by X18 (see A2LSHIFT). Z29 = MaxInt32.
#define V8LSHIFT(A) \
	VPSLLD    X18, A, Z19      \
	VPSRAD    X18, Z19, Z20    \
	VPCMPEQD  Z20, A, K1       \
	VPSRAD    $31, A, Z21      \
	VPXORD    Z29, Z21, Z21    \
	VPBLENDMD Z19, Z21, K1, A

// (A*M + 2^30) >> 31 per lane; Z16 = M, Z30 = 2^30 per qword, K2 = odd lanes.
#define V8SRDHM(A) \
	VPMULDQ   Z16, A, Z19      \
	VPSRLQ    $32, A, Z20      \
	VPMULDQ   Z16, Z20, Z20    \
	VPADDQ    Z30, Z19, Z19    \
	VPADDQ    Z30, Z20, Z20    \
	VPSRLQ    $31, Z19, Z19    \
	VPSLLQ    $1, Z20, Z20     \
	VPBLENDMD Z20, Z19, K2, A

// MinInt32 (the overflow of MinInt32*MinInt32) becomes MaxInt32. Z22 =
// MinInt32, Z31 = -1.
#define V8SATMIN(A) \
	VPCMPEQD Z22, A, K1 \
	VPXORD   Z31, A, K1, A

// RoundingDivideByPOT by X18: Z16 = mask, Z17 = mask>>1.
#define V8RDIV(A) \
	VPANDD   Z16, A, Z19       \
	VPSRAD   $31, A, Z20       \
	VPADDD   Z20, Z19, Z19     \
	VPCMPGTD Z17, Z19, K1      \
	VPSRAD   X18, A, A         \
	VPSUBD   Z31, A, K1, A

// Zero point, clamp and store 16 int8: Z28 = lo-zp, Z27 = hi-zp, Z26 = zp.
#define V8STORE(A, off) \
	VPMAXSD Z28, A, A \
	VPMINSD Z27, A, A \
	VPADDD  Z26, A, A \
	VPMOVDB A, off(DI)

// The epilogue of row r (A, B): R8 = bias, R11 = bias correction, R9 =
// multipliers, R10 = shifts; stores at DI, then DI += ldc (R12).
#define V8ROWEPI(r, A, B, L1, L2, L3) \
	VPBROADCASTD (r*4)(R8), Z16       \
	VPBROADCASTD (r*4)(R11), Z17      \
	VPADDD       Z17, Z16, Z16        \
	VPADDD       Z16, A, A            \
	VPADDD       Z16, B, B            \
	MOVLQSX      (r*4)(R10), AX       \
	TESTQ        AX, AX               \
	JLE          L1                   \
	VMOVQ        AX, X18              \
	V8LSHIFT(A)                       \
	V8LSHIFT(B)                       \
	XORQ         AX, AX               \
L1:                                   \
	NEGQ         AX                   \
	VPBROADCASTD (r*4)(R9), Z16       \
	V8SRDHM(A)                        \
	V8SRDHM(B)                        \
	CMPL         (r*4)(R9), $-2147483648 \
	JNE          L2                   \
	V8SATMIN(A)                       \
	V8SATMIN(B)                       \
L2:                                   \
	TESTQ        AX, AX               \
	JZ           L3                   \
	VMOVQ        AX, X18              \
	MOVL         $1, BX               \
	MOVQ         AX, CX               \
	SHLL         CX, BX               \
	DECL         BX                   \
	VPBROADCASTD BX, Z16              \
	SHRL         $1, BX               \
	VPBROADCASTD BX, Z17              \
	V8RDIV(A)                         \
	V8RDIV(B)                         \
L3:                                   \
	V8STORE(A, 0)                     \
	V8STORE(B, 16)                    \
	ADDQ         R12, DI              \
	DECQ         R13                  \
	JZ           v8end

// func i8Gemm8x32c4VNNI(ks int, w *int8, x *byte, c *int8, ldc int, ep *i8Epi)
TEXT ·i8Gemm8x32c4VNNI(SB), NOSPLIT, $0-48
	MOVQ ks+0(FP), CX
	MOVQ w+8(FP), DX
	MOVQ x+16(FP), SI

	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15

	MOVQ CX, R11
	SHRQ $2, R11
	JZ   v8tail

v8loop4:
	V8STEP(0, 0)
	V8STEP(64, 128)
	V8STEP(128, 256)
	V8STEP(192, 384)
	ADDQ $256, DX
	ADDQ $512, SI
	DECQ R11
	JNZ  v8loop4

v8tail:
	ANDQ $3, CX
	JZ   v8epi

v8loop1:
	V8STEP(0, 0)
	ADDQ $64, DX
	ADDQ $128, SI
	DECQ CX
	JNZ  v8loop1

v8epi:
	MOVQ ep+40(FP), DI
	MOVQ i8Epi_bias(DI), R8
	MOVQ i8Epi_corr(DI), R11
	MOVQ i8Epi_mult(DI), R9
	MOVQ i8Epi_shift(DI), R10
	VPBROADCASTD i8Epi_loz(DI), Z28
	VPBROADCASTD i8Epi_hiz(DI), Z27
	VPBROADCASTD i8Epi_zp(DI), Z26
	VPBROADCASTQ i8round30<>(SB), Z30
	VPTERNLOGD   $0xff, Z31, Z31, Z31
	VPSRLD       $1, Z31, Z29
	VPSLLD       $31, Z31, Z22
	MOVL         $0xaaaa, AX
	KMOVW        AX, K2
	MOVLQSX      i8Epi_rows(DI), R13
	MOVQ         c+24(FP), DI
	MOVQ         ldc+32(FP), R12

	V8ROWEPI(0, Z0, Z1, v8nl0, v8nm0, v8dn0)
	V8ROWEPI(1, Z2, Z3, v8nl1, v8nm1, v8dn1)
	V8ROWEPI(2, Z4, Z5, v8nl2, v8nm2, v8dn2)
	V8ROWEPI(3, Z6, Z7, v8nl3, v8nm3, v8dn3)
	V8ROWEPI(4, Z8, Z9, v8nl4, v8nm4, v8dn4)
	V8ROWEPI(5, Z10, Z11, v8nl5, v8nm5, v8dn5)
	V8ROWEPI(6, Z12, Z13, v8nl6, v8nm6, v8dn6)
	V8ROWEPI(7, Z14, Z15, v8nl7, v8nm7, v8dn7)

v8end:
	VZEROUPPER
	RET

// PACKSTEP packs the four rows of one step into column groups: it loads
// 32 or 16 bytes of each (at SI plus the offsets at BX), flips them to
// uint8 with F (0x80 in every byte), and interleaves them so that T0 ... T3
// hold the columns' 4-byte groups, four columns per 128-bit lane, in
// order within each lane. R0-R3 and U0-U3 are scratch; all are YMM (32
// columns) or XMM (16 columns) registers alike.
#define PACKSTEP(F, R0, R1, R2, R3, U0, U1, U2, U3, T0, T1, T2, T3) \
	MOVLQSX    (BX), R8           \
	MOVLQSX    4(BX), R9          \
	MOVLQSX    8(BX), R10         \
	MOVLQSX    12(BX), R11        \
	VPXOR      (SI)(R8*1), F, R0  \
	VPXOR      (SI)(R9*1), F, R1  \
	VPXOR      (SI)(R10*1), F, R2 \
	VPXOR      (SI)(R11*1), F, R3 \
	VPUNPCKLBW R1, R0, U0         \
	VPUNPCKHBW R1, R0, U1         \
	VPUNPCKLBW R3, R2, U2         \
	VPUNPCKHBW R3, R2, U3         \
	VPUNPCKLWD U2, U0, T0         \
	VPUNPCKHWD U2, U0, T1         \
	VPUNPCKLWD U3, U1, T2         \
	VPUNPCKHWD U3, U1, T3

// func i8Pack32c4VNNI(ks int, x *int8, off *int32, dst *byte)
// For steps s < ks: rows 4s ... 4s+3 of X (32 contiguous bytes each, at
// x+off[4s] ... x+off[4s+3]) + 128 as uint8, transposed into 32 columns of
// 4 bytes (128 bytes at dst+128s).
TEXT ·i8Pack32c4VNNI(SB), NOSPLIT, $0-32
	MOVQ ks+0(FP), CX
	MOVQ x+8(FP), SI
	MOVQ off+16(FP), BX
	MOVQ dst+24(FP), DI
	TESTQ CX, CX
	JZ    pvdone
	VPBROADCASTD i8flip<>(SB), Y15

pvloop:
	PACKSTEP(Y15, Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11)
	VPERM2I128 $0x20, Y9, Y8, Y12
	VPERM2I128 $0x20, Y11, Y10, Y13
	VPERM2I128 $0x31, Y9, Y8, Y14
	VPERM2I128 $0x31, Y11, Y10, Y8
	VMOVDQU    Y12, (DI)
	VMOVDQU    Y13, 32(DI)
	VMOVDQU    Y14, 64(DI)
	VMOVDQU    Y8, 96(DI)
	ADDQ       $16, BX
	ADDQ       $128, DI
	DECQ       CX
	JNZ        pvloop

pvdone:
	VZEROUPPER
	RET

// ---------------------------------------------------------------------------
// avxvnni: 6×16 tile on YMM registers, VPDPBUSD in its VEX form (AVX-VNNI,
// for CPUs without AVX-512; VEXDPBUSD of vexdpbusd_amd64.h), with the avx2
// path's epilogue.
//
// Weight panel: per step s (four k values) 6 rows × 4 int8 = 24 bytes.
// Activation panel: per step s 16 columns × 4 uint8 = 64 bytes.
// Row i of the tile accumulates in Y(2i) (columns 0-7) and Y(2i+1) (8-15).

#define AVROW(wo, a, b) \
	VPBROADCASTD (wo)(DX), Y14 \
	VEXDPBUSD(a, 12, 14)       \
	VEXDPBUSD(b, 13, 14)

#define AVSTEP(wo, xo) \
	VMOVDQU (xo)(SI), Y12    \
	VMOVDQU (xo+32)(SI), Y13 \
	AVROW(wo, 0, 1)          \
	AVROW(wo+4, 2, 3)        \
	AVROW(wo+8, 4, 5)        \
	AVROW(wo+12, 6, 7)       \
	AVROW(wo+16, 8, 9)       \
	AVROW(wo+20, 10, 11)

// The +128 of the activations added 128*rowSum to row r; R12 points at
// -128*rowSum per row.
#define AVCORR(r, A, B) \
	VPBROADCASTD (r*4)(R12), Y12 \
	VPADDD       Y12, A, A       \
	VPADDD       Y12, B, B

// func i8Gemm6x16c4AVXVNNI(ks int, w *int8, x *byte, c *int8, ldc int, ep *i8Epi)
TEXT ·i8Gemm6x16c4AVXVNNI(SB), NOSPLIT, $32-48
	MOVQ ks+0(FP), CX
	MOVQ w+8(FP), DX
	MOVQ x+16(FP), SI

	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3
	VPXOR Y4, Y4, Y4
	VPXOR Y5, Y5, Y5
	VPXOR Y6, Y6, Y6
	VPXOR Y7, Y7, Y7
	VPXOR Y8, Y8, Y8
	VPXOR Y9, Y9, Y9
	VPXOR Y10, Y10, Y10
	VPXOR Y11, Y11, Y11

	MOVQ CX, R11
	SHRQ $2, R11
	JZ   avtail

avloop4:
	AVSTEP(0, 0)
	AVSTEP(24, 64)
	AVSTEP(48, 128)
	AVSTEP(72, 192)
	ADDQ $96, DX
	ADDQ $256, SI
	DECQ R11
	JNZ  avloop4

avtail:
	ANDQ $3, CX
	JZ   avepi

avloop1:
	AVSTEP(0, 0)
	ADDQ $24, DX
	ADDQ $64, SI
	DECQ CX
	JNZ  avloop1

avepi:
	MOVQ ep+40(FP), DI
	MOVQ i8Epi_corr(DI), R12
	AVCORR(0, Y0, Y1)
	AVCORR(1, Y2, Y3)
	AVCORR(2, Y4, Y5)
	AVCORR(3, Y6, Y7)
	AVCORR(4, Y8, Y9)
	AVCORR(5, Y10, Y11)
	MOVQ i8Epi_bias(DI), R8
	MOVQ i8Epi_mult(DI), R9
	MOVQ i8Epi_shift(DI), R10
	MOVQ $0, 8(SP)
	MOVQ $0, 24(SP)
	A2ROW(0, Y0, Y1, avnl0, avnm0, avdn0)
	A2ROW(1, Y2, Y3, avnl1, avnm1, avdn1)
	A2ROW(2, Y4, Y5, avnl2, avnm2, avdn2)
	A2ROW(3, Y6, Y7, avnl3, avnm3, avdn3)
	A2ROW(4, Y8, Y9, avnl4, avnm4, avdn4)
	A2ROW(5, Y10, Y11, avnl5, avnm5, avdn5)
	A2STORE(avend)

// func i8Pack16c4AVXVNNI(ks int, x *int8, off *int32, dst *byte)
// For steps s < ks: rows 4s ... 4s+3 of X (16 contiguous bytes each, at
// x+off[4s] ... x+off[4s+3]) + 128 as uint8, transposed into 16 columns of
// 4 bytes (64 bytes at dst+64s).
TEXT ·i8Pack16c4AVXVNNI(SB), NOSPLIT, $0-32
	MOVQ ks+0(FP), CX
	MOVQ x+8(FP), SI
	MOVQ off+16(FP), BX
	MOVQ dst+24(FP), DI
	TESTQ CX, CX
	JZ    pavdone
	VPBROADCASTD i8flip<>(SB), X15

pavloop:
	PACKSTEP(X15, X0, X1, X2, X3, X4, X5, X6, X7, X8, X9, X10, X11)
	VMOVDQU    X8, (DI)
	VMOVDQU    X9, 16(DI)
	VMOVDQU    X10, 32(DI)
	VMOVDQU    X11, 48(DI)
	ADDQ       $16, BX
	ADDQ       $64, DI
	DECQ       CX
	JNZ        pavloop

pavdone:
	VZEROUPPER
	RET
