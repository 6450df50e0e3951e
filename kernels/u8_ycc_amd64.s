//go:build !purego

#include "textflag.h"

// The constants of yccGeneric (u8_ycc.go).
DATA ycck<>+0(SB)/4, $91881   // yccCrR
DATA ycck<>+4(SB)/4, $-22554  // -yccCbG
DATA ycck<>+8(SB)/4, $-46802  // -yccCrG
DATA ycck<>+12(SB)/4, $116130 // yccCbB
DATA ycck<>+16(SB)/4, $32768  // yccHalf
DATA ycck<>+20(SB)/4, $128
GLOBL ycck<>(SB), RODATA|NOPTR, $24

// STORE8 packs the eight int32 lanes of register YR (XR its low half) in
// bytes, saturating, and stores them at dst (X13 clobbered).
#define STORE8(YR, XR, dst) \
	VEXTRACTI128 $1, YR, X13 \
	VPACKSSDW    X13, XR, XR \
	VPACKUSWB    XR, XR, XR  \
	VMOVQ        XR, dst

// func ycc8AVX2(rOut, gOut, bOut, y, cb, cr *uint8, n int)
TEXT ·ycc8AVX2(SB), NOSPLIT, $0-56
	MOVQ rOut+0(FP), R8
	MOVQ gOut+8(FP), R9
	MOVQ bOut+16(FP), R10
	MOVQ y+24(FP), SI
	MOVQ cb+32(FP), R11
	MOVQ cr+40(FP), R12
	MOVQ n+48(FP), CX
	VPBROADCASTD ycck<>+0(SB), Y8
	VPBROADCASTD ycck<>+4(SB), Y9
	VPBROADCASTD ycck<>+8(SB), Y10
	VPBROADCASTD ycck<>+12(SB), Y11
	VPBROADCASTD ycck<>+16(SB), Y12
	VPBROADCASTD ycck<>+20(SB), Y14

loop:
	VPMOVZXBD (SI), Y0  // Y
	VPMOVZXBD (R11), Y1 // Cb
	VPMOVZXBD (R12), Y2 // Cr
	VPSUBD    Y14, Y1, Y1     // u = Cb - 128
	VPSUBD    Y14, Y2, Y2     // w = Cr - 128

	VPMULLD Y8, Y2, Y3 // R: Y + (yccCrR*w + half) >> 16
	VPADDD  Y12, Y3, Y3
	VPSRAD  $16, Y3, Y3
	VPADDD  Y0, Y3, Y3
	STORE8(Y3, X3, (R8))

	VPMULLD Y9, Y1, Y4 // G: Y + (-yccCbG*u - yccCrG*w + half) >> 16
	VPMULLD Y10, Y2, Y5
	VPADDD  Y5, Y4, Y4
	VPADDD  Y12, Y4, Y4
	VPSRAD  $16, Y4, Y4
	VPADDD  Y0, Y4, Y4
	STORE8(Y4, X4, (R9))

	VPMULLD Y11, Y1, Y5 // B: Y + (yccCbB*u + half) >> 16
	VPADDD  Y12, Y5, Y5
	VPSRAD  $16, Y5, Y5
	VPADDD  Y0, Y5, Y5
	STORE8(Y5, X5, (R10))

	ADDQ $8, SI
	ADDQ $8, R11
	ADDQ $8, R12
	ADDQ $8, R8
	ADDQ $8, R9
	ADDQ $8, R10
	SUBQ $8, CX
	JNZ  loop
	VZEROUPPER
	RET
