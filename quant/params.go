package quant

import (
	"fmt"
	"math"
)

// Params are the quantization parameters of an int8 activation tensor:
// real = Scale * (q - ZeroPoint). Scale > 0; ZeroPoint in [-128, 127].
type Params struct {
	Scale     float32 `json:"scale"`
	ZeroPoint int32   `json:"zero_point"`
}

// The int8 code range of activations and of weights.
const (
	qmin       = math.MinInt8 // -128
	qmax       = math.MaxInt8 // 127
	weightQMax = 127          // weights use [-127, 127]
)

// ChooseParams returns the parameters that map [min, max] onto [-128, 127],
// as TFLite's ChooseQuantizationParams does. The range is first widened to
// contain 0 (min = min(min, 0), max = max(max, 0)); Scale = (max-min)/255;
// the zero point is the real one, -128 - min/Scale, rounded half away from
// zero and clamped to [-128, 127]. Hence Quantize(0, p) == p.ZeroPoint
// exactly, an all-positive range gets ZeroPoint -128 and an all-negative one
// 127.
//
// A range that is empty after widening (min == max == 0), or so narrow that
// Scale underflows below the smallest normal float32, gives {Scale: 1,
// ZeroPoint: 0}: every such value quantizes to 0 and 1 is a safe divisor for
// the multipliers computed from it.
//
// min and max must be finite with min <= max; it panics otherwise.
func ChooseParams(min, max float32) Params {
	if !isFinite(min) || !isFinite(max) || min > max {
		panic(fmt.Sprintf("quant: ChooseParams(%v, %v): want finite min <= max", min, max))
	}
	lo := math.Min(float64(min), 0)
	hi := math.Max(float64(max), 0)
	scale := (hi - lo) / (qmax - qmin)
	if lo == hi || float32(scale) < minNormalFloat32 {
		return Params{Scale: 1, ZeroPoint: 0}
	}
	// As TFLite: compute the zero point from the end that loses less
	// precision (with exact arithmetic both give the same value).
	zpFromMin := qmin - lo/scale
	zpFromMax := qmax - hi/scale
	zpFromMinErr := math.Abs(qmin) + math.Abs(lo/scale)
	zpFromMaxErr := math.Abs(qmax) + math.Abs(hi/scale)
	zp := zpFromMax
	if zpFromMinErr < zpFromMaxErr {
		zp = zpFromMin
	}
	var nudged int32
	switch {
	case zp < qmin:
		nudged = qmin
	case zp > qmax:
		nudged = qmax
	default:
		nudged = int32(math.Round(zp))
	}
	return Params{Scale: float32(scale), ZeroPoint: nudged}
}

// minNormalFloat32 is the smallest positive normal float32, 2^-126.
const minNormalFloat32 = 0x1p-126

// isFinite reports whether x is neither NaN nor ±Inf: x-x is 0 for finite x
// and NaN otherwise.
func isFinite(x float32) bool {
	return x-x == 0
}

// Quantize returns round(x / p.Scale) + p.ZeroPoint clamped to [-128, 127].
// The division is in float32 and the rounding is half away from zero, as in
// TFLite's reference quantize. ±Inf clamp to the ends; NaN gives the zero
// point (real 0).
func Quantize(x float32, p Params) int8 {
	r := math.Round(float64(x/p.Scale)) + float64(p.ZeroPoint)
	switch {
	case math.IsNaN(r):
		return int8(clamp(int64(p.ZeroPoint), qmin, qmax))
	case r < qmin:
		return qmin
	case r > qmax:
		return qmax
	}
	return int8(r)
}

// Dequantize returns p.Scale * (q - p.ZeroPoint).
func Dequantize(q int8, p Params) float32 {
	return p.Scale * float32(int32(q)-p.ZeroPoint)
}

