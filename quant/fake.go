package quant

import (
	"fmt"
	"math"
)

// Fake quantization: float32 values rounded to exactly what the int8 scheme
// would store, for quantization-aware training. The rounding is the one of
// Quantize and QuantizeWeights (it calls the same code), so a model trained
// against these values sees the weights and activations its int8 form has.

// FakeQuantize returns Dequantize(Quantize(x, p), p), and whether x's code
// round(x/Scale) + ZeroPoint, before clamping, lies in [-128, 127]: the
// straight-through estimator passes the gradient of x where it does, and
// none where the clamp cut x off (PyTorch's FakeQuantize does the same).
func FakeQuantize(x float32, p Params) (y float32, inRange bool) {
	r := math.Round(float64(x/p.Scale)) + float64(p.ZeroPoint)
	return Dequantize(Quantize(x, p), p), r >= qmin && r <= qmax
}

// FakeQuantizeWeights sets dst to the weights w as QuantizeWeights stores
// them, dequantized: dst[i] = scales[c] * q[i] for the channel c of weight
// i, and scales to QuantizeWeights' scales (one per channel). It allocates
// nothing. dst and w must have the same length and len(scales) must divide
// it; it panics otherwise, or when a weight is not finite.
func FakeQuantizeWeights(dst, scales, w []float32) {
	channels := len(scales)
	if len(dst) != len(w) || channels == 0 || len(w)%channels != 0 {
		panic(fmt.Sprintf("quant: FakeQuantizeWeights: %d weights into %d values in %d channels", len(w), len(dst), channels))
	}
	n := len(w) / channels
	for c := range channels {
		block := w[c*n : (c+1)*n]
		scale := weightScale(block, c)
		scales[c] = scale
		out := dst[c*n : (c+1)*n]
		for i, v := range block {
			out[i] = scale * float32(quantizeWeight(v, scale))
		}
	}
}

// FakeQuantizeBias sets dst to the biases b as QuantizeBias stores them,
// dequantized: code times inputScale*weightScales[c], rounded to float32.
// It allocates nothing and panics where QuantizeBias does.
func FakeQuantizeBias(dst, b []float32, inputScale float32, weightScales []float32) {
	if len(dst) != len(b) {
		panic(fmt.Sprintf("quant: FakeQuantizeBias: %d biases into %d values", len(b), len(dst)))
	}
	for c, v := range b {
		q, scale := quantizeBias(v, c, inputScale, weightScales)
		dst[c] = float32(float64(q) * scale)
	}
}
