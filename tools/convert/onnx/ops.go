package onnx

import (
	"fmt"
	"math"
	"slices"

	"github.com/edgecnn/edgecnn/nn"
	"github.com/edgecnn/edgecnn/tools/convert/onnx/internal/onnxpb"
)

// call is one ONNX node being mapped: its inputs' values (nil for an
// omitted optional input) and the name its layers start from.
type call struct {
	b    *builder
	n    *nodeProto
	ins  []*value
	base string
}

// handlers maps the supported operators of the default domain.
var handlers map[string]func(*call) error

func init() {
	handlers = map[string]func(*call) error{
		"Conv":               conv,
		"Relu":               func(c *call) error { return elementwise(c, &nn.Node{Op: nn.OpReLU}) },
		"Tanh":               func(c *call) error { return elementwise(c, &nn.Node{Op: nn.OpTanh}) },
		"Sigmoid":            func(c *call) error { return elementwise(c, &nn.Node{Op: nn.OpSigmoid}) },
		"HardSigmoid":        hardSigmoid,
		"HardSwish":          func(c *call) error { return elementwise(c, pytorchHardSwish()) },
		"LeakyRelu":          func(c *call) error { return alphaUnary(c, nn.OpLeakyReLU, 0.01) },
		"Elu":                func(c *call) error { return alphaUnary(c, nn.OpELU, 1) },
		"PRelu":              prelu,
		"Erf":                func(c *call) error { return elementwise(c, &nn.Node{Op: nn.OpErf}) },
		"LRN":                lrn,
		"Clip":               clip,
		"MaxPool":            func(c *call) error { return pool(c, nn.OpMaxPool) },
		"AveragePool":        func(c *call) error { return pool(c, nn.OpAvgPool) },
		"GlobalAveragePool":  func(c *call) error { return globalPool(c, nn.OpAvgPool, false) },
		"GlobalMaxPool":      func(c *call) error { return globalPool(c, nn.OpMaxPool, false) },
		"ReduceMean":         reduceMean,
		"Gemm":               gemm,
		"MatMul":             matMul,
		"Flatten":            flattenOp,
		"Reshape":            reshape,
		"Squeeze":            squeeze,
		"Unsqueeze":          unsqueeze,
		"Dropout":            dropout,
		"Identity":           identity,
		"BatchNormalization": batchNorm,
		"Softmax":            func(c *call) error { return softmax(c, nn.OpSoftmax) },
		"LogSoftmax":         func(c *call) error { return softmax(c, nn.OpLogSoftmax) },
		"Add":                func(c *call) error { return binaryOp(c, '+') },
		"Sub":                func(c *call) error { return binaryOp(c, '-') },
		"Mul":                func(c *call) error { return binaryOp(c, '*') },
		"Div":                func(c *call) error { return binaryOp(c, '/') },
		"Concat":             concat,
		"Pad":                pad,
		"Constant":           constant,
		"Shape":              shape,
		"Gather":             gather,
		"Slice":              slice,
		"Split":              split,
		"Transpose":          transpose,
		"Cast":               cast,
		"ConstantOfShape":    constantOfShape,
	}
}

// --- inputs, outputs and attributes

func (c *call) in(k int) *value {
	if k < len(c.ins) {
		return c.ins[k]
	}
	return nil
}

// act returns input k as an activation that a layer can read: a view is
// materialized (once: the result replaces it).
func (c *call) act(k int) (*activation, error) {
	a, err := c.current(k)
	if err != nil || a.view == nil {
		return a, err
	}
	m, err := c.b.materialize(a)
	if err != nil {
		return nil, err
	}
	c.b.setAct(c.n.GetInput()[k], m)
	return m, nil
}

// current returns input k as an activation, possibly a view.
func (c *call) current(k int) (*activation, error) {
	v := c.in(k)
	if v == nil {
		return nil, fmt.Errorf("input %d is missing", k+1)
	}
	if v.a == nil {
		return nil, errPlain // an operator on constants that the reader does not evaluate
	}
	if !c.b.current(v.a) {
		return nil, fmt.Errorf("reads %q, whose layer had a BatchNormalization or constant folded into it for another reader", c.n.GetInput()[k])
	}
	return v.a, nil
}

// constant returns input k as a constant.
func (c *call) constant(k int, what string) (*tensor, error) {
	v := c.in(k)
	if v == nil {
		return nil, fmt.Errorf("%s (input %d) is missing", what, k+1)
	}
	if v.c == nil {
		return nil, fmt.Errorf("%s must be a constant (an initializer), not computed from the input", what)
	}
	return v.c, nil
}

// floats returns input k as float32 constant values with the given rank
// (-1: any).
func (c *call) floats(k int, what string, rank int) (*tensor, error) {
	t, err := c.constant(k, what)
	if err != nil {
		return nil, err
	}
	if t.isInt {
		return nil, fmt.Errorf("%s is an integer tensor; want float32", what)
	}
	if rank >= 0 && len(t.dims) != rank {
		return nil, fmt.Errorf("%s has shape %v; want rank %d", what, t.dims, rank)
	}
	return t, nil
}

// ints returns input k as integer constant values (batch size refused).
func (c *call) ints(k int, what string) ([]int64, error) {
	t, err := c.constant(k, what)
	if err != nil {
		return nil, err
	}
	v, err := t.ints()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return v, nil
}