// QuantizeSlice sets dst[i] = Quantize(src[i], p). The slices must have the
// same length.
func QuantizeSlice(dst []int8, src []float32, p Params) {
	if len(dst) != len(src) {
		panic(fmt.Sprintf("quant: QuantizeSlice lengths %d and %d differ", len(dst), len(src)))
	}
	for i, x := range src {
		dst[i] = Quantize(x, p)
	}
}

// DequantizeSlice sets dst[i] = Dequantize(src[i], p). The slices must have
// the same length.
func DequantizeSlice(dst []float32, src []int8, p Params) {
	if len(dst) != len(src) {
		panic(fmt.Sprintf("quant: DequantizeSlice lengths %d and %d differ", len(dst), len(src)))
	}
	for i, q := range src {
		dst[i] = Dequantize(q, p)
	}
}

func clamp(v, lo, hi int64) int64 {
	return max(lo, min(v, hi))
}

// QuantizeWeights quantizes a weight tensor symmetrically per output channel.
// w holds `channels` equal blocks, one per output channel, outermost (OIHW
// for a convolution, [out][in] for a fully connected layer). Channel c gets
// scales[c] = max|w_c| / 127 and q = round(w / scales[c]) (float32 division,
// half away from zero) clamped to [-127, 127]: -128 never occurs, and
// |w - scales[c]*q| <= scales[c]/2 up to float32 rounding. The largest
// magnitude maps to ±127.
//
// A channel that is all zero (or whose scale would underflow below the
// smallest normal float32) gets scale 1 and all-zero q, so no scale is 0.
//
// channels must be > 0 and divide len(w), and the weights must be finite; it
// panics otherwise.
func QuantizeWeights(w []float32, channels int) (q []int8, scales []float32) {
	if channels <= 0 || len(w)%channels != 0 {
		panic(fmt.Sprintf("quant: QuantizeWeights: %d weights do not split into %d channels", len(w), channels))
	}
	n := len(w) / channels
	q = make([]int8, len(w))
	scales = make([]float32, channels)
	for c := range channels {
		scales[c] = weightScale(w[c*n:(c+1)*n], c)
		out := q[c*n : (c+1)*n]
		for i, v := range w[c*n : (c+1)*n] {
			out[i] = quantizeWeight(v, scales[c])
		}
	}
	return q, scales
}

// weightScale returns the scale QuantizeWeights gives channel c, whose
// weights are block: max|w| / 127, or 1 when that underflows (every
// weight then quantizes to 0).
func weightScale(block []float32, c int) float32 {
	var maxAbs float32
	for i, v := range block {
		if !isFinite(v) {
			panic(fmt.Sprintf("quant: QuantizeWeights: weight %d of channel %d is %v", i, c, v))
		}
		maxAbs = max(maxAbs, float32(math.Abs(float64(v))))
	}
	scale := maxAbs / weightQMax
	if scale < minNormalFloat32 {
		return 1
	}
	return scale
}

// quantizeWeight returns round(v / scale) (float32 division, half away
// from zero) clamped to [-127, 127]. A weight of a channel whose scale is
// 1 because it underflowed is below 2^-126*127 in magnitude and gives 0.
func quantizeWeight(v, scale float32) int8 {
	r := math.Round(float64(v / scale))
	return int8(max(-weightQMax, min(r, weightQMax)))
}

// QuantizeBias quantizes biases to int32 at scale inputScale*weightScales[c]
// (computed in float64), zero point 0: round(b[c]/scale), half away from
// zero, saturated to [-MaxInt32, MaxInt32] as TFLite does. weightScales has
// one scale per bias, or a single scale for all. Every scale must be > 0; it
// panics otherwise, or when b holds a NaN.
func QuantizeBias(b []float32, inputScale float32, weightScales []float32) []int32 {
	if len(weightScales) != len(b) && len(weightScales) != 1 {
		panic(fmt.Sprintf("quant: QuantizeBias: %d biases but %d weight scales", len(b), len(weightScales)))
	}
	q := make([]int32, len(b))
	for c, v := range b {
		q[c], _ = quantizeBias(v, c, inputScale, weightScales)
	}
	return q
}

