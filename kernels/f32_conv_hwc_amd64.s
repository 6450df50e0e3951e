//go:build !purego

#include "go_asm.h"
#include "textflag.h"

// func f32ConvHWC6x16FMA(a *f32ConvHWCArgs)
//
// The direct float32 convolution on HWC images (f32_conv_hwc_amd64.go):
// a.n pixels against one panel of 16 output channels packed by PackF32 (k
// steps of 16 floats), 6 pixels at a time. Step t of pixel i reads the
// float at a.img + a.pix[i] + a.taps[t]. Pixel i accumulates channels 0-7
// in Y(2i) and 8-15 in Y(2i+1), from +0, one VFMADD231PS per step in the
// order of the steps: the Sgemm chain. Then + bias, VMAXPS lo and VMINPS
// hi with the value as second operand (a NaN value stays NaN), and the
// pixels that exist stored, all 16 channels or the first ones through the
// masks. A tile's missing pixels have offsets in a.pix (the last pixel's
// again), so every tile reads six.
//
// Registers: DI = a; SI, R12, R13, R8, R14, R15 = pixels 0-5 of the tile;
// R10 = the tile's entries of a.pix; DX = weights; CX = steps left; AX =
// the step's entry of a.taps; R9 = its offset, then the pixels left;
// R11 = the tile's output; BX = ldc. The function reads no global data,
// so R15 is free even when dynamically linked.
#define F32ROW(addr, A, B) \
	VBROADCASTSS addr, Y14     \
	VFMADD231PS  Y12, Y14, A   \
	VFMADD231PS  Y13, Y14, B

// F32EPI adds the bias and clamps pixel (A, B).
#define F32EPI(A, B) \
	VADDPS f32ConvHWCArgs_bias(DI), A, A \
	VADDPS f32ConvHWCArgs_bias+32(DI), B, B \
	VMAXPS A, Y14, A \
	VMAXPS B, Y14, B \
	VMINPS A, Y15, A \
	VMINPS B, Y15, B

// F32OUT stores pixel (A, B) at dst: 16 floats, or through the masks.
#define F32OUT(A, B, dst, dst32, L1, L2) \
	CMPQ       f32ConvHWCArgs_full(DI), $0 \
	JEQ        L1                          \
	VMOVUPS    A, dst                      \
	VMOVUPS    B, dst32                    \
	JMP        L2                          \
L1:                                        \
	VMOVDQU    f32ConvHWCArgs_mask(DI), Y12   \
	VMASKMOVPS A, Y12, dst                 \
	VMOVDQU    f32ConvHWCArgs_mask+32(DI), Y12 \
	VMASKMOVPS B, Y12, dst32               \
L2:

TEXT ·f32ConvHWC6x16FMA(SB), NOSPLIT, $0-8
	MOVQ a+0(FP), DI
	MOVQ f32ConvHWCArgs_pix(DI), R10
	MOVQ f32ConvHWCArgs_c(DI), R11
	MOVQ f32ConvHWCArgs_ldc(DI), BX

f32tile:
	MOVQ f32ConvHWCArgs_img(DI), SI
	MOVQ SI, R12
	MOVQ SI, R13
	MOVQ SI, R8
	MOVQ SI, R14
	MOVQ SI, R15
	ADDQ (R10), SI
	ADDQ 8(R10), R12
	ADDQ 16(R10), R13
	ADDQ 24(R10), R8
	ADDQ 32(R10), R14
	ADDQ 40(R10), R15
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
	MOVQ   f32ConvHWCArgs_b(DI), DX
	MOVQ   f32ConvHWCArgs_k(DI), CX
	MOVQ   f32ConvHWCArgs_taps(DI), AX

f32step:
	VMOVUPS (DX), Y12
	VMOVUPS 32(DX), Y13
	MOVLQSX (AX), R9
	F32ROW((SI)(R9*1), Y0, Y1)
	F32ROW((R12)(R9*1), Y2, Y3)
	F32ROW((R13)(R9*1), Y4, Y5)
	F32ROW((R8)(R9*1), Y6, Y7)
	F32ROW((R14)(R9*1), Y8, Y9)
	F32ROW((R15)(R9*1), Y10, Y11)
	ADDQ $64, DX
	ADDQ $4, AX
	DECQ CX
	JNZ  f32step

	VBROADCASTSS f32ConvHWCArgs_lo(DI), Y14
	VBROADCASTSS f32ConvHWCArgs_hi(DI), Y15
	F32EPI(Y0, Y1)
	F32EPI(Y2, Y3)
	F32EPI(Y4, Y5)
	F32EPI(Y6, Y7)
	F32EPI(Y8, Y9)
	F32EPI(Y10, Y11)

	MOVQ f32ConvHWCArgs_n(DI), R9
	LEAQ (R11)(BX*2), AX
	ADDQ BX, AX
	F32OUT(Y0, Y1, (R11), 32(R11), f32s0a, f32s0b)
	CMPQ R9, $1
	JEQ  f32done
	F32OUT(Y2, Y3, (R11)(BX*1), 32(R11)(BX*1), f32s1a, f32s1b)
	CMPQ R9, $2
	JEQ  f32done
	F32OUT(Y4, Y5, (R11)(BX*2), 32(R11)(BX*2), f32s2a, f32s2b)
	CMPQ R9, $3
	JEQ  f32done
	F32OUT(Y6, Y7, (AX), 32(AX), f32s3a, f32s3b)
	CMPQ R9, $4
	JEQ  f32done
	F32OUT(Y8, Y9, (AX)(BX*1), 32(AX)(BX*1), f32s4a, f32s4b)
	CMPQ R9, $5
	JEQ  f32done
	F32OUT(Y10, Y11, (AX)(BX*2), 32(AX)(BX*2), f32s5a, f32s5b)
	SUBQ $6, R9
	JEQ  f32done
	MOVQ R9, f32ConvHWCArgs_n(DI)

	ADDQ $48, R10
	LEAQ (BX)(BX*2), AX
	LEAQ (R11)(AX*2), R11
	JMP  f32tile

f32done:
	VZEROUPPER
	RET
