//go:build !purego

#include "go_asm.h"
#include "textflag.h"

// func f32MaxPoolHWCAVX2(a *poolArgs)
//
// The float32 max pool on HWC images (contract in f32_conv_hwc.go, the
// run in pool_hwc.go, poolArgs offsets from go_asm.h): for each pixel of
// the run, its bytes 128 at a time (four vectors), then 32, then 16: the
// first tap loaded, then for each next tap m = VMAXPS(tap, m), which is
// (tap > m) ? tap : m. DI = a, SI = src, DX = the pixel's output, R8 =
// pixels left, R9 = bytes per pixel, R10 = those rounded down to 16, R11
// = the pixel's offset along src, BX = the byte offset in the pixel, R12
// = the tap, R13 = the taps.
#define TAP(off) \
	MOVQ poolArgs_off+off(DI), CX \
	ADDQ R11, CX                  \
	ADDQ BX, CX

TEXT ·f32MaxPoolHWCAVX2(SB), NOSPLIT, $0-8
	MOVQ a+0(FP), DI
	MOVQ poolArgs_src(DI), SI
	MOVQ poolArgs_dst(DI), DX
	MOVQ poolArgs_n(DI), R8
	MOVQ poolArgs_c(DI), R9
	MOVQ poolArgs_taps(DI), R13
	MOVQ R9, R10
	ANDQ $-16, R10
	XORQ R11, R11

fppix:
	XORQ BX, BX

fp128:
	LEAQ    128(BX), AX
	CMPQ    AX, R10
	JGT     fp32
	TAP(0)
	VMOVUPS (SI)(CX*1), Y0
	VMOVUPS 32(SI)(CX*1), Y1
	VMOVUPS 64(SI)(CX*1), Y2
	VMOVUPS 96(SI)(CX*1), Y3
	MOVQ    $1, R12

fp128tap:
	CMPQ    R12, R13
	JGE     fp128st
	MOVQ    poolArgs_off(DI)(R12*8), CX
	ADDQ    R11, CX
	ADDQ    BX, CX
	VMOVUPS (SI)(CX*1), Y4
	VMOVUPS 32(SI)(CX*1), Y5
	VMOVUPS 64(SI)(CX*1), Y6
	VMOVUPS 96(SI)(CX*1), Y7
	VMAXPS  Y0, Y4, Y0
	VMAXPS  Y1, Y5, Y1
	VMAXPS  Y2, Y6, Y2
	VMAXPS  Y3, Y7, Y3
	INCQ    R12
	JMP     fp128tap

fp128st:
	VMOVUPS Y0, (DX)(BX*1)
	VMOVUPS Y1, 32(DX)(BX*1)
	VMOVUPS Y2, 64(DX)(BX*1)
	VMOVUPS Y3, 96(DX)(BX*1)
	ADDQ    $128, BX
	JMP     fp128

fp32:
	LEAQ    32(BX), AX
	CMPQ    AX, R10
	JGT     fp16
	TAP(0)
	VMOVUPS (SI)(CX*1), Y0
	MOVQ    $1, R12

fp32tap:
	CMPQ    R12, R13
	JGE     fp32st
	MOVQ    poolArgs_off(DI)(R12*8), CX
	ADDQ    R11, CX
	ADDQ    BX, CX
	VMOVUPS (SI)(CX*1), Y4
	VMAXPS  Y0, Y4, Y0
	INCQ    R12
	JMP     fp32tap

fp32st:
	VMOVUPS Y0, (DX)(BX*1)
	ADDQ    $32, BX
	JMP     fp32

fp16:
	CMPQ    BX, R10
	JGE     fpnext
	TAP(0)
	VMOVUPS (SI)(CX*1), X0
	MOVQ    $1, R12

fp16tap:
	CMPQ    R12, R13
	JGE     fp16st
	MOVQ    poolArgs_off(DI)(R12*8), CX
	ADDQ    R11, CX
	ADDQ    BX, CX
	VMOVUPS (SI)(CX*1), X4
	VMAXPS  X0, X4, X0
	INCQ    R12
	JMP     fp16tap

fp16st:
	VMOVUPS X0, (DX)(BX*1)

fpnext:
	ADDQ poolArgs_step(DI), R11
	ADDQ R9, DX
	DECQ R8
	JNZ  fppix
	VZEROUPPER
	RET
