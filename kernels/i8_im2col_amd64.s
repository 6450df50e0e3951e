//go:build !purego

#include "textflag.h"

// func i8Im2colRunsAMD64(out, in *byte, n, run, rows, step, pitch, k int)
//
// For each of n pixels and each of its rows window rows: the run bytes
// (8 or more) at in+r*pitch to out+r*run, as 8-byte words from the start
// and a last word ending at run's end; then the next pixel, step bytes
// further along in and k along out.
TEXT ·i8Im2colRunsAMD64(SB), NOSPLIT, $0-64
	MOVQ out+0(FP), DI
	MOVQ in+8(FP), SI
	MOVQ n+16(FP), CX
	MOVQ run+24(FP), DX
	MOVQ step+40(FP), R12
	MOVQ pitch+48(FP), R13
	LEAQ -8(DX), R8

im2colpixel:
	MOVQ DI, R9
	MOVQ SI, R10
	MOVQ rows+32(FP), R11

im2colrow:
	XORQ  BX, BX
	TESTQ R8, R8
	JZ    im2collast

im2colword:
	MOVQ (R10)(BX*1), AX
	MOVQ AX, (R9)(BX*1)
	ADDQ $8, BX
	CMPQ BX, R8
	JLT  im2colword

im2collast:
	MOVQ (R10)(R8*1), AX
	MOVQ AX, (R9)(R8*1)
	ADDQ R13, R10
	ADDQ DX, R9
	DECQ R11
	JNZ  im2colrow
	ADDQ k+56(FP), DI
	ADDQ R12, SI
	DECQ CX
	JNZ  im2colpixel
	RET
