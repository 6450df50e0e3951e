// Package nn describes a convolutional image classifier: a graph of layers,
// the shapes flowing between them, their parameters, the labels of the output
// classes and the input contract (size, channels, normalisation). It also
// reads and writes the model file.
//
// nn knows nothing about how a layer is computed: engine/ runs a model and
// train/ fits its parameters.
package nn

import (
	"fmt"

	"github.com/edgecnn/edgecnn/quant"
	"slices"
)

// Op names a layer type. The strings are stored in model files: never change them.
type Op string

// The layer types a graph may hold.
const (
	OpConv2D  Op = "conv2d"  // 2-D convolution with stride, padding and groups
	OpMaxPool Op = "maxpool" // max over a window
	OpAvgPool Op = "avgpool" // mean over a window (padding excluded)
	OpReLU    Op = "relu"
	OpReLU6   Op = "relu6"
	OpTanh    Op = "tanh"
	OpLinear  Op = "linear"  // fully connected: y = W x + b
	OpFlatten Op = "flatten" // [C,H,W] -> [C*H*W]
	OpDropout Op = "dropout" // identity at inference
	OpSoftmax Op = "softmax"
	OpAdd     Op = "add"    // element-wise sum of two inputs of one shape (residual)
	OpConcat  Op = "concat" // inputs joined along channels (CxHxW) or features (vectors)

	// Layers of the networks imported from PyTorch (see ops.go).
	OpSigmoid     Op = "sigmoid"     // 1 / (1 + e^-x)
	OpHardSigmoid Op = "hardsigmoid" // clamp(Alpha x + Beta, 0, 1)
	OpHardSwish   Op = "hardswish"   // x * clamp(Alpha x + Beta, 0, 1)
	OpSiLU        Op = "silu"        // x * sigmoid(x), also called swish
	OpMul         Op = "mul"         // element-wise product, the second input per channel or whole
	OpLRN         Op = "lrn"         // local response normalisation across channels
	OpChannels    Op = "channels"    // a gather of channels (or features): slice, split, shuffle
	OpLeakyReLU   Op = "leakyrelu"   // x, or Alpha x below 0
	OpELU         Op = "elu"         // x, or Alpha (e^x - 1) below 0
	OpErf         Op = "erf"         // the error function (GELU's part)
	OpLogSoftmax  Op = "logsoftmax"  // log of softmax: PyTorch's log_softmax
)

// InputName is the name by which nodes refer to the model input.
const InputName = "input"

// Node is one layer of the graph. Inputs name the nodes it reads (or
// InputName); every layer type here has exactly one, but the graph keeps a
// list so that residual Add and channel Concat fit without a new format.
//
// Fields that a layer type does not use stay zero.
type Node struct {
	Name   string   `json:"name"`
	Op     Op       `json:"op"`
	Inputs []string `json:"inputs"`

	// Out is the number of output channels (conv2d) or features (linear).
	Out int `json:"out,omitempty"`
	// Kernel, Stride and Pad describe the window of conv2d and the pools:
	// Kernel and Stride are {height, width}; Pad is {top, left, bottom, right}.
	Kernel [2]int `json:"kernel,omitzero"`
	Stride [2]int `json:"stride,omitzero"`
	Pad    [4]int `json:"pad,omitzero"`
	// Groups splits conv2d channels into independent groups (1 = dense).
	Groups int `json:"groups,omitempty"`
	// Rate is the dropout probability used in training.
	Rate float32 `json:"rate,omitempty"`
	// Alpha and Beta are the slope and offset of hardsigmoid and hardswish,
	// with Bias and Size the constants of lrn; Alpha alone is the negative
	// slope of leakyrelu and the scale of elu (see ops.go).
	Alpha float32 `json:"alpha,omitempty"`
	Beta  float32 `json:"beta,omitempty"`
	Bias  float32 `json:"bias,omitempty"`
	Size  int     `json:"size,omitempty"`
	// Channels lists, for channels, the input channel (or feature) that
	// each output channel copies.
	Channels []int `json:"channels,omitempty"`
	// From names the nodes of the file the model was imported from (ONNX)
	// that this layer computes, when there are others than its own name.
	From []string `json:"from,omitempty"`
	// NoBias marks a conv2d without a bias, as before a batch norm.
	NoBias bool `json:"nobias,omitempty"`
	// Eps and Momentum are a batch norm's epsilon and the weight of each
	// batch in its running statistics (see OpBatchNorm).
	Eps      float32 `json:"eps,omitempty"`
	Momentum float32 `json:"momentum,omitempty"`

	// Quant holds the int8 parameters of the node's output in a quantized
	// model (see Model.Quantized); nil in a float model.
	Quant *quant.Params `json:"quant,omitempty"`
	// FloatOutput, on a linear layer with int8 weights, makes it write its
	// output in float32, dequantized from the int32 accumulators
	// (quant.DequantizeAccumulator) instead of requantized to int8:
	// converters set it on a classifier's last layer, whose logits then
	// carry no int8 rounding. Quant still holds the parameters an int8
	// reader of the output would take.
	FloatOutput bool `json:"float_output,omitempty"`
	// Range, in a float model trained with quantization-aware training,
	// is the range of the node's output that training quantized it with;
	// conversion to int8 uses it instead of calibrating one.
	Range *Range `json:"range,omitempty"`
}

