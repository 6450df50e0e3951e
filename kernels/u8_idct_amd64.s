//go:build !purego

#include "textflag.h"

// Constants of IDCTIslow (u8_idct.go), one int32 each, broadcast to the
// lanes where used; then VPERMD's order for the rows of the packed bytes.
// The generic code's shortcuts (a column, then a row, whose AC
// coefficients are all zero) give the same result as the full transform
// unless the int32 arithmetic wraps: the kernel computes both and blends
// them per lane, so that it matches the generic code on any input.
DATA idctk<>+0(SB)/4, $4433     // fix0_541196100
DATA idctk<>+4(SB)/4, $15137    // fix1_847759065
DATA idctk<>+8(SB)/4, $6270     // fix0_765366865
DATA idctk<>+12(SB)/4, $9633    // fix1_175875602
DATA idctk<>+16(SB)/4, $2446    // fix0_298631336
DATA idctk<>+20(SB)/4, $16819   // fix2_053119869
DATA idctk<>+24(SB)/4, $25172   // fix3_072711026
DATA idctk<>+28(SB)/4, $12299   // fix1_501321110
DATA idctk<>+32(SB)/4, $-7373   // -fix0_899976223
DATA idctk<>+36(SB)/4, $-20995  // -fix2_562915447
DATA idctk<>+40(SB)/4, $-16069  // -fix1_961570560
DATA idctk<>+44(SB)/4, $-3196   // -fix0_390180644
DATA idctk<>+48(SB)/4, $1024    // rounding of pass 1: 1 << (idctBits-idctPass1Bits-1)
DATA idctk<>+52(SB)/4, $131072  // rounding of pass 2: 1 << (idctBits+idctPass1Bits+3-1)
DATA idctk<>+56(SB)/4, $128     // the level shift
DATA idctk<>+60(SB)/4, $16      // rounding of pass 2's shortcut: 1 << (idctPass1Bits+3-1)
DATA idctk<>+64(SB)/4, $0
DATA idctk<>+68(SB)/4, $4
DATA idctk<>+72(SB)/4, $1
DATA idctk<>+76(SB)/4, $5
DATA idctk<>+80(SB)/4, $2
DATA idctk<>+84(SB)/4, $6
DATA idctk<>+88(SB)/4, $3
DATA idctk<>+92(SB)/4, $7
GLOBL idctk<>(SB), RODATA|NOPTR, $96

// IDCT1D is idct1D on eight lanes at once: x0..x7 in Y0..Y7 (clobbered),
// o0..o7 in Y8..Y15.
#define IDCT1D \
	/* Even part. */ \
	VPADDD       Y6, Y2, Y8              /* x2 + x6 */ \
	VPBROADCASTD idctk<>+0(SB), Y9       \
	VPMULLD      Y9, Y8, Y8              /* z1 */ \
	VPBROADCASTD idctk<>+4(SB), Y9       \
	VPMULLD      Y9, Y6, Y9              \
	VPSUBD       Y9, Y8, Y9              /* t2 = z1 - x6*fix1_847759065 */ \
	VPBROADCASTD idctk<>+8(SB), Y10      \
	VPMULLD      Y10, Y2, Y10            \
	VPADDD       Y10, Y8, Y10            /* t3 = z1 + x2*fix0_765366865 */ \
	VPADDD       Y4, Y0, Y11             \
	VPSLLD       $13, Y11, Y11           /* t0 = (x0 + x4) << idctBits */ \
	VPSUBD       Y4, Y0, Y12             \
	VPSLLD       $13, Y12, Y12           /* t1 = (x0 - x4) << idctBits */ \
	VPADDD       Y10, Y11, Y0            /* t10 */ \
	VPSUBD       Y10, Y11, Y4            /* t13 */ \
	VPADDD       Y9, Y12, Y2             /* t11 */ \
	VPSUBD       Y9, Y12, Y6             /* t12 */ \
	/* Odd part: a0, a1, a2, a3 = x7, x5, x3, x1 = Y7, Y5, Y3, Y1. */ \
	VPADDD       Y1, Y7, Y8              /* z1 = a0 + a3 */ \
	VPADDD       Y3, Y5, Y9              /* z2 = a1 + a2 */ \
	VPADDD       Y3, Y7, Y10             /* z3 = a0 + a2 */ \
	VPADDD       Y1, Y5, Y11             /* z4 = a1 + a3 */ \
	VPADDD       Y11, Y10, Y12           \
	VPBROADCASTD idctk<>+12(SB), Y13     \
	VPMULLD      Y13, Y12, Y12           /* z5 = (z3 + z4) * fix1_175875602 */ \
	VPBROADCASTD idctk<>+16(SB), Y13     \
	VPMULLD      Y13, Y7, Y7             \
	VPBROADCASTD idctk<>+20(SB), Y13     \
	VPMULLD      Y13, Y5, Y5             \
	VPBROADCASTD idctk<>+24(SB), Y13     \
	VPMULLD      Y13, Y3, Y3             \
	VPBROADCASTD idctk<>+28(SB), Y13     \
	VPMULLD      Y13, Y1, Y1             \
	VPBROADCASTD idctk<>+32(SB), Y13     \
	VPMULLD      Y13, Y8, Y8             \
	VPBROADCASTD idctk<>+36(SB), Y13     \
	VPMULLD      Y13, Y9, Y9             \
	VPBROADCASTD idctk<>+40(SB), Y13     \
	VPMULLD      Y13, Y10, Y10           \
	VPADDD       Y12, Y10, Y10           /* z3 = z3*-fix1_961570560 + z5 */ \
	VPBROADCASTD idctk<>+44(SB), Y13     \
	VPMULLD      Y13, Y11, Y11           \
	VPADDD       Y12, Y11, Y11           /* z4 = z4*-fix0_390180644 + z5 */ \
	VPADDD       Y8, Y7, Y7              \
	VPADDD       Y10, Y7, Y7             /* a0 += z1 + z3 */ \
	VPADDD       Y9, Y5, Y5              \
	VPADDD       Y11, Y5, Y5             /* a1 += z2 + z4 */ \
	VPADDD       Y9, Y3, Y3              \
	VPADDD       Y10, Y3, Y3             /* a2 += z2 + z3 */ \
	VPADDD       Y8, Y1, Y1              \
	VPADDD       Y11, Y1, Y1             /* a3 += z1 + z4 */ \
	VPADDD       Y1, Y0, Y8              /* o0 = t10 + a3 */ \
	VPSUBD       Y1, Y0, Y15             /* o7 = t10 - a3 */ \
	VPADDD       Y3, Y2, Y9              /* o1 = t11 + a2 */ \
	VPSUBD       Y3, Y2, Y14             /* o6 = t11 - a2 */ \
	VPADDD       Y5, Y6, Y10             /* o2 = t12 + a1 */ \
	VPSUBD       Y5, Y6, Y13             /* o5 = t12 - a1 */ \
	VPADDD       Y7, Y4, Y11             /* o3 = t13 + a0 */ \
	VPSUBD       Y7, Y4, Y12             /* o4 = t13 - a0 */

