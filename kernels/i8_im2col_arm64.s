//go:build !purego

#include "textflag.h"

// func i8Im2colRunsARM64(out, in *byte, n, run, rows, step, pitch, k int)
//
// For each of n pixels and each of its rows window rows: the run bytes
// (8 or more) at in+r*pitch to out+r*run, as 8-byte words from the start
// and a last word ending at run's end; then the next pixel, step bytes
// further along in and k along out.
TEXT ·i8Im2colRunsARM64(SB), NOSPLIT, $0-64
	MOVD out+0(FP), R0
	MOVD in+8(FP), R1
	MOVD n+16(FP), R2
	MOVD run+24(FP), R3
	MOVD rows+32(FP), R4
	MOVD step+40(FP), R5
	MOVD pitch+48(FP), R6
	MOVD k+56(FP), R7
	SUB  $8, R3, R8

im2colpixel:
	MOVD R0, R9
	MOVD R1, R10
	MOVD R4, R11

im2colrow:
	MOVD $0, R14
	CBZ  R8, im2collast

im2colword:
	MOVD (R10)(R14), R12
	MOVD R12, (R9)(R14)
	ADD  $8, R14, R14
	CMP  R8, R14
	BLT  im2colword

im2collast:
	MOVD (R10)(R8), R13
	MOVD R13, (R9)(R8)
	ADD  R6, R10, R10
	ADD  R3, R9, R9
	SUBS $1, R11, R11
	BNE  im2colrow
	ADD  R7, R0, R0
	ADD  R5, R1, R1
	SUBS $1, R2, R2
	BNE  im2colpixel
	RET

// func i8Im2colRuns16ARM64(out, in *byte, n, run, rows, step, pitch, k int)
//
// i8Im2colRunsARM64 for runs of 8 to 16 bytes: the two words at 0 and
// run-8, with no loop over words.
TEXT ·i8Im2colRuns16ARM64(SB), NOSPLIT, $0-64
	MOVD out+0(FP), R0
	MOVD in+8(FP), R1
	MOVD n+16(FP), R2
	MOVD run+24(FP), R3
	MOVD rows+32(FP), R4
	MOVD step+40(FP), R5
	MOVD pitch+48(FP), R6
	MOVD k+56(FP), R7
	SUB  $8, R3, R8

im2col16pixel:
	MOVD R0, R9
	MOVD R1, R10
	MOVD R4, R11

im2col16row:
	MOVD (R10), R12
	MOVD (R10)(R8), R13
	MOVD R12, (R9)
	MOVD R13, (R9)(R8)
	ADD  R6, R10, R10
	ADD  R3, R9, R9
	SUBS $1, R11, R11
	BNE  im2col16row
	ADD  R7, R0, R0
	ADD  R5, R1, R1
	SUBS $1, R2, R2
	BNE  im2col16pixel
	RET
