package nn

import (
	"cmp"
	"fmt"
	"math"

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
		return nil
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