// allConst reports whether every present input is a constant.
func (c *call) allConst() bool {
	for _, v := range c.ins {
		if v != nil && v.c == nil {
			return false
		}
	}
	return true
}

func (c *call) output(k int) string {
	if k < len(c.n.GetOutput()) {
		return c.n.GetOutput()[k]
	}
	return ""
}

func (c *call) setAct(k int, a *activation) {
	if name := c.output(k); name != "" {
		c.b.setAct(name, a)
	}
}

func (c *call) setConst(k int, t *tensor) {
	if name := c.output(k); name != "" {
		c.b.setConst(name, t)
	}
}

// set forwards a value unchanged (Identity, Dropout).
func (c *call) set(k int, v *value) {
	if v.a != nil {
		c.setAct(k, v.a)
	} else {
		c.setConst(k, v.c)
	}
}

// onlyFirstOutput refuses nodes whose extra outputs (indices, masks,
// training statistics) something reads.
func (c *call) onlyFirstOutput() error {
	for k, name := range c.n.GetOutput() {
		if k > 0 && name != "" && c.b.readers(name) > 0 {
			return fmt.Errorf("output %d (%q) is used; only the first output is supported", k+1, name)
		}
	}
	return nil
}

func (c *call) attr(name string) *attributeProto {
	attrs := c.n.GetAttribute()
	for k := range attrs {
		if attrs[k].GetName() == name {
			return &attrs[k]
		}
	}
	return nil
}

func (c *call) attrInt(name string, def int64) (int64, error) {
	a := c.attr(name)
	if a == nil {
		return def, nil
	}
	if a.GetType() != onnxpb.AttributeProto_INT {
		return 0, fmt.Errorf("attribute %s is not an integer", name)
	}
	v := a.GetI()
	if v < -maxDim || v > maxDim {
		return 0, fmt.Errorf("attribute %s = %d is out of range", name, v)
	}
	return v, nil
}

func (c *call) attrInts(name string) ([]int64, bool, error) {
	a := c.attr(name)
	if a == nil {
		return nil, false, nil
	}
	if a.GetType() != onnxpb.AttributeProto_INTS {
		return nil, false, fmt.Errorf("attribute %s is not a list of integers", name)
	}
	v := a.GetInts()
	if len(v) > 2*maxRank {
		return nil, false, fmt.Errorf("attribute %s has %d values", name, len(v))
	}
	for _, x := range v {
		if x < -maxDim || x > maxDim {
			return nil, false, fmt.Errorf("attribute %s = %v is out of range", name, v)
		}
	}
	return v, true, nil
}

func (c *call) attrFloat(name string, def float32) (float32, error) {
	a := c.attr(name)
	if a == nil {
		return def, nil
	}
	if a.GetType() != onnxpb.AttributeProto_FLOAT {
		return 0, fmt.Errorf("attribute %s is not a float", name)
	}
	return a.GetF(), nil
}

func (c *call) attrString(name, def string) (string, error) {
	a := c.attr(name)
	if a == nil {
		return def, nil
	}
	if a.GetType() != onnxpb.AttributeProto_STRING {
		return "", fmt.Errorf("attribute %s is not a string", name)
	}
	return string(a.GetS()), nil
}

// image returns input k as a [C, H, W] activation.
func (c *call) image(k int) (*activation, error) {
	x, err := c.act(k)
	if err != nil {
		return nil, err
	}
	if len(x.shape) != 3 {
		return nil, fmt.Errorf("needs an [N, C, H, W] input, got [N, %d]", x.shape[0])
	}
	return x, nil
}

// flat returns input k as a [K] activation.
func (c *call) flat(k int) (*activation, error) {
	x, err := c.act(k)
	if err != nil {
		return nil, err
	}
	if len(x.shape) != 1 {
		return nil, fmt.Errorf("needs an [N, K] input, got [N, %s]; flatten it first", shapeList(x.shape))
	}
	return x, nil
}

func shapeList(s nn.Shape) string {
	out := ""
	for k, d := range s {
		if k > 0 {
			out += ", "
		}
		out += fmt.Sprint(d)
	}
	return out
}

// --- parameters

func (b *builder) param(name string, shape []int, v []float32) {
	b.m.Params[name] = &nn.Tensor{DType: nn.F32, Shape: shape, F32: v}
}

// window reads the strides and padding of a conv or pool with a kh x kw
// kernel over h x w (auto_pad included).
func (c *call) window(kh, kw, h, w int) (stride [2]int, pads [4]int, err error) {
	stride = [2]int{1, 1}
	if s, ok, err := c.attrInts("strides"); err != nil {
		return stride, pads, err
	} else if ok {
		if len(s) != 2 || s[0] < 1 || s[1] < 1 {
			return stride, pads, fmt.Errorf("strides %v: want two positive values", s)
		}
		stride = [2]int{int(s[0]), int(s[1])}
	}
	auto, err := c.attrString("auto_pad", "NOTSET")
	if err != nil {
		return stride, pads, err
	}
	switch auto {
	case "NOTSET", "":
		if p, ok, err := c.attrInts("pads"); err != nil {
			return stride, pads, err
		} else if ok {
			if len(p) != 4 {
				return stride, pads, fmt.Errorf("pads %v: want 4 values", p)
			}
			for k, v := range p {
				if v < 0 {
					return stride, pads, fmt.Errorf("negative pads %v are not supported", p)
				}
				// ONNX order: H begin, W begin, H end, W end = nn's order.
				pads[k] = int(v)
			}
		}
	case "VALID":
	case "SAME_UPPER", "SAME_LOWER":
		for axis, in := range [2]int{h, w} {
			k, s := [2]int{kh, kw}[axis], stride[axis]
			out := (in + s - 1) / s
			total := max((out-1)*s+k-in, 0)
			lo := total / 2
			if auto == "SAME_LOWER" {
				lo = total - total/2
			}
			pads[axis], pads[axis+2] = lo, total-lo
		}
	default:
		return stride, pads, fmt.Errorf("auto_pad %q is not supported", auto)
	}
	return stride, pads, nil
}