// TRANSPOSE transposes the 8x8 int32 matrix whose rows are Y8..Y15 into
// Y0..Y7 (Y8..Y15 clobbered).
#define TRANSPOSE \
	VPUNPCKLDQ Y9, Y8, Y0         \
	VPUNPCKHDQ Y9, Y8, Y1         \
	VPUNPCKLDQ Y11, Y10, Y2       \
	VPUNPCKHDQ Y11, Y10, Y3       \
	VPUNPCKLDQ Y13, Y12, Y4       \
	VPUNPCKHDQ Y13, Y12, Y5       \
	VPUNPCKLDQ Y15, Y14, Y6       \
	VPUNPCKHDQ Y15, Y14, Y7       \
	VSHUFPS    $0x44, Y2, Y0, Y8  \
	VSHUFPS    $0xEE, Y2, Y0, Y9  \
	VSHUFPS    $0x44, Y3, Y1, Y10 \
	VSHUFPS    $0xEE, Y3, Y1, Y11 \
	VSHUFPS    $0x44, Y6, Y4, Y12 \
	VSHUFPS    $0xEE, Y6, Y4, Y13 \
	VSHUFPS    $0x44, Y7, Y5, Y14 \
	VSHUFPS    $0xEE, Y7, Y5, Y15 \
	VPERM2I128 $0x20, Y12, Y8, Y0 \
	VPERM2I128 $0x31, Y12, Y8, Y4 \
	VPERM2I128 $0x20, Y13, Y9, Y1 \
	VPERM2I128 $0x31, Y13, Y9, Y5 \
	VPERM2I128 $0x20, Y14, Y10, Y2 \
	VPERM2I128 $0x31, Y14, Y10, Y6 \
	VPERM2I128 $0x20, Y15, Y11, Y3 \
	VPERM2I128 $0x31, Y15, Y11, Y7

// ADDSHIFT adds Y0 to Y8..Y15 and shifts them right (arithmetic) by n.
#define ADDSHIFT(n) \
	VPADDD Y0, Y8, Y8     \
	VPADDD Y0, Y9, Y9     \
	VPADDD Y0, Y10, Y10   \
	VPADDD Y0, Y11, Y11   \
	VPADDD Y0, Y12, Y12   \
	VPADDD Y0, Y13, Y13   \
	VPADDD Y0, Y14, Y14   \
	VPADDD Y0, Y15, Y15   \
	VPSRAD $n, Y8, Y8     \
	VPSRAD $n, Y9, Y9     \
	VPSRAD $n, Y10, Y10   \
	VPSRAD $n, Y11, Y11   \
	VPSRAD $n, Y12, Y12   \
	VPSRAD $n, Y13, Y13   \
	VPSRAD $n, Y14, Y14   \
	VPSRAD $n, Y15, Y15

