//go:build !purego

#include "go_asm.h"
#include "textflag.h"

// The int8 depthwise convolution of the amd64 paths, in AVX2. Go
// declarations, the record layout and the contract are in
// i8_dwconv_amd64.go and i8_dwconv.go; dwArgs offsets and the lane
// indices come from go_asm.h.
//
// For each block of 16 channels and each pixel of the run: the
// accumulators start at the bias; for each tap the kernel sign-extends 16
// bytes to int16 and multiplies them by the even channels' weights (with
// zeros between them) and by the odd channels', with VPMADDWD, each
// product alone in an int32 lane: even channels accumulate in Y0, odd
// ones in Y1. Then the requantize epilogue with the block's lane
// parameters, and the 16 int8 back in channel order. A block of 8 loads
// and stores 8 bytes per pixel (its other 8 lanes compute zeros).
//
// Registers: DI = dwArgs, DX = the block's record, R10 = its lane
// parameters, R8 = the block's first channel, R9 = R8 + the pixel's offset
// along src and the pad row, R11 = step, R12 = c, R13 = pixels left, R14 =
// the pixel's output. The frame holds the tap pointers of the run's first
// pixel (src or pad + off[t]) at 0(SP) and the blocks of 16 left at
// 200(SP).

// 2^30, the rounding term of the doubling high multiply, as a quadword.
DATA dwround30<>+0(SB)/8, $0x40000000
GLOBL dwround30<>(SB), RODATA|NOPTR, $8

// The bytes of channels 0, 2, 4, 6, 1, 3, 5, 7, 8, 10, ... as the pack of
// the even and odd accumulators leaves them, back in channel order.
DATA dworder<>+0(SB)/8, $0x0703060205010400
DATA dworder<>+8(SB)/8, $0x0f0b0e0a0d090c08
GLOBL dworder<>(SB), RODATA|NOPTR, $16

// DWTAP accumulates tap R of the 16 channels with the weights at o(W);
// DWTAP8 of 8 channels.
#define DWTAP(R, W, o) \
	VPMOVSXBW (R)(R9*1), Y2     \
	VPMADDWD  o(W), Y2, Y3      \
	VPMADDWD  o+32(W), Y2, Y2   \
	VPADDD    Y3, Y0, Y0        \
	VPADDD    Y2, Y1, Y1

#define DWTAP8(R, W, o) \
	VPMOVSXBW (R)(R9*1), X2     \
	VPMADDWD  o(W), Y2, Y3      \
	VPMADDWD  o+32(W), Y2, Y2   \
	VPADDD    Y3, Y0, Y0        \
	VPADDD    Y2, Y1, Y1

// The requantize epilogue of the 8 channels in A, whose lane parameters
// are at o(R10) in each unit (o = 0: even channels, 32: odd):
// DWLEFT, the saturating left shift (where shifting back does not give A,
// MaxInt32 or MinInt32 by A's sign); DWSRDHM, (A*M + 2^30) >> 31 from the
// 64-bit products of even and odd lanes; DWMINFIX, MinInt32 (which only
// MinInt32² gives) to MaxInt32; DWRDIV, the rounding divide: A >> right,
// plus one where A&mask + (A>>31) > mask>>1. DWLEFT and DWMINFIX are
// needed only when some channel shifts left or some multiplier is
// MinInt32. Y15 = 2^30 per qword, Y10 = 0; they use Y4-Y7.
#define DWLEFT(A, o) \
	VMOVDQU   const_dwLaneLeft*64+o(R10), Y6  \
	VPSLLVD   Y6, A, Y4                      \
	VPSRAVD   Y6, Y4, Y5                     \
	VPCMPEQD  Y5, A, Y5                      \
	VPSRAD    $31, A, Y6                     \
	VPCMPEQD  Y7, Y7, Y7                     \
	VPSRLD    $1, Y7, Y7                     \
	VPXOR     Y7, Y6, Y6                     \
	VPBLENDVB Y5, Y4, Y6, A

