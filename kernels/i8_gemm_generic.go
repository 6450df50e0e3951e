package kernels

import (
	"slices"

	"github.com/edgecnn/edgecnn/quant"
)

// This file is the pure-Go reference of the int8 kernels: always built, and
// the definition that every assembly kernel must match bit for bit.

// genericInt8 is the int8 GEMM of the generic path. Its packed layout is the
// weight matrix itself, row-major, groups one after the other.
var genericInt8 = &int8Impl{pack: packInt8Generic, gemm: gemmInt8Generic}

func packInt8Generic(w []int8, m, k, groups int) []int8 {
	return slices.Clone(w[:m*k])
}

// colPool holds the column buffers of gemmInt8Generic, so steady-state calls
// allocate nothing.
var colPool = newFreeList(func() *[]int8 { return new([]int8) }, func(d, s *[]int8) { fitSlice(d, *s) })

// gemmInt8Generic computes every element of C as its own dot product: for
// each group and column j of X it copies the column into a contiguous buffer
// (or reads it in place when it already is contiguous), then, for each row i
// of the group, sums W[i][p]*X[p][j] in int32 and requantizes.
func gemmInt8Generic(w *PackedInt8, x []int8, n, xRowStride, xColStride int, rq *Requant, c []int8, cRowStride, cColStride int) {
	k, mg := w.k, w.m/w.groups
	buf := colPool.Get()
	if cap(*buf) < k {
		*buf = make([]int8, k)
	}
	col := (*buf)[:k]
	for g := range w.groups {
		for j := range n {
			x0 := g*k*xRowStride + j*xColStride // X[g*k][j]
			xj := col
			if xRowStride == 1 {
				xj = x[x0 : x0+k]
			} else {
				for p := range col {
					col[p] = x[x0+p*xRowStride]
				}
			}
			for i := g * mg; i < (g+1)*mg; i++ {
				acc := rq.Bias[i] + dotInt8(w.data[i*k:(i+1)*k], xj)
				c[i*cRowStride+j*cColStride] = quant.Requantize(acc, rq.Multiplier[i], int(rq.Shift[i]), rq.ZeroPoint, rq.Min, rq.Max)
			}
		}
	}
	colPool.Put(buf)
}

// dotInt8 returns Σ a[p]*b[p] over len(a) values, in int32 with wrap-around.
// Four partial sums keep the loop short; int32 addition is associative
// modulo 2^32, so the order does not change the result.
func dotInt8(a, b []int8) int32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 int32
	for len(a) >= 4 && len(b) >= 4 {
		s0 += int32(a[0]) * int32(b[0])
		s1 += int32(a[1]) * int32(b[1])
		s2 += int32(a[2]) * int32(b[2])
		s3 += int32(a[3]) * int32(b[3])
		a, b = a[4:], b[4:]
	}
	for i, v := range a {
		s0 += int32(v) * int32(b[i])
	}
	return s0 + s1 + s2 + s3
}

func fillInt8(s []int8, v int8) {
	const head = 32
	if len(s) <= head {
		for i := range s {
			s[i] = v
		}
		return
	}
	// Long runs (pad rows) double by copy, which moves words.
	for i := range head {
		s[i] = v
	}
	for n := head; n < len(s); n *= 2 {
		copy(s[n:], s[:n])
	}
}

// im2colInt8Rows writes the columns of Im2colInt8's matrix that belong to
// output rows [oh0, oh1), so that threads computing different rows of one
// image can each unfold their own part.
func im2colInt8Rows(src []int8, g ConvGeom, padValue int8, dst []int8, oh0, oh1 int) {
	cols := g.OutH * g.OutW
	row := 0
	for c := range g.C {
		img := src[c*g.H*g.W : (c+1)*g.H*g.W]
		for kh := range g.KH {
			for kw := range g.KW {
				out := dst[row*cols : (row+1)*cols]
				row++
				lo, hi := validRange(g.OutW, g.SW, kw-g.PadL, g.W)
				for oh := oh0; oh < oh1; oh++ {
					o := out[oh*g.OutW : (oh+1)*g.OutW]
					ih := oh*g.SH - g.PadT + kh
					if ih < 0 || ih >= g.H {
						fillInt8(o, padValue)
						continue
					}
					in := img[ih*g.W : (ih+1)*g.W]
					fillInt8(o[:lo], padValue)
					iw := lo*g.SW - g.PadL + kw
					if g.SW == 1 {
						if lo < hi {
							copy(o[lo:hi], in[iw:])
						}
					} else {
						for ow := lo; ow < hi; ow++ {
							o[ow] = in[iw]
							iw += g.SW
						}
					}
					fillInt8(o[hi:], padValue)
				}
			}
		}
	}
}

// poolWindow returns the rows [h0, h1) and columns [w0, w1) of the image
// that output cell (oh, ow) covers, padding excluded.
func poolWindow(g ConvGeom, oh, ow int) (h0, h1, w0, w1 int) {
	h0, h1 = max(oh*g.SH-g.PadT, 0), min(oh*g.SH-g.PadT+g.KH, g.H)
	w0, w1 = max(ow*g.SW-g.PadL, 0), min(ow*g.SW-g.PadL+g.KW, g.W)
	return h0, h1, w0, w1
}

func maxPoolInt8Generic(src, dst []int8, g ConvGeom) {
	for c := range g.C {
		img := src[c*g.H*g.W : (c+1)*g.H*g.W]
		out := dst[c*g.OutH*g.OutW : (c+1)*g.OutH*g.OutW]
		for oh := range g.OutH {
			for ow := range g.OutW {
				h0, h1, w0, w1 := poolWindow(g, oh, ow)
				m := int8(-128) // every window holds at least one cell
				for ih := h0; ih < h1; ih++ {
					for _, v := range img[ih*g.W+w0 : ih*g.W+w1] {
						m = max(m, v)
					}
				}
				out[oh*g.OutW+ow] = m
			}
		}
	}
}

func avgPoolInt8Generic(src, dst []int8, g ConvGeom) {
	for c := range g.C {
		img := src[c*g.H*g.W : (c+1)*g.H*g.W]
		out := dst[c*g.OutH*g.OutW : (c+1)*g.OutH*g.OutW]
		for oh := range g.OutH {
			for ow := range g.OutW {
				h0, h1, w0, w1 := poolWindow(g, oh, ow)
				var sum int32
				for ih := h0; ih < h1; ih++ {
					for _, v := range img[ih*g.W+w0 : ih*g.W+w1] {
						sum += int32(v)
					}
				}
				out[oh*g.OutW+ow] = int8(roundDiv(sum, int32((h1-h0)*(w1-w0))))
			}
		}
	}
}

// roundDiv returns sum/n rounded to nearest, ties away from zero, for n >= 1
// (TFLite's average pool: Go's division truncates toward zero, as C's does).
func roundDiv(sum, n int32) int32 {
	if sum >= 0 {
		return (sum + n/2) / n
	}
	return (sum - n/2) / n
}

func lookupInt8Generic(dst, src []int8, table *[256]int8) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = table[uint8(v)]
	}
}