// outSize is the output length of a window of k with stride s over in
// elements padded by lo and hi.
func outSize(in, k, s, lo, hi int) (int, error) {
	if in+lo+hi < k {
		return 0, fmt.Errorf("kernel %d larger than its padded input %d", k, in+lo+hi)
	}
	return (in+lo+hi-k)/s + 1, nil
}

func (c *call) checkDilations() error {
	d, ok, err := c.attrInts("dilations")
	if err != nil || !ok {
		return err
	}
	for _, v := range d {
		if v != 1 {
			return fmt.Errorf("dilations %v are not supported (only 1)", d)
		}
	}
	return nil
}

// --- layers

func conv(c *call) error {
	x, err := c.image(0)
	if err != nil {
		return err
	}
	w, err := c.floats(1, "weight", -1)
	if err != nil {
		return err
	}
	if len(w.dims) != 4 {
		return fmt.Errorf("weight %v: only 2-D convolution is supported", w.dims)
	}
	if err := c.checkDilations(); err != nil {
		return err
	}
	group, err := c.attrInt("group", 1)
	if err != nil {
		return err
	}
	ch, h, wd := x.shape[0], x.shape[1], x.shape[2]
	out, cg, kh, kw := w.dims[0], w.dims[1], w.dims[2], w.dims[3]
	if group < 1 || int64(cg)*group != int64(ch) || int64(out)%group != 0 || out == 0 || kh == 0 || kw == 0 {
		return fmt.Errorf("weight %v does not fit %d input channels in %d groups", w.dims, ch, group)
	}
	if ks, ok, err := c.attrInts("kernel_shape"); err != nil {
		return err
	} else if ok && !slices.Equal(ks, []int64{int64(kh), int64(kw)}) {
		return fmt.Errorf("kernel_shape %v does not match the weight %v", ks, w.dims)
	}
	stride, pads, err := c.window(kh, kw, h, wd)
	if err != nil {
		return err
	}
	for k := range pads {
		pads[k] += x.pad[k]
	}
	oh, err := outSize(h, kh, stride[0], pads[0], pads[2])
	if err != nil {
		return err
	}
	ow, err := outSize(wd, kw, stride[1], pads[1], pads[3])
	if err != nil {
		return err
	}
	bias := make([]float32, out)
	if c.in(2) != nil {
		bt, err := c.floats(2, "bias", 1)
		if err != nil {
			return err
		}
		if bt.dims[0] != out {
			return fmt.Errorf("bias %v does not match %d output channels", bt.dims, out)
		}
		copy(bias, bt.f)
	}
	n := &nn.Node{Name: c.base, Op: nn.OpConv2D, Out: out, Kernel: [2]int{kh, kw}, Stride: stride, Pad: pads, Groups: int(group)}
	y := c.b.add(n, nn.Shape{out, oh, ow}, x)
	c.b.param(n.Name+".weight", slices.Clone(w.dims), slices.Clone(w.f))
	c.b.param(n.Name+".bias", []int{out}, bias)
	c.setAct(0, y)
	return nil
}

// elementwise maps the element-wise activations to layer n (Name set
// here). Zero padding still to be applied passes through those that map
// 0 to 0; the others refuse it.
func elementwise(c *call, n *nn.Node) error {
	x, err := c.act(0)
	if err != nil {
		return err
	}
	if x.padded() && (n.Op == nn.OpSigmoid || n.Op == nn.OpHardSigmoid) {
		return fmt.Errorf("follows a Pad node: not supported")
	}
	n.Name = c.base
	y := c.b.add(n, slices.Clone(x.shape), x)
	y.pad = x.pad
	c.setAct(0, y)
	return nil
}

// pytorchHardSwish is HardSwish as ONNX (and PyTorch) define it:
// x * relu6(x + 3) / 6.
func pytorchHardSwish() *nn.Node { return &nn.Node{Op: nn.OpHardSwish, Alpha: 1.0 / 6, Beta: 0.5} }

// alphaUnary maps LeakyRelu and Elu, whose one attribute, alpha, is the
// node's Alpha.
func alphaUnary(c *call, op nn.Op, def float32) error {
	alpha, err := c.attrFloat("alpha", def)
	if err != nil {
		return err
	}
	return elementwise(c, &nn.Node{Op: op, Alpha: alpha})
}

