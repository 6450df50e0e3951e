//go:build !purego

#include "go_asm.h"
#include "textflag.h"

// The pixel-major int8 GEMM kernel of the avx2 path and its activation
// packer. Go declarations, layouts and the driver are in i8_gemm_amd64.go;
// pxArgs offsets and the lane indices come from go_asm.h.
//
// A tile is 6 pixels × 16 channels: pixel i accumulates channels 0-7 in
// Y(2i) and 8-15 in Y(2i+1), from the bias. Per step (two k values) the
// kernel loads the panel's 16 channels' weight pairs (Y12, Y13) and, for
// each pixel, broadcasts its activation pair (two int16) and multiplies
// with VPMADDWD, which adds each channel's two products into its lane.
//
// Registers: R10 = pxArgs, BX = the tile's first pixel in x, SI and R8 =
// pixels 0 and 3 of the tile moving along k, R9 = ldx, DX = weights, CX =
// steps left, R11 = the tile's output, R12 = ldc, R13 = pixels left, R14 =
// lanes. The frame holds the zero point (int16), lo and hi (int8) as
// vectors at 0, 32 and 64(SP).

// 2^30, the rounding term of the doubling high multiply, per quadword.
DATA pxround30<>+0(SB)/8, $0x40000000
DATA pxround30<>+8(SB)/8, $0x40000000
DATA pxround30<>+16(SB)/8, $0x40000000
DATA pxround30<>+24(SB)/8, $0x40000000
GLOBL pxround30<>(SB), RODATA|NOPTR, $32

// PXROW multiplies the activation pair at addr by the weights in Y12 and
// Y13 and accumulates into A (channels 0-7) and B (8-15).
#define PXROW(addr, A, B) \
	VPBROADCASTD addr, Y14       \
	VPMADDWD     Y12, Y14, Y15   \
	VPADDD       Y15, A, A       \
	VPMADDWD     Y13, Y14, Y14   \
	VPADDD       Y14, B, B

// PXSTEP is one step of the six pixels: weights at wo(DX), activations
// xo bytes along each pixel's row.
#define PXSTEP(wo, xo) \
	VMOVDQU wo(DX), Y12             \
	VMOVDQU wo+32(DX), Y13          \
	PXROW(xo(SI), Y0, Y1)           \
	PXROW(xo(SI)(R9*1), Y2, Y3)     \
	PXROW(xo(SI)(R9*2), Y4, Y5)     \
	PXROW(xo(R8), Y6, Y7)           \
	PXROW(xo(R8)(R9*1), Y8, Y9)     \
	PXROW(xo(R8)(R9*2), Y10, Y11)

// The requantize epilogue of the 8 channels in A, whose parameters are
// at o(R14) of each lane unit (o = 0: channels 0-7, 32: 8-15), as the
// depthwise kernel's DWLEFT, DWSRDHM, DWMINFIX and DWRDIV: the saturating
// left shift; (A*M + 2^30) >> 31 from the 64-bit products of even and
// odd lanes; MinInt32 (only MinInt32² gives it) to MaxInt32; the
// rounding divide, A >> right plus one where A&mask + (A>>31) > mask>>1.
// PXLEFT and PXMINFIX are needed only when some channel shifts left or
// some multiplier is MinInt32. They use Y12-Y15.
#define PXLEFT(A, o) \
	VMOVDQU   const_pxLaneLeft*64+o(R14), Y14 \
	VPSLLVD   Y14, A, Y12                     \
	VPSRAVD   Y14, Y12, Y13                   \
	VPCMPEQD  Y13, A, Y13                     \
	VPSRAD    $31, A, Y14                     \
	VPCMPEQD  Y15, Y15, Y15                   \
	VPSRLD    $1, Y15, Y15                    \
	VPXOR     Y15, Y14, Y14                   \
	VPBLENDVB Y13, Y12, Y14, A

#define PXSRDHM(A, o) \
	VPMULDQ  const_pxLaneMult*64+o(R14), A, Y12     \
	VPSRLQ   $32, A, Y13                            \
	VPMULDQ  const_pxLaneMultOdd*64+o(R14), Y13, Y13 \
	VPADDQ   pxround30<>(SB), Y12, Y12              \
	VPADDQ   pxround30<>(SB), Y13, Y13              \
	VPSRLQ   $31, Y12, Y12                          \
	VPSLLQ   $1, Y13, Y13                           \
	VPBLENDD $0xAA, Y13, Y12, A

#define PXMINFIX(A) \
	VPCMPEQD Y15, Y15, Y15 \
	VPSLLD   $31, Y15, Y15 \
	VPCMPEQD Y15, A, Y15   \
	VPXOR    Y15, A, A

#define PXRDIV(A, o) \
	VPAND    const_pxLaneMask*64+o(R14), A, Y12  \
	VPSRAD   $31, A, Y13                         \
	VPADDD   Y13, Y12, Y12                       \
	VPCMPGTD const_pxLaneHalf*64+o(R14), Y12, Y12 \
	VPSRAVD  const_pxLaneRight*64+o(R14), A, A   \
	VPSUBD   Y12, A, A

