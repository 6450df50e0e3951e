//go:build !purego

#include "go_asm.h"
#include "textflag.h"

// adamAVX2(w, m, v, grad *float32, n int, c *adamConsts): the Adam step of
// adam_amd64.go on n elements, n a multiple of 8, 8 per iteration. Each
// line of the loop is an operation of adamF32Generic, in its order.
//
// Registers: DI w, SI m, DX v, BX grad, CX bytes left, R8 c.
//
//	Y4  decay    Y8  r1       Y12 beta1    Y15 abs mask (0x7fffffff)
//	Y5  lr       Y9  c2       Y13 minGrad  Y14 tiny
//	Y6  eps      Y10 beta2    Y11 c1       Y7  r2
//
// The comparisons: predicate 0x05 (not less than, true for NaN) keeps
// |x| >= tiny and NaN, as FlushTiny does; predicate 0x1D (greater or
// equal, false for NaN) is the test |g| >= minGrad. adamConsts offsets
// come from go_asm.h.

// FLUSH(x, t) zeroes the lanes of x whose magnitude is below tiny; t is
// clobbered.
#define FLUSH(x, t) \
	VANDPS Y15, x, t \
	VCMPPS $0x05, Y14, t, t \
	VANDPS t, x, x

TEXT ·adamAVX2(SB), NOSPLIT, $0-48
	MOVQ w+0(FP), DI
	MOVQ m+8(FP), SI
	MOVQ v+16(FP), DX
	MOVQ grad+24(FP), BX
	MOVQ n+32(FP), CX
	MOVQ c+40(FP), R8
	SHLQ $2, CX
	VBROADCASTSS adamConsts_beta1(R8), Y12
	VBROADCASTSS adamConsts_c1(R8), Y11
	VBROADCASTSS adamConsts_beta2(R8), Y10
	VBROADCASTSS adamConsts_c2(R8), Y9
	VBROADCASTSS adamConsts_r1(R8), Y8
	VBROADCASTSS adamConsts_r2(R8), Y7
	VBROADCASTSS adamConsts_eps(R8), Y6
	VBROADCASTSS adamConsts_lr(R8), Y5
	VBROADCASTSS adamConsts_decay(R8), Y4
	VBROADCASTSS adamConsts_tiny(R8), Y14
	VBROADCASTSS adamConsts_minGrad(R8), Y13
	VBROADCASTSS adamConsts_absMask(R8), Y15

loop:
	VMOVUPS (BX), Y0                // g
	VANDPS  Y15, Y0, Y1             // |g|
	VCMPPS  $0x05, Y14, Y1, Y2
	VANDPS  Y2, Y0, Y0              // g = FlushTiny(g)
	VCMPPS  $0x1D, Y13, Y1, Y3      // |g| >= minGrad (a flushed g is below it too)
	VMULPS  Y0, Y9, Y1              // c2*g
	VMULPS  Y0, Y1, Y1              // c2*g*g
	VANDPS  Y3, Y1, Y1              // g2
	VMULPS  (SI), Y12, Y2           // beta1*m
	VMULPS  Y0, Y11, Y3             // c1*g
	VADDPS  Y3, Y2, Y2
	FLUSH(Y2, Y3)                   // m
	VMOVUPS Y2, (SI)
	VMULPS  (DX), Y10, Y3           // beta2*v
	VADDPS  Y1, Y3, Y3              // + g2
	FLUSH(Y3, Y0)                   // v
	VMOVUPS Y3, (DX)
	VMULPS  Y8, Y2, Y2              // m*r1
	VMULPS  Y7, Y3, Y3              // v*r2
	VSQRTPS Y3, Y3
	VADDPS  Y6, Y3, Y3              // sqrt(v*r2) + eps
	VDIVPS  Y3, Y2, Y2              // (m*r1) / (sqrt(v*r2) + eps)
	VMOVUPS (DI), Y0                // w
	VMULPS  Y0, Y4, Y1              // decay*w
	VADDPS  Y1, Y2, Y2              // step
	VMULPS  Y5, Y2, Y2              // lr*step
	VSUBPS  Y2, Y0, Y0              // w - lr*step
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, BX
	SUBQ    $32, CX
	JNZ     loop
	VZEROUPPER
	RET
