//go:build !purego

#include "go_asm.h"
#include "textflag.h"
#include "vexdpbusd_amd64.h"

// The int8 matrix-vector kernels of the amd64 paths: one column of
// X against whole weight panels, as PackInt8 laid them out for the GEMM
// (i8_gemm_amd64.go), with the requantize epilogue of i8_gemm_amd64.s fused. In
// a panel the rows (output channels) sit side by side in the lanes, so the
// epilogue is the GEMM's one with per-lane instead of per-row parameters:
// the shifts become VPSLLVD/VPSRAVD and the multiplier a vector. Go
// declarations and the driver are in i8_gemv_amd64.go; the i8Epi offsets come
// from go_asm.h.

// 2^30, the rounding term of the doubling high multiply, as a quadword.
DATA gvround30<>+0(SB)/8, $0x40000000
GLOBL gvround30<>(SB), RODATA|NOPTR, $8

// The VPERMD indices that spread the activations of four 6-row steps (a
// dword each, dwords 0-3) over three registers of weights: dword 6s+r of
// the three gets step s.
DATA gvperm<>+0(SB)/4, $0
DATA gvperm<>+4(SB)/4, $0
DATA gvperm<>+8(SB)/4, $0
DATA gvperm<>+12(SB)/4, $0
DATA gvperm<>+16(SB)/4, $0
DATA gvperm<>+20(SB)/4, $0
DATA gvperm<>+24(SB)/4, $1
DATA gvperm<>+28(SB)/4, $1
DATA gvperm<>+32(SB)/4, $1
DATA gvperm<>+36(SB)/4, $1
DATA gvperm<>+40(SB)/4, $1
DATA gvperm<>+44(SB)/4, $1
DATA gvperm<>+48(SB)/4, $2
DATA gvperm<>+52(SB)/4, $2
DATA gvperm<>+56(SB)/4, $2
DATA gvperm<>+60(SB)/4, $2
DATA gvperm<>+64(SB)/4, $2
DATA gvperm<>+68(SB)/4, $2
DATA gvperm<>+72(SB)/4, $3
DATA gvperm<>+76(SB)/4, $3
DATA gvperm<>+80(SB)/4, $3
DATA gvperm<>+84(SB)/4, $3
DATA gvperm<>+88(SB)/4, $3
DATA gvperm<>+92(SB)/4, $3
GLOBL gvperm<>(SB), RODATA|NOPTR, $96

// ---------------------------------------------------------------------------
// avxvnni: 6 rows per panel, 24 bytes per step, one dword per row (4
// int8). Four steps are 24 dwords, three YMM: dword 6s+r holds step s,
// row r. A step's activations are one dword too (4 uint8), so VPERMD
// spreads the four steps' activations to match, VPDPBUSD multiplies and
// adds each dword's products exactly, and the four 6-dword runs are
// summed per row at the end of the panel.
//
// Their macros come before the first TEXT so that go vet's asmdecl, which
// reads macro bodies as lines of the function above them, does not take
// GV6SUM's frame offsets for another function's arguments.

// LOAD6 loads 6 dwords at p into lanes 0-5 of Y (lanes 6 and 7 zero)
// without reading past them.
#define LOAD6(p, X, Xt, Y) \
	VMOVDQU     (p), X                     \
	VMOVQ       16(p), Xt                  \
	VINSERTI128 $1, Xt, Y, Y

// GV6SETUP loads, from ep in AX, the parameter pointers of the first panel
// (R8 = bias, R9 = multipliers, R10 = shifts), the constants of GV6REQ (Y7
// = 2^30 per qword, Y8 = zp words, Y9 = lo bytes, Y10 = hi bytes, Y11 =
// -1) and the VPERMD indices of four steps in Y13-Y15.
#define GV6SETUP \
	MOVQ         i8Epi_bias(AX), R8        \
	MOVQ         i8Epi_mult(AX), R9        \
	MOVQ         i8Epi_shift(AX), R10      \
	VPBROADCASTW i8Epi_zp(AX), Y8          \
	VPBROADCASTB i8Epi_lo(AX), Y9          \
	VPBROADCASTB i8Epi_hi(AX), Y10         \
	VPBROADCASTQ gvround30<>(SB), Y7       \
	VPCMPEQD     Y11, Y11, Y11             \
	VMOVDQU      gvperm<>+0(SB), Y13       \
	VMOVDQU      gvperm<>+32(SB), Y14      \
	VMOVDQU      gvperm<>+64(SB), Y15

