//go:build !purego

#include "textflag.h"
#include "f32_clamp_amd64.h"

// func f32BiasClampAVX2(x *float32, rows, cols, ldx int, bias *float32, byCol bool, lo, hi float32)
//
// x[i][j] = min(max(x[i][j] + b, lo), hi) with b = bias[j] (byCol) or
// bias[i], 8 columns at a time, then one by one, with Go's max and min:
// VMAXPS and VMINPS take the value as their second operand, which they
// return when either is NaN, so a NaN value stays NaN (the caller keeps
// NaN bounds for Go); where the value equals the bound, the result is
// their bitwise AND for max and OR for min, which orders -0 below +0 as
// Go does. DI = the row, SI = bias, CX = rows left, R8 = cols, R9 = the
// column, R10 = ldx in bytes; Y13 = a row's bias, Y14 = lo, Y15 = hi.
TEXT ·f32BiasClampAVX2(SB), NOSPLIT, $0-52
	MOVQ         x+0(FP), DI
	MOVQ         rows+8(FP), CX
	MOVQ         cols+16(FP), R8
	MOVQ         ldx+24(FP), R10
	SHLQ         $2, R10
	MOVQ         bias+32(FP), SI
	VBROADCASTSS lo+44(FP), Y14
	VBROADCASTSS hi+48(FP), Y15

bcrow:
	CMPB         byCol+40(FP), $0
	JNE          bccols
	VBROADCASTSS (SI), Y13
	ADDQ         $4, SI

bccols:
	XORQ R9, R9

bc8:
	LEAQ 8(R9), AX
	CMPQ AX, R8
	JGT  bc1
	VMOVUPS (DI)(R9*4), Y0
	CMPB    byCol+40(FP), $0
	JEQ     bc8row
	VADDPS  (SI)(R9*4), Y0, Y0
	JMP     bc8clamp

bc8row:
	VADDPS Y13, Y0, Y0

bc8clamp:
	CLAMP(Y0, Y1, Y2, Y14, Y15, VCMPPS)
	VMOVUPS Y0, (DI)(R9*4)
	MOVQ    AX, R9
	JMP     bc8

bc1:
	CMPQ   R9, R8
	JGE    bcnext
	VMOVSS (DI)(R9*4), X0
	CMPB   byCol+40(FP), $0
	JEQ    bc1row
	VADDSS (SI)(R9*4), X0, X0
	JMP    bc1clamp

bc1row:
	VADDSS X13, X0, X0

bc1clamp:
	CLAMP(X0, X1, X2, X14, X15, VCMPPS)
	VMOVSS X0, (DI)(R9*4)
	INCQ   R9
	JMP    bc1

bcnext:
	ADDQ R10, DI
	DECQ CX
	JNZ  bcrow
	VZEROUPPER
	RET
