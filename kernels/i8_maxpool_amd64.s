//go:build !purego

#include "textflag.h"

// The int8 max pool of the avx2, avxvnni and vnni paths (i8_maxpool_amd64.go):
// i8MaxPoolRows, whose contract is in i8_maxpool_asm.go. Each stride (1 or 2)
// has a variant per window width kw (1 to 8) that loops over the kh window
// rows, and variants for square 2×2 and 3×3 windows, the common pools, with
// their rows unrolled.
//
// Registers of every variant:
//
//	SI  first input byte of the channel     R8  w (input row stride)
//	DI  output of the block                 R9  window rows left (kh loop)
//	DX  first window row of the block       R10 blocks (of 16 outputs) per row
//	AX  window row being read (kh loop)     R11 chanStride
//	BX  blocks left in the row              R14 kh
//	CX  output rows left in the channel     R15 channels left
//	R12 rowStride - 16*sw*blocks, R13 outW - 16*blocks: from the end of a
//	    row's blocks to the next row
//
// Y15 holds -128 in every byte, the identity of VPMAXSB; the running
// maximum of a block is in X0 (stride 1) or Y0 (stride 2).
//
// Stride 1: byte j of the 16 bytes at column k of a window row is column k
// of output j's window: a load at each k < kw gives the 16 outputs.
//
// Stride 2: bytes 2j and 2j+1 of the 32 bytes at column k are columns k and
// k+1 of output j's window. Loads at k = 0, 2, 4 ... cover the window in
// pairs of columns; an odd kw >= 3 takes its last pair at kw-2 (columns
// kw-2 and kw-1, one of them again) rather than at kw-1, whose odd bytes
// would be column kw, outside the window. Every load of every window row
// is maxed into Y0; then each even byte is maxed with the odd byte after
// it (not for kw = 1: its odd bytes are column 1, outside the window) and
// the 16 even bytes are gathered: VPSHUFB by Y14 packs those of each
// 128-bit lane into its low quadword, VPERMQ puts the two quadwords
// together (storing the high lane with VEXTRACTI128 instead measured no
// faster).

// -128, broadcast into Y15.
DATA poolMin<>+0(SB)/1, $0x80
GLOBL poolMin<>(SB), RODATA|NOPTR, $1

// The VPSHUFB control of Y14: the even bytes of each 128-bit lane, into
// both of its quadwords.
DATA poolEven<>+0(SB)/8, $0x0e0c0a0806040200
GLOBL poolEven<>(SB), RODATA|NOPTR, $8

// S1Kk(m, in) maxes in (the maximum so far, or X15 for none) with the
// stride-1 loads of a window row k columns wide at memory operand m
// ((AX), (DX)(R8*2) ...) into X0.
#define S1K1(m, in) VPMAXSB m, in, X0
#define S1K2(m, in) S1K1(m, in); VPMAXSB 1 m, X0, X0
#define S1K3(m, in) S1K2(m, in); VPMAXSB 2 m, X0, X0
#define S1K4(m, in) S1K3(m, in); VPMAXSB 3 m, X0, X0
#define S1K5(m, in) S1K4(m, in); VPMAXSB 4 m, X0, X0
#define S1K6(m, in) S1K5(m, in); VPMAXSB 5 m, X0, X0
#define S1K7(m, in) S1K6(m, in); VPMAXSB 6 m, X0, X0
#define S1K8(m, in) S1K7(m, in); VPMAXSB 7 m, X0, X0

// S2Kk(m, in) is the same for stride 2, into Y0: the pairs of columns at
// 0, 2 ... and, for odd k >= 3, the last pair at k-2.
#define S2K1(m, in) VPMAXSB m, in, Y0
#define S2K2(m, in) S2K1(m, in)
#define S2K3(m, in) S2K2(m, in); VPMAXSB 1 m, Y0, Y0
#define S2K4(m, in) S2K2(m, in); VPMAXSB 2 m, Y0, Y0
#define S2K5(m, in) S2K4(m, in); VPMAXSB 3 m, Y0, Y0
#define S2K6(m, in) S2K4(m, in); VPMAXSB 4 m, Y0, Y0
#define S2K7(m, in) S2K6(m, in); VPMAXSB 5 m, Y0, Y0
#define S2K8(m, in) S2K6(m, in); VPMAXSB 6 m, Y0, Y0

// The ends of a block: store its 16 outputs and step DX to the next block.
// END2 folds the odd columns into the even ones first; END2K1, for kw = 1,
// does not.
#define END1 VMOVDQU X0, (DI); ADDQ $16, DX
#define END2K1 \
	VPSHUFB Y14, Y0, Y0      \
	VPERMQ  $0x08, Y0, Y0    \
	VMOVDQU X0, (DI)         \
	ADDQ    $32, DX
#define END2 \
	VPSRLW  $8, Y0, Y1       \
	VPMAXSB Y1, Y0, Y0       \
	END2K1

// ROWS is a block of a window COLS wide, looping over its kh rows (label
// KH); ACC is X0 or Y0.
#define ROWS(COLS, ACC, END, KH) \
	MOVQ    DX, AX           \
	MOVQ    R14, R9          \
	VMOVDQA Y15, Y0          \
KH:                              \
	COLS((AX), ACC)          \
	ADDQ    R8, AX           \
	DECQ    R9               \
	JNZ     KH               \
	END

// SQUARE2 and SQUARE3 are a block of a 2×2 or 3×3 window, its rows
// unrolled; NONE is X15 or Y15 and ACC X0 or Y0.
#define SQUARE2(COLS, NONE, ACC, END) \
	COLS((DX), NONE)         \
	COLS((DX)(R8*1), ACC)    \
	END