// GV6SUM adds the four-step accumulators Y0-Y2 of a panel to the one-step
// accumulator Y3: row r is dword r of the runs at bytes 0, 24, 48 and 72
// of Y0-Y2, spilled to the frame (96 bytes, and the 8 that the run at 72
// reads past them).
#define GV6SUM \
	VMOVDQU Y0, 0(SP)                      \
	VMOVDQU Y1, 32(SP)                     \
	VMOVDQU Y2, 64(SP)                     \
	VPADDD  0(SP), Y3, Y3                  \
	VPADDD  24(SP), Y3, Y3                 \
	VPADDD  48(SP), Y3, Y3                 \
	VPADDD  72(SP), Y3, Y3

// GV6REQ is the requantize epilogue of the 6 rows in lanes 0-5 of Y3
// (A2ROW's, with per-lane parameters): + bias; left = max(shift, 0),
// right = max(-shift, 0); the saturating left shift (A2LSHIFT); the high
// multiply (A2SRDHM); MinInt32, which only MinInt32² gives, to MaxInt32
// (A2SATMIN); the rounding divide by 2^right (A2RDIV). Then to int8 as
// A2PACK: saturate to int16, + zero point, saturate to int8, clamp; rows
// 0-3 end in the low dword, rows 4-5 in the low word of the high half. It
// stores the 6 int8 at DI and moves DI, R8, R9 and R10 to the next panel.
// Uses Y0-Y6, Y12 and AX.
#define GV6REQ \
	LOAD6(R8, X4, X5, Y4)                  \
	VPADDD       Y4, Y3, Y3                \
	LOAD6(R10, X4, X5, Y4)                 \
	VPXOR        Y12, Y12, Y12             \
	VPMAXSD      Y12, Y4, Y5               \
	VPSUBD       Y4, Y12, Y6               \
	VPMAXSD      Y12, Y6, Y6               \
	VPSLLVD      Y5, Y3, Y0                \
	VPSRAVD      Y5, Y0, Y1                \
	VPCMPEQD     Y1, Y3, Y1                \
	VPSRAD       $31, Y3, Y2               \
	VPSRLD       $1, Y11, Y4               \
	VPXOR        Y4, Y2, Y2                \
	VPBLENDVB    Y1, Y0, Y2, Y3            \
	LOAD6(R9, X4, X5, Y4)                  \
	VPSRLQ       $32, Y4, Y5               \
	VPMULDQ      Y4, Y3, Y0                \
	VPSRLQ       $32, Y3, Y1               \
	VPMULDQ      Y5, Y1, Y1                \
	VPADDQ       Y7, Y0, Y0                \
	VPADDQ       Y7, Y1, Y1                \
	VPSRLQ       $31, Y0, Y0               \
	VPSLLQ       $1, Y1, Y1                \
	VPBLENDD     $0xAA, Y1, Y0, Y3         \
	VPSLLD       $31, Y11, Y4              \
	VPCMPEQD     Y4, Y3, Y4                \
	VPXOR        Y4, Y3, Y3                \
	VPSLLVD      Y6, Y11, Y0               \
	VPANDN       Y3, Y0, Y1                \
	VPXOR        Y11, Y0, Y0               \
	VPSRLD       $1, Y0, Y0                \
	VPSRAD       $31, Y3, Y2               \
	VPADDD       Y2, Y1, Y1                \
	VPCMPGTD     Y0, Y1, Y1                \
	VPSRAVD      Y6, Y3, Y3                \
	VPSUBD       Y1, Y3, Y3                \
	VPACKSSDW    Y3, Y3, Y3                \
	VPADDSW      Y8, Y3, Y3                \
	VPACKSSWB    Y3, Y3, Y3                \
	VPMAXSB      Y9, Y3, Y3                \
	VPMINSB      Y10, Y3, Y3               \
	VMOVD        X3, (DI)                  \
	VEXTRACTI128 $1, Y3, X4                \
	VMOVD        X4, AX                    \
	MOVW         AX, 4(DI)                 \
	ADDQ         $6, DI                    \
	ADDQ         $24, R8                   \
	ADDQ         $24, R9                   \
	ADDQ         $24, R10

