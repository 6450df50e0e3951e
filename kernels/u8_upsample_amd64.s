//go:build !purego

#include "textflag.h"

// SUMS sets YR to the 16 words 3*near[off+i] + far[off+i] (Y7 clobbered).
#define SUMS(off, YR) \
	VPMOVZXBW off(SI), YR  \
	VPMOVZXBW off(DX), Y7  \
	VPADDW    YR, Y7, Y7   \
	VPADDW    YR, YR, YR   \
	VPADDW    Y7, YR, YR

// func upsample16AVX2(dst, near, far *uint8, m int)
//
// 16 chroma columns a step, in 16-bit lanes (the sums stay below 4096):
// the even outputs in the low bytes of the words, the odd ones shifted
// into the high bytes, so that the words stored are the outputs in order.
TEXT ·upsample16AVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ near+8(FP), SI
	MOVQ far+16(FP), DX
	MOVQ m+24(FP), CX
	MOVL         $8, AX
	VMOVD        AX, X8
	VPBROADCASTW X8, Y8 // the even outputs' rounding
	MOVL         $7, AX
	VMOVD        AX, X9
	VPBROADCASTW X9, Y9 // the odd ones'

loop:
	SUMS(0, Y0) // s[j]
	SUMS(1, Y1) // s[j+1]
	SUMS(2, Y2) // s[j+2]
	VPADDW Y1, Y1, Y3
	VPADDW Y1, Y3, Y3 // 3 s[j+1]
	VPADDW Y3, Y0, Y0
	VPADDW Y8, Y0, Y0
	VPSRLW $4, Y0, Y0 // even
	VPADDW Y3, Y2, Y2
	VPADDW Y9, Y2, Y2
	VPSRLW $4, Y2, Y2
	VPSLLW $8, Y2, Y2 // odd, in the high bytes
	VPOR   Y2, Y0, Y0
	VMOVDQU Y0, (DI)
	ADDQ $32, DI
	ADDQ $16, SI
	ADDQ $16, DX
	SUBQ $16, CX
	JNZ  loop
	VZEROUPPER
	RET

// func upsampleH2V1x16AVX2(dst, row *uint8, m int)
//
// upsample16AVX2 without the second row: the samples at offsets 0, 1, 2
// are the sums, and the roundings are 1 and 2 with a shift of 2.
TEXT ·upsampleH2V1x16AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ row+8(FP), SI
	MOVQ m+16(FP), CX
	MOVL         $1, AX
	VMOVD        AX, X8
	VPBROADCASTW X8, Y8 // the even outputs' rounding
	MOVL         $2, AX
	VMOVD        AX, X9
	VPBROADCASTW X9, Y9 // the odd ones'

loop1:
	VPMOVZXBW (SI), Y0  // row[j]
	VPMOVZXBW 1(SI), Y1 // row[j+1]
	VPMOVZXBW 2(SI), Y2 // row[j+2]
	VPADDW Y1, Y1, Y3
	VPADDW Y1, Y3, Y3 // 3 row[j+1]
	VPADDW Y3, Y0, Y0
	VPADDW Y8, Y0, Y0
	VPSRLW $2, Y0, Y0 // even
	VPADDW Y3, Y2, Y2
	VPADDW Y9, Y2, Y2
	VPSRLW $2, Y2, Y2
	VPSLLW $8, Y2, Y2 // odd, in the high bytes
	VPOR   Y2, Y0, Y0
	VMOVDQU Y0, (DI)
	ADDQ $32, DI
	ADDQ $16, SI
	SUBQ $16, CX
	JNZ  loop1
	VZEROUPPER
	RET
