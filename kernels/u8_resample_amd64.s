//go:build !purego

#include "textflag.h"

// func resampleRows16AVX2(out *uint8, n int, src *uint8, stride int, k *int32, taps int, shift uint64, round int32)
TEXT ·resampleRows16AVX2(SB), NOSPLIT, $0-60
	MOVQ         out+0(FP), DI
	MOVQ         n+8(FP), CX
	MOVQ         src+16(FP), SI
	MOVQ         stride+24(FP), DX
	MOVQ         k+32(FP), R8
	MOVQ         taps+40(FP), R9
	VMOVQ        shift+48(FP), X15
	MOVL         round+56(FP), AX
	VMOVD        AX, X14
	VPBROADCASTD X14, Y14

step:
	VMOVDQA Y14, Y0 // outputs 0-7
	VMOVDQA Y14, Y1 // outputs 8-15
	MOVQ    SI, R10
	MOVQ    R8, R11
	MOVQ    R9, R12

tap:
	VPBROADCASTD (R11), Y2
	VPMOVZXBD    (R10), Y3
	VPMOVZXBD    8(R10), Y4
	VPMULLD      Y2, Y3, Y3
	VPMULLD      Y2, Y4, Y4
	VPADDD       Y3, Y0, Y0
	VPADDD       Y4, Y1, Y1
	ADDQ         DX, R10
	ADDQ         $4, R11
	DECQ         R12
	JNZ          tap

	VPSRAD       X15, Y0, Y0
	VPSRAD       X15, Y1, Y1
	VPACKSSDW    Y1, Y0, Y0   // words 0-3, 8-11 | 4-7, 12-15
	VPERMQ       $0xD8, Y0, Y0 // words 0-7 | 8-15
	VEXTRACTI128 $1, Y0, X1
	VPACKUSWB    X1, X0, X0
	VMOVDQU      X0, (DI)
	ADDQ         $16, DI
	ADDQ         $16, SI
	SUBQ         $16, CX
	JNZ          step
	VZEROUPPER
	RET
