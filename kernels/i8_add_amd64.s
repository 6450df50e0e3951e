//go:build !purego

#include "go_asm.h"
#include "textflag.h"

// The int8 addition of the amd64 paths. Go declarations and the parameter
// layout are in i8_add_amd64.go; addArgs offsets come from go_asm.h.

// ADDQM scales the 8 int32 of A as quant.MultiplyByQuantizedMultiplier
// with no left shift: (A*M + 2^30) >> 31 from the 64-bit products of even
// and odd lanes (M broadcast at Mo(AX)), then the rounding divide by
// 2^right (count in CNT): A >> right, plus one where A&mask + (A>>31) >
// mask>>1. Neither A nor the product can be MinInt32 here (the inputs
// are int8 shifted left by 20), so the high multiply never saturates.
// Y12 = 2^30 per qword; uses Y4 and Y5.
#define ADDQM(A, Mo, MASKo, HALFo, CNT) \
	VPMULDQ  Mo(AX), A, Y4      \
	VPSRLQ   $32, A, Y5         \
	VPMULDQ  Mo(AX), Y5, Y5     \
	VPADDQ   Y12, Y4, Y4        \
	VPADDQ   Y12, Y5, Y5        \
	VPSRLQ   $31, Y4, Y4        \
	VPSLLQ   $1, Y5, Y5         \
	VPBLENDD $0xAA, Y5, Y4, A   \
	VPAND    MASKo(AX), A, Y4   \
	VPSRAD   $31, A, Y5         \
	VPADDD   Y5, Y4, Y4         \
	VPCMPGTD HALFo(AX), Y4, Y4  \
	VPSRAD   CNT, A, A          \
	VPSUBD   Y4, A, A

// func i8AddAVX2(dst, a, b *int8, steps int, v *addArgs)
TEXT ·i8AddAVX2(SB), NOSPLIT, $0-40
	MOVQ    dst+0(FP), DI
	MOVQ    a+8(FP), SI
	MOVQ    b+16(FP), DX
	MOVQ    steps+24(FP), CX
	MOVQ    v+32(FP), AX
	VMOVQ   addArgs_rightA(AX), X13
	VMOVQ   addArgs_rightB(AX), X14
	VMOVQ   addArgs_rightOut(AX), X15
	VMOVDQU addArgs_round(AX), Y12

addloop:
	VPMOVSXBD (SI), Y0
	VPMOVSXBD 8(SI), Y1
	VPMOVSXBD (DX), Y2
	VPMOVSXBD 8(DX), Y3
	VPSUBD    addArgs_zpA(AX), Y0, Y0
	VPSUBD    addArgs_zpA(AX), Y1, Y1
	VPSUBD    addArgs_zpB(AX), Y2, Y2
	VPSUBD    addArgs_zpB(AX), Y3, Y3
	VPSLLD    $const_AddLeftShift, Y0, Y0
	VPSLLD    $const_AddLeftShift, Y1, Y1
	VPSLLD    $const_AddLeftShift, Y2, Y2
	VPSLLD    $const_AddLeftShift, Y3, Y3
	ADDQM(Y0, addArgs_multA, addArgs_maskA, addArgs_halfA, X13)
	ADDQM(Y1, addArgs_multA, addArgs_maskA, addArgs_halfA, X13)
	ADDQM(Y2, addArgs_multB, addArgs_maskB, addArgs_halfB, X14)
	ADDQM(Y3, addArgs_multB, addArgs_maskB, addArgs_halfB, X14)
	VPADDD    Y2, Y0, Y0
	VPADDD    Y3, Y1, Y1
	ADDQM(Y0, addArgs_multOut, addArgs_maskO, addArgs_halfO, X15)
	ADDQM(Y1, addArgs_multOut, addArgs_maskO, addArgs_halfO, X15)

	// To int16 (elements 0-3, 8-11 | 4-7, 12-15, reordered), + zero point,
	// to int8 (both saturating), clamped.
	VPACKSSDW    Y1, Y0, Y0
	VPERMQ       $0xD8, Y0, Y0
	VPADDSW      addArgs_zpOut(AX), Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPACKSSWB    X1, X0, X0
	VPMAXSB      addArgs_lo(AX), X0, X0
	VPMINSB      addArgs_hi(AX), X0, X0
	VMOVDQU      X0, (DI)
	ADDQ         $16, SI
	ADDQ         $16, DX
	ADDQ         $16, DI
	DECQ         CX
	JNZ          addloop
	VZEROUPPER
	RET
