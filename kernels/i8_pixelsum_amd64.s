//go:build !purego

#include "textflag.h"

// SumPixelsInt8 of the amd64 paths; Go declarations in i8_pixelsum_amd64.go.

// func i8PixelSum16AVX2(acc *int32, src *int8, blocks, pixels, stride int)
//
// Per block of 16 channels: each pixel sign-extended to int16 lanes and
// summed, the even pixels into Y0 and the odd ones into Y1 so that two
// chains of additions run at once; at most 256 values of [-128, 127] per
// lane, so no partial sum wraps. Then the two halves are added and widened
// into the block's 16 int32 sums.
TEXT ·i8PixelSum16AVX2(SB), NOSPLIT, $0-40
	MOVQ acc+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ blocks+16(FP), CX
	MOVQ pixels+24(FP), DX
	MOVQ stride+32(FP), BX
	LEAQ (BX)(BX*1), R8

sumblock:
	MOVQ   SI, R9
	LEAQ   (SI)(BX*1), R10
	VPXOR  Y0, Y0, Y0
	VPXOR  Y1, Y1, Y1
	MOVQ   DX, R11
	SHRQ   $1, R11
	JZ     sumodd

sumpair:
	VPMOVSXBW (R9), Y2
	VPMOVSXBW (R10), Y3
	VPADDW    Y2, Y0, Y0
	VPADDW    Y3, Y1, Y1
	ADDQ      R8, R9
	ADDQ      R8, R10
	DECQ      R11
	JNZ       sumpair

sumodd:
	TESTQ     $1, DX
	JZ        sumfold
	VPMOVSXBW (R9), Y2
	VPADDW    Y2, Y0, Y0

sumfold:
	VPADDW       Y1, Y0, Y0
	VPMOVSXWD    X0, Y2
	VEXTRACTI128 $1, Y0, X3
	VPMOVSXWD    X3, Y3
	VPADDD       (DI), Y2, Y2
	VPADDD       32(DI), Y3, Y3
	VMOVDQU      Y2, (DI)
	VMOVDQU      Y3, 32(DI)
	ADDQ         $64, DI
	ADDQ         $16, SI
	DECQ         CX
	JNZ          sumblock
	VZEROUPPER
	RET