// ---------------------------------------------------------------------------
// vnni: 16 rows per panel, one ZMM per step (16 rows × 4 int8); the step's
// four activations (+128, uint8) are broadcast to every lane and VPDPBUSD
// adds each row's 4-value dot product to its lane.
//
// The requantize epilogue is V8ROWEPI's of i8_gemm_amd64.s with the rows in
// lanes: GVPARAMS loads the parameters of a panel, GVREQ applies them to
// one column's accumulators.

// GVPARAMS loads the parameters of the 16 rows of a panel: bias +
// correction in Z24, left = max(shift, 0) in Z18, right = max(-shift, 0)
// in Z19, the rounding divide's ^mask = -1 << right in Z9 and mask>>1 in
// Z10, the multipliers in Z16 and, for the odd lanes' products, shifted
// down a dword in Z17. R8 = bias, R11 = bias correction, R9 = multipliers,
// R10 = shifts. Z25 = 0, Z31 = -1.
#define GVPARAMS \
	VMOVDQU32 (R8), Z24                    \
	VPADDD    (R11), Z24, Z24              \
	VMOVDQU32 (R10), Z17                   \
	VPMAXSD   Z25, Z17, Z18                \
	VPSUBD    Z17, Z25, Z19                \
	VPMAXSD   Z25, Z19, Z19                \
	VPSLLVD   Z19, Z31, Z9                 \
	VPXORD    Z31, Z9, Z10                 \
	VPSRLD    $1, Z10, Z10                 \
	VMOVDQU32 (R9), Z16                    \
	VPSRLQ    $32, Z16, Z17

// GVREQ requantizes the 16 rows in A with GVPARAMS' parameters: + bias;
// saturating left shift (where shifting back does not give A, MaxInt32 or
// MinInt32 by A's sign); (A*M + 2^30) >> 31 from the 64-bit products of
// even and odd lanes; MinInt32, which only MinInt32*MinInt32 gives,
// saturated to MaxInt32 (V8SATMIN, here without testing M: no other
// product reaches it); the rounding divide, A>>right plus one where
// A&mask + (A>>31) > mask>>1; then the zero point and clamp of V8STORE.
// Z29 = MaxInt32, Z30 = 2^30 per qword, Z22 = MinInt32, Z31 = -1, K2 = odd
// lanes, Z28 = lo-zp, Z27 = hi-zp, Z26 = zp. Uses Z20, Z21, Z23 and K1.
#define GVREQ(A) \
	VPADDD    Z24, A, A                    \
	VPSLLVD   Z18, A, Z20                  \
	VPSRAVD   Z18, Z20, Z21                \
	VPCMPEQD  Z21, A, K1                   \
	VPSRAD    $31, A, Z21                  \
	VPXORD    Z29, Z21, Z21                \
	VPBLENDMD Z20, Z21, K1, A              \
	VPMULDQ   Z16, A, Z20                  \
	VPSRLQ    $32, A, Z21                  \
	VPMULDQ   Z17, Z21, Z21                \
	VPADDQ    Z30, Z20, Z20                \
	VPADDQ    Z30, Z21, Z21                \
	VPSRLQ    $31, Z20, Z20                \
	VPSLLQ    $1, Z21, Z21                 \
	VPBLENDMD Z21, Z20, K2, A              \
	VPCMPEQD  Z22, A, K1                   \
	VPXORD    Z31, A, K1, A                \
	VPANDND   A, Z9, Z21                   \
	VPSRAD    $31, A, Z23                  \
	VPADDD    Z23, Z21, Z21                \
	VPCMPGTD  Z10, Z21, K1                 \
	VPSRAVD   Z19, A, A                    \
	VPSUBD    Z31, A, K1, A                \
	VPMAXSD   Z28, A, A                    \
	VPMINSD   Z27, A, A                    \
	VPADDD    Z26, A, A

// GVSETUP loads the epilogue pointers of ep (in AX) into R8-R11 and the
// constants of GVPARAMS and GVREQ. Clobbers AX.
#define GVSETUP \
	MOVQ         i8Epi_bias(AX), R8        \
	MOVQ         i8Epi_corr(AX), R11       \
	MOVQ         i8Epi_mult(AX), R9        \
	MOVQ         i8Epi_shift(AX), R10      \
	VPBROADCASTD i8Epi_loz(AX), Z28        \
	VPBROADCASTD i8Epi_hiz(AX), Z27        \
	VPBROADCASTD i8Epi_zp(AX), Z26         \
	VPBROADCASTQ gvround30<>(SB), Z30      \
	VPTERNLOGD   $0xff, Z31, Z31, Z31      \
	VPSRLD       $1, Z31, Z29              \
	VPSLLD       $31, Z31, Z22             \
	VPXORD       Z25, Z25, Z25             \
	MOVL         $0xaaaa, AX               \
	KMOVW        AX, K2