// Range is the real interval [Min, Max] an int8 tensor covers
// (quant.ChooseParams turns it into a scale and zero point).
type Range struct {
	Min float32 `json:"min"`
	Max float32 `json:"max"`
}

// Params returns the int8 parameters of the range.
func (r Range) Params() quant.Params { return quant.ChooseParams(r.Min, r.Max) }

// Model is a classifier: its graph in topological order (the last node is the
// output), its parameters by name ("<node>.weight", "<node>.bias"), and the
// labels of its classes.
type Model struct {
	Arch   string
	Input  Input
	Nodes  []*Node
	Labels []string
	Params map[string]*Tensor
	// Imported says where an imported model came from; nil for the
	// models edgecnn builds.
	Imported *Imported
}

// Imported records how a model was read from another format (edgecnn
// import): with Node.From, it tells how every node of the source graph
// maps to layers.
type Imported struct {
	Format string `json:"format"` // "onnx"
	Opset  int64  `json:"opset,omitempty"`
	// Nodes is the number of nodes of the source graph.
	Nodes int `json:"nodes"`
	// Folded names the source nodes that became no layer of their own, as
	// "name (operator)": constants evaluated while reading and operators
	// without effect at inference (Identity, Dropout, a reshape that moves
	// nothing). Nodes folded into a layer are in that layer's From.
	Folded []string `json:"folded,omitempty"`
}

// Weight returns the weight tensor of node n, or nil if it has none.
func (m *Model) Weight(n *Node) *Tensor { return m.Params[n.Name+".weight"] }

// Bias returns the bias tensor of node n, or nil if it has none.
func (m *Model) Bias(n *Node) *Tensor { return m.Params[n.Name+".bias"] }

// Node returns the node called name, or nil.
func (m *Model) Node(name string) *Node {
	for _, n := range m.Nodes {
		if n.Name == name {
			return n
		}
	}
	return nil
}

// Shape is the shape of one sample's activation, batch excluded: [C, H, W]
// for feature maps and [N] for vectors.
type Shape []int

// Size is the number of elements.
func (s Shape) Size() int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

// MaxElements bounds the number of elements of any activation a graph may
// produce (2^30). It keeps shape arithmetic far from integer overflow, also
// for graphs read from untrusted files and in a 32-bit int (GOARCH=arm).
const MaxElements = 1 << 30

// checkSize reports a dimension that is not positive or a shape with more
// than MaxElements elements, without overflowing.
func (s Shape) checkSize() error {
	n := 1
	for _, d := range s {
		if d <= 0 {
			return fmt.Errorf("invalid output shape %v", []int(s))
		}
		if n > MaxElements/d {
			return fmt.Errorf("output %v has more than %d elements", []int(s), MaxElements)
		}
		n *= d
	}
	return nil
}

func (s Shape) String() string {
	out := ""
	for i, d := range s {
		if i > 0 {
			out += "x"
		}
		out += fmt.Sprint(d)
	}
	return out
}

// Sequential chains layers: each node without explicit Inputs reads the node
// before it (the first reads the model input).
func Sequential(arch string, in Input, labels []string, layers ...*Node) *Model {
	prev := InputName
	for _, n := range layers {
		if len(n.Inputs) == 0 {
			n.Inputs = []string{prev}
		}
		prev = n.Name
	}
	return &Model{Arch: arch, Input: in, Nodes: layers, Labels: labels, Params: map[string]*Tensor{}}
}

