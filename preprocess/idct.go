package preprocess

import (
	"math"
	"math/bits"
)

// The inverse DCTs of the JPEG decoder, in integers so that every machine
// gives the same pixels: at full size libjpeg's islow, kernels.IDCTIslow;
// at n/8 of the size the shrunk transform below.

// pass1Bits is the extra precision the transforms keep between their
// column and row passes, as libjpeg's islow does.
const pass1Bits = 2

// descale divides by 2^n, rounding half up.
func descale(x int32, n uint) int32 { return (x + 1<<(n-1)) >> n }

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
	// t[x*8+v] = sum_u F[v][u] M[x][u], descaled, for the x < n and v <
	// rows the second pass reads: written before they are read, so kept
	// in d rather than cleared on every block.
	t := &d.scaledTmp
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

// idctScaled4 is idctScaled for n = 4 (a 2x shrink: 1280x720 frames in
// draft), unrolled: every coefficient of the low 4x4 enters the sums, the
// ones past the used rows and columns being zero, which adds the same
// int32 sums as idctScaled's.
func (d *jpegDecoder) idctScaled4(blk *[64]int32, dst []uint8, stride int) {
	m := &d.scaled
	m0, m1 := &m[0], &m[1]
	var t [4][4]int32 // t[x][v] = sum_u F[v][u] M[x][u], descaled
	for v := range 4 {
		f := blk[v*8 : v*8+4 : v*8+4]
		e0, o0 := f[0]*m0[0]+f[2]*m0[2], f[1]*m0[1]+f[3]*m0[3]
		e1, o1 := f[0]*m1[0]+f[2]*m1[2], f[1]*m1[1]+f[3]*m1[3]
		const s = scaledBits - pass1Bits
		t[0][v], t[3][v] = descale(e0+o0, s), descale(e0-o0, s)
		t[1][v], t[2][v] = descale(e1+o1, s), descale(e1-o1, s)
	}
	_ = dst[3*stride+3]
	for y, my := range [2]*[8]int32{m0, m1} {
		top := dst[y*stride : y*stride+4 : y*stride+4]
		bottom := dst[(3-y)*stride : (3-y)*stride+4 : (3-y)*stride+4]
		for x := range 4 {
			tx := &t[x]
			e, o := my[0]*tx[0]+my[2]*tx[2], my[1]*tx[1]+my[3]*tx[3]
			const s = scaledBits + pass1Bits
			top[x] = clamp255(128 + descale(e+o, s))
			bottom[x] = clamp255(128 + descale(e-o, s))
		}
	}
}