// prelu maps PRelu with one slope for every channel, PyTorch's default
// nn.PReLU(), which is a leaky ReLU whose slope was learned.
func prelu(c *call) error {
	t, err := c.floats(1, "slope", -1)
	if err != nil {
		return err
	}
	if len(t.f) == 0 {
		return fmt.Errorf("slope is empty")
	}
	for _, v := range t.f {
		if v != t.f[0] {
			return fmt.Errorf("slope %v has a value per channel: only one slope (nn.PReLU() with num_parameters=1) is supported", t.dims)
		}
	}
	return elementwise(c, &nn.Node{Op: nn.OpLeakyReLU, Alpha: t.f[0]})
}

func hardSigmoid(c *call) error {
	alpha, err := c.attrFloat("alpha", 0.2)
	if err != nil {
		return err
	}
	beta, err := c.attrFloat("beta", 0.5)
	if err != nil {
		return err
	}
	return elementwise(c, &nn.Node{Op: nn.OpHardSigmoid, Alpha: alpha, Beta: beta})
}

// lrn maps LRN, local response normalisation across channels.
func lrn(c *call) error {
	x, err := c.image(0)
	if err != nil {
		return err
	}
	if x.padded() {
		return fmt.Errorf("follows a Pad node: not supported")
	}
	size, err := c.attrInt("size", 0)
	if err != nil {
		return err
	}
	n := &nn.Node{Name: c.base, Op: nn.OpLRN, Size: int(size)}
	for _, p := range []struct {
		name string
		def  float32
		v    *float32
	}{{"alpha", 1e-4, &n.Alpha}, {"beta", 0.75, &n.Beta}, {"bias", 1, &n.Bias}} {
		if *p.v, err = c.attrFloat(p.name, p.def); err != nil {
			return err
		}
	}
	if _, err := n.OutShape(x.shape); err != nil {
		return err
	}
	c.setAct(0, c.b.add(n, slices.Clone(x.shape), x))
	return nil
}

// clip maps Clip to ReLU6 ([0, 6]) or ReLU ([0, inf)).
func clip(c *call) error {
	lo, hi := float32(math.Inf(-1)), float32(math.Inf(1))
	if c.b.opset < 11 {
		var err error
		if lo, err = c.attrFloat("min", lo); err != nil {
			return err
		}
		if hi, err = c.attrFloat("max", hi); err != nil {
			return err
		}
	} else {
		for k, bound := range []*float32{&lo, &hi} {
			if c.in(k+1) == nil {
				continue
			}
			t, err := c.floats(k+1, [2]string{"min", "max"}[k], -1)
			if err != nil {
				return err
			}
			if len(t.f) != 1 {
				return fmt.Errorf("bound %v is not a scalar", t.dims)
			}
			*bound = t.f[0]
		}
	}
	op := nn.OpReLU6
	switch {
	case lo == 0 && hi == 6:
	case lo == 0 && hi >= math.MaxFloat32:
		op = nn.OpReLU
	default:
		return fmt.Errorf("bounds [%g, %g]: only [0, 6] (ReLU6) and [0, inf) (ReLU) are supported", lo, hi)
	}
	return elementwise(c, &nn.Node{Op: op})
}

// pool maps MaxPool and AveragePool. An average that counts padding
// (count_include_pad=1 with padding, or after a Pad node) becomes a
// depthwise convolution with weights 1/(kh*kw).
func pool(c *call, op nn.Op) error {
	x, err := c.image(0)
	if err != nil {
		return err
	}
	if err := c.onlyFirstOutput(); err != nil {
		return err
	}
	ks, ok, err := c.attrInts("kernel_shape")
	if err != nil {
		return err
	}
	if !ok || len(ks) != 2 || ks[0] < 1 || ks[1] < 1 {
		return fmt.Errorf("kernel_shape %v: only 2-D pooling is supported", ks)
	}
	if err := c.checkDilations(); err != nil {
		return err
	}
	kh, kw := int(ks[0]), int(ks[1])
	ch, h, w := x.shape[0], x.shape[1], x.shape[2]
	stride, pads, err := c.window(kh, kw, h, w)
	if err != nil {
		return err
	}
	ceil, err := c.attrInt("ceil_mode", 0)
	if err != nil {
		return err
	}
	include, err := c.attrInt("count_include_pad", 0)
	if err != nil {
		return err
	}
	// ceil_mode as PyTorch defines it: one more window when a partial one
	// remains, unless it would start in the end padding. It becomes extra
	// end padding, which max and padding-excluded average ignore.
	var extra [2]int
	if ceil != 0 {
		for axis, in := range [2]int{h, w} {
			k, s, lo, hi := [2]int{kh, kw}[axis], stride[axis], pads[axis], pads[axis+2]
			floor, err := outSize(in, k, s, lo, hi)
			if err != nil {
				return err
			}
			up := (in+lo+hi-k+s-1)/s + 1
			if (up-1)*s >= in+lo {
				up--
			}
			if up > floor {
				extra[axis] = (up-1)*s + k - (in + lo + hi)
			}
		}
	}
	if op == nn.OpMaxPool && x.padded() {
		return fmt.Errorf("follows a Pad node: zero padding before a max pool is not supported (use the pool's own pads)")
	}
	hasPads := pads != [4]int{}
	if op == nn.OpAvgPool && (x.padded() || (include != 0 && hasPads)) {
		if extra != [2]int{} {
			return fmt.Errorf("ceil_mode with padding that counts in the average is not supported")
		}
		if include == 0 && hasPads {
			return fmt.Errorf("follows a Pad node and has count_include_pad=0 padding of its own: not supported")
		}
		for k := range pads {
			pads[k] += x.pad[k]
		}
		return c.depthwise(x, ch, kh, kw, stride, pads, 1/float32(kh*kw))
	}
	pads[2] += extra[0]
	pads[3] += extra[1]
	if pads[0] >= kh || pads[2] >= kh || pads[1] >= kw || pads[3] >= kw {
		return fmt.Errorf("pads %v not smaller than the %dx%d window are not supported", pads, kh, kw)
	}
	oh, err := outSize(h, kh, stride[0], pads[0], pads[2])
	if err != nil {
		return err
	}
	ow, err := outSize(w, kw, stride[1], pads[1], pads[3])
	if err != nil {
		return err
	}
	n := &nn.Node{Name: c.base, Op: op, Kernel: [2]int{kh, kw}, Stride: stride, Pad: pads}
	c.setAct(0, c.b.add(n, nn.Shape{ch, oh, ow}, x))
	return nil
}