#define PXEPI(A, B) \
	PXSRDHM(A, 0)  \
	PXRDIV(A, 0)   \
	PXSRDHM(B, 32) \
	PXRDIV(B, 32)

#define PXEPIGEN(A, B) \
	PXLEFT(A, 0)   \
	PXSRDHM(A, 0)  \
	PXMINFIX(A)    \
	PXRDIV(A, 0)   \
	PXLEFT(B, 32)  \
	PXSRDHM(B, 32) \
	PXMINFIX(B)    \
	PXRDIV(B, 32)

// PXPACK turns pixel (A, B)'s 16 channels into int8 in XA: to int16
// (channels 0-3, 8-11 | 4-7, 12-15, reordered), + zero point, to int8
// (both saturating), clamped.
#define PXPACK(A, B, XA) \
	VPACKSSDW    B, A, A      \
	VPERMQ       $0xD8, A, A  \
	VPADDSW      0(SP), A, A  \
	VEXTRACTI128 $1, A, X12   \
	VPACKSSWB    X12, XA, XA  \
	VPMAXSB      32(SP), XA, XA \
	VPMINSB      64(SP), XA, XA

// PXOUT stores XA's 16 channels at dst, or 8 when store8 is set.
#define PXOUT(XA, dst, L1, L2) \
	CMPL    pxArgs_store8(R10), $0 \
	JNE     L1                     \
	VMOVDQU XA, dst                \
	JMP     L2                     \
L1:                                \
	VMOVQ   XA, dst                \
L2:

// func i8GemmHWC6x16c2AVX2(a *pxArgs)
TEXT ·i8GemmHWC6x16c2AVX2(SB), NOSPLIT, $96-8
	MOVQ         a+0(FP), R10
	VPBROADCASTW pxArgs_zp(R10), Y12
	VMOVDQU      Y12, 0(SP)
	VPBROADCASTB pxArgs_lo(R10), Y12
	VMOVDQU      Y12, 32(SP)
	VPBROADCASTB pxArgs_hi(R10), Y12
	VMOVDQU      Y12, 64(SP)
	MOVQ         pxArgs_x(R10), BX
	MOVQ         pxArgs_ldx(R10), R9
	MOVQ         pxArgs_c(R10), R11
	MOVQ         pxArgs_ldc(R10), R12
	MOVQ         pxArgs_n(R10), R13
	MOVQ         pxArgs_lanes(R10), R14

pxtile:
	MOVQ    BX, SI
	LEAQ    (BX)(R9*2), R8
	ADDQ    R9, R8
	VMOVDQU const_pxLaneBias*64(R14), Y0
	VMOVDQU const_pxLaneBias*64+32(R14), Y1
	VMOVDQA Y0, Y2
	VMOVDQA Y1, Y3
	VMOVDQA Y0, Y4
	VMOVDQA Y1, Y5
	VMOVDQA Y0, Y6
	VMOVDQA Y1, Y7
	VMOVDQA Y0, Y8
	VMOVDQA Y1, Y9
	VMOVDQA Y0, Y10
	VMOVDQA Y1, Y11
	MOVQ    pxArgs_w(R10), DX
	MOVQ    pxArgs_ks(R10), CX
	SHRQ    $1, CX
	JZ      pxodd

pxloop2:
	PXSTEP(0, 0)
	PXSTEP(64, 4)
	ADDQ $128, DX
	ADDQ $8, SI
	ADDQ $8, R8
	DECQ CX
	JNZ  pxloop2

pxodd:
	TESTQ $1, pxArgs_ks(R10)
	JZ    pxepi
	PXSTEP(0, 0)

pxepi:
	CMPL pxArgs_general(R10), $0
	JNE  pxgen
	PXEPI(Y0, Y1)
	PXEPI(Y2, Y3)
	PXEPI(Y4, Y5)
	PXEPI(Y6, Y7)
	PXEPI(Y8, Y9)
	PXEPI(Y10, Y11)
	JMP  pxpack

pxgen:
	PXEPIGEN(Y0, Y1)
	PXEPIGEN(Y2, Y3)
	PXEPIGEN(Y4, Y5)
	PXEPIGEN(Y6, Y7)
	PXEPIGEN(Y8, Y9)
	PXEPIGEN(Y10, Y11)

