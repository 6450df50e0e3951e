package nn

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/edgecnn/edgecnn/quant"
)

// Quantized reports whether m is an int8 model: its input and every node's
// output carry int8 parameters, and its conv2d and linear layers have int8
// weights (per output channel scales, zero point 0) and int32 biases, except
// the layers deliberately kept in float32 (mixed precision).
func (m *Model) Quantized() bool { return m.Input.Quant != nil }

// checkQuant checks that activation parameters appear on all tensors of an
// int8 model and on none of a float model, and that they are usable.
func (m *Model) checkQuant() error {
	if !m.Quantized() {
		for _, n := range m.Nodes {
			if n.Quant != nil {
				return fmt.Errorf("layer %q: int8 parameters in a float model (the input has none)", n.Name)
			}
		}
		return checkRanges(m)
	}
	if err := checkRanges(m); err != nil {
		return err
	}
	if err := checkParams(m.Input.Quant); err != nil {
		return fmt.Errorf("input: %w", err)
	}
	for _, n := range m.Nodes {
		if n.Quant == nil {
			return fmt.Errorf("layer %q: no int8 parameters in an int8 model", n.Name)
		}
		if err := checkParams(n.Quant); err != nil {
			return fmt.Errorf("layer %q: %w", n.Name, err)
		}
	}
	return nil
}

// checkFloatOutput checks that only linear layers with int8 weights write
// float32 from their accumulators (Node.FloatOutput).
func (m *Model) checkFloatOutput() error {
	for _, n := range m.Nodes {
		if !n.FloatOutput {
			continue
		}
		if w := m.Weight(n); n.Op != OpLinear || w == nil || w.DType != I8 {
			return fmt.Errorf("layer %q (%s): float_output needs a linear layer with int8 weights", n.Name, n.Op)
		}
	}
	return nil
}

// checkFactors checks that every fixed-point factor an int8 engine derives
// from the scales can be represented (quant.CheckMultiplier): scales that
// are each positive and finite can still have a ratio of 2^31 or more (a
// weight scale of 3e38, an output scale of 1e-30). It runs after the
// parameters are checked, and mirrors what the engine computes: conv2d and
// linear layers with int8 weights requantize input scale * weight scale /
// output scale per channel, add scales its inputs and their sum
// (quant.AddFactors), concat rescales each input quantized unlike its
// output. Each tensor is read with the parameters of the node producing it.
func (m *Model) checkFactors() error {
	if !m.Quantized() {
		return nil
	}
	q := make(map[string]quant.Params, len(m.Nodes)+1)
	q[InputName] = *m.Input.Quant
	for _, n := range m.Nodes {
		q[n.Name] = *n.Quant
	}
	for _, n := range m.Nodes {
		var err error
		switch n.Op {
		case OpAdd:
			in, sum := quant.AddFactors(q[n.Inputs[0]], q[n.Inputs[1]], *n.Quant)
			err = cmp.Or(quant.CheckMultiplier(in[0]), quant.CheckMultiplier(in[1]), quant.CheckMultiplier(sum))
		case OpConcat:
			for _, src := range n.Inputs {
				if q[src] != *n.Quant && err == nil {
					err = quant.CheckMultiplier(quant.RescaleFactor(q[src], *n.Quant))
				}
			}
		default:
			if w := m.Weight(n); w != nil && w.DType == I8 {
				_, _, err = quant.OutputMultipliers(q[n.Inputs[0]].Scale, m.Params[n.Name+".weight_scale"].F32, n.Quant.Scale)
			}
		}
		if err != nil {
			return fmt.Errorf("layer %q: int8 scales out of range: %w", n.Name, err)
		}
	}
	return nil
}

func checkParams(p *quant.Params) error {
	if !(p.Scale > 0) || math.IsInf(float64(p.Scale), 0) {
		return fmt.Errorf("int8 scale %v must be positive and finite", p.Scale)
	}
	if p.ZeroPoint < -128 || p.ZeroPoint > 127 {
		return fmt.Errorf("int8 zero point %d outside [-128, 127]", p.ZeroPoint)
	}
	return nil
}