// ZEROAC sets Y14 to all ones in the lanes where Y1..Y7 are all zero.
#define ZEROAC \
	VPOR     Y2, Y1, Y14   \
	VPOR     Y3, Y14, Y14  \
	VPOR     Y4, Y14, Y14  \
	VPOR     Y5, Y14, Y14  \
	VPOR     Y6, Y14, Y14  \
	VPOR     Y7, Y14, Y14  \
	VPXOR    Y15, Y15, Y15 \
	VPCMPEQD Y15, Y14, Y14

// BLEND replaces Y8..Y15 by Y2 in the lanes where Y1 is all ones.
#define BLEND \
	VPBLENDVB Y1, Y2, Y8, Y8   \
	VPBLENDVB Y1, Y2, Y9, Y9   \
	VPBLENDVB Y1, Y2, Y10, Y10 \
	VPBLENDVB Y1, Y2, Y11, Y11 \
	VPBLENDVB Y1, Y2, Y12, Y12 \
	VPBLENDVB Y1, Y2, Y13, Y13 \
	VPBLENDVB Y1, Y2, Y14, Y14 \
	VPBLENDVB Y1, Y2, Y15, Y15

// func idctIslow8x8AVX2(blk *[64]int32, dst *uint8, stride int)
TEXT ·idctIslow8x8AVX2(SB), NOSPLIT, $64-24
	MOVQ blk+0(FP), AX
	MOVQ dst+8(FP), DI
	MOVQ stride+16(FP), SI

	// Pass 1: the columns, a row of coefficients per register. The
	// shortcut of a column with no AC coefficients: its DC << idctPass1Bits.
	VMOVDQU 0(AX), Y0
	VMOVDQU 32(AX), Y1
	VMOVDQU 64(AX), Y2
	VMOVDQU 96(AX), Y3
	VMOVDQU 128(AX), Y4
	VMOVDQU 160(AX), Y5
	VMOVDQU 192(AX), Y6
	VMOVDQU 224(AX), Y7
	ZEROAC
	VMOVDQU Y14, 0(SP)
	VPSLLD  $2, Y0, Y15
	VMOVDQU Y15, 32(SP)
	IDCT1D
	VPBROADCASTD idctk<>+48(SB), Y0
	ADDSHIFT(11)
	VMOVDQU 0(SP), Y1
	VMOVDQU 32(SP), Y2
	BLEND
	TRANSPOSE

	// Pass 2: the rows, a column of the first pass per register. The
	// shortcut of a row with no AC coefficients: 128 + its DC descaled.
	ZEROAC
	VMOVDQU      Y14, 0(SP)
	VPBROADCASTD idctk<>+60(SB), Y15
	VPADDD       Y15, Y0, Y15
	VPSRAD       $5, Y15, Y15
	VPBROADCASTD idctk<>+56(SB), Y14
	VPADDD       Y14, Y15, Y15
	VMOVDQU      Y15, 32(SP)
	IDCT1D
	VPBROADCASTD idctk<>+52(SB), Y0
	ADDSHIFT(18)
	VPBROADCASTD idctk<>+56(SB), Y0
	VPADDD Y0, Y8, Y8
	VPADDD Y0, Y9, Y9
	VPADDD Y0, Y10, Y10
	VPADDD Y0, Y11, Y11
	VPADDD Y0, Y12, Y12
	VPADDD Y0, Y13, Y13
	VPADDD Y0, Y14, Y14
	VPADDD Y0, Y15, Y15
	VMOVDQU 0(SP), Y1
	VMOVDQU 32(SP), Y2
	BLEND
	TRANSPOSE

	// Rows of pixels: int32 to bytes, saturating (the clamp to 0..255),
	// rows 0-3 in Y8 and 4-7 in Y10 after VPERMD puts each row's two
	// halves together.
	VPACKSSDW Y1, Y0, Y8
	VPACKSSDW Y3, Y2, Y9
	VPACKSSDW Y5, Y4, Y10
	VPACKSSDW Y7, Y6, Y11
	VPACKUSWB Y9, Y8, Y8
	VPACKUSWB Y11, Y10, Y10
	VMOVDQU   idctk<>+64(SB), Y12
	VPERMD    Y8, Y12, Y8
	VPERMD    Y10, Y12, Y10

	LEAQ         (SI)(SI*2), R8
	VMOVQ        X8, (DI)
	VPEXTRQ      $1, X8, (DI)(SI*1)
	VEXTRACTI128 $1, Y8, X9
	VMOVQ        X9, (DI)(SI*2)
	VPEXTRQ      $1, X9, (DI)(R8*1)
	LEAQ         (DI)(SI*4), DI
	VMOVQ        X10, (DI)
	VPEXTRQ      $1, X10, (DI)(SI*1)
	VEXTRACTI128 $1, Y10, X11
	VMOVQ        X11, (DI)(SI*2)
	VPEXTRQ      $1, X11, (DI)(R8*1)
	VZEROUPPER
	RET