// Shapes infers the output shape of every node, in the order of m.Nodes.
// Errors name the offending layer.
func (m *Model) Shapes() ([]Shape, error) {
	outs, _, err := m.shapes()
	return outs, err
}

// shapes is Shapes, and also returns the shape of every node's first
// input. One pass in time linear in the number of nodes, and one map: the
// graph may come from an untrusted file, whose every node costs this.
func (m *Model) shapes() (outs, firstIns []Shape, err error) {
	if err := m.Input.Validate(); err != nil {
		return nil, nil, err
	}
	if len(m.Nodes) == 0 {
		return nil, nil, fmt.Errorf("model has no layers")
	}
	// known maps a name to its layer's index in outs, -1 for the input.
	known := make(map[string]int, len(m.Nodes)+1)
	known[InputName] = -1
	input := m.Input.Shape()
	outs, firstIns = make([]Shape, len(m.Nodes)), make([]Shape, len(m.Nodes))
	var ins []Shape // reused: outShape keeps none of it
	for i, n := range m.Nodes {
		if n == nil {
			return nil, nil, fmt.Errorf("layer %d is missing (null)", i)
		}
		if err := checkName(i, n.Op, n.Name); err != nil {
			return nil, nil, err
		}
		if _, dup := known[n.Name]; dup {
			return nil, nil, fmt.Errorf("layer %q: name used twice", n.Name)
		}
		ins = ins[:0]
		for _, src := range n.Inputs {
			k, ok := known[src]
			if !ok {
				return nil, nil, fmt.Errorf("layer %q: input %q is not an earlier layer", n.Name, src)
			}
			if k < 0 {
				ins = append(ins, input)
			} else {
				ins = append(ins, outs[k])
			}
		}
		out, err := n.outShape(ins)
		if err == nil {
			err = out.checkSize()
		}
		if err != nil {
			return nil, nil, fmt.Errorf("layer %q (%s): %w", n.Name, n.Op, err)
		}
		known[n.Name] = i
		outs[i] = out
		if len(ins) > 0 {
			firstIns[i] = ins[0]
		}
	}
	return outs, firstIns, nil
}

// checkName is the rule for the name of layer i: not empty, and not the
// input's.
func checkName(i int, op Op, name string) error {
	if name == "" || name == InputName {
		return fmt.Errorf("layer %d (%s): invalid name %q", i, op, name)
	}
	return nil
}

// outShape is the shape inference of one layer.
func (n *Node) outShape(ins []Shape) (Shape, error) {
	switch n.Op {
	case OpAdd:
		if len(ins) != 2 || !slices.Equal(ins[0], ins[1]) {
			return nil, fmt.Errorf("needs two inputs of one shape, got %v", ins)
		}
		return slices.Clone(ins[0]), nil
	case OpConcat:
		if len(ins) < 2 {
			return nil, fmt.Errorf("needs at least 2 inputs, has %d", len(ins))
		}
		out := slices.Clone(ins[0])
		for _, in := range ins[1:] {
			if len(in) != len(out) || !slices.Equal(in[1:], out[1:]) || (len(in) != 1 && len(in) != 3) {
				return nil, fmt.Errorf("needs CxHxW inputs of one height and width or vectors, got %v", ins)
			}
			if out[0] > MaxElements-in[0] {
				return nil, fmt.Errorf("inputs %v have too many channels", ins)
			}
			out[0] += in[0]
		}
		return out, nil
	case OpMul:
		return mulShape(ins)
	}
	if len(ins) != 1 {
		return nil, fmt.Errorf("takes 1 input, has %d", len(ins))
	}
	in := ins[0]
	switch n.Op {
	case OpConv2D, OpMaxPool, OpAvgPool:
		if len(in) != 3 {
			return nil, fmt.Errorf("needs a CxHxW input, got %v", in)
		}
		oh, ow, err := n.window(in[1], in[2])
		if err != nil {
			return nil, err
		}
		c := in[0]
		if n.Op == OpConv2D {
			g := n.Groups
			if g <= 0 || n.Out <= 0 || c%g != 0 || n.Out%g != 0 {
				return nil, fmt.Errorf("%d input and %d output channels do not split into %d groups", c, n.Out, g)
			}
			// The engine and the trainer unfold the input (im2col): C*KH*KW
			// values for every output pixel, bounded like an activation.
			if (Shape{c, n.Kernel[0], n.Kernel[1], oh, ow}).checkSize() != nil {
				return nil, fmt.Errorf("unfolded input of %dx%dx%d values for each of %dx%d output pixels has more than %d elements",
					c, n.Kernel[0], n.Kernel[1], oh, ow, MaxElements)
			}
			c = n.Out
		}
		return Shape{c, oh, ow}, nil
	case OpLinear:
		if len(in) != 1 {
			return nil, fmt.Errorf("needs a flat input, got %v (add a flatten layer)", in)
		}
		if n.Out <= 0 {
			return nil, fmt.Errorf("invalid output size %d", n.Out)
		}
		return Shape{n.Out}, nil
	case OpFlatten:
		return Shape{in.Size()}, nil
	case OpDropout:
		if !(n.Rate >= 0 && n.Rate < 1) {
			return nil, fmt.Errorf("rate %v outside [0, 1)", n.Rate)
		}
		return slices.Clone(in), nil
	case OpReLU, OpReLU6, OpTanh, OpSoftmax, OpSigmoid, OpSiLU, OpErf, OpLogSoftmax:
		return slices.Clone(in), nil
	case OpHardSigmoid, OpHardSwish, OpLeakyReLU, OpELU, OpLRN, OpChannels:
		return n.importedShape(in)
	case OpBatchNorm:
		return n.batchNormShape(in)
	}
	return nil, fmt.Errorf("unknown layer type")
}