// GVNEXT moves the parameter pointers to the next panel's 16 rows.
#define GVNEXT \
	ADDQ $64, R8                           \
	ADDQ $64, R9                           \
	ADDQ $64, R10                          \
	ADDQ $64, R11

// func i8Gemv16c4VNNI(ks, panels int, w *int8, x *byte, out *int8, ep *i8Epi)
TEXT ·i8Gemv16c4VNNI(SB), NOSPLIT, $0-48
	MOVQ ks+0(FP), CX
	MOVQ panels+8(FP), BX
	MOVQ w+16(FP), DX
	MOVQ x+24(FP), SI
	MOVQ out+32(FP), DI
	MOVQ ep+40(FP), AX
	GVSETUP

gvpanel:
	// Four accumulators over consecutive steps keep four VPDPBUSD chains
	// in flight; the weights stream once, in order.
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	MOVQ   SI, AX
	MOVQ   CX, R12
	SHRQ   $2, R12
	JZ     gvtail

gvloop4:
	VPBROADCASTD 0(AX), Z4
	VPBROADCASTD 4(AX), Z5
	VPBROADCASTD 8(AX), Z6
	VPBROADCASTD 12(AX), Z7
	VPDPBUSD     0(DX), Z4, Z0
	VPDPBUSD     64(DX), Z5, Z1
	VPDPBUSD     128(DX), Z6, Z2
	VPDPBUSD     192(DX), Z7, Z3
	ADDQ         $256, DX
	ADDQ         $16, AX
	DECQ         R12
	JNZ          gvloop4

gvtail:
	MOVQ CX, R12
	ANDQ $3, R12
	JZ   gvepi

gvloop1:
	VPBROADCASTD (AX), Z4
	VPDPBUSD     (DX), Z4, Z0
	ADDQ         $64, DX
	ADDQ         $4, AX
	DECQ         R12
	JNZ          gvloop1

gvepi:
	VPADDD  Z1, Z0, Z0
	VPADDD  Z3, Z2, Z2
	VPADDD  Z2, Z0, Z0
	GVPARAMS
	GVREQ(Z0)
	VPMOVDB Z0, (DI)
	ADDQ    $16, DI
	GVNEXT
	DECQ    BX
	JNZ     gvpanel

	VZEROUPPER
	RET

// func i8Gemv4x16c4VNNI(ks, panels int, w *int8, x *byte, out *int8, ldo, nc int, ep *i8Epi)
//
// Four columns at once, so that each weight step, loaded once, meets four
// broadcast activations: x holds per step the 4 bytes of column 0, then
// of 1, 2 and 3 (16 bytes). Column j accumulates in Z(j) over even steps
// and Z(j+11) over odd ones, eight VPDPBUSD chains in flight; the first nc
// columns are stored, column j at out + j*ldo.
TEXT ·i8Gemv4x16c4VNNI(SB), NOSPLIT, $0-64
	MOVQ ks+0(FP), CX
	MOVQ panels+8(FP), BX
	MOVQ w+16(FP), DX
	MOVQ x+24(FP), SI
	MOVQ out+32(FP), DI
	MOVQ ldo+40(FP), R14
	MOVQ ep+56(FP), AX
	GVSETUP

gv4panel:
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	MOVQ   SI, AX
	MOVQ   CX, R12
	SHRQ   $1, R12
	JZ     gv4tail

gv4loop2:
	VMOVDQU32    (DX), Z8
	VMOVDQU32    64(DX), Z15
	VPBROADCASTD 0(AX), Z4
	VPBROADCASTD 4(AX), Z5
	VPBROADCASTD 8(AX), Z6
	VPBROADCASTD 12(AX), Z7
	VPDPBUSD     Z8, Z4, Z0
	VPDPBUSD     Z8, Z5, Z1
	VPDPBUSD     Z8, Z6, Z2
	VPDPBUSD     Z8, Z7, Z3
	VPBROADCASTD 16(AX), Z4
	VPBROADCASTD 20(AX), Z5
	VPBROADCASTD 24(AX), Z6
	VPBROADCASTD 28(AX), Z7
	VPDPBUSD     Z15, Z4, Z11
	VPDPBUSD     Z15, Z5, Z12
	VPDPBUSD     Z15, Z6, Z13
	VPDPBUSD     Z15, Z7, Z14
	ADDQ         $128, DX
	ADDQ         $32, AX
	DECQ         R12
	JNZ          gv4loop2

