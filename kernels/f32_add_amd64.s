//go:build !purego

#include "textflag.h"
#include "f32_clamp_amd64.h"

// func f32AddAVX2(dst, a, b *float32, n int, lo, hi float32)
//
// dst[i] = min(max(a[i]+b[i], lo), hi) for n a multiple of 16, 16 floats
// per step, with Go's max and min (CLAMP). DI = dst, SI = a, DX = b, CX =
// n, AX = the index; Y14 = lo, Y15 = hi.
TEXT ·f32AddAVX2(SB), NOSPLIT, $0-40
	MOVQ         dst+0(FP), DI
	MOVQ         a+8(FP), SI
	MOVQ         b+16(FP), DX
	MOVQ         n+24(FP), CX
	VBROADCASTSS lo+32(FP), Y14
	VBROADCASTSS hi+36(FP), Y15
	XORQ         AX, AX

addf16:
	VMOVUPS (SI)(AX*4), Y0
	VMOVUPS 32(SI)(AX*4), Y3
	VADDPS  (DX)(AX*4), Y0, Y0
	VADDPS  32(DX)(AX*4), Y3, Y3
	CLAMP(Y0, Y1, Y2, Y14, Y15, VCMPPS)
	CLAMP(Y3, Y4, Y5, Y14, Y15, VCMPPS)
	VMOVUPS Y0, (DI)(AX*4)
	VMOVUPS Y3, 32(DI)(AX*4)
	ADDQ    $16, AX
	CMPQ    AX, CX
	JLT     addf16
	VZEROUPPER
	RET
