package kernels

import (
	"encoding/binary"
	"unsafe"
)

// Pools whose windows lie entirely inside the image (no padding, none
// clipped at the bottom or right), the common case: 2x2 stride 2, 3x3 stride
// 2 and so on. They give exactly the results of the general loops in
// kernels_generic.go and i8_gemm_generic.go, without per-window clipping.

// inside reports whether every window of g lies inside the image.
func (g ConvGeom) inside() bool {
	return g.PadT == 0 && g.PadL == 0 && g.OutH > 0 && g.OutW > 0 &&
		(g.OutH-1)*g.SH+g.KH <= g.H && (g.OutW-1)*g.SW+g.KW <= g.W
}

// poolRow returns, for output row oh of channel c, the offset in src of
// the first input row of its windows and the output row in dst.
func poolRow[T any](dst []T, g ConvGeom, c, oh int) (r0 int, out []T) {
	o := (c*g.OutH + oh) * g.OutW
	return (c*g.H + oh*g.SH) * g.W, dst[o : o+g.OutW]
}

// max8 is max(a, b) without a branch, which random data would mispredict.
func max8(a, b int8) int8 {
	d := int32(a) - int32(b)
	return int8(int32(a) - d&(d>>31))
}

// Byte lanes of a uint64.
const (
	msb8  = 0x8080808080808080
	even8 = 0x00FF00FF00FF00FF
)

// maxU8x8 returns the bytewise unsigned maximum of x and y. t compares the
// low 7 bits of each byte without borrows between bytes; the top bits then
// decide, giving bit 7 of ge where the byte of x >= that of y.
func maxU8x8(x, y uint64) uint64 {
	t := (x | msb8) - (y &^ msb8)
	ge := (x&^y | ^(x^y)&t) & msb8
	mask := (ge >> 7) * 0xFF
	return x&mask | y&^mask
}

// bytesOf returns the int8 slice s as bytes.
func bytesOf(s []int8) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

// maxPool2x2Int8Row is one output row of the 2x2 stride 2 max pool, eight
// input columns (four outputs) at a time in a uint64: the values are biased
// to unsigned (x ^ 0x80), the two rows and then the column pairs are maxed
// bytewise, and the even bytes are gathered into four output bytes.
func maxPool2x2Int8Row(out, a8, b8 []int8) {
	n := len(out)
	a8, b8 = a8[:2*n], b8[:2*n]
	a, b := bytesOf(a8), bytesOf(b8)
	o := bytesOf(out)
	j := 0
	for ; j+4 <= n; j += 4 {
		v := maxU8x8(binary.LittleEndian.Uint64(a[2*j:])^msb8, binary.LittleEndian.Uint64(b[2*j:])^msb8)
		h := maxU8x8(v, v>>8) & even8
		h = (h | h>>8) & 0x0000FFFF0000FFFF
		h = (h | h>>16) & 0xFFFFFFFF
		binary.LittleEndian.PutUint32(o[j:], uint32(h)^0x80808080)
	}
	for ; j < n; j++ {
		out[j] = max8(max8(a8[2*j], a8[2*j+1]), max8(b8[2*j], b8[2*j+1]))
	}
}

func maxPoolInt8Inside(src, dst []int8, g ConvGeom) {
	span := (g.OutW-1)*g.SW + g.KW
	for c := range g.C {
		for oh := range g.OutH {
			r0, out := poolRow(dst, g, c, oh)
			if g.KH == 2 && g.KW == 2 && g.SW == 2 {
				maxPool2x2Int8Row(out, src[r0:r0+span], src[r0+g.W:r0+g.W+span])
				continue
			}
			for ow := range out {
				m := int8(-128)
				for kh := range g.KH {
					x := r0 + kh*g.W + ow*g.SW
					for _, v := range src[x : x+g.KW] {
						m = max8(m, v)
					}
				}
				out[ow] = m
			}
		}
	}
}

func avgPoolInt8Inside(src, dst []int8, g ConvGeom) {
	n := int32(g.KH * g.KW)
	span := (g.OutW-1)*g.SW + g.KW
	for c := range g.C {
		for oh := range g.OutH {
			r0, out := poolRow(dst, g, c, oh)
			if g.KH == 2 && g.KW == 2 && g.SW == 2 {
				a, b := src[r0 : r0+span][:2*len(out)], src[r0+g.W : r0+g.W+span][:2*len(out)]
				for ow := range out {
					s := int32(a[2*ow]) + int32(a[2*ow+1]) + int32(b[2*ow]) + int32(b[2*ow+1])
					// roundDiv(s, 4) without a branch: add 2 or -2 by the
					// sign of s, then divide truncating.
					neg := s >> 31
					out[ow] = int8((s + (2 ^ neg) - neg) / 4)
				}
				continue
			}
			for ow := range out {
				var s int32
				for kh := range g.KH {
					x := r0 + kh*g.W + ow*g.SW
					for _, v := range src[x : x+g.KW] {
						s += int32(v)
					}
				}
				out[ow] = int8(roundDiv(s, n))
			}
		}
	}
}

// maxPoolF32Inside keeps the general loop's rule: the first cell of the
// window (row by row), replaced only by a strictly greater value, so NaN and
// signed zeros come out the same.
func maxPoolF32Inside(src, dst []float32, g ConvGeom) {
	span := (g.OutW-1)*g.SW + g.KW
	for c := range g.C {
		for oh := range g.OutH {
			r0, out := poolRow(dst, g, c, oh)
			if g.KH == 2 && g.KW == 2 && g.SW == 2 {
				a, b := src[r0 : r0+span][:2*len(out)], src[r0+g.W : r0+g.W+span][:2*len(out)]
				for ow := range out {
					m := a[2*ow]
					if v := a[2*ow+1]; v > m {
						m = v
					}
					if v := b[2*ow]; v > m {
						m = v
					}
					if v := b[2*ow+1]; v > m {
						m = v
					}
					out[ow] = m
				}
				continue
			}
			for ow := range out {
				m := src[r0+ow*g.SW]
				for kh := range g.KH {
					x := r0 + kh*g.W + ow*g.SW
					for _, v := range src[x : x+g.KW] {
						if v > m {
							m = v
						}
					}
				}
				out[ow] = m
			}
		}
	}
}

// avgPoolF32Inside sums each window row by row from 0, in the order of the
// general loop, and divides by the window size.
func avgPoolF32Inside(src, dst []float32, g ConvGeom) {
	n := float32(g.KH * g.KW)
	for c := range g.C {
		for oh := range g.OutH {
			r0, out := poolRow(dst, g, c, oh)
			for ow := range out {
				var s float32
				for kh := range g.KH {
					x := r0 + kh*g.W + ow*g.SW
					for _, v := range src[x : x+g.KW] {
						s += v
					}
				}
				out[ow] = s / n
			}
		}
	}
}