// depthwise adds a depthwise convolution with every weight equal to v and
// zero bias (an average pool that counts padding).
func (c *call) depthwise(x *activation, ch, kh, kw int, stride [2]int, pads [4]int, v float32) error {
	oh, err := outSize(x.shape[1], kh, stride[0], pads[0], pads[2])
	if err != nil {
		return err
	}
	ow, err := outSize(x.shape[2], kw, stride[1], pads[1], pads[3])
	if err != nil {
		return err
	}
	if ch*kh*kw > maxConst {
		return fmt.Errorf("window %dx%d over %d channels is too large", kh, kw, ch)
	}
	n := &nn.Node{Name: c.base, Op: nn.OpConv2D, Out: ch, Kernel: [2]int{kh, kw}, Stride: stride, Pad: pads, Groups: ch}
	y := c.b.add(n, nn.Shape{ch, oh, ow}, x)
	c.b.param(n.Name+".weight", []int{ch, 1, kh, kw}, slices.Repeat([]float32{v}, ch*kh*kw))
	c.b.param(n.Name+".bias", []int{ch}, make([]float32, ch))
	c.setAct(0, y)
	return nil
}

// globalPool pools over the whole H x W plane; flat drops the 1x1 plane.
func globalPool(c *call, op nn.Op, flat bool) error {
	x, err := c.image(0)
	if err != nil {
		return err
	}
	if x.padded() {
		return fmt.Errorf("follows a Pad node: not supported")
	}
	ch, h, w := x.shape[0], x.shape[1], x.shape[2]
	n := &nn.Node{Name: c.base, Op: op, Kernel: [2]int{h, w}, Stride: [2]int{1, 1}}
	y := c.b.add(n, nn.Shape{ch, 1, 1}, x)
	if flat {
		y = c.b.add(&nn.Node{Name: c.base + "/flatten", Op: nn.OpFlatten}, nn.Shape{ch}, y)
	}
	c.setAct(0, y)
	return nil
}

// reduceMean maps a mean over H and W to a global average pool.
func reduceMean(c *call) error {
	axes, _, err := c.attrInts("axes")
	if err != nil {
		return err
	}
	norm := make([]int64, len(axes))
	for k, a := range axes {
		if a < 0 {
			a += 4
		}
		norm[k] = a
	}
	slices.Sort(norm)
	if !slices.Equal(norm, []int64{2, 3}) {
		return fmt.Errorf("axes %v: only the mean over H and W (axes [2, 3]) is supported", axes)
	}
	keep, err := c.attrInt("keepdims", 1)
	if err != nil {
		return err
	}
	return globalPool(c, nn.OpAvgPool, keep == 0)
}

// gemm maps Gemm (y = alpha A B' + beta C) with a constant B and C.
func gemm(c *call) error {
	x, err := c.flat(0)
	if err != nil {
		return err
	}
	bt, err := c.floats(1, "B", 2)
	if err != nil {
		return err
	}
	transA, err := c.attrInt("transA", 0)
	if err != nil {
		return err
	}
	if transA != 0 {
		return fmt.Errorf("transA=1 is not supported")
	}
	transB, err := c.attrInt("transB", 0)
	if err != nil {
		return err
	}
	alpha, err := c.attrFloat("alpha", 1)
	if err != nil {
		return err
	}
	beta, err := c.attrFloat("beta", 1)
	if err != nil {
		return err
	}
	k := x.shape[0]
	var w []float32
	var out int
	if transB != 0 {
		if bt.dims[1] != k {
			return fmt.Errorf("B %v does not fit an input of %d features", bt.dims, k)
		}
		out, w = bt.dims[0], slices.Clone(bt.f)
	} else {
		if bt.dims[0] != k {
			return fmt.Errorf("B %v does not fit an input of %d features", bt.dims, k)
		}
		out, w = bt.dims[1], transpose2D(bt.f, bt.dims[0], bt.dims[1])
	}
	if alpha != 1 {
		for j := range w {
			w[j] *= alpha
		}
	}
	bias := make([]float32, out)
	if c.in(2) != nil {
		ct, err := c.floats(2, "C", -1)
		if err != nil {
			return err
		}
		v, err := perChannelConst(ct, out, 1)
		if err != nil {
			return fmt.Errorf("C: %w", err)
		}
		for j := range bias {
			bias[j] = float32(v[j]) * beta
		}
	}
	return c.linear(x, out, w, bias)
}

