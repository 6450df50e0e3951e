// Package quant defines edgecnn's int8 quantization scheme: the integer
// arithmetic that every int8 kernel must reproduce bit for bit, how scales and
// zero points are chosen, and the calibration observers that pick activation
// ranges. It is the mathematical definition; kernels/ and engine/ implement it.
//
// # The scheme
//
// The scheme is TFLite's int8 scheme (the one gemmlowp and ruy compute):
//
//   - Activations are int8, asymmetric, with one [Params] per tensor:
//     real = Scale * (q - ZeroPoint), q and ZeroPoint in [-128, 127].
//     [ChooseParams] nudges every range to contain 0, so real 0 is exactly
//     representable (it is q = ZeroPoint): zero padding and ReLU are exact.
//   - Weights are int8, symmetric, with one scale per output channel and zero
//     point 0: real = scale[c] * q, q in [-127, 127] ([QuantizeWeights]).
//     -128 never occurs, so the sum of two activation-weight products, at
//     most 2*128*127 = 32512 in magnitude, fits in int16 (NEON pairwise
//     accumulation).
//   - Biases are int32 at scale inputScale*weightScale[c], zero point 0
//     ([QuantizeBias]), so they add straight into the accumulator.
//   - Products accumulate in int32 (acc below).
//   - The real factor inputScale*weightScale[c]/outputScale is represented by
//     a Q31 multiplier M[c] and a power-of-two exponent shift[c]
//     ([OutputMultiplier], [QuantizeMultiplier]): real ≈ M * 2^(shift-31).
//   - The output adds the output zero point and clamps to [actMin, actMax];
//     ReLU and ReLU6 are fused as that clamp ([ActivationRange]).
//
// For output channel c of a convolution or fully connected layer:
//
//	acc[c] = bias[c] + Σ_k (x[k] - inputZeroPoint) * w[c][k]
//	y[c]   = clamp(MultiplyByQuantizedMultiplier(acc[c], M[c], shift[c]) + outputZeroPoint, actMin, actMax)
//
// The second line is [Requantize]. Because int32 addition is exact modulo
// 2^32, any order of summation, and the usual rewrite
// acc[c] = (bias[c] - inputZeroPoint*Σ_k w[c][k]) + Σ_k x[k]*w[c][k],
// give the same acc whenever the true sum fits in int32.
//
// A layer that writes float32 instead (a classifier's logits, which no int8
// layer reads) skips the second line: y[c] = float32(acc[c]) * scale[c] in
// float32, scale[c] = inputScale*weightScale[c] rounded to float32 once
// ([DequantizeAccumulator], [AccumulatorScale]).
//
// # Shift convention
//
// A shift is an exponent of two applied to the accumulator, as in TFLite:
// positive means shift left (multiply), negative means shift right (divide).
// A pair (M, shift) stands for M * 2^(shift-31). Real multipliers are usually
// below 1, so shift is usually negative. [MultiplyByQuantizedMultiplier]
// splits it: left = max(shift, 0) is applied before the high multiply (with
// saturation), right = max(-shift, 0) after it with [RoundingDivideByPOT].
//
// # Rounding
//
// Two roundings happen, exactly as in gemmlowp ("double rounding"):
// [SaturatingRoundingDoublingHighMul] rounds acc*M/2^31 to nearest with ties
// toward +∞ (this is the ARM SQRDMULH instruction), then
// [RoundingDivideByPOT] rounds to nearest with ties away from zero. The
// result is within 1/2 + 2^-(right+1) (1/2 when right is 0) of the exact
// acc*M*2^(shift-31): always one of the two integers next to it, though not
// always the nearest (MultiplyByQuantizedMultiplier(2^31-1, 2^30, -31) is 1,
// for an exact 0.4999999998). Every float-to-int rounding in
// this package (multipliers, weights, biases, Quantize) rounds half away
// from zero, like TFLite's TfLiteRound (C's round).
//
// # Calibration
//
// An [Observer] sees the float activations of a tensor over a calibration set
// and proposes a range; ChooseParams(obs.Range()) turns it into Params.
// [MinMax] keeps the exact extremes, [Percentile] clips symmetric tails,
// [Entropy] minimises the KL divergence between the float and the quantized
// distribution (TensorRT's method) and [MSE] the squared error of rounding
// and clipping. Percentile, Entropy and MSE use fixed-size
// histograms whose range grows by powers of two, so memory is bounded,
// calibration is a single pass, and the result does not depend on how the
// data was split into batches or in which order the batches came.
//
// [SQNR] measures the result: the signal to quantization noise ratio in dB.
package quant