// quantizeBias returns QuantizeBias's code for bias v of channel c, and its
// scale.
func quantizeBias(v float32, c int, inputScale float32, weightScales []float32) (int32, float64) {
	ws := weightScales[0]
	if len(weightScales) > 1 {
		ws = weightScales[c]
	}
	scale := float64(inputScale) * float64(ws)
	if !(scale > 0) || math.IsInf(scale, 0) {
		panic(fmt.Sprintf("quant: QuantizeBias: bias %d has scale %v*%v", c, inputScale, ws))
	}
	r := math.Round(float64(v) / scale)
	if math.IsNaN(r) {
		panic(fmt.Sprintf("quant: QuantizeBias: bias %d is NaN", c))
	}
	return int32(max(-math.MaxInt32, min(r, math.MaxInt32))), scale
}

// OutputMultiplier returns the fixed-point form of the requantization factor
// inputScale*weightScale/outputScale (computed in float64), as
// QuantizeMultiplier does: the factor is multiplier * 2^(shift-31), positive
// shift meaning left. The scales must be positive and finite, and the factor
// below 2^31; it panics otherwise (OutputMultipliers reports it instead).
func OutputMultiplier(inputScale, weightScale, outputScale float32) (multiplier int32, shift int) {
	multiplier, shift, err := outputMultiplier(inputScale, weightScale, outputScale)
	if err != nil {
		panic("quant: OutputMultiplier: " + err.Error())
	}
	return multiplier, shift
}

func outputMultiplier(inputScale, weightScale, outputScale float32) (multiplier int32, shift int, err error) {
	if !(inputScale > 0) || !(weightScale > 0) || !(outputScale > 0) ||
		!isFinite(inputScale) || !isFinite(weightScale) || !isFinite(outputScale) {
		return 0, 0, fmt.Errorf("scales %v, %v, %v must be positive and finite", inputScale, weightScale, outputScale)
	}
	real := float64(inputScale) * float64(weightScale) / float64(outputScale)
	multiplier, shift, err = quantizeMultiplier(real)
	if err != nil {
		return 0, 0, fmt.Errorf("input scale %g * weight scale %g / output scale %g: %w", inputScale, weightScale, outputScale, err)
	}
	return multiplier, shift, nil
}

// OutputMultipliers returns OutputMultiplier for every output channel, or
// an error naming the first channel whose factor cannot be represented.
func OutputMultipliers(inputScale float32, weightScales []float32, outputScale float32) (multipliers []int32, shifts []int, err error) {
	return AppendOutputMultipliers(make([]int32, 0, len(weightScales)), make([]int, 0, len(weightScales)),
		inputScale, weightScales, outputScale)
}

// AppendOutputMultipliers is OutputMultipliers appending to multipliers and
// shifts: quantization-aware training, whose scales move every step, passes
// the slices of its last call emptied and allocates nothing.
func AppendOutputMultipliers(multipliers []int32, shifts []int, inputScale float32, weightScales []float32, outputScale float32) ([]int32, []int, error) {
	for c, ws := range weightScales {
		m, s, err := outputMultiplier(inputScale, ws, outputScale)
		if err != nil {
			return nil, nil, fmt.Errorf("output channel %d: %w", c, err)
		}
		multipliers, shifts = append(multipliers, m), append(shifts, s)
	}
	return multipliers, shifts, nil
}

// RescaleFactor returns the real factor that moves int8 values quantized as
// in to the quantization out (concat does this for inputs quantized unlike
// its output): in.Scale / out.Scale, for QuantizeMultiplier.
func RescaleFactor(in, out Params) float64 { return float64(in.Scale) / float64(out.Scale) }

// AddLeftShift is the headroom the two inputs of an int8 addition get
// before scaling, as in TFLite: 20 bits leave 11 for the int8 values and
// their sum.
const AddLeftShift = 20

