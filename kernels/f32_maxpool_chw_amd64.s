//go:build !purego

#include "textflag.h"

// func f32MaxPoolCHWAVX2(dst, src *float32, rows, ld, kw, stride, blocks int)
//
// blocks*8 consecutive outputs of one row of a float32 max pool on a CHW
// channel (f32_maxpool_chw.go), one output per lane: output j's
// window is rows rows (ld bytes apart) of kw cells from src + 4*stride*j.
// The taps go in window order; the first is loaded, each next one t makes
// m = VMAXPS(t, m), (t > m) ? t : m, as the Go loop. With stride 2 a tap's
// 8 lanes are the even floats of 16 consecutive ones (two loads, VSHUFPS
// and VPERMPD), so the last lane reads one float past its cell. DI = dst,
// SI = the block's src, R8 = rows, R9 = ld, R10 = kw, R11 = stride, CX =
// blocks left, AX = the row, BX = the tap's address, DX = the tap.
TEXT ·f32MaxPoolCHWAVX2(SB), NOSPLIT, $0-56
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ rows+16(FP), R8
	MOVQ ld+24(FP), R9
	MOVQ kw+32(FP), R10
	MOVQ stride+40(FP), R11
	MOVQ blocks+48(FP), CX

mcblock:
	// The first tap.
	CMPQ    R11, $2
	JEQ     mcfirst2
	VMOVUPS (SI), Y0
	JMP     mctaps

mcfirst2:
	VMOVUPS (SI), Y1
	VMOVUPS 32(SI), Y2
	VSHUFPS $0x88, Y2, Y1, Y0
	VPERMPD $0xD8, Y0, Y0

mctaps:
	XORQ AX, AX
	MOVQ SI, R12 // the row's first cell
	MOVQ $1, DX  // the row's first tap is done in the first row

mcrow:
	CMPQ DX, R10
	JGE  mcnextrow
	LEAQ (R12)(DX*4), BX
	CMPQ R11, $2
	JEQ  mctap2
	VMOVUPS (BX), Y1
	VMAXPS  Y0, Y1, Y0
	INCQ    DX
	JMP     mcrow

mctap2:
	VMOVUPS (BX), Y1
	VMOVUPS 32(BX), Y2
	VSHUFPS $0x88, Y2, Y1, Y1
	VPERMPD $0xD8, Y1, Y1
	VMAXPS  Y0, Y1, Y0
	INCQ    DX
	JMP     mcrow

mcnextrow:
	INCQ AX
	CMPQ AX, R8
	JGE  mcstore
	ADDQ R9, R12
	XORQ DX, DX
	JMP  mcrow

mcstore:
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	MOVQ    R11, AX
	SHLQ    $5, AX
	ADDQ    AX, SI
	DECQ    CX
	JNZ     mcblock
	VZEROUPPER
	RET
