//go:build !purego

#include "go_asm.h"
#include "textflag.h"

// func f32GemmHWC6x16FMA(a *f32HWCArgs)
//
// The float32 GEMM of HWC activations (f32_gemm_hwc_amd64.go): a.n pixels
// (rows of A, a.lda bytes apart, read in place) against one panel of 16
// output channels packed by PackF32 (k steps of 16 floats), 6 pixels at a
// time. Pixel i accumulates channels 0-7 in Y(2i) and 8-15 in Y(2i+1),
// from +0, one VFMADD231PS per step in the order of k: the Sgemm chain.
// Then + bias, VMAXPS lo and VMINPS hi with the value as second operand
// (a NaN value stays NaN), and the pixels that exist stored, all 16
// channels or the first ones through the masks. A tile's missing pixels
// read the last pixel again.
//
// Registers: DI = a, SI, R12, R13, R8, R14, R15 = pixels 0-5 of the tile
// (a.row5 holds pixel 5's while the pointers are set up), R9 = lda, DX =
// weights, CX = steps left, AX = the offset along k, R10 = pixels left,
// R11 = the tile's output, BX = ldc. The function reads no global data,
// so R15 is free even when dynamically linked.
#define F32ROW(addr, A, B) \
	VBROADCASTSS addr, Y14     \
	VFMADD231PS  Y12, Y14, A   \
	VFMADD231PS  Y13, Y14, B

// F32EPI adds the bias and clamps pixel (A, B).
#define F32EPI(A, B) \
	VADDPS f32HWCArgs_bias(DI), A, A \
	VADDPS f32HWCArgs_bias+32(DI), B, B \
	VMAXPS A, Y14, A \
	VMAXPS B, Y14, B \
	VMINPS A, Y15, A \
	VMINPS B, Y15, B

// F32OUT stores pixel (A, B) at dst: 16 floats, or through the masks.
#define F32OUT(A, B, dst, dst32, L1, L2) \
	CMPQ       f32HWCArgs_full(DI), $0 \
	JEQ        L1                      \
	VMOVUPS    A, dst                  \
	VMOVUPS    B, dst32                \
	JMP        L2                      \
L1:                                    \
	VMOVDQU    f32HWCArgs_mask(DI), Y12   \
	VMASKMOVPS A, Y12, dst             \
	VMOVDQU    f32HWCArgs_mask+32(DI), Y12 \
	VMASKMOVPS B, Y12, dst32           \
L2:

TEXT ·f32GemmHWC6x16FMA(SB), NOSPLIT, $0-8
	MOVQ a+0(FP), DI
	MOVQ f32HWCArgs_a(DI), SI
	MOVQ f32HWCArgs_lda(DI), R9
	MOVQ f32HWCArgs_c(DI), R11
	MOVQ f32HWCArgs_ldc(DI), BX
	MOVQ f32HWCArgs_n(DI), R10

f32tile:
	// Row pointers: pixel i < R10 at SI + i*lda, the others the last one.
	MOVQ SI, R12
	MOVQ SI, R13
	MOVQ SI, R8
	MOVQ SI, R14
	MOVQ SI, AX
	CMPQ R10, $1
	JEQ  f32rows
	ADDQ R9, R12
	MOVQ R12, R13
	MOVQ R12, R8
	MOVQ R12, R14
	MOVQ R12, AX
	CMPQ R10, $2
	JEQ  f32rows
	ADDQ R9, R13
	MOVQ R13, R8
	MOVQ R13, R14
	MOVQ R13, AX
	CMPQ R10, $3
	JEQ  f32rows
	ADDQ R9, R8
	MOVQ R8, R14
	MOVQ R8, AX
	CMPQ R10, $4
	JEQ  f32rows
	ADDQ R9, R14
	MOVQ R14, AX
	CMPQ R10, $5
	JEQ  f32rows
	ADDQ R9, AX

f32rows:
	// Spill pixel 5's pointer: AX is the offset along k in the loop.
	MOVQ   AX, f32HWCArgs_row5(DI)
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	MOVQ   f32HWCArgs_b(DI), DX
	MOVQ   f32HWCArgs_k(DI), CX
	XORQ   AX, AX
	MOVQ   f32HWCArgs_row5(DI), R15

f32step:
	VMOVUPS (DX), Y12
	VMOVUPS 32(DX), Y13
	F32ROW((SI)(AX*1), Y0, Y1)
	F32ROW((R12)(AX*1), Y2, Y3)
	F32ROW((R13)(AX*1), Y4, Y5)
	F32ROW((R8)(AX*1), Y6, Y7)
	F32ROW((R14)(AX*1), Y8, Y9)
	F32ROW((R15)(AX*1), Y10, Y11)
	ADDQ $64, DX
	ADDQ $4, AX
	DECQ CX
	JNZ  f32step

	VBROADCASTSS f32HWCArgs_lo(DI), Y14
	VBROADCASTSS f32HWCArgs_hi(DI), Y15
	F32EPI(Y0, Y1)
	F32EPI(Y2, Y3)
	F32EPI(Y4, Y5)
	F32EPI(Y6, Y7)
	F32EPI(Y8, Y9)
	F32EPI(Y10, Y11)

	LEAQ (R11)(BX*2), AX
	ADDQ BX, AX
	F32OUT(Y0, Y1, (R11), 32(R11), f32s0a, f32s0b)
	CMPQ R10, $1
	JEQ  f32done
	F32OUT(Y2, Y3, (R11)(BX*1), 32(R11)(BX*1), f32s1a, f32s1b)
	CMPQ R10, $2
	JEQ  f32done
	F32OUT(Y4, Y5, (R11)(BX*2), 32(R11)(BX*2), f32s2a, f32s2b)
	CMPQ R10, $3
	JEQ  f32done
	F32OUT(Y6, Y7, (AX), 32(AX), f32s3a, f32s3b)
	CMPQ R10, $4
	JEQ  f32done
	F32OUT(Y8, Y9, (AX)(BX*1), 32(AX)(BX*1), f32s4a, f32s4b)
	CMPQ R10, $5
	JEQ  f32done
	F32OUT(Y10, Y11, (AX)(BX*2), 32(AX)(BX*2), f32s5a, f32s5b)
	SUBQ $6, R10
	JEQ  f32done

	LEAQ (R9)(R9*2), AX
	LEAQ (SI)(AX*2), SI
	LEAQ (BX)(BX*2), AX
	LEAQ (R11)(AX*2), R11
	JMP  f32tile

f32done:
	VZEROUPPER
	RET
