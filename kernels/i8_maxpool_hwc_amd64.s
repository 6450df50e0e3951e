//go:build !purego

#include "go_asm.h"
#include "textflag.h"

// func i8MaxPoolHWCAVX2(a *poolArgs)
//
// The int8 max pool on HWC images (contract in i8_conv_hwc.go, poolArgs
// offsets from go_asm.h): for each pixel of the run, the channels 32 at a
// time (then 16), VPMAXSB over the window's taps. DI = a, SI = src, DX =
// the pixel's output, R8 = pixels left, R9 = c, R10 = c rounded down to
// 16, R11 = the pixel's offset along src, BX = the channel offset, R12 =
// the tap.
TEXT ·i8MaxPoolHWCAVX2(SB), NOSPLIT, $0-8
	MOVQ a+0(FP), DI
	MOVQ poolArgs_src(DI), SI
	MOVQ poolArgs_dst(DI), DX
	MOVQ poolArgs_n(DI), R8
	MOVQ poolArgs_c(DI), R9
	MOVQ R9, R10
	ANDQ $-16, R10
	XORQ R11, R11

mppix:
	XORQ BX, BX

mp32:
	LEAQ    32(BX), AX
	CMPQ    AX, R10
	JGT     mp16
	MOVQ    poolArgs_off(DI), CX
	ADDQ    R11, CX
	ADDQ    BX, CX
	VMOVDQU (SI)(CX*1), Y0
	MOVQ    $1, R12

mp32tap:
	CMPQ    R12, poolArgs_taps(DI)
	JGE     mp32st
	MOVQ    poolArgs_off(DI)(R12*8), CX
	ADDQ    R11, CX
	ADDQ    BX, CX
	VPMAXSB (SI)(CX*1), Y0, Y0
	INCQ    R12
	JMP     mp32tap

mp32st:
	VMOVDQU Y0, (DX)(BX*1)
	ADDQ    $32, BX
	JMP     mp32

mp16:
	CMPQ    BX, R10
	JGE     mpnext
	MOVQ    poolArgs_off(DI), CX
	ADDQ    R11, CX
	ADDQ    BX, CX
	VMOVDQU (SI)(CX*1), X0
	MOVQ    $1, R12

mp16tap:
	CMPQ    R12, poolArgs_taps(DI)
	JGE     mp16st
	MOVQ    poolArgs_off(DI)(R12*8), CX
	ADDQ    R11, CX
	ADDQ    BX, CX
	VPMAXSB (SI)(CX*1), X0, X0
	INCQ    R12
	JMP     mp16tap

mp16st:
	VMOVDQU X0, (DX)(BX*1)

mpnext:
	ADDQ poolArgs_step(DI), R11
	ADDQ R9, DX
	DECQ R8
	JNZ  mppix
	VZEROUPPER
	RET