#define DWSRDHM(A, o) \
	VPMULDQ  const_dwLaneMult*64+o(R10), A, Y4     \
	VPSRLQ   $32, A, Y5                           \
	VPMULDQ  const_dwLaneMultOdd*64+o(R10), Y5, Y5 \
	VPADDQ   Y15, Y4, Y4                          \
	VPADDQ   Y15, Y5, Y5                          \
	VPSRLQ   $31, Y4, Y4                          \
	VPSLLQ   $1, Y5, Y5                           \
	VPBLENDD $0xAA, Y5, Y4, A

#define DWMINFIX(A) \
	VPCMPEQD Y7, Y7, Y7  \
	VPSLLD   $31, Y7, Y7 \
	VPCMPEQD Y7, A, Y7   \
	VPXOR    Y7, A, A

#define DWRDIV(A, o) \
	VPAND    const_dwLaneMask*64+o(R10), A, Y4  \
	VPCMPGTD A, Y10, Y5                        \
	VPADDD   Y5, Y4, Y4                        \
	VPCMPGTD const_dwLaneHalf*64+o(R10), Y4, Y4 \
	VPSRAVD  const_dwLaneRight*64+o(R10), A, A  \
	VPSUBD   Y4, A, A

// DWPACK packs the 16 requantized channels of Y0 (even) and Y1 (odd)
// into X0 in channel order: to int16, + zero point, to int8 (both
// saturating), reordered, clamped. Y14 = zp words, Y13 = lo bytes, Y12 =
// hi bytes, X11 = dworder.
#define DWPACK \
	VPACKSSDW    Y1, Y0, Y0  \
	VPADDSW      Y14, Y0, Y0 \
	VEXTRACTI128 $1, Y0, X1  \
	VPACKSSWB    X1, X0, X0  \
	VPSHUFB      X11, X0, X0 \
	VPMAXSB      X13, X0, X0 \
	VPMINSB      X12, X0, X0

// DWNEXTPIX moves to the run's next pixel and loops to L while pixels are
// left.
#define DWNEXTPIX(L) \
	ADDQ R11, R9  \
	ADDQ R12, R14 \
	DECQ R13      \
	JNZ  L

// DWEPI is the epilogue of both halves, DWEPIGEN with the rare steps.
#define DWEPI \
	DWSRDHM(Y0, 0)  \
	DWRDIV(Y0, 0)   \
	DWSRDHM(Y1, 32) \
	DWRDIV(Y1, 32)

#define DWEPIGEN \
	DWLEFT(Y0, 0)   \
	DWSRDHM(Y0, 0)  \
	DWMINFIX(Y0)    \
	DWRDIV(Y0, 0)   \
	DWLEFT(Y1, 32)  \
	DWSRDHM(Y1, 32) \
	DWMINFIX(Y1)    \
	DWRDIV(Y1, 32)

// func i8Dw8cAVX2(a *dwArgs)
TEXT ·i8Dw8cAVX2(SB), NOSPLIT, $208-8
	MOVQ a+0(FP), DI
	MOVQ dwArgs_taps(DI), CX
	MOVQ dwArgs_padMask(DI), R8
	MOVQ dwArgs_src(DI), R9
	MOVQ dwArgs_pad(DI), R10
	XORQ BX, BX

dwptr:
	MOVQ    dwArgs_off(DI)(BX*8), AX
	LEAQ    (R9)(AX*1), R11
	ADDQ    R10, AX
	BTQ     BX, R8
	CMOVQCC R11, AX
	MOVQ    AX, 0(SP)(BX*8)
	INCQ    BX
	CMPQ    BX, CX
	JLT     dwptr

	VPBROADCASTQ dwround30<>(SB), Y15
	VPBROADCASTW dwArgs_zp(DI), Y14
	VPBROADCASTB dwArgs_lo(DI), Y13
	VPBROADCASTB dwArgs_hi(DI), Y12
	VMOVDQU      dworder<>(SB), X11
	VPXOR        Y10, Y10, Y10
	MOVQ         dwArgs_step(DI), R11
	MOVQ         dwArgs_c(DI), R12
	MOVQ         dwArgs_rec(DI), DX
	XORQ         R8, R8
	MOVQ         dwArgs_blocks(DI), AX
	SHRQ         $1, AX
	MOVQ         AX, 200(SP)
	JZ           dw8