// window returns the output size of a conv or pool window over h x w.
func (n *Node) window(h, w int) (oh, ow int, err error) {
	kh, kw, sh, sw := n.Kernel[0], n.Kernel[1], n.Stride[0], n.Stride[1]
	if kh <= 0 || kw <= 0 || sh <= 0 || sw <= 0 {
		return 0, 0, fmt.Errorf("invalid kernel %dx%d or stride %dx%d", kh, kw, sh, sw)
	}
	for _, p := range n.Pad {
		if p < 0 || p >= 64 {
			return 0, 0, fmt.Errorf("invalid padding %v", n.Pad)
		}
	}
	if n.Op != OpConv2D && (n.Pad[0] >= kh || n.Pad[2] >= kh || n.Pad[1] >= kw || n.Pad[3] >= kw) {
		return 0, 0, fmt.Errorf("padding %v not smaller than the %dx%d window", n.Pad, kh, kw)
	}
	ph, pw := h+n.Pad[0]+n.Pad[2], w+n.Pad[1]+n.Pad[3]
	if kh > ph || kw > pw {
		return 0, 0, fmt.Errorf("kernel %dx%d larger than its padded %dx%d input", kh, kw, ph, pw)
	}
	return (ph-kh)/sh + 1, (pw-kw)/sw + 1, nil
}

// ParamShapes returns the shapes of the weight and bias of node n given its
// input shape, or nils for layers without parameters (bias alone nil for a
// convolution without bias). Conv weights are [Out, In/Groups, KH, KW];
// linear weights are [Out, In] (PyTorch's layout); a batch norm's weight
// and bias are [C].
func (n *Node) ParamShapes(in Shape) (weight, bias []int) {
	switch n.Op {
	case OpConv2D:
		w := []int{n.Out, in[0] / n.Groups, n.Kernel[0], n.Kernel[1]}
		if n.NoBias {
			return w, nil
		}
		return w, []int{n.Out}
	case OpLinear:
		return []int{n.Out, in[0]}, []int{n.Out}
	case OpBatchNorm:
		return []int{in[0]}, []int{in[0]}
	}
	return nil, nil
}

// MACs is the number of multiply-accumulates of node n for one sample.
func (n *Node) MACs(in, out Shape) int64 {
	w, _ := n.ParamShapes(in)
	switch n.Op {
	case OpConv2D:
		return int64(out.Size()) * int64(w[1]*w[2]*w[3])
	case OpLinear:
		return int64(w[0]) * int64(w[1])
	}
	return 0
}