pxpack:
	PXPACK(Y0, Y1, X0)
	PXPACK(Y2, Y3, X2)
	PXPACK(Y4, Y5, X4)
	PXPACK(Y6, Y7, X6)
	PXPACK(Y8, Y9, X8)
	PXPACK(Y10, Y11, X10)

	// Store the tile's pixels that exist: rows at R11 + i*R12.
	LEAQ (R11)(R12*2), AX
	ADDQ R12, AX
	PXOUT(X0, (R11), pxs0a, pxs0b)
	CMPQ R13, $1
	JEQ  pxdone
	PXOUT(X2, (R11)(R12*1), pxs1a, pxs1b)
	CMPQ R13, $2
	JEQ  pxdone
	PXOUT(X4, (R11)(R12*2), pxs2a, pxs2b)
	CMPQ R13, $3
	JEQ  pxdone
	PXOUT(X6, (AX), pxs3a, pxs3b)
	CMPQ R13, $4
	JEQ  pxdone
	PXOUT(X8, (AX)(R12*1), pxs4a, pxs4b)
	CMPQ R13, $5
	JEQ  pxdone
	PXOUT(X10, (AX)(R12*2), pxs5a, pxs5b)
	SUBQ $6, R13
	JEQ  pxdone

	// The next tile: 6 pixels on in x and c.
	LEAQ (R9)(R9*2), AX
	LEAQ (BX)(AX*2), BX
	LEAQ (R12)(R12*2), AX
	LEAQ (R11)(AX*2), R11
	JMP  pxtile

pxdone:
	VZEROUPPER
	RET

// func i8GemmHWC1x16c2AVX2(a *pxArgs)
//
// One pixel at a time, for a fully connected layer at batch 1 and the
// last pixels of a block: the weights stream once per pixel, against one
// broadcast activation pair per step. Even steps accumulate in Y0/Y1, odd
// ones in Y2/Y3, two chains per lane; BX = the pixel, SI moves along it.
TEXT ·i8GemmHWC1x16c2AVX2(SB), NOSPLIT, $96-8
	MOVQ         a+0(FP), R10
	VPBROADCASTW pxArgs_zp(R10), Y12
	VMOVDQU      Y12, 0(SP)
	VPBROADCASTB pxArgs_lo(R10), Y12
	VMOVDQU      Y12, 32(SP)
	VPBROADCASTB pxArgs_hi(R10), Y12
	VMOVDQU      Y12, 64(SP)
	MOVQ         pxArgs_x(R10), BX
	MOVQ         pxArgs_ldx(R10), R9
	MOVQ         pxArgs_c(R10), R11
	MOVQ         pxArgs_ldc(R10), R12
	MOVQ         pxArgs_n(R10), R13
	MOVQ         pxArgs_lanes(R10), R14

px1pix:
	MOVQ    BX, SI
	VMOVDQU const_pxLaneBias*64(R14), Y0
	VMOVDQU const_pxLaneBias*64+32(R14), Y1
	VPXOR   Y2, Y2, Y2
	VPXOR   Y3, Y3, Y3
	MOVQ    pxArgs_w(R10), DX
	MOVQ    pxArgs_ks(R10), CX
	SHRQ    $1, CX
	JZ      px1odd

px1loop2:
	VPBROADCASTD 0(SI), Y4
	VPMADDWD     0(DX), Y4, Y5
	VPADDD       Y5, Y0, Y0
	VPMADDWD     32(DX), Y4, Y4
	VPADDD       Y4, Y1, Y1
	VPBROADCASTD 4(SI), Y6
	VPMADDWD     64(DX), Y6, Y7
	VPADDD       Y7, Y2, Y2
	VPMADDWD     96(DX), Y6, Y6
	VPADDD       Y6, Y3, Y3
	ADDQ         $128, DX
	ADDQ         $8, SI
	DECQ         CX
	JNZ          px1loop2

px1odd:
	TESTQ        $1, pxArgs_ks(R10)
	JZ           px1epi
	VPBROADCASTD 0(SI), Y4
	VPMADDWD     0(DX), Y4, Y5
	VPADDD       Y5, Y0, Y0
	VPMADDWD     32(DX), Y4, Y4
	VPADDD       Y4, Y1, Y1

px1epi:
	VPADDD Y2, Y0, Y0
	VPADDD Y3, Y1, Y1
	CMPL   pxArgs_general(R10), $0
	JNE    px1gen
	PXEPI(Y0, Y1)
	JMP    px1pack

px1gen:
	PXEPIGEN(Y0, Y1)

px1pack:
	PXPACK(Y0, Y1, X0)
	PXOUT(X0, (R11), px1s8, px1s16)
	ADDQ R9, BX
	ADDQ R12, R11
	DECQ R13
	JNZ  px1pix
	VZEROUPPER
	RET

// func i8WidenAVX2(dst *byte, src *int8, k int)
TEXT ·i8WidenAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ k+16(FP), CX
	MOVQ CX, DX
	SHRQ $4, DX
	JZ   wdtail

wdloop:
	VPMOVSXBW (SI), Y0
	VMOVDQU   Y0, (DI)
	ADDQ      $16, SI
	ADDQ      $32, DI
	DECQ      DX
	JNZ       wdloop

wdtail:
	ANDQ $15, CX
	JZ   wdodd

wdone1:
	MOVBQSX (SI), AX
	MOVW    AX, (DI)
	INCQ    SI
	ADDQ    $2, DI
	DECQ    CX
	JNZ     wdone1

wdodd:
	TESTQ $1, k+16(FP)
	JZ    wddone
	MOVW  $0, (DI)

wddone:
	VZEROUPPER
	RET
