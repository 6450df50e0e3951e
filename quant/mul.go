package quant

import (
	"fmt"
	"math"
)

// MulParams is the fixed-point form of an int8 multiplication whose two
// inputs and output each have their own quantization (the
// squeeze-and-excitation gate of MobileNet v3, EfficientNet and RegNetY),
// as TFLite defines it. For inputs a (quantized with pa) and b (with pb),
// the output quantized with out is
//
//	y = clamp(MultiplyByQuantizedMultiplier((a - pa.ZeroPoint) * (b - pb.ZeroPoint), M, shift) + out.ZeroPoint, -128, 127)
//
// where M * 2^(shift-31) represents pa.Scale * pb.Scale / out.Scale
// (QuantizeMultiplier). The product of the two centred inputs is exact
// in int32 (at most 255 * 255 in magnitude), so the requantization is the
// only rounding: y is within 1/2 + 2^-(right+1) of the exact real product
// divided by out.Scale, before the clamp (see MultiplyByQuantizedMultiplier).
type MulParams struct {
	AZeroPoint, BZeroPoint int32
	Multiplier             int32
	Shift                  int
	OutZeroPoint           int32
}

// NewMul returns the parameters of a multiplication of tensors quantized
// with a and b into one quantized with out. It refuses scales whose
// product over out.Scale a Q31 multiplier cannot represent (2^31 or more,
// or not finite), which only a corrupt model can hold.
func NewMul(a, b, out Params) (MulParams, error) {
	real := float64(a.Scale) * float64(b.Scale) / float64(out.Scale)
	if !(real >= 0) || real >= math.MaxInt32 {
		return MulParams{}, fmt.Errorf("int8 multiplication: scales %v * %v / %v give a multiplier %v outside [0, 2^31)", a.Scale, b.Scale, out.Scale, real)
	}
	m, shift := QuantizeMultiplier(real)
	return MulParams{AZeroPoint: a.ZeroPoint, BZeroPoint: b.ZeroPoint, Multiplier: m, Shift: shift, OutZeroPoint: out.ZeroPoint}, nil
}

// Mul returns the product of a and b under p: the definition every int8
// multiplication kernel reproduces bit for bit.
func (p *MulParams) Mul(a, b int8) int8 {
	prod := (int32(a) - p.AZeroPoint) * (int32(b) - p.BZeroPoint)
	v := int64(MultiplyByQuantizedMultiplier(prod, p.Multiplier, p.Shift)) + int64(p.OutZeroPoint)
	return int8(clamp(v, qmin, qmax))
}
