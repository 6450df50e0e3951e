package kernels

import (
	"fmt"

	"github.com/edgecnn/edgecnn/quant"
)

// AddParams is the fixed-point form of an int8 addition whose two inputs
// and output each have their own quantization, as TFLite computes it: both
// inputs are centred on their zero points, shifted left by AddLeftShift
// for headroom, scaled to a common scale by their multipliers, summed, and
// requantized to the output.
type AddParams struct {
	InZeroPoint   [2]int32
	InMultiplier  [2]int32
	InShift       [2]int32 // quant's convention: <= 0 here
	OutMultiplier int32
	OutShift      int32
	OutZeroPoint  int32
	Min, Max      int32
}

// AddLeftShift is the headroom the inputs of AddInt8 get before scaling
// (quant.AddFactors defines the scheme).
const AddLeftShift = quant.AddLeftShift

// AddInt8 sets dst[i] to the int8 sum of a[i] and b[i] under p, and
// clamps it to [p.Min, p.Max] (a fused ReLU). dst may be a or b.
func AddInt8(dst, a, b []int8, p *AddParams) {
	if len(a) != len(dst) || len(b) != len(dst) {
		panic(fmt.Sprintf("kernels.AddInt8: lengths %d + %d -> %d", len(a), len(b), len(dst)))
	}
	if p.Min < -128 || p.Max > 127 || p.Min > p.Max {
		panic(fmt.Sprintf("kernels.AddInt8: clamp [%d, %d] is not within [-128, 127]", p.Min, p.Max))
	}
	done := 0
	if add := active.Load().add; add != nil {
		done = add(dst, a, b, p)
	}
	addInt8Generic(dst[done:], a[done:], b[done:], p)
}

// addInt8Generic is the definition of AddInt8.
func addInt8Generic(dst, a, b []int8, p *AddParams) {
	for i := range dst {
		x := quant.MultiplyByQuantizedMultiplier((int32(a[i])-p.InZeroPoint[0])<<AddLeftShift, p.InMultiplier[0], int(p.InShift[0]))
		y := quant.MultiplyByQuantizedMultiplier((int32(b[i])-p.InZeroPoint[1])<<AddLeftShift, p.InMultiplier[1], int(p.InShift[1]))
		out := quant.MultiplyByQuantizedMultiplier(x+y, p.OutMultiplier, int(p.OutShift)) + p.OutZeroPoint
		dst[i] = int8(min(max(out, p.Min), p.Max))
	}
}

// RequantizeInt8 moves int8 values from one quantization to another:
// dst[i] = (src[i] - inZeroPoint) * M * 2^(shift-31) + outZeroPoint,
// rounded as quant.MultiplyByQuantizedMultiplier and clamped to int8.
// Concat uses it for inputs whose quantization differs from its output's.
func RequantizeInt8(dst, src []int8, inZeroPoint, multiplier, shift, outZeroPoint int32) {
	if len(src) != len(dst) {
		panic(fmt.Sprintf("kernels.RequantizeInt8: lengths %d -> %d", len(src), len(dst)))
	}
	for i, v := range src {
		out := quant.MultiplyByQuantizedMultiplier(int32(v)-inZeroPoint, multiplier, int(shift)) + outZeroPoint
		dst[i] = int8(min(max(out, -128), 127))
	}
}
