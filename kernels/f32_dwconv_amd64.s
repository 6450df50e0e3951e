//go:build !purego

#include "go_asm.h"
#include "textflag.h"

// func f32Dw8cAVX2(a *dwF32Args)
//
// The float32 depthwise convolution of the amd64 paths (contract and
// exactness rule in f32_dwconv.go, dwF32Args offsets from go_asm.h): the
// pixels of the run four at a time, and for each four every block of 8
// channels, so that the four windows are read while they are in the L1
// cache (block by block over the whole run, each pass read 32 bytes of
// every 64-byte line and the next pass read the lines again). Each output
// is an FMA chain over the taps in order (VFMADD231PS, one rounding each),
// then + bias, VMAXPS lo and VMINPS hi with the value as the second
// operand, so that a NaN value stays NaN as with Go's max and min.
//
// Registers: DI = a, SI = the bias, R8 = the block's byte offset, DX =
// R8 + the pixel's byte offset along src and the pad row, R9 = the
// pixel's byte offset, R11 = step in bytes, R12 = the bytes of a pixel in
// dst, R13 = pixels left, R14 = the pixel's output, AX = the tap's
// weights (the blocks' weights follow each other, [blocks][taps][8]),
// CX = the tap, R10 and BX = the tap's pointers for pixels 0 and 2. Y14 =
// lo, Y15 = hi. The frame holds the tap pointers at 0(SP) and the bytes
// of the blocks at 200(SP).
TEXT ·f32Dw8cAVX2(SB), NOSPLIT, $208-8
	MOVQ a+0(FP), DI
	MOVQ dwF32Args_taps(DI), CX
	MOVQ dwF32Args_padMask(DI), R8
	MOVQ dwF32Args_src(DI), R9
	MOVQ dwF32Args_pad(DI), R10
	XORQ BX, BX

fdptr:
	MOVQ    dwF32Args_off(DI)(BX*8), AX
	SHLQ    $2, AX
	LEAQ    (R9)(AX*1), R11
	ADDQ    R10, AX
	BTQ     BX, R8
	CMOVQCC R11, AX
	MOVQ    AX, 0(SP)(BX*8)
	INCQ    BX
	CMPQ    BX, CX
	JLT     fdptr

	VBROADCASTSS dwF32Args_lo(DI), Y14
	VBROADCASTSS dwF32Args_hi(DI), Y15
	MOVQ         dwF32Args_step(DI), R11
	SHLQ         $2, R11
	MOVQ         dwF32Args_c(DI), R12
	SHLQ         $2, R12
	MOVQ         dwF32Args_blocks(DI), AX
	SHLQ         $5, AX
	MOVQ         AX, 200(SP)
	MOVQ         dwF32Args_bias(DI), SI
	MOVQ         dwF32Args_n(DI), R13
	MOVQ         dwF32Args_dst(DI), R14
	XORQ         R9, R9

fdpix4:
	CMPQ R13, $4
	JLT  fdpix1
	MOVQ dwF32Args_w(DI), AX
	XORQ R8, R8

fdblk4:
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	LEAQ   (R9)(R8*1), DX
	XORQ   CX, CX

fdtap4:
	MOVQ        0(SP)(CX*8), R10
	ADDQ        DX, R10
	LEAQ        (R10)(R11*2), BX
	VMOVUPS     (AX), Y4
	VFMADD231PS (R10), Y4, Y0
	VFMADD231PS (R10)(R11*1), Y4, Y1
	VFMADD231PS (BX), Y4, Y2
	VFMADD231PS (BX)(R11*1), Y4, Y3
	ADDQ        $32, AX
	INCQ        CX
	CMPQ        CX, dwF32Args_taps(DI)
	JLT         fdtap4

	VADDPS  (SI)(R8*1), Y0, Y0
	VADDPS  (SI)(R8*1), Y1, Y1
	VADDPS  (SI)(R8*1), Y2, Y2
	VADDPS  (SI)(R8*1), Y3, Y3
	VMAXPS  Y0, Y14, Y0
	VMAXPS  Y1, Y14, Y1
	VMAXPS  Y2, Y14, Y2
	VMAXPS  Y3, Y14, Y3
	VMINPS  Y0, Y15, Y0
	VMINPS  Y1, Y15, Y1
	VMINPS  Y2, Y15, Y2
	VMINPS  Y3, Y15, Y3
	LEAQ    (R14)(R8*1), R10
	LEAQ    (R10)(R12*2), BX
	VMOVUPS Y0, (R10)
	VMOVUPS Y1, (R10)(R12*1)
	VMOVUPS Y2, (BX)
	VMOVUPS Y3, (BX)(R12*1)
	ADDQ    $32, R8
	CMPQ    R8, 200(SP)
	JLT     fdblk4

	LEAQ (R9)(R11*4), R9
	LEAQ (R14)(R12*4), R14
	SUBQ $4, R13
	JMP  fdpix4

fdpix1:
	TESTQ R13, R13
	JZ    fddone
	MOVQ  dwF32Args_w(DI), AX
	XORQ  R8, R8

fdblk1:
	VXORPS Y0, Y0, Y0
	LEAQ   (R9)(R8*1), DX
	XORQ   CX, CX

fdtap1:
	MOVQ        0(SP)(CX*8), R10
	VMOVUPS     (AX), Y4
	VFMADD231PS (R10)(DX*1), Y4, Y0
	ADDQ        $32, AX
	INCQ        CX
	CMPQ        CX, dwF32Args_taps(DI)
	JLT         fdtap1

	VADDPS  (SI)(R8*1), Y0, Y0
	VMAXPS  Y0, Y14, Y0
	VMINPS  Y0, Y15, Y0
	VMOVUPS Y0, (R14)(R8*1)
	ADDQ    $32, R8
	CMPQ    R8, 200(SP)
	JLT     fdblk1

	ADDQ R11, R9
	ADDQ R12, R14
	DECQ R13
	JMP  fdpix1

fddone:
	VZEROUPPER
	RET
