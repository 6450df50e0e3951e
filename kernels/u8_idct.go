package kernels

import "fmt"

// The JPEG decoder's full-size inverse DCT: libjpeg's integer "islow"
// transform (jidctint.c), which libjpeg-turbo and PIL run by default, so
// that decoded pixels match theirs exactly.

// Fixed-point constants of the integer inverse DCT (idctBits fractional
// bits): the rotations of the Loeffler-Ligtenberg-Moschytz factorisation.
const (
	idctBits      = 13
	idctPass1Bits = 2 // extra precision kept between the passes

	fix0_298631336 = 2446
	fix0_390180644 = 3196
	fix0_541196100 = 4433
	fix0_765366865 = 6270
	fix0_899976223 = 7373
	fix1_175875602 = 9633
	fix1_501321110 = 12299
	fix1_847759065 = 15137
	fix1_961570560 = 16069
	fix2_053119869 = 16819
	fix2_562915447 = 20995
	fix3_072711026 = 25172
)

// IDCTIslow transforms one 8x8 block of dequantized DCT coefficients (in
// natural, row-major order) into pixels: a column pass keeping
// idctPass1Bits of extra precision, a row pass, each result rounded half
// up, 128 added and clamped to 0..255, row r written to
// dst[r*stride : r*stride+8]. The arithmetic is int32 and wraps as Go's
// does, so every path gives the same bytes for any coefficients.
func IDCTIslow(blk *[64]int32, dst []uint8, stride int) {
	if stride < 8 || len(dst) < 7*stride+8 {
		panic(fmt.Sprintf("kernels.IDCTIslow: %d bytes cannot hold 8 rows of stride %d", len(dst), stride))
	}
	if idct := active.Load().idct; idct != nil {
		idct(blk, &dst[0], stride)
		return
	}
	idctIslowGeneric(blk, dst, stride)
}

// idctIslowGeneric is the definition of IDCTIslow. Columns and rows whose
// AC coefficients are all zero take a shortcut that gives the same result.
func idctIslowGeneric(blk *[64]int32, dst []uint8, stride int) {
	var ws [64]int32
	// Pass 1: columns, keeping idctPass1Bits of extra precision.
	for c := range 8 {
		x := blk[c:]
		if x[8]|x[16]|x[24]|x[32]|x[40]|x[48]|x[56] == 0 {
			dc := x[0] << idctPass1Bits
			for r := range 8 {
				ws[r*8+c] = dc
			}
			continue
		}
		o0, o1, o2, o3, o4, o5, o6, o7 := idct1D(x[0], x[8], x[16], x[24], x[32], x[40], x[48], x[56])
		const s = idctBits - idctPass1Bits
		ws[c], ws[8+c], ws[16+c], ws[24+c] = descale(o0, s), descale(o1, s), descale(o2, s), descale(o3, s)
		ws[32+c], ws[40+c], ws[48+c], ws[56+c] = descale(o4, s), descale(o5, s), descale(o6, s), descale(o7, s)
	}
	// Pass 2: rows, removing the scaling (the 1/8 of the 2-D transform too).
	_ = dst[7*stride+7]
	for r := range 8 {
		w := ws[r*8 : r*8+8 : r*8+8]
		out := dst[r*stride : r*stride+8 : r*stride+8]
		if w[1]|w[2]|w[3]|w[4]|w[5]|w[6]|w[7] == 0 {
			v := clampU8(128 + descale(w[0], idctPass1Bits+3))
			out[0], out[1], out[2], out[3], out[4], out[5], out[6], out[7] = v, v, v, v, v, v, v, v
			continue
		}
		o0, o1, o2, o3, o4, o5, o6, o7 := idct1D(w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7])
		const s = idctBits + idctPass1Bits + 3
		out[0] = clampU8(128 + descale(o0, s))
		out[1] = clampU8(128 + descale(o1, s))
		out[2] = clampU8(128 + descale(o2, s))
		out[3] = clampU8(128 + descale(o3, s))
		out[4] = clampU8(128 + descale(o4, s))
		out[5] = clampU8(128 + descale(o5, s))
		out[6] = clampU8(128 + descale(o6, s))
		out[7] = clampU8(128 + descale(o7, s))
	}
}

// idct1D is one 8-point inverse DCT of x0..x7 (coefficients in natural
// order along one axis), scaled by 2^idctBits.
func idct1D(x0, x1, x2, x3, x4, x5, x6, x7 int32) (o0, o1, o2, o3, o4, o5, o6, o7 int32) {
	// Even part: x0, x2, x4, x6.
	z1 := (x2 + x6) * fix0_541196100
	t2 := z1 - x6*fix1_847759065
	t3 := z1 + x2*fix0_765366865
	t0 := (x0 + x4) << idctBits
	t1 := (x0 - x4) << idctBits
	t10, t13 := t0+t3, t0-t3
	t11, t12 := t1+t2, t1-t2
	// Odd part: x7, x5, x3, x1.
	a0, a1, a2, a3 := x7, x5, x3, x1
	z1 = a0 + a3
	z2 := a1 + a2
	z3 := a0 + a2
	z4 := a1 + a3
	z5 := (z3 + z4) * fix1_175875602
	a0 *= fix0_298631336
	a1 *= fix2_053119869
	a2 *= fix3_072711026
	a3 *= fix1_501321110
	z1 *= -fix0_899976223
	z2 *= -fix2_562915447
	z3 = z3*-fix1_961570560 + z5
	z4 = z4*-fix0_390180644 + z5
	a0 += z1 + z3
	a1 += z2 + z4
	a2 += z2 + z3
	a3 += z1 + z4
	return t10 + a3, t11 + a2, t12 + a1, t13 + a0, t13 - a0, t12 - a1, t11 - a2, t10 - a3
}

// descale divides by 2^n, rounding half up.
func descale(x int32, n uint) int32 { return (x + 1<<(n-1)) >> n }

// clampU8 clamps to 0..255.
func clampU8(v int32) uint8 {
	if uint32(v) > 255 {
		if v < 0 {
			return 0
		}
		return 255
	}
	return uint8(v)
}
