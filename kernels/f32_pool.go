package kernels

import (
	"fmt"
	"math"
)

// MaxPoolArgF32 is MaxPoolF32 that also records, in arg ([C, OutH, OutW]
// like dst), the index in src of the cell each maximum came from: the first
// in window order (row by row) among equal maxima, or -1 for a window that
// holds only padding (its dst is 0). The backward pass of max pooling routes
// each output gradient to that cell.
//
// Values are compared by their IEEE 754 total order, so -0 < +0 and a NaN
// with the sign bit clear is above +Inf.
func MaxPoolArgF32(src, dst []float32, arg []int32, g ConvGeom) {
	g.check("MaxPoolArgF32", len(src), g.C*g.H*g.W, len(dst), g.C*g.OutH*g.OutW)
	if len(arg) < g.C*g.OutH*g.OutW {
		panic(fmt.Sprintf("kernels: MaxPoolArgF32: len(arg)=%d < %d", len(arg), g.C*g.OutH*g.OutW))
	}
	if g.C*g.H*g.W > math.MaxInt32 {
		panic("kernels: MaxPoolArgF32: source too large for int32 indices")
	}
	if g.KH == 2 && g.KW == 2 && g.SH == 2 && g.SW == 2 && g.inside() {
		maxPoolArg2x2(src, dst, arg, g)
		return
	}
	maxPoolArgGeneric(src, dst, arg, g)
}

// orderKey maps a float32 to an int32 with the same total order, so that
// comparisons become integer arithmetic without branches: random data would
// mispredict a branch on every other window.
func orderKey(v float32) int32 {
	b := int32(math.Float32bits(v))
	return b ^ int32(uint32(b>>31)>>1)
}

// keyValue is the float32 whose orderKey is k (orderKey is its own
// inverse on the bits).
func keyValue(k int32) float32 {
	return math.Float32frombits(uint32(k ^ int32(uint32(k>>31)>>1)))
}

// above returns 1 if a > b and 0 otherwise, by arithmetic rather than a
// branch.
func above(a, b int32) int { return int(uint64(int64(b)-int64(a)) >> 63) }

// maxPoolArg2x2 is the 2x2 stride 2 pool with every window inside.
func maxPoolArg2x2(src, dst []float32, arg []int32, g ConvGeom) {
	for c := range g.C {
		for oh := range g.OutH {
			o := (c*g.OutH + oh) * g.OutW
			out, at := dst[o:o+g.OutW], arg[o:o+g.OutW]
			r0 := (c*g.H + 2*oh) * g.W
			top := src[r0 : r0+2*g.OutW]
			bottom := src[r0+g.W : r0+g.W+2*g.OutW]
			for ow := range out {
				// Ties keep the earlier cell.
				k0, k1 := orderKey(top[2*ow]), orderKey(top[2*ow+1])
				k2, k3 := orderKey(bottom[2*ow]), orderKey(bottom[2*ow+1])
				t, b := above(k1, k0), above(k3, k2)
				// The larger key of each row, selected by wrapping arithmetic.
				kt, kb := k0+(k1-k0)&-int32(t), k2+(k3-k2)&-int32(b)
				win := -above(kb, kt)
				i := t + (g.W+b-t)&win
				at[ow] = int32(r0 + 2*ow + i)
				out[ow] = keyValue(kt + (kb-kt)&int32(win))
			}
		}
	}
}

func maxPoolArgGeneric(src, dst []float32, arg []int32, g ConvGeom) {
	for c := range g.C {
		for oh := range g.OutH {
			y0, y1 := max(oh*g.SH-g.PadT, 0), min(oh*g.SH-g.PadT+g.KH, g.H)
			for ow := range g.OutW {
				x0, x1 := max(ow*g.SW-g.PadL, 0), min(ow*g.SW-g.PadL+g.KW, g.W)
				best, at := int32(0), -1
				for iy := y0; iy < y1; iy++ {
					for ix := x0; ix < x1; ix++ {
						i := (c*g.H+iy)*g.W + ix
						if k := orderKey(src[i]); at < 0 || k > best {
							best, at = k, i
						}
					}
				}
				o := (c*g.OutH+oh)*g.OutW + ow
				arg[o] = int32(at)
				dst[o] = 0
				if at >= 0 {
					dst[o] = src[at]
				}
			}
		}
	}
}