// matMul maps MatMul of a flat activation by a constant [K, M] matrix.
func matMul(c *call) error {
	x, err := c.flat(0)
	if err != nil {
		return err
	}
	bt, err := c.floats(1, "B", 2)
	if err != nil {
		return err
	}
	if bt.dims[0] != x.shape[0] {
		return fmt.Errorf("B %v does not fit an input of %d features", bt.dims, x.shape[0])
	}
	out := bt.dims[1]
	return c.linear(x, out, transpose2D(bt.f, bt.dims[0], out), make([]float32, out))
}

func (c *call) linear(x *activation, out int, w, bias []float32) error {
	if out == 0 {
		return fmt.Errorf("no output features")
	}
	n := &nn.Node{Name: c.base, Op: nn.OpLinear, Out: out}
	y := c.b.add(n, nn.Shape{out}, x)
	c.b.param(n.Name+".weight", []int{out, x.shape[0]}, w)
	c.b.param(n.Name+".bias", []int{out}, bias)
	c.setAct(0, y)
	return nil
}

// transpose2D returns the [cols, rows] transpose of a [rows, cols] matrix.
func transpose2D(v []float32, rows, cols int) []float32 {
	out := make([]float32, len(v))
	for r := range rows {
		for k := range cols {
			out[k*rows+r] = v[r*cols+k]
		}
	}
	return out
}

func toInt64(s nn.Shape) []int64 {
	out := make([]int64, len(s))
	for k, d := range s {
		out[k] = int64(d)
	}
	return out
}

func dropout(c *call) error {
	if err := c.onlyFirstOutput(); err != nil {
		return err
	}
	if c.in(0) == nil {
		return fmt.Errorf("input is missing")
	}
	if c.in(0).a != nil {
		if _, err := c.act(0); err != nil {
			return err
		}
	}
	c.set(0, c.in(0))
	return nil
}

func identity(c *call) error { return dropout(c) }

// batchNorm folds y = gamma (x - mean) / sqrt(var + eps) + beta into the
// layer before it, or adds a depthwise 1x1 convolution.
func batchNorm(c *call) error {
	x, err := c.act(0)
	if err != nil {
		return err
	}
	if err := c.onlyFirstOutput(); err != nil {
		return err
	}
	if spatial, err := c.attrInt("spatial", 1); err != nil || spatial != 1 {
		return fmt.Errorf("spatial=0 is not supported")
	}
	if training, err := c.attrInt("training_mode", 0); err != nil || training != 0 {
		return fmt.Errorf("training_mode=1 is not supported; export in eval mode")
	}
	eps, err := c.attrFloat("epsilon", 1e-5)
	if err != nil {
		return err
	}
	ch := x.shape[0]
	var p [4][]float32
	for k, what := range []string{"scale", "B", "mean", "var"} {
		t, err := c.floats(k+1, what, 1)
		if err != nil {
			return err
		}
		if t.dims[0] != ch {
			return fmt.Errorf("%s %v does not match %d channels", what, t.dims, ch)
		}
		p[k] = t.f
	}
	scale, shift := make([]float64, ch), make([]float64, ch)
	for j := range ch {
		v := float64(p[3][j]) + float64(eps)
		if !(v > 0) {
			return fmt.Errorf("variance %g + epsilon of channel %d is not positive", p[3][j], j)
		}
		scale[j] = float64(p[0][j]) / math.Sqrt(v)
		shift[j] = float64(p[1][j]) - float64(float64(p[2][j])*scale[j])
	}
	y, err := c.affine(x, scale, shift)
	if err != nil {
		return err
	}
	c.setAct(0, y)
	return nil
}

// affine applies y = scale[c] x + shift[c] per channel (or feature): folded
// into the conv or linear layer that produces x when nothing else reads its
// output, else as a depthwise 1x1 convolution (or a diagonal linear layer).
func (c *call) affine(x *activation, scale, shift []float64) (*activation, error) {
	b := c.b
	ch := x.shape[0]
	noop := !x.padded()
	for j := range ch {
		noop = noop && scale[j] == 1 && shift[j] == 0
	}
	if noop {
		return x, nil
	}
	if n := b.layer(x.node); n != nil && !x.padded() && (n.Op == nn.OpConv2D || n.Op == nn.OpLinear) && b.soleReader(x) {
		w, bias := b.m.Params[n.Name+".weight"].F32, b.m.Params[n.Name+".bias"].F32
		per := len(w) / ch
		for o := range ch {
			for j := range per {
				w[o*per+j] = float32(float64(w[o*per+j]) * scale[o])
			}
			bias[o] = float32(float64(float64(bias[o])*scale[o]) + shift[o])
		}
		return b.refold(n, x.shape), nil
	}
	w, bias := make([]float32, 0, ch), make([]float32, ch)
	for j := range ch {
		bias[j] = float32(shift[j])
	}
	if len(x.shape) == 3 {
		for j := range ch {
			w = append(w, float32(scale[j]))
		}
		p := x.pad
		h, wd := x.shape[1]+p[0]+p[2], x.shape[2]+p[1]+p[3]
		n := &nn.Node{Name: c.base, Op: nn.OpConv2D, Out: ch, Kernel: [2]int{1, 1}, Stride: [2]int{1, 1}, Pad: p, Groups: ch}
		y := b.add(n, nn.Shape{ch, h, wd}, x)
		b.param(n.Name+".weight", []int{ch, 1, 1, 1}, w)
		b.param(n.Name+".bias", []int{ch}, bias)
		return y, nil
	}
	if ch > 4096 {
		return nil, fmt.Errorf("a per-feature scale over %d features is too large (max 4096) unless it follows Gemm or MatMul", ch)
	}
	w = make([]float32, ch*ch)
	for j := range ch {
		w[j*ch+j] = float32(scale[j])
	}
	n := &nn.Node{Name: c.base, Op: nn.OpLinear, Out: ch}
	y := b.add(n, nn.Shape{ch}, x)
	b.param(n.Name+".weight", []int{ch, ch}, w)
	b.param(n.Name+".bias", []int{ch}, bias)
	return y, nil
}

