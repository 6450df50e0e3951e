//go:build !purego

#include "textflag.h"

// func f32Transpose8AVX2(t *float32, ldt int, rows *[8]*float32, w int)
//
// Writes column j of the eight rows (w floats each, w a multiple of 8) as
// the eight consecutive floats t[j*ldt:j*ldt+8], an 8x8 block per step:
// interleave pairs of rows (VUNPCKLPS/VUNPCKHPS), then pairs of pairs
// (VSHUFPS), then swap 128-bit halves (VPERM2F128). R8-R15 = the rows, DI
// = the block's first row of t, DX = ldt in bytes, SI = the column offset
// in bytes, CX = its end.
TEXT ·f32Transpose8AVX2(SB), NOSPLIT, $0-32
	MOVQ t+0(FP), DI
	MOVQ ldt+8(FP), DX
	SHLQ $2, DX
	MOVQ rows+16(FP), AX
	MOVQ 0(AX), R8
	MOVQ 8(AX), R9
	MOVQ 16(AX), R10
	MOVQ 24(AX), R11
	MOVQ 32(AX), R12
	MOVQ 40(AX), R13
	MOVQ 48(AX), R14
	MOVQ 56(AX), R15
	MOVQ w+24(FP), CX
	SHLQ $2, CX
	XORQ SI, SI

block:
	VMOVUPS (R8)(SI*1), Y0
	VMOVUPS (R9)(SI*1), Y1
	VMOVUPS (R10)(SI*1), Y2
	VMOVUPS (R11)(SI*1), Y3
	VMOVUPS (R12)(SI*1), Y4
	VMOVUPS (R13)(SI*1), Y5
	VMOVUPS (R14)(SI*1), Y6
	VMOVUPS (R15)(SI*1), Y7

	// Y8 = a0 b0 a1 b1 | a4 b4 a5 b5, Y9 = a2 b2 a3 b3 | a6 b6 a7 b7, ...
	VUNPCKLPS Y1, Y0, Y8
	VUNPCKHPS Y1, Y0, Y9
	VUNPCKLPS Y3, Y2, Y10
	VUNPCKHPS Y3, Y2, Y11
	VUNPCKLPS Y5, Y4, Y12
	VUNPCKHPS Y5, Y4, Y13
	VUNPCKLPS Y7, Y6, Y14
	VUNPCKHPS Y7, Y6, Y15

	// Y0 = a0 b0 c0 d0 | a4 b4 c4 d4, Y1 = a1 b1 c1 d1 | a5 ..., ...
	VSHUFPS $0x44, Y10, Y8, Y0
	VSHUFPS $0xee, Y10, Y8, Y1
	VSHUFPS $0x44, Y11, Y9, Y2
	VSHUFPS $0xee, Y11, Y9, Y3
	VSHUFPS $0x44, Y14, Y12, Y4
	VSHUFPS $0xee, Y14, Y12, Y5
	VSHUFPS $0x44, Y15, Y13, Y6
	VSHUFPS $0xee, Y15, Y13, Y7

	// Column j: the low halves of Yj and Y(j+4) for j < 4, the high
	// halves of Y(j-4) and Yj after.
	VPERM2F128 $0x20, Y4, Y0, Y8
	VPERM2F128 $0x20, Y5, Y1, Y9
	VPERM2F128 $0x20, Y6, Y2, Y10
	VPERM2F128 $0x20, Y7, Y3, Y11
	VPERM2F128 $0x31, Y4, Y0, Y12
	VPERM2F128 $0x31, Y5, Y1, Y13
	VPERM2F128 $0x31, Y6, Y2, Y14
	VPERM2F128 $0x31, Y7, Y3, Y15

	MOVQ    DI, AX
	VMOVUPS Y8, (AX)
	ADDQ    DX, AX
	VMOVUPS Y9, (AX)
	ADDQ    DX, AX
	VMOVUPS Y10, (AX)
	ADDQ    DX, AX
	VMOVUPS Y11, (AX)
	ADDQ    DX, AX
	VMOVUPS Y12, (AX)
	ADDQ    DX, AX
	VMOVUPS Y13, (AX)
	ADDQ    DX, AX
	VMOVUPS Y14, (AX)
	ADDQ    DX, AX
	VMOVUPS Y15, (AX)
	ADDQ    DX, AX
	MOVQ    AX, DI

	ADDQ $32, SI
	CMPQ SI, CX
	JLT  block
	VZEROUPPER
	RET