// checkParamTypes checks the element types of a layer's parameters: all
// float32, or (in an int8 model) int8 weights in [-127, 127] with int32
// biases and positive float32 weight scales.
func (m *Model) checkParamTypes(n *Node, int8Weights bool) error {
	w, b := m.Weight(n), m.Bias(n)
	if b == nil {
		if int8Weights {
			return fmt.Errorf("int8 layer needs a bias")
		}
		b = w // a convolution without bias: only the weight to check
	}
	if !int8Weights {
		if w.DType != F32 || b.DType != F32 {
			return fmt.Errorf("float layer needs F32 weight and bias, has %s and %s", w.DType, b.DType)
		}
		return nil
	}
	if !m.Quantized() {
		return fmt.Errorf("int8 weights in a float model")
	}
	if b.DType != I32 {
		return fmt.Errorf("int8 layer needs an I32 bias, has %s", b.DType)
	}
	for i, v := range w.I8 {
		if v == -128 {
			return fmt.Errorf("weight %d is -128; int8 weights must lie in [-127, 127]", i)
		}
	}
	scales := m.Params[n.Name+".weight_scale"]
	if scales.DType != F32 {
		return fmt.Errorf("weight_scale must be F32, is %s", scales.DType)
	}
	for i, s := range scales.F32 {
		if !(s > 0) || math.IsInf(float64(s), 0) {
			return fmt.Errorf("weight_scale %d is %v, must be positive and finite", i, s)
		}
	}
	return nil
}

// checkRanges checks the quantization-aware training ranges: finite, with
// Min <= Max.
func checkRanges(m *Model) error {
	for _, n := range m.Nodes {
		if r := n.Range; r != nil && !(r.Min <= r.Max && !math.IsInf(float64(r.Min), 0) && !math.IsInf(float64(r.Max), 0)) {
			return fmt.Errorf("layer %q: range [%v, %v] must be finite with min <= max", n.Name, r.Min, r.Max)
		}
	}
	return nil
}

// KeepsQuant reports whether a layer of type op stores its int8 output with
// its input's parameters: it only moves or averages values.
func KeepsQuant(op Op) bool {
	return op == OpMaxPool || op == OpAvgPool || op == OpFlatten || op == OpDropout || op == OpChannels
}

// GlobalPool reports whether pooling node n reads its whole input, of
// shape in, in one window (no padding): one value per channel.
func GlobalPool(n *Node, in Shape) bool {
	return (n.Op == OpAvgPool || n.Op == OpMaxPool) && len(in) == 3 && n.Kernel == [2]int{in[1], in[2]} && n.Pad == [4]int{}
}

// FusedActivation returns the index of the ReLU or ReLU6 that follows node
// i and is the only reader of its output, when node i is a conv, linear or
// add layer (the ones whose int8 epilogue clamps); -1 otherwise. The int8 form of node i then takes the activation's
// output parameters: the activation becomes its epilogue's clamp.
func (m *Model) FusedActivation(i int) int {
	n := m.Nodes[i]
	if (n.Op != OpConv2D && n.Op != OpLinear && n.Op != OpAdd) || i+1 >= len(m.Nodes) {
		return -1
	}
	next := m.Nodes[i+1]
	if (next.Op != OpReLU && next.Op != OpReLU6) || next.Inputs[0] != n.Name {
		return -1
	}
	for _, other := range m.Nodes {
		if other != next && slices.Contains(other.Inputs, n.Name) {
			return -1
		}
	}
	return i + 1
}

// QuantParams returns the int8 parameters of the normalised input. When
// every channel has the same normalisation with 255*Mean a whole number,
// they map 8-bit pixels p to q = p - 128 with no float round trip: scale
// 1/(255 Std) and zero point 255 Mean - 128. Otherwise they cover the range
// of the normalised pixels, and the engine quantizes through float.
func (in Input) QuantParams() quant.Params {
	same := true
	for c := range in.Channels {
		same = same && in.Mean[c] == in.Mean[0] && in.Std[c] == in.Std[0]
	}
	zp := float64(255*float64(in.Mean[0])) - 128
	if same && zp == math.Round(zp) && zp >= -128 && zp <= 127 {
		return quant.Params{Scale: float32(1 / (255 * float64(in.Std[0]))), ZeroPoint: int32(zp)}
	}
	lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
	for c := range in.Channels {
		lo = min(lo, -in.Mean[c]/in.Std[c])
		hi = max(hi, (1-in.Mean[c])/in.Std[c])
	}
	return quant.ChooseParams(lo, hi)
}
