//go:build !purego

#include "textflag.h"

// func resampleCols8AVX2(out *uint8, n int, src *uint8, srcEnd int, first *int32, k *int32, kstride int, taps int, shift uint64, round int32) int
//
// Groups of 8 outputs, each half of the register (4 outputs) reading a
// 16-byte window of src from its first output's first input: tap j of
// output i is byte d_i+j of its window (d_i = first[i] minus the window's
// start), which VPSHUFB moves into the low byte of lane i (the mask's
// other bytes have their top bit set: zeros), so that a tap costs a
// shuffle, a multiply by the tap's 8 weights and an add. It stops at the
// first group whose window does not hold its taps (d_i+taps > 16) or
// would read past srcEnd (the last window start allowed) and returns how
// many outputs it wrote.
TEXT ·resampleCols8AVX2(SB), NOSPLIT, $0-88
	MOVQ         out+0(FP), DI
	MOVQ         n+8(FP), CX
	MOVQ         src+16(FP), SI
	MOVQ         srcEnd+24(FP), R13
	MOVQ         first+32(FP), BX
	MOVQ         k+40(FP), R8
	MOVQ         kstride+48(FP), DX
	SHLQ         $2, DX
	MOVQ         taps+56(FP), R9
	VMOVQ        shift+64(FP), X15
	MOVL         round+72(FP), AX
	VMOVD        AX, X14
	VPBROADCASTD X14, Y14
	MOVL         $0x80808000, AX
	VMOVD        AX, X13
	VPBROADCASTD X13, Y13 // the mask's zeroing bytes
	MOVL         $16, AX
	SUBL         R9, AX
	VMOVD        AX, X12
	VPBROADCASTD X12, Y12 // the largest d allowed: 16-taps
	MOVL         $1, AX
	VMOVD        AX, X11
	VPBROADCASTD X11, Y11
	XORQ         R10, R10 // outputs done

group:
	CMPQ R10, CX
	JGE  done
	MOVL (BX)(R10*4), AX   // window starts, zero-extended: a negative
	MOVL 16(BX)(R10*4), R11 // one compares as huge
	CMPQ AX, R13
	JA   done
	CMPQ R11, R13
	JA   done
	VMOVDQU   (BX)(R10*4), Y0
	VPSHUFD   $0, Y0, Y1
	VPSUBD    Y1, Y0, Y0 // d
	VPMINUD   Y12, Y0, Y1
	VPCMPEQD  Y1, Y0, Y1
	VPMOVMSKB Y1, R12
	CMPL      R12, $0xFFFFFFFF
	JNE       done
	VPOR      Y13, Y0, Y0 // tap 0's mask
	VMOVDQU   (SI)(AX*1), X3
	VINSERTI128 $1, (SI)(R11*1), Y3, Y3
	VMOVDQA   Y14, Y4
	LEAQ      (R8)(R10*4), R12
	MOVQ      R9, AX

tap:
	VPSHUFB Y0, Y3, Y5
	VPMULLD (R12), Y5, Y5
	VPADDD  Y5, Y4, Y4
	VPADDD  Y11, Y0, Y0
	ADDQ    DX, R12
	DECQ    AX
	JNZ     tap

	VPSRAD       X15, Y4, Y4
	VEXTRACTI128 $1, Y4, X5
	VPACKSSDW    X5, X4, X4
	VPACKUSWB    X4, X4, X4
	VMOVQ        X4, (DI)(R10*1)
	ADDQ         $8, R10
	JMP          group

done:
	MOVQ R10, ret+80(FP)
	VZEROUPPER
	RET