// soleReader reports whether the node being mapped is the only reader of
// x's layer output (graph outputs count as readers).
func (b *builder) soleReader(x *activation) bool {
	if !b.current(x) {
		return false
	}
	uses := 0
	for _, name := range b.layers[x.node].aliases {
		uses += b.readers(name)
	}
	return uses == 1
}

// perChannelConst broadcasts a constant to one value per channel of an
// activation with ch channels and the given rank (per sample): it may be a
// scalar, [ch], or [1, ch, 1, 1]-like with ones around the channel axis.
func perChannelConst(t *tensor, ch, rank int) ([]float64, error) {
	dims := slices.Clone(t.dims)
	for len(dims) > 0 && dims[0] == 1 && len(dims) > rank {
		dims = dims[1:]
	}
	ok := len(dims) <= rank
	n := 1
	if ok && len(dims) == rank {
		for k, d := range dims {
			if k > 0 && d != 1 {
				ok = false
			}
		}
		n = dims[0]
	} else if ok {
		for _, d := range dims {
			n *= d
		}
		ok = n == 1 || (len(dims) == 1 && rank == 1)
	}
	if !ok || (n != 1 && n != ch) || t.size() != n {
		return nil, fmt.Errorf("constant of shape %v is not a scalar or one value per channel (%d)", t.dims, ch)
	}
	out := make([]float64, ch)
	for j := range out {
		k := min(j, n-1)
		if t.isInt {
			out[j] = float64(t.i.at(k))
		} else {
			out[j] = float64(t.f[k])
		}
	}
	return out, nil
}

// softmax maps Softmax and LogSoftmax (op) over the class axis.
func softmax(c *call, op nn.Op) error {
	x, err := c.flat(0)
	if err != nil {
		return err
	}
	def := int64(-1)
	if c.b.opset < 13 {
		def = 1
	}
	axis, err := c.attrInt("axis", def)
	if err != nil {
		return err
	}
	if axis != 1 && axis != -1 {
		return fmt.Errorf("axis %d: only the class axis (1) is supported", axis)
	}
	c.setAct(0, c.b.add(&nn.Node{Name: c.base, Op: op}, slices.Clone(x.shape), x))
	return nil
}

// binaryOp maps Add of two activations (a residual) and Add, Sub, Mul, Div
// of an activation and a per-channel constant; on constants it computes.
func binaryOp(c *call, op byte) error {
	if len(c.ins) != 2 || c.in(0) == nil || c.in(1) == nil {
		return fmt.Errorf("needs 2 inputs")
	}
	if c.allConst() {
		t, err := arith(c.in(0).c, c.in(1).c, op)
		if err != nil {
			return err
		}
		c.setConst(0, t)
		return nil
	}
	if c.in(0).a != nil && c.in(1).a != nil {
		x, err := c.act(0)
		if err != nil {
			return err
		}
		y, err := c.act(1)
		if err != nil {
			return err
		}
		if x.padded() || y.padded() {
			return fmt.Errorf("follows a Pad node: not supported")
		}
		switch op {
		case '+':
			if !slices.Equal(x.shape, y.shape) {
				return fmt.Errorf("of shapes [N, %s] and [N, %s]: only equal shapes are supported (no broadcasting)", shapeList(x.shape), shapeList(y.shape))
			}
			c.setAct(0, c.b.add(&nn.Node{Name: c.base, Op: nn.OpAdd}, slices.Clone(x.shape), x, y))
			return nil
		case '*':
			return c.mul(x, y)
		}
		return fmt.Errorf("of two computed tensors: only Add and Mul are supported")
	}
	k := 0
	if c.in(0).a == nil {
		k = 1
	}
	x, err := c.act(k)
	if err != nil {
		return err
	}
	v, err := perChannelConst(c.in(1-k).c, x.shape[0], len(x.shape))
	if err != nil {
		return err
	}
	ch := x.shape[0]
	scale, shift := make([]float64, ch), make([]float64, ch)
	for j := range ch {
		scale[j] = 1
		switch {
		case op == '+':
			shift[j] = v[j]
		case op == '-' && k == 0:
			shift[j] = -v[j]
		case op == '-':
			scale[j], shift[j] = -1, v[j]
		case op == '*':
			scale[j] = v[j]
		case op == '/' && k == 0 && v[j] != 0:
			scale[j] = 1 / v[j]
		default:
			return fmt.Errorf("a constant divided by a computed tensor is not supported")
		}
	}
	y, err := c.affine(x, scale, shift)
	if err != nil {
		return err
	}
	c.setAct(0, y)
	return nil
}

