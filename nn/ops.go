package nn

import (
	"fmt"
	"math"
	"slices"
)

// The layers that networks imported from PyTorch add to the classic ones
// (MobileNet v3, EfficientNet, RegNet, ShuffleNet, GoogLeNet ...). Their
// definitions, which the engine's float32 layers compute and its int8
// layers approximate:
//
//	sigmoid      y = 1 / (1 + e^-x)
//	hardsigmoid  y = clamp(Alpha x + Beta, 0, 1)      (PyTorch: Alpha 1/6, Beta 1/2)
//	hardswish    y = x * clamp(Alpha x + Beta, 0, 1)
//	silu         y = x * sigmoid(x)
//	leakyrelu    y = x for x >= 0, Alpha x below    (PyTorch's default Alpha 0.01; PReLU
//	             with one slope)
//	elu          y = x for x > 0, Alpha (e^x - 1) below
//	erf          y = erf(x)                         (GELU is x/2 (1 + erf(x/√2)))
//	logsoftmax   y = x - max x - log Σ e^(x - max x), over a vector
//	mul          y = a * b, where b has a's shape, or one value per channel
//	             (CxHxW times Cx1x1 or C, the squeeze-and-excitation gate)
//	lrn          y[c] = x[c] / (Bias + Alpha/Size * sum of x[c']^2)^Beta, over the
//	             Size channels c' from c - (Size-1)/2 to c + Size/2 (ONNX's LRN)
//	channels     y[k] = x[Channels[k]]: whole channels (or features) copied,
//	             which is how slices, splits and channel shuffles run

// maxLRNSize bounds the channel window of lrn.
const maxLRNSize = 1 << 16

// mulShape is the shape inference of mul: the first input's shape, the
// second equal to it or holding one value per channel of it.
func mulShape(ins []Shape) (Shape, error) {
	if len(ins) != 2 {
		return nil, fmt.Errorf("needs 2 inputs, has %d", len(ins))
	}
	a, b := ins[0], ins[1]
	if !slices.Equal(a, b) && !PerChannel(a, b) {
		return nil, fmt.Errorf("multiplies %v by %v: want equal shapes or one value per channel", a, b)
	}
	return slices.Clone(a), nil
}

// PerChannel reports whether b holds one value per channel of a: a is
// CxHxW and b is Cx1x1 or C.
func PerChannel(a, b Shape) bool {
	if len(a) != 3 || len(b) == 0 || b[0] != a[0] {
		return false
	}
	return slices.Equal(b, Shape{a[0]}) || slices.Equal(b, Shape{a[0], 1, 1})
}

// importedShape is the shape inference and parameter check of the
// one-input layers of this file that have parameters in the node.
func (n *Node) importedShape(in Shape) (Shape, error) {
	switch n.Op {
	case OpLeakyReLU, OpELU:
		if !finite32(n.Alpha) {
			return nil, fmt.Errorf("alpha %v must be finite", n.Alpha)
		}
		return slices.Clone(in), nil
	case OpHardSigmoid, OpHardSwish:
		if !finite32(n.Alpha) || !finite32(n.Beta) {
			return nil, fmt.Errorf("alpha %v and beta %v must be finite", n.Alpha, n.Beta)
		}
		return slices.Clone(in), nil
	case OpLRN:
		if len(in) != 3 {
			return nil, fmt.Errorf("needs a CxHxW input, got %v", in)
		}
		if n.Size < 1 || n.Size > maxLRNSize {
			return nil, fmt.Errorf("size %d outside [1, %d]", n.Size, maxLRNSize)
		}
		if !(n.Bias > 0) || !(n.Alpha >= 0) || !finite32(n.Bias) || !finite32(n.Alpha) || !finite32(n.Beta) {
			return nil, fmt.Errorf("bias %v, alpha %v and beta %v: want a positive bias, alpha >= 0, all finite", n.Bias, n.Alpha, n.Beta)
		}
		return slices.Clone(in), nil
	case OpChannels:
		if len(in) != 1 && len(in) != 3 {
			return nil, fmt.Errorf("needs a CxHxW or vector input, got %v", in)
		}
		if len(n.Channels) == 0 {
			return nil, fmt.Errorf("selects no channels")
		}
		for k, c := range n.Channels {
			if c < 0 || c >= in[0] {
				return nil, fmt.Errorf("channel %d is %d, outside the input's %d", k, c, in[0])
			}
		}
		out := slices.Clone(in)
		out[0] = len(n.Channels)
		return out, nil
	}
	return nil, fmt.Errorf("unknown layer type")
}

func finite32(v float32) bool {
	return !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0)
}

// OutShape infers the output shape of node n from the shapes of its
// inputs, checking the node's own parameters (kernel, groups, alpha ...):
// what Model.Shapes does for each node. Importers use it to reject a node
// as they read it.
func (n *Node) OutShape(ins ...Shape) (Shape, error) {
	out, err := n.outShape(ins)
	if err == nil {
		err = out.checkSize()
	}
	return out, err
}

// Saturation returns the inputs outside which the activation n is
// constant: below lo (and above hi) every input gives the output of lo
// (of hi). hardsigmoid is constant outside [-Beta/Alpha, (1-Beta)/Alpha],
// hardswish 0 below -Beta/Alpha, relu 0 below 0 and relu6 constant
// outside [0, 6]; an unbounded side is ±Inf. ok is false for other layers
// (and for a hardsigmoid or hardswish whose Alpha is not positive). An
// int8 tensor read only by such an activation needs no values outside
// [lo, hi]: clamped to it, it gives the same outputs.
func (n *Node) Saturation() (lo, hi float32, ok bool) {
	inf := float32(math.Inf(1))
	switch n.Op {
	case OpReLU:
		return 0, inf, true
	case OpReLU6:
		return 0, 6, true
	case OpHardSigmoid, OpHardSwish:
		if !(n.Alpha > 0) {
			return 0, 0, false
		}
		lo := -n.Beta / n.Alpha
		if n.Op == OpHardSwish {
			return lo, inf, true
		}
		return lo, (1 - n.Beta) / n.Alpha, true
	}
	return 0, 0, false
}