// AddFactors returns the real factors of TFLite's int8 addition of tensors
// quantized as a and b into one quantized as out: each input, centred on
// its zero point and shifted left by AddLeftShift, is multiplied by its
// factor in[k] (its scale over twice the larger input scale, at most 1/2),
// and their sum by the factor sum (twice the larger input scale over
// 2^AddLeftShift times the output scale). Each goes through
// QuantizeMultiplier; sum is the one an extreme output scale puts out of
// its range (CheckMultiplier).
func AddFactors(a, b, out Params) (in [2]float64, sum float64) {
	twiceMax := 2 * math.Max(float64(a.Scale), float64(b.Scale))
	in = [2]float64{float64(a.Scale) / twiceMax, float64(b.Scale) / twiceMax}
	return in, twiceMax / (float64(int64(1)<<AddLeftShift) * float64(out.Scale))
}

// Activation is an activation function fused into the requantization clamp.
type Activation int

// The fusable activations.
const (
	None  Activation = iota // identity: clamp to [-128, 127]
	ReLU                    // max(x, 0)
	ReLU6                   // min(max(x, 0), 6)
)

// String returns "none", "relu" or "relu6" (the names nn uses for the ops).
func (a Activation) String() string {
	switch a {
	case None:
		return "none"
	case ReLU:
		return "relu"
	case ReLU6:
		return "relu6"
	}
	return fmt.Sprintf("Activation(%d)", int(a))
}

// ParseActivation returns the Activation named s: "none" (or "" or
// "linear"), "relu" or "relu6".
func ParseActivation(s string) (Activation, error) {
	switch s {
	case "", "none", "linear":
		return None, nil
	case "relu":
		return ReLU, nil
	case "relu6":
		return ReLU6, nil
	}
	return None, fmt.Errorf("quant: unknown activation %q (want none, relu or relu6)", s)
}

// ActivationRange returns the clamp bounds [min, max] that fuse act into an
// output with parameters p, as TFLite's CalculateActivationRangeQuantized:
// None gives [-128, 127]; ReLU gives [max(-128, Q(0)), 127]; ReLU6 gives
// [max(-128, Q(0)), min(127, Q(6))], where Q(x) = p.ZeroPoint + round(x /
// p.Scale) (float32 division, half away from zero). Q(0) is the zero point.
// Always -128 <= min <= max <= 127. It panics on an unknown Activation.
func ActivationRange(act Activation, p Params) (min, max int32) {
	quantize := func(x float32) int64 {
		r := math.Round(float64(x/p.Scale)) + float64(p.ZeroPoint)
		return int64(math.Max(qmin, math.Min(r, qmax))) // clamp before converting
	}
	switch act {
	case None:
		return qmin, qmax
	case ReLU:
		return int32(quantize(0)), qmax
	case ReLU6:
		return int32(quantize(0)), int32(quantize(6))
	}
	panic(fmt.Sprintf("quant: ActivationRange: unknown activation %v", act))
}

// SQNR returns the signal to quantization noise ratio of test against the
// reference ref, in dB: 10*log10(Σ ref² / Σ (ref-test)²), computed in
// float64. It is +Inf when test equals ref (no noise, including two empty or
// all-zero slices) and -Inf when ref is all zero but test is not. Higher is
// better: each bit of precision adds about 6 dB, and a well quantized int8
// layer is typically 20-40 dB. The slices must have the same length.
func SQNR(ref, test []float32) float64 {
	if len(ref) != len(test) {
		panic(fmt.Sprintf("quant: SQNR lengths %d and %d differ", len(ref), len(test)))
	}
	var signal, noise float64
	for i, r := range ref {
		d := float64(r) - float64(test[i])
		signal += float64(float64(r) * float64(r)) // no FMA: same on every GOARCH
		noise += float64(d * d)
	}
	if noise == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(signal/noise)
}