// InitParams allocates zero-valued parameters of the right shapes for every
// layer that has them. Existing parameters of the right shape are kept.
func (m *Model) InitParams() error {
	_, ins, err := m.shapes()
	if err != nil {
		return err
	}
	if m.Params == nil {
		m.Params = map[string]*Tensor{}
	}
	if err := m.checkQuant(); err != nil {
		return err
	}
	for i, n := range m.Nodes {
		w := m.Weight(n)
		ps := n.params(ins[i], w != nil && w.DType == I8)
		for _, p := range ps {
			if t := m.Params[p.name]; t == nil || !slices.Equal(t.Shape, p.shape) {
				m.Params[p.name] = NewTensor(p.shape...)
			}
		}
	}
	return nil
}

// param is the name and shape of one parameter of a node.
type param struct {
	name  string
	shape []int
}

// params lists the parameters of node n, weight first, given its input
// shape. A layer whose weights are int8 also has per-output-channel weight
// scales.
func (n *Node) params(in Shape, int8Weights bool) []param {
	w, b := n.ParamShapes(in)
	if w == nil {
		return nil
	}
	ps := []param{{n.Name + ".weight", w}}
	if b != nil {
		ps = append(ps, param{n.Name + ".bias", b})
	}
	if n.Op == OpBatchNorm {
		ps = append(ps, param{n.Name + ".running_mean", b}, param{n.Name + ".running_var", b})
	}
	if int8Weights {
		ps = append(ps, param{n.Name + ".weight_scale", w[:1]})
	}
	return ps
}

// Validate checks the graph, that every parameter exists with the shape its
// layer needs and holds finite values, and that there is one label per output.
func (m *Model) Validate() error {
	shapes, ins, err := m.shapes()
	if err != nil {
		return err
	}
	want := map[string]bool{}
	if err := m.checkQuant(); err != nil {
		return err
	}
	for i, n := range m.Nodes {
		w := m.Weight(n)
		ps := n.params(ins[i], w != nil && w.DType == I8)
		for _, p := range ps {
			name := p.name
			want[name] = true
			t := m.Params[name]
			if t == nil {
				return fmt.Errorf("layer %q: parameter %s is missing", n.Name, name)
			}
			if !slices.Equal(t.Shape, p.shape) {
				return fmt.Errorf("layer %q: parameter %s has shape %v, want %v", n.Name, name, t.Shape, p.shape)
			}
			if t.Len() != Shape(t.Shape).Size() {
				return fmt.Errorf("layer %q: parameter %s holds %d %s values for shape %v", n.Name, name, t.Len(), t.DType, t.Shape)
			}
			if err := t.checkFinite(); err != nil {
				return fmt.Errorf("layer %q: parameter %s: %w", n.Name, name, err)
			}
		}
		if len(ps) == 0 {
			continue
		}
		if err := m.checkParamTypes(n, w.DType == I8); err != nil {
			return fmt.Errorf("layer %q: %w", n.Name, err)
		}
	}
	if err := m.checkFactors(); err != nil {
		return err
	}
	if err := m.checkFloatOutput(); err != nil {
		return err
	}
	if len(m.Params) > len(want) {
		var stray []string
		for name := range m.Params {
			if !want[name] {
				stray = append(stray, name)
			}
		}
		slices.Sort(stray)
		return fmt.Errorf("parameter %s belongs to no layer", stray[0])
	}
	out := shapes[len(shapes)-1]
	if len(out) != 1 {
		return fmt.Errorf("output layer %q gives %v, want a vector of class scores", m.Nodes[len(m.Nodes)-1].Name, out)
	}
	if len(m.Labels) != out[0] {
		return fmt.Errorf("model has %d labels for %d outputs", len(m.Labels), out[0])
	}
	return nil
}

// LayerStats describes one node for `edgecnn inspect`.
type LayerStats struct {
	Node   *Node
	In     Shape
	Out    Shape
	Params int
	MACs   int64
}

// Stats returns per-layer shapes, parameter counts and MACs.
func (m *Model) Stats() ([]LayerStats, error) {
	shapes, ins, err := m.shapes()
	if err != nil {
		return nil, err
	}
	stats := make([]LayerStats, len(m.Nodes))
	for i, n := range m.Nodes {
		in := ins[i]
		params := 0
		if w, b := n.ParamShapes(in); w != nil {
			params = Shape(w).Size()
			if b != nil {
				params += Shape(b).Size()
			}
		}
		stats[i] = LayerStats{Node: n, In: in, Out: shapes[i], Params: params, MACs: n.MACs(in, shapes[i])}
	}
	return stats, nil
}
