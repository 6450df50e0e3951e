package quant_test

import (
	"fmt"

	"github.com/edgecnn/edgecnn/quant"
)

// The requantization factor of a layer is inputScale*weightScale/outputScale,
// held as a Q31 multiplier and a shift (positive = left):
// real ≈ multiplier * 2^(shift-31).
func ExampleQuantizeMultiplier() {
	for _, real := range []float64{0.0123, 0.5, 1.5, 0.99999999999} {
		m, shift := quant.QuantizeMultiplier(real)
		fmt.Printf("%v = %d * 2^(%d-31)\n", real, m, shift)
	}
	// Output:
	// 0.0123 = 1690499128 * 2^(-6-31)
	// 0.5 = 1073741824 * 2^(0-31)
	// 1.5 = 1610612736 * 2^(1-31)
	// 0.99999999999 = 1073741824 * 2^(1-31)
}

// The epilogue of one output channel of an int8 convolution: the int32
// accumulator (bias included) is scaled, offset by the output zero point and
// clamped to the fused activation's range.
func ExampleRequantize() {
	in := quant.ChooseParams(0, 4)  // post-ReLU input
	out := quant.ChooseParams(0, 6) // the output, with ReLU6 fused
	weightScale := float32(0.002)

	m, shift := quant.OutputMultiplier(in.Scale, weightScale, out.Scale)
	lo, hi := quant.ActivationRange(quant.ReLU6, out)
	fmt.Printf("multiplier %d shift %d, clamp [%d, %d]\n", m, shift, lo, hi)

	for _, acc := range []int32{-5000, 0, 20000, 100000} {
		q := quant.Requantize(acc, m, shift, out.ZeroPoint, lo, hi)
		real := float32(acc) * in.Scale * weightScale
		fmt.Printf("acc %6d (real %.4f) -> %4d (real %.4f)\n", acc, real, q, quant.Dequantize(q, out))
	}
	// Output:
	// multiplier 1466015631 shift -9, clamp [-128, 127]
	// acc  -5000 (real -0.1569) -> -128 (real 0.0000)
	// acc      0 (real 0.0000) -> -128 (real 0.0000)
	// acc  20000 (real 0.6275) -> -101 (real 0.6353)
	// acc 100000 (real 3.1373) ->    5 (real 3.1294)
}

// Calibration: an observer watches a tensor over a few batches, and its
// range gives the tensor's parameters. 0 is always exactly representable.
func ExampleObserver() {
	obs, err := quant.NewObserver("minmax")
	if err != nil {
		panic(err)
	}
	obs.Observe([]float32{0.5, 1.25, 3})
	obs.Observe([]float32{0.25, 2.5})
	p := quant.ChooseParams(obs.Range())
	fmt.Printf("scale %.6f zero point %d\n", p.Scale, p.ZeroPoint)
	fmt.Println(quant.Quantize(0, p), quant.Quantize(3, p), quant.Quantize(1.25, p))
	// Output:
	// scale 0.011765 zero point -128
	// -128 127 -22
}
