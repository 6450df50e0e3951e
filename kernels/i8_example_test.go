package kernels_test

import (
	"fmt"

	"github.com/edgecnn/edgecnn/kernels"
	"github.com/edgecnn/edgecnn/quant"
)

// A fully connected int8 layer with 3 inputs and 2 outputs, one sample.
func ExampleGemmInt8() {
	// At model load: pack the weights once and fold the input zero point
	// into the biases.
	const inZP = 10
	w := kernels.PackInt8([]int8{
		1, 2, 3,
		-1, 0, 1,
	}, 2, 3)
	mul, shift := quant.QuantizeMultiplier(0.5)
	rq := &kernels.Requant{
		Bias:       kernels.FoldZeroPoint([]int32{20, -20}, w.RowSums(), inZP),
		Multiplier: []int32{mul, mul},
		Shift:      []int32{int32(shift), int32(shift)},
		ZeroPoint:  -5,
		Min:        -128,
		Max:        127,
	}

	// Per call: x - inZP is (0, 10, 20), so the accumulators are
	// 20 + 80 = 100 and -20 + 20 = 0; times 0.5, plus the zero point -5.
	x := []int8{10, 20, 30}
	y := make([]int8, 2)
	kernels.GemmInt8(w, x, 1, 1, 3, rq, y, 1, 2)
	fmt.Println(y)
	// Output: [45 -5]
}