// mul maps the product of two activations: x * sigmoid(x) becomes silu
// and x * hardsigmoid(x) hardswish when nothing else reads the sigmoid,
// and the rest a mul layer, of equal shapes or with one value per channel
// (a squeeze-and-excitation gate).
func (c *call) mul(x, y *activation) error {
	b := c.b
	for _, p := range [2][2]*activation{{x, y}, {y, x}} {
		v, gate := p[0], p[1]
		n := b.layer(gate.node)
		if n == nil || len(n.Inputs) != 1 || n.Inputs[0] != v.node || !b.current(v) || !b.soleReader(gate) {
			continue
		}
		switch n.Op {
		case nn.OpSigmoid:
			n.Op = nn.OpSiLU
		case nn.OpHardSigmoid:
			n.Op = nn.OpHardSwish
		default:
			continue
		}
		c.setAct(0, b.refold(n, gate.shape))
		return nil
	}
	if nn.PerChannel(y.shape, x.shape) {
		x, y = y, x
	}
	if !slices.Equal(x.shape, y.shape) && !nn.PerChannel(x.shape, y.shape) {
		return fmt.Errorf("of shapes [N, %s] and [N, %s]: only equal shapes or one value per channel ([N, C, 1, 1]) are supported", shapeList(x.shape), shapeList(y.shape))
	}
	c.setAct(0, b.add(&nn.Node{Name: c.base, Op: nn.OpMul}, slices.Clone(x.shape), x, y))
	return nil
}

// concat maps a channel Concat of activations; on constants it computes.
func concat(c *call) error {
	axis, err := c.attrInt("axis", 0)
	if c.attr("axis") == nil && err == nil {
		err = fmt.Errorf("attribute axis is missing")
	}
	if err != nil {
		return err
	}
	if len(c.ins) == 0 {
		return fmt.Errorf("no inputs")
	}
	if c.allConst() {
		ts := make([]*tensor, len(c.ins))
		for k := range c.ins {
			if c.ins[k] == nil {
				return fmt.Errorf("input %d is missing", k+1)
			}
			ts[k] = c.ins[k].c
		}
		t, err := concatConst(ts, axis)
		if err != nil {
			return err
		}
		c.setConst(0, t)
		return nil
	}
	var xs []*activation
	for k := range c.ins {
		x, err := c.act(k)
		if err != nil {
			if err == errPlain {
				return fmt.Errorf("of a constant and a computed tensor is not supported")
			}
			return err
		}
		if x.padded() {
			return fmt.Errorf("follows a Pad node: not supported")
		}
		xs = append(xs, x)
	}
	// The channel axis: 1 of [N, C, H, W] or [N, K], counted from either end.
	rank := int64(len(xs[0].shape) + 1)
	if axis != 1 && axis != 1-rank {
		return fmt.Errorf("axis %d: only concatenation along channels (axis 1) is supported", axis)
	}
	out := slices.Clone(xs[0].shape)
	for _, x := range xs[1:] {
		if len(x.shape) != len(out) || !slices.Equal(x.shape[1:], out[1:]) {
			return fmt.Errorf("inputs of shapes [N, %s] and [N, %s]: all but the channels must be equal", shapeList(xs[0].shape), shapeList(x.shape))
		}
		out[0] += x.shape[0]
	}
	if len(xs) == 1 {
		c.setAct(0, xs[0])
		return nil
	}
	c.setAct(0, c.b.add(&nn.Node{Name: c.base, Op: nn.OpConcat}, out, xs...))
	return nil
}

// pad records zero padding of H and W on an activation, for the next Conv
// or AveragePool to apply.
func pad(c *call) error {
	x, err := c.image(0)
	if err != nil {
		return err
	}
	mode, err := c.attrString("mode", "constant")
	if err != nil {
		return err
	}
	if mode != "constant" {
		return fmt.Errorf("mode %q: only zero padding is supported", mode)
	}
	var pads []int64
	fill := float32(0)
	if c.b.opset < 11 {
		p, ok, err := c.attrInts("pads")
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("attribute pads is missing")
		}
		pads = p
		if fill, err = c.attrFloat("value", 0); err != nil {
			return err
		}
	} else {
		if pads, err = c.ints(1, "pads"); err != nil {
			return err
		}
		if c.in(2) != nil {
			t, err := c.constant(2, "constant_value")
			if err != nil {
				return err
			}
			if t.size() != 1 {
				return fmt.Errorf("constant_value is not a scalar")
			}
			if t.isInt {
				fill = float32(t.i.at(0))
			} else {
				fill = t.f[0]
			}
		}
	}
	if fill != 0 {
		return fmt.Errorf("padding with %g: only zero padding is supported", fill)
	}
	if len(pads) != 8 {
		return fmt.Errorf("pads %s: want 8 values for an [N, C, H, W] input", fmtInts(pads))
	}
	if pads[0] != 0 || pads[1] != 0 || pads[4] != 0 || pads[5] != 0 {
		return fmt.Errorf("pads %s: only H and W can be padded", fmtInts(pads))
	}
	y := *x
	y.from = c.b.pending(x.from)
	for k, p := range []int64{pads[2], pads[3], pads[6], pads[7]} {
		if p < 0 || p > 64 {
			return fmt.Errorf("pads %s: only padding by 0 to 64 is supported", fmtInts(pads))
		}
		y.pad[k] += int(p)
	}
	c.setAct(0, &y)
	return nil
}
