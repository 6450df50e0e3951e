package preprocess

import (
	"math"
	"math/bits"
)

// The inverse DCTs of the JPEG decoder, in integers so that every machine
// gives the same pixels.

// Fixed-point constants of the integer inverse DCT (13 fractional bits):
// the rotations of the Loeffler-Ligtenberg-Moschytz factorisation.
const (
	idctBits  = 13
	pass1Bits = 2

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

// idct1D is one 8-point inverse DCT of x0..x7 (coefficients in natural
// order along one axis), scaled by 2^idctBits: libjpeg's "islow"
// arithmetic, so that the decoder matches libjpeg (and PIL) exactly.
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

// idctIslow transforms the dequantized coefficients blk (natural order)
// into 8x8 pixels at dst (row stride stride), adding 128 and clamping.
func idctIslow(blk *[64]int32, dst []uint8, stride int) {
	var ws [64]int32
	// Pass 1: columns, keeping pass1Bits of extra precision.
	for c := range 8 {
		x := blk[c:]
		if x[8]|x[16]|x[24]|x[32]|x[40]|x[48]|x[56] == 0 {
			dc := x[0] << pass1Bits
			for r := range 8 {
				ws[r*8+c] = dc
			}
			continue
		}
		o0, o1, o2, o3, o4, o5, o6, o7 := idct1D(x[0], x[8], x[16], x[24], x[32], x[40], x[48], x[56])
		const s = idctBits - pass1Bits
		ws[c], ws[8+c], ws[16+c], ws[24+c] = descale(o0, s), descale(o1, s), descale(o2, s), descale(o3, s)
		ws[32+c], ws[40+c], ws[48+c], ws[56+c] = descale(o4, s), descale(o5, s), descale(o6, s), descale(o7, s)
	}
	// Pass 2: rows, removing the scaling (the 1/8 of the 2-D transform too).
	_ = dst[7*stride+7]
	for r := range 8 {
		w := ws[r*8 : r*8+8 : r*8+8]
		out := dst[r*stride : r*stride+8 : r*stride+8]
		if w[1]|w[2]|w[3]|w[4]|w[5]|w[6]|w[7] == 0 {
			v := clamp255(128 + descale(w[0], pass1Bits+3))
			out[0], out[1], out[2], out[3], out[4], out[5], out[6], out[7] = v, v, v, v, v, v, v, v
			continue
		}
		o0, o1, o2, o3, o4, o5, o6, o7 := idct1D(w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7])
		const s = idctBits + pass1Bits + 3
		out[0] = clamp255(128 + descale(o0, s))
		out[1] = clamp255(128 + descale(o1, s))
		out[2] = clamp255(128 + descale(o2, s))
		out[3] = clamp255(128 + descale(o3, s))
		out[4] = clamp255(128 + descale(o4, s))
		out[5] = clamp255(128 + descale(o5, s))
		out[6] = clamp255(128 + descale(o6, s))
		out[7] = clamp255(128 + descale(o7, s))
	}
}

// scaledBits is the fixed-point precision of the shrunk inverse DCTs.
const scaledBits = 13

// scaledIDCT returns M with M[x][u] the weight, in 1/2^scaledBits, of
// coefficient u in output pixel x when an 8-point block shrinks to n
// points: the mean of the basis function C(u)/2 cos((2p+1)u pi/16) over
// the 8/n pixels x stands for, pixels that x covers in part weighing by
// the part (box filtering, exact for n dividing 8). Only the n lowest
// frequencies are kept. The 2-D transform is M F M^T. M is symmetric as
// the basis is, M[n-1-x][u] = (-1)^u M[x][u], exactly: idctScaled relies
// on it.
func scaledIDCT(n int) [8][8]int32 {
	var m [8][8]int32
	span := 8 / float64(n) // input pixels per output pixel
	for x := range (n + 1) / 2 {
		lo, hi := float64(x)*span, float64(x+1)*span
		for u := range n {
			c := 0.5
			if u == 0 {
				c = 0.5 / math.Sqrt2
			}
			s := 0.0
			for p := int(lo); p < 8 && float64(p) < hi; p++ {
				part := min(float64(p+1), hi) - max(float64(p), lo)
				s += float64(part * math.Cos(float64(2*p+1)*float64(u)*math.Pi/16))
			}
			m[x][u] = int32(math.Round(c * s / span * (1 << scaledBits)))
			m[n-1-x][u] = m[x][u] * int32(1-2*(u&1))
		}
	}
	return m
}

// idctScaled transforms the low n x n coefficients of blk into n x n
// pixels at dst (n = d.n, 1 to 7). The bits of used say which columns
// (bits 0-7) and rows (bits 8-15) of blk may hold nonzero coefficients.
// Each 1-D pass computes the even and odd frequencies' sums for the first
// half of its outputs and mirrors them into the second half, as the
// symmetry of M allows.
func (d *jpegDecoder) idctScaled(blk *[64]int32, used int, dst []uint8, stride int) {
	n := d.n
	m := &d.scaled
	cols := min(n, bits.Len8(uint8(used)))
	rows := min(n, bits.Len8(uint8(used>>8)))
	var t [64]int32 // t[x*8+v] = sum_u F[v][u] M[x][u], descaled
	for v := range rows {
		row := blk[v*8 : v*8+cols]
		for x := range (n + 1) / 2 {
			e, o := evenOdd(row, m[x][:len(row)])
			t[x*8+v] = descale(e+o, scaledBits-pass1Bits)
			t[(n-1-x)*8+v] = descale(e-o, scaledBits-pass1Bits)
		}
	}
	for y := range (n + 1) / 2 {
		top := dst[y*stride : y*stride+n]
		bottom := dst[(n-1-y)*stride : (n-1-y)*stride+n]
		my := m[y][:rows]
		for x := range top {
			e, o := evenOdd(my, t[x*8:x*8+len(my)])
			bottom[x] = clamp255(128 + descale(e-o, scaledBits+pass1Bits))
			top[x] = clamp255(128 + descale(e+o, scaledBits+pass1Bits))
		}
	}
}

// evenOdd returns the sums of a[i]*b[i] over the even and the odd i.
func evenOdd(a, b []int32) (even, odd int32) {
	b = b[:len(a)]
	for i := 0; i+1 < len(a); i += 2 {
		even += a[i] * b[i]
		odd += a[i+1] * b[i+1]
	}
	if len(a)&1 == 1 {
		even += a[len(a)-1] * b[len(a)-1]
	}
	return even, odd
}