dw16:
	// R10 = the lanes, after taps units of weights.
	MOVQ dwArgs_taps(DI), R10
	SHLQ $6, R10
	ADDQ DX, R10
	MOVQ R8, R9
	MOVQ dwArgs_n(DI), R13
	MOVQ dwArgs_dst(DI), R14
	ADDQ R8, R14
	CMPL dwArgs_general(DI), $0
	JNE  dw16gen
	CMPQ dwArgs_taps(DI), $9
	JNE  dw16any

dw16k9:
	VMOVDQU (R10), Y0
	VMOVDQU 32(R10), Y1
	MOVQ    0(SP), AX
	DWTAP(AX, DX, 0)
	MOVQ    8(SP), AX
	DWTAP(AX, DX, 64)
	MOVQ    16(SP), AX
	DWTAP(AX, DX, 128)
	MOVQ    24(SP), AX
	DWTAP(AX, DX, 192)
	MOVQ    32(SP), AX
	DWTAP(AX, DX, 256)
	MOVQ    40(SP), AX
	DWTAP(AX, DX, 320)
	MOVQ    48(SP), AX
	DWTAP(AX, DX, 384)
	MOVQ    56(SP), AX
	DWTAP(AX, DX, 448)
	MOVQ    64(SP), AX
	DWTAP(AX, DX, 512)
	DWEPI
	DWPACK
	VMOVDQU X0, (R14)
	DWNEXTPIX(dw16k9)
	JMP     dw16next

dw16any:
	VMOVDQU (R10), Y0
	VMOVDQU 32(R10), Y1
	MOVQ    DX, SI
	XORQ    BX, BX

dw16anyt:
	MOVQ 0(SP)(BX*8), AX
	DWTAP(AX, SI, 0)
	ADDQ $64, SI
	INCQ BX
	CMPQ BX, dwArgs_taps(DI)
	JLT  dw16anyt
	DWEPI
	DWPACK
	VMOVDQU X0, (R14)
	DWNEXTPIX(dw16any)
	JMP     dw16next

dw16gen:
	VMOVDQU (R10), Y0
	VMOVDQU 32(R10), Y1
	MOVQ    DX, SI
	XORQ    BX, BX

dw16gent:
	MOVQ 0(SP)(BX*8), AX
	DWTAP(AX, SI, 0)
	ADDQ $64, SI
	INCQ BX
	CMPQ BX, dwArgs_taps(DI)
	JLT  dw16gent
	DWEPIGEN
	DWPACK
	VMOVDQU X0, (R14)
	DWNEXTPIX(dw16gen)

dw16next:
	// The next block's record follows the lanes.
	LEAQ const_dwLanes*64(R10), DX
	ADDQ $16, R8
	DECQ 200(SP)
	JNZ  dw16

dw8:
	TESTQ $1, dwArgs_blocks(DI)
	JZ    dwdone
	MOVQ  dwArgs_taps(DI), R10
	SHLQ  $6, R10
	ADDQ  DX, R10
	MOVQ  R8, R9
	MOVQ  dwArgs_n(DI), R13
	MOVQ  dwArgs_dst(DI), R14
	ADDQ  R8, R14

dw8pix:
	VMOVDQU (R10), Y0
	VMOVDQU 32(R10), Y1
	MOVQ    DX, SI
	XORQ    BX, BX

dw8t:
	MOVQ 0(SP)(BX*8), AX
	DWTAP8(AX, SI, 0)
	ADDQ $64, SI
	INCQ BX
	CMPQ BX, dwArgs_taps(DI)
	JLT  dw8t
	CMPL dwArgs_general(DI), $0
	JNE  dw8gen
	DWEPI
	JMP  dw8st

dw8gen:
	DWEPIGEN

dw8st:
	DWPACK
	VMOVQ X0, (R14)
	DWNEXTPIX(dw8pix)

dwdone:
	VZEROUPPER
	RET