#define SQUARE3(COLS, NONE, ACC, END) \
	COLS((DX), NONE)         \
	COLS((DX)(R8*1), ACC)    \
	COLS((DX)(R8*2), ACC)    \
	END

// POOL runs BLOCK on every block of every output row of every channel,
// then returns. Its labels: CHAN, the entry, and ROW and BLK.
#define POOL(BLOCK, CHAN, ROW, BLK) \
CHAN:                            \
	MOVQ    SI, DX           \
	MOVQ    rows+24(FP), CX  \
ROW:                             \
	MOVQ    R10, BX          \
BLK:                             \
	BLOCK                    \
	ADDQ    $16, DI          \
	DECQ    BX               \
	JNZ     BLK              \
	ADDQ    R12, DX          \
	ADDQ    R13, DI          \
	DECQ    CX               \
	JNZ     ROW              \
	ADDQ    R11, SI          \
	DECQ    R15              \
	JNZ     CHAN             \
	VZEROUPPER               \
	RET

// DISPATCH jumps to the variant for kw (AX) and kh (R14) of one stride:
// SQ2 or SQ3 for a square 2×2 or 3×3 window, else Kk for kw = k. W labels
// the choice by width.
#define DISPATCH(SQ2, SQ3, W, K1, K2, K3, K4, K5, K6, K7, K8) \
	CMPQ AX, R14 \
	JNE  W       \
	CMPQ AX, $2  \
	JEQ  SQ2     \
	CMPQ AX, $3  \
	JEQ  SQ3     \
W:                   \
	CMPQ AX, $1  \
	JEQ  K1      \
	CMPQ AX, $2  \
	JEQ  K2      \
	CMPQ AX, $3  \
	JEQ  K3      \
	CMPQ AX, $4  \
	JEQ  K4      \
	CMPQ AX, $5  \
	JEQ  K5      \
	CMPQ AX, $6  \
	JEQ  K6      \
	CMPQ AX, $7  \
	JEQ  K7      \
	JMP  K8

// func i8MaxPoolRows(src, dst *int8, chans, rows, outW, blocks, w, chanStride, rowStride, kh, kw, sw int)
TEXT ·i8MaxPoolRows(SB), NOSPLIT, $0-96
	// The constants first: R15 is not yet in use, and a global access
	// may clobber it when dynamically linking.
	VPBROADCASTB poolMin<>(SB), Y15
	VPBROADCASTQ poolEven<>(SB), Y14
	MOVQ src+0(FP), SI
	MOVQ dst+8(FP), DI
	MOVQ chans+16(FP), R15
	MOVQ outW+32(FP), R13
	MOVQ blocks+40(FP), R10
	MOVQ w+48(FP), R8
	MOVQ chanStride+56(FP), R11
	MOVQ rowStride+64(FP), R12
	MOVQ kh+72(FP), R14
	MOVQ kw+80(FP), AX
	MOVQ sw+88(FP), BX
	MOVQ R10, CX
	SHLQ $4, CX  // CX: 16*blocks, then 16*sw*blocks
	SUBQ CX, R13
	IMULQ BX, CX
	SUBQ CX, R12
	CMPQ BX, $2
	JEQ  stride2
	DISPATCH(s1k2h2, s1k3h3, s1w, s1k1, s1k2, s1k3, s1k4, s1k5, s1k6, s1k7, s1k8)
stride2:
	DISPATCH(s2k2h2, s2k3h3, s2w, s2k1, s2k2, s2k3, s2k4, s2k5, s2k6, s2k7, s2k8)

	POOL(SQUARE2(S1K2, X15, X0, END1), s1k2h2, s1k2h2r, s1k2h2b)
	POOL(SQUARE3(S1K3, X15, X0, END1), s1k3h3, s1k3h3r, s1k3h3b)
	POOL(ROWS(S1K1, X0, END1, s1k1h), s1k1, s1k1r, s1k1b)
	POOL(ROWS(S1K2, X0, END1, s1k2h), s1k2, s1k2r, s1k2b)
	POOL(ROWS(S1K3, X0, END1, s1k3h), s1k3, s1k3r, s1k3b)
	POOL(ROWS(S1K4, X0, END1, s1k4h), s1k4, s1k4r, s1k4b)
	POOL(ROWS(S1K5, X0, END1, s1k5h), s1k5, s1k5r, s1k5b)
	POOL(ROWS(S1K6, X0, END1, s1k6h), s1k6, s1k6r, s1k6b)
	POOL(ROWS(S1K7, X0, END1, s1k7h), s1k7, s1k7r, s1k7b)
	POOL(ROWS(S1K8, X0, END1, s1k8h), s1k8, s1k8r, s1k8b)

	POOL(SQUARE2(S2K2, Y15, Y0, END2), s2k2h2, s2k2h2r, s2k2h2b)
	POOL(SQUARE3(S2K3, Y15, Y0, END2), s2k3h3, s2k3h3r, s2k3h3b)
	POOL(ROWS(S2K1, Y0, END2K1, s2k1h), s2k1, s2k1r, s2k1b)
	POOL(ROWS(S2K2, Y0, END2, s2k2h), s2k2, s2k2r, s2k2b)
	POOL(ROWS(S2K3, Y0, END2, s2k3h), s2k3, s2k3r, s2k3b)
	POOL(ROWS(S2K4, Y0, END2, s2k4h), s2k4, s2k4r, s2k4b)
	POOL(ROWS(S2K5, Y0, END2, s2k5h), s2k5, s2k5r, s2k5b)
	POOL(ROWS(S2K6, Y0, END2, s2k6h), s2k6, s2k6r, s2k6b)
	POOL(ROWS(S2K7, Y0, END2, s2k7h), s2k7, s2k7r, s2k7b)
	POOL(ROWS(S2K8, Y0, END2, s2k8h), s2k8, s2k8r, s2k8b)
