package kernels

import (
	"fmt"

	"github.com/edgecnn/edgecnn/quant"
)

// MulInt8 sets dst[i] to the int8 product of a[i] and b[i] under p
// (quant.MulParams.Mul).
func MulInt8(dst, a, b []int8, p *quant.MulParams) {
	if len(a) != len(dst) || len(b) != len(dst) {
		panic(fmt.Sprintf("kernels.MulInt8: lengths %d * %d -> %d", len(a), len(b), len(dst)))
	}
	r := newMulRequant(p)
	for i := range dst {
		dst[i] = r.requantize((int32(a[i]) - p.AZeroPoint) * (int32(b[i]) - p.BZeroPoint))
	}
}

// MulChannelsInt8 multiplies len(gate) planes of plane values, x, each by
// its channel's gate value: dst[c*plane+i] is the int8 product of
// x[c*plane+i] and gate[c] under p (quant.MulParams.Mul). This is the
// squeeze-and-excitation gate.
func MulChannelsInt8(dst, x, gate []int8, plane int, p *quant.MulParams) {
	if len(x) != len(dst) || len(x) != len(gate)*plane {
		panic(fmt.Sprintf("kernels.MulChannelsInt8: %d values for %d channels of %d -> %d", len(x), len(gate), plane, len(dst)))
	}
	r := newMulRequant(p)
	for c, g := range gate {
		scale := int32(g) - p.BZeroPoint
		xs, ys := x[c*plane:(c+1)*plane], dst[c*plane:(c+1)*plane]
		for i, v := range xs {
			ys[i] = r.requantize((int32(v) - p.AZeroPoint) * scale)
		}
	}
}

// mulRequant is quant.MultiplyByQuantizedMultiplier for one multiplier,
// with its shift split once, plus the zero point and the int8 clamp. The
// left shift saturates to int32, as quant's does.
type mulRequant struct {
	mult        int32
	left, right int
	zp          int32
}

func newMulRequant(p *quant.MulParams) mulRequant {
	r := mulRequant{mult: p.Multiplier, zp: p.OutZeroPoint}
	if p.Shift > 0 {
		r.left = p.Shift
	} else {
		r.right = -p.Shift
	}
	return r
}

func (r mulRequant) requantize(prod int32) int8 {
	x := prod
	if r.left > 0 {
		x = int32(min(max(int64(prod)<<r.left, -1<<31), 1<<31-1))
	}
	v := int64(quant.RoundingDivideByPOT(quant.SaturatingRoundingDoublingHighMul(x, r.mult), r.right)) + int64(r.zp)
	return int8(min(max(v, -128), 127))
}