gv4tail:
	TESTQ        $1, CX
	JZ           gv4epi
	VMOVDQU32    (DX), Z8
	VPBROADCASTD 0(AX), Z4
	VPBROADCASTD 4(AX), Z5
	VPBROADCASTD 8(AX), Z6
	VPBROADCASTD 12(AX), Z7
	VPDPBUSD     Z8, Z4, Z0
	VPDPBUSD     Z8, Z5, Z1
	VPDPBUSD     Z8, Z6, Z2
	VPDPBUSD     Z8, Z7, Z3
	ADDQ         $64, DX

gv4epi:
	VPADDD Z11, Z0, Z0
	VPADDD Z12, Z1, Z1
	VPADDD Z13, Z2, Z2
	VPADDD Z14, Z3, Z3
	GVPARAMS
	MOVQ    nc+48(FP), R12
	MOVQ    DI, R13
	GVREQ(Z0)
	VPMOVDB Z0, (R13)
	DECQ    R12
	JZ      gv4next
	ADDQ    R14, R13
	GVREQ(Z1)
	VPMOVDB Z1, (R13)
	DECQ    R12
	JZ      gv4next
	ADDQ    R14, R13
	GVREQ(Z2)
	VPMOVDB Z2, (R13)
	DECQ    R12
	JZ      gv4next
	ADDQ    R14, R13
	GVREQ(Z3)
	VPMOVDB Z3, (R13)

gv4next:
	ADDQ $16, DI
	GVNEXT
	DECQ BX
	JNZ  gv4panel

	VZEROUPPER
	RET

// ---------------------------------------------------------------------------
// avxvnni: the kernel of 6-row panels (macros and gvperm above).

// func i8Gemv6c4AVXVNNI(ks, panels int, w *int8, x *byte, out *int8, ep *i8Epi)
//
// Four steps at a time, VPERMD spreads their activations (4 uint8 each,
// +128) over three registers to meet the weights of 6 rows × 4 steps, and
// VPDPBUSD (the VEX form, VEXDPBUSD) multiplies 4 int8 weights per row by
// them; the last ks%4 steps one by one. The rows' -128*rowSum (R11) is
// added before the epilogue.
TEXT ·i8Gemv6c4AVXVNNI(SB), NOSPLIT, $112-48
	MOVQ ks+0(FP), CX
	MOVQ panels+8(FP), BX
	MOVQ w+16(FP), DX
	MOVQ x+24(FP), SI
	MOVQ out+32(FP), DI
	MOVQ ep+40(FP), AX
	MOVQ i8Epi_corr(AX), R11
	GV6SETUP

avgpanel:
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3
	MOVQ  SI, AX
	MOVQ  CX, R12
	SHRQ  $2, R12
	JZ    avgtail

avgloop4:
	// VPERMD reads 32 bytes of X for the 16 it uses: the driver pads X.
	VPERMD  (AX), Y13, Y4
	VMOVDQU (DX), Y5
	VEXDPBUSD(0, 4, 5)
	VPERMD  (AX), Y14, Y6
	VMOVDQU 32(DX), Y12
	VEXDPBUSD(1, 6, 12)
	VPERMD  (AX), Y15, Y4
	VMOVDQU 64(DX), Y5
	VEXDPBUSD(2, 4, 5)
	ADDQ    $96, DX
	ADDQ    $16, AX
	DECQ    R12
	JNZ     avgloop4

avgtail:
	// The last ks%4 steps one by one, rows in lanes 0-5 of Y3.
	MOVQ CX, R12
	ANDQ $3, R12
	JZ   avgsum

avgloop1:
	LOAD6(DX, X5, X6, Y5)
	VPBROADCASTD (AX), Y4
	VEXDPBUSD(3, 4, 5)
	ADDQ         $24, DX
	ADDQ         $4, AX
	DECQ         R12
	JNZ          avgloop1

avgsum:
	GV6SUM
	LOAD6(R11, X4, X5, Y4)
	VPADDD Y4, Y3, Y3
	ADDQ   $24, R11
	GV6REQ
	DECQ   BX
	JNZ    avgpanel

	VZEROUPPER
	RET
