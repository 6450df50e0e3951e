package quant

import (
	"fmt"
	"math"
)

// SaturatingRoundingDoublingHighMul returns the high 32 bits of 2*a*b,
// rounded to nearest: round(a*b / 2^31), ties toward +∞. The single overflow,
// a == b == math.MinInt32 (whose true result is 2^31), saturates to
// math.MaxInt32. This is gemmlowp's function and the ARM SQRDMULH instruction.
func SaturatingRoundingDoublingHighMul(a, b int32) int32 {
	if a == math.MinInt32 && b == math.MinInt32 {
		return math.MaxInt32
	}
	ab := int64(a) * int64(b)
	nudge := int64(1 << 30)
	if ab < 0 {
		nudge = 1 - (1 << 30)
	}
	// Go's integer division truncates toward zero, as C++'s does.
	return int32((ab + nudge) / (1 << 31))
}

// RoundingDivideByPOT returns x / 2^exponent rounded to nearest, ties away
// from zero (5/2 = 3, -5/2 = -3). exponent must be in [0, 31]; it panics
// otherwise. This is gemmlowp's function.
func RoundingDivideByPOT(x int32, exponent int) int32 {
	if exponent < 0 || exponent > 31 {
		panic(fmt.Sprintf("quant: RoundingDivideByPOT exponent %d out of [0, 31]", exponent))
	}
	mask := int32(int64(1)<<exponent - 1)
	remainder := x & mask
	threshold := mask >> 1
	if x < 0 {
		threshold++
	}
	result := x >> exponent
	if remainder > threshold {
		result++
	}
	return result
}

// QuantizeMultiplier represents a real multiplier as a Q31 fixed-point
// multiplier and a power-of-two exponent, as TFLite does:
//
//	real ≈ multiplier * 2^(shift-31), multiplier in [2^30, 2^31-1]
//
// shift is an exponent of two, positive meaning shift left: it is > 0 for
// real >= 1, 0 for real in [1/2, 1) and < 0 below 1/2 (the usual case); see
// the package documentation. The multiplier is
// round(frac*2^31) for real = frac*2^shift, frac in [1/2, 1), so its error is
// at most half a unit of the Q31 value; when frac rounds up to 2^31 it becomes
// 2^30 with shift+1. real == 0, and reals too small for a shift >= -31
// (below about 2^-32), give (0, 0): the product is then 0.
//
// real must be finite, >= 0 and < 2^31 (shift <= 31); it panics otherwise.
// CheckMultiplier tells beforehand whether it would.
func QuantizeMultiplier(real float64) (multiplier int32, shift int) {
	multiplier, shift, err := quantizeMultiplier(real)
	if err != nil {
		panic("quant: " + err.Error())
	}
	return multiplier, shift
}

// CheckMultiplier returns the reason QuantizeMultiplier cannot represent
// real (a NaN, a negative or infinite real, or one that rounds to 2^31 or
// more, whose shift would pass 31), or nil. The scales of a model read from
// a file can have any ratio: callers check it here instead of panicking.
func CheckMultiplier(real float64) error {
	_, _, err := quantizeMultiplier(real)
	return err
}

func quantizeMultiplier(real float64) (multiplier int32, shift int, err error) {
	if math.IsNaN(real) || math.IsInf(real, 0) || real < 0 {
		return 0, 0, fmt.Errorf("multiplier %v is not a finite real >= 0", real)
	}
	if real == 0 {
		return 0, 0, nil
	}
	frac, exp := math.Frexp(real) // real = frac * 2^exp, frac in [0.5, 1)
	q := math.Round(frac * (1 << 31))
	if q == 1<<31 {
		q /= 2
		exp++
	}
	if exp < -31 {
		return 0, 0, nil
	}
	if exp > 31 {
		return 0, 0, fmt.Errorf("multiplier %g is too large for a fixed-point shift <= 31 (must be below 2^31)", real)
	}
	return int32(q), exp, nil
}

// MultiplyByQuantizedMultiplier returns acc * multiplier * 2^(shift-31)
// rounded to an integer, computed as TFLite does:
//
//	RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(acc << left, multiplier), right)
//
// with left = max(shift, 0) and right = max(-shift, 0). The left shift
// saturates to the int32 range (like ARM SQSHL, as in ruy; TFLite's
// reference leaves that overflow undefined), so a huge product still clamps
// to the right end of the int8 range. Without saturation the result is within
// 1/2 + 2^-(right+1) of the exact value (within 1/2 when right == 0).
// shift must be in [-31, 31]; it panics otherwise.
func MultiplyByQuantizedMultiplier(acc int32, multiplier int32, shift int) int32 {
	if shift < -31 || shift > 31 {
		panic(fmt.Sprintf("quant: MultiplyByQuantizedMultiplier shift %d out of [-31, 31]", shift))
	}
	left, right := 0, 0
	if shift > 0 {
		left = shift
	} else {
		right = -shift
	}
	x := acc
	if left > 0 {
		x = saturatingShiftLeft(acc, left)
	}
	return RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(x, multiplier), right)
}

// saturatingShiftLeft returns x * 2^n clamped to the int32 range, n in [0, 31].
func saturatingShiftLeft(x int32, n int) int32 {
	v := int64(x) << n // |x| <= 2^31, so |v| <= 2^62: no overflow
	return int32(max(min(v, math.MaxInt32), math.MinInt32))
}

// Requantize is the int8 epilogue of one output value: it scales the int32
// accumulator acc (bias included) by multiplier*2^(shift-31), adds the output
// zero point and clamps to [min, max]:
//
//	clamp(MultiplyByQuantizedMultiplier(acc, multiplier, shift) + zeroPoint, min, max)
//
// The addition does not wrap (it is done in int64); a kernel that adds in
// int32 with saturation gets the same int8. min and max are the activation
// range from ActivationRange and must satisfy -128 <= min <= max <= 127; it
// panics otherwise.
func Requantize(acc int32, multiplier int32, shift int, zeroPoint int32, min, max int32) int8 {
	if min < math.MinInt8 || max > math.MaxInt8 || min > max {
		panic(fmt.Sprintf("quant: Requantize range [%d, %d] is not within [-128, 127]", min, max))
	}
	v := int64(MultiplyByQuantizedMultiplier(acc, multiplier, shift)) + int64(zeroPoint)
	if v < int64(min) {
		v = int64(min)
	}
	if v > int64(max) {
		v = int64(max)
	}
	return int8(v)
}

// AccumulatorScale returns the real value of one unit of the int32
// accumulator of an output channel whose input has scale inputScale and
// whose weights have scale weightScale: their product (in float64, as
// QuantizeBias takes it), rounded to float32 once.
func AccumulatorScale(inputScale, weightScale float32) float32 {
	return float32(float64(inputScale) * float64(weightScale))
}

// DequantizeAccumulator is the float epilogue of one output value, where a
// layer writes float32 instead of int8 (a classifier's logits): the int32
// accumulator acc (bias included) converted to float32 and multiplied by
// scale, AccumulatorScale of its channel:
//
//	float32(acc) * scale
//
// in float32, so that every kernel computes it alike (a conversion that
// rounds to nearest even, exact up to 2^24 in magnitude, and one float32
// product: nothing for a compiler to fuse), on every CPU.
func DequantizeAccumulator(acc int32, scale float32) float32 {
	return float32(acc) * scale
}
