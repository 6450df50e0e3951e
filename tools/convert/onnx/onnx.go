// Package onnx reads an image classifier exported to ONNX (for example by
// PyTorch's torch.onnx.export) and turns it into an edgecnn float32 model.
//
// It reads opsets 9 to 17 of the default ONNX domain and supports the
// operators of torchvision's classification networks: Conv (any groups,
// strides and padding, dilation 1), Relu, Clip (as ReLU6 or ReLU), Tanh,
// Sigmoid, HardSigmoid, HardSwish, x * Sigmoid(x) (SiLU) and
// x * HardSigmoid(x) (hard swish), MaxPool and AveragePool (ceil_mode,
// and count_include_pad either way, though not with ceil_mode and padding
// together), GlobalAveragePool, GlobalMaxPool, ReduceMean over H
// and W, LRN, Gemm, MatMul, Dropout and Identity (no-ops),
// BatchNormalization, Softmax, Add of two tensors (residual), Mul of two
// tensors (element-wise, or by one value per channel: squeeze and
// excitation), Concat over channels, Pad with zeros (folded into the next
// Conv or AveragePool), and Add, Sub, Mul or Div by a per-channel constant.
// BatchNormalization and per-channel constants fold into the Conv, Gemm or
// MatMul before them when nothing else reads its output, and become a 1x1
// depthwise convolution otherwise.
//
// Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Slice, Split and Gather
// evaluate on constants of any numeric type (shape arithmetic, as PyTorch
// emits for x.view(x.size(0), -1) or F.pad, and constants that an export
// without constant folding leaves as DOUBLE or INT64 Constant nodes and
// Casts), and on tensors computed from the input they rearrange it: a
// composition of them that moves whole channels (a channel shuffle and
// split, as in ShuffleNet) becomes one layer copying channels, one that
// moves nothing becomes no layer (views.go).
//
// Clip bounds other than [0, 6] and [0, inf) are refused, not clamped: the
// engine has no general clamp layer.
//
// Weights must be stored inside the file; integer tensors stay in the
// file's bytes at their own width, so reading costs about the file's size.
// A model with operators it cannot map fails with one error listing every
// such node, by name and operator, and the opset. The model records how
// every node maps to its layers (nn.Node.From, nn.Imported).
package onnx

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/edgecnn/edgecnn/internal/safefile"
	"github.com/edgecnn/edgecnn/nn"
)

// Opsets supported: the version of the default ONNX domain a model imports.
const (
	MinOpset = 9
	MaxOpset = 17
)

// maxFile bounds the size of a model file: protobuf itself caps messages at
// 2 GiB, and larger models keep their weights in external files, which are
// not supported.
const maxFile = 1 << 31

// maxNodes bounds the number of nodes of a graph.
const maxNodes = 1 << 20

// Options describe what the ONNX file does not say: the input contract and
// the class labels.
type Options struct {
	// Name names the model in error messages (the file name); default "model".
	Name string
	// Labels names the classes; default "0", "1", ... one per output.
	Labels []string
	// Mean and Std normalise pixels: channel c of pixel p becomes
	// (p/255 - Mean[c]) / Std[c]. One value applies to every channel.
	// Default mean 0 and std 1: the model takes pixel/255.
	Mean, Std []float32
	// Digit asks for MNIST-style preprocessing of camera frames.
	Digit bool
}

// Read reads the ONNX file at path. Error messages start with path.
func Read(path string, opt Options) (*nn.Model, error) {
	if opt.Name == "" {
		opt.Name = path
	}
	data, err := safefile.ReadFile(path, maxFile) // a protobuf holds at most 2 GiB
	if err != nil {
		return nil, err
	}
	return Decode(data, opt)
}

// Decode reads an ONNX model from its bytes.
func Decode(data []byte, opt Options) (m *nn.Model, err error) {
	if opt.Name == "" {
		opt.Name = "model"
	}
	defer func() {
		// The reader is written not to panic on any input; this turns a
		// bug into an error rather than a crash of the command.
		if r := recover(); r != nil {
			m, err = nil, fmt.Errorf("%s: internal error reading ONNX: %v", opt.Name, r)
		}
	}()
	if len(data) == 0 {
		return nil, fmt.Errorf("%s: empty file, not an ONNX model", opt.Name)
	}
	mp, err := readModel(data)
	if err != nil {
		if errors.As(err, new(malformed)) {
			return nil, fmt.Errorf("%s: not an ONNX model (%v)", opt.Name, err)
		}
		return nil, fmt.Errorf("%s: %w", opt.Name, err)
	}
	if mp.graph == nil {
		return nil, fmt.Errorf("%s: not an ONNX model (no graph)", opt.Name)
	}
	opset, err := checkOpset(mp.opset)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", opt.Name, err)
	}
	b := &builder{file: opt.Name, opset: opset, opt: opt}
	m, err = b.build(mp.graph)
	if err != nil {
		var u *unsupportedError
		if errors.As(err, &u) {
			return nil, err
		}
		return nil, fmt.Errorf("%s (opset %d): %w", opt.Name, opset, err)
	}
	return m, nil
}

// checkOpset checks the version of the default domain the model imports
// (-1 if none).
func checkOpset(version int64) (int64, error) {
	if version < 0 {
		return 0, fmt.Errorf("the model imports no opset of the default ONNX domain")
	}
	if version < MinOpset || version > MaxOpset {
		return 0, fmt.Errorf("opset %d is not supported (edgecnn reads opsets %d to %d; export with opset_version=13)", version, MinOpset, MaxOpset)
	}
	return version, nil
}

// unsupportedError lists the nodes the reader could not map: the first
// maxListed, and how many more.
type unsupportedError struct {
	file  string
	opset int64
	nodes []string
	more  int
}

// maxListed bounds the nodes an error lists (a generated graph may have
// thousands of the same unsupported node).
const maxListed = 100

func (e *unsupportedError) Error() string {
	more := ""
	if e.more > 0 {
		more = fmt.Sprintf(" and %d more", e.more)
	}
	return fmt.Sprintf("%s (opset %d): unsupported nodes: %s%s", e.file, e.opset, strings.Join(e.nodes, ", "), more)
}

// errPlain marks a node as unsupported without a further reason.
var errPlain = errors.New("unsupported")

// activation is a tensor computed at run time from the model input: the nn
// node that produces it (or nn.InputName), the version of that node's
// parameters it was read at, its shape per sample ([C, H, W] or [K]),
// zero padding that a Pad node asked for and the next Conv or AveragePool
// will apply, and a rearrangement that the next layer will apply.
type activation struct {
	node  string
	ver   int
	shape nn.Shape
	pad   [4]int // top, left, bottom, right
	// view, when set, rearranges the layer output (see views.go); the
	// layer that runs it will be called viewName, after the node that
	// completed it.
	view     *tensor
	viewName string
	// from names the nodes applied to the layer output that no layer
	// computes yet (Pad, the rearrangements of a view): the layer that
	// reads this activation will.
	from []string
}

func (a *activation) padded() bool { return a.pad != [4]int{} }

// value is what an ONNX tensor name holds while the graph is read.
type value struct {
	c *tensor
	a *activation
}

// builder turns an ONNX graph into an nn.Model, node by node.
type builder struct {
	file  string
	opset int64
	opt   Options

	inits   map[string]tensorProto
	tensors map[string]*tensorState // by ONNX name

	m        *nn.Model
	layers   map[string]*layerState // by nn name, the input's included
	suffix   map[string]int         // next suffix unique tries for a name
	batch1   bool                   // the input's batch dimension is fixed at 1
	problem  []string               // the first maxListed nodes that could not be mapped
	unlisted int                    // and how many more

	// cur names the node being mapped ("name (operator)"); mapped is set
	// once a layer computes it, or an activation carries it to the layer
	// that will. The nodes left unmapped are folded.
	cur    string
	mapped bool
	folded []string

	call call // the node being mapped, for its handler
}

// tensorState is what the builder tracks of one ONNX tensor name. One
// small record per name, not one map per property: a file of tiny nodes
// must cost a small multiple of its size.
type tensorState struct {
	val value // what it holds once set: a node writes each name once
	// producer is 1 + the index of the node that writes it; 0 for none.
	producer int32
	uses     int32 // the mapped nodes that read it, and the graph output
	poisoned uint8 // poisonConst or poisonAct: a node before it failed
	set      bool
}

// tensor returns the state of the tensor called name, adding it if new.
func (b *builder) tensor(name string) *tensorState {
	t := b.tensors[name]
	if t == nil {
		t = &tensorState{}
		b.tensors[name] = t
	}
	return t
}

// readers returns how many mapped nodes read tensor name (the graph output
// counts as one).
func (b *builder) readers(name string) int {
	if t := b.tensors[name]; t != nil {
		return int(t.uses)
	}
	return 0
}

// layerState is what the builder tracks of one layer of the model, or of
// its input.
type layerState struct {
	node *nn.Node // nil for the input
	// ver counts the nodes refold has folded into the layer: an
	// activation of an older version must not be read.
	ver     int
	aliases []string // the tensor names holding its current version
	keep    bool     // the graph output depends on it (see finish)
}

func (b *builder) build(g *graphProto) (*nn.Model, error) {
	b.inits = make(map[string]tensorProto, len(g.GetInitializer()))
	for _, t := range g.GetInitializer() {
		b.inits[t.GetName()] = t.data
	}
	if g.sparse > 0 {
		return nil, fmt.Errorf("sparse initializers are not supported")
	}
	input, err := b.graphInput(g)
	if err != nil {
		return nil, err
	}
	if outputs := g.GetOutput(); len(outputs) != 1 {
		return nil, fmt.Errorf("the graph has %d outputs (%s); edgecnn needs exactly one, the class scores", len(outputs), quoteNames(outputs, func(*valueInfoProto) bool { return true }))
	}
	output := g.GetOutput()[0].GetName()
	// Sized once (each node writes one name or more) rather than grown by
	// doubling: a file of tiny nodes then costs a fixed multiple of its
	// size, since each node record holds at least a few bytes.
	b.tensors = make(map[string]*tensorState, len(g.GetNode())+1)
	order, err := b.sort(g, input.GetName())
	if err != nil {
		return nil, err
	}

	n := len(order)
	b.layers = make(map[string]*layerState, n+1)
	b.layers[nn.InputName] = &layerState{}
	b.suffix = map[string]int{}
	in, err := b.inputContract(input)
	if err != nil {
		return nil, err
	}
	b.m = &nn.Model{Arch: "onnx", Input: in, Params: map[string]*nn.Tensor{}, Nodes: make([]*nn.Node, 0, n)}
	b.setAct(input.GetName(), &activation{node: nn.InputName, shape: in.Shape()})

	b.tensor(output).uses++
	nodes := g.GetNode()
	for _, k := range order {
		n := &nodes[k]
		if n.GetOpType() == "Shape" {
			continue // reads the shape, not the values: folding stays possible
		}
		for _, name := range n.GetInput() {
			b.tensor(name).uses++
		}
	}

	for _, k := range order {
		b.node(&nodes[k], k)
	}
	if len(b.problem) > 0 {
		return nil, &unsupportedError{file: b.file, opset: b.opset, nodes: b.problem, more: b.unlisted}
	}
	b.m.Imported = &nn.Imported{Format: "onnx", Opset: b.opset, Nodes: len(g.GetNode()), Folded: b.folded}
	return b.finish(output)
}

// graphInput returns the one graph input that is not an initializer.
func (b *builder) graphInput(g *graphProto) (*valueInfoProto, error) {
	isInput := func(in *valueInfoProto) bool {
		_, ok := b.inits[in.GetName()]
		return !ok
	}
	inputs := g.GetInput()
	n, first := 0, 0
	for k := range inputs {
		if isInput(&inputs[k]) {
			if n == 0 {
				first = k
			}
			n++
		}
	}
	if n != 1 {
		return nil, fmt.Errorf("the graph has %d inputs (%s); edgecnn needs exactly one, the image batch", n, quoteNames(inputs, isInput))
	}
	return &inputs[first], nil
}

// quoteNames lists the names of the graph inputs or outputs that keep
// says, for a message: the first maxListed, quoted, and how many more.
func quoteNames(v []valueInfoProto, keep func(*valueInfoProto) bool) string {
	var names []string
	more := 0
	for k := range v {
		switch {
		case !keep(&v[k]):
		case len(names) < maxListed:
			names = append(names, strconv.Quote(v[k].GetName()))
		default:
			more++
		}
	}
	if more > 0 {
		names = append(names, fmt.Sprintf("and %d more", more))
	}
	return strings.Join(names, ", ")
}

// inputContract reads the input's type, [N, C, H, W] float32 with N
// dynamic or 1, and adds the normalisation and labels from the options.
func (b *builder) inputContract(vi *valueInfoProto) (nn.Input, error) {
	tt, ok, err := vi.tensorType()
	switch {
	case err != nil:
		return nn.Input{}, fmt.Errorf("input %q: %w", vi.GetName(), err)
	case !ok:
		return nn.Input{}, fmt.Errorf("input %q is not a tensor", vi.GetName())
	}
	if tt.elem != 1 {
		return nn.Input{}, fmt.Errorf("input %q is %s; edgecnn needs a float32 input", vi.GetName(), dataTypeName(tt.elem))
	}
	dims := tt.dims
	if !tt.hasShape || tt.rank != 4 {
		return nn.Input{}, fmt.Errorf("input %q has rank %d; edgecnn needs an image batch [N, C, H, W] with a fixed C, H and W", vi.GetName(), tt.rank)
	}
	var chw [3]int
	for k, d := range dims[1:] {
		if !d.hasValue || d.value <= 0 || d.value > 4096 {
			return nn.Input{}, fmt.Errorf("input %q has shape %s; edgecnn needs [N, C, H, W] with C, H and W fixed numbers from 1 to 4096", vi.GetName(), fmtDims(dims))
		}
		chw[k] = int(d.value)
	}
	if d := dims[0]; d.hasValue {
		if d.value != 1 && d.value != 0 {
			return nn.Input{}, fmt.Errorf("input %q has a fixed batch size of %d; export with a dynamic batch (dynamic_axes) or batch 1", vi.GetName(), d.value)
		}
		b.batch1 = d.value == 1
	}
	if chw[0] > 4 {
		return nn.Input{}, fmt.Errorf("input %q has %d channels; edgecnn takes images of 1 to 4 channels", vi.GetName(), chw[0])
	}
	in := nn.Input{Channels: chw[0], Height: chw[1], Width: chw[2], Digit: b.opt.Digit}
	if in.Mean, err = perChannel("mean", b.opt.Mean, 0, in.Channels); err != nil {
		return nn.Input{}, err
	}
	if in.Std, err = perChannel("std", b.opt.Std, 1, in.Channels); err != nil {
		return nn.Input{}, err
	}
	return in, nil
}

// perChannel expands a normalisation option to one value per channel.
func perChannel(what string, v []float32, def float32, c int) ([]float32, error) {
	switch len(v) {
	case 0:
		return slices.Repeat([]float32{def}, c), nil
	case 1:
		return slices.Repeat(v, c), nil
	case c:
		return slices.Clone(v), nil
	}
	return nil, fmt.Errorf("%d %s values for an input of %d channels (give 1 or %d)", len(v), what, c, c)
}

func fmtDims(dims []dim) string {
	parts := make([]string, len(dims))
	for k, d := range dims {
		parts[k] = d.String()
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// sort returns the nodes the graph output depends on, in a topological
// order (ONNX asks for one, but the reader does not rely on it), refusing
// undefined inputs, tensors produced twice and cycles anywhere in the
// graph. Nodes whose results nothing uses are not mapped: a layer costs
// far more than such a node's bytes in the file.
func (b *builder) sort(g *graphProto, input string) ([]int, error) {
	nodes := g.GetNode()
	// producer returns the node that writes tensor name.
	producer := func(name string) (int, bool) {
		if t := b.tensors[name]; t != nil && t.producer > 0 {
			return int(t.producer) - 1, true
		}
		return 0, false
	}
	for k := range nodes {
		n := &nodes[k]
		for _, out := range n.GetOutput() {
			if out == "" {
				continue
			}
			if _, ok := b.inits[out]; ok || out == input {
				return nil, fmt.Errorf("node %s writes %q, which is a graph input or initializer", nodeRef(n, k), out)
			}
			if j, dup := producer(out); dup {
				return nil, fmt.Errorf("nodes %s and %s both write %q", nodeRef(&nodes[j], j), nodeRef(n, k), out)
			}
			b.tensor(out).producer = int32(k) + 1
		}
	}
	// pending[k] counts the inputs node k waits for; the nodes reading node
	// j are readers[first[j]:first[j+1]].
	pending := make([]int, len(nodes))
	first := make([]int, len(nodes)+1)
	edges := 0
	for k := range nodes {
		n := &nodes[k]
		for _, in := range n.GetInput() {
			if in == "" || in == input {
				continue
			}
			if _, ok := b.inits[in]; ok {
				continue
			}
			j, ok := producer(in)
			if !ok {
				return nil, fmt.Errorf("node %s reads %q, which no node, initializer or graph input defines", nodeRef(n, k), in)
			}
			pending[k]++
			first[j+1]++
			edges++
		}
	}
	for j := range nodes {
		first[j+1] += first[j]
	}
	readers := make([]int, edges)
	next := slices.Clone(first[:len(nodes)])
	for k := range nodes {
		for _, in := range nodes[k].GetInput() {
			if j, ok := producer(in); ok {
				readers[next[j]] = k
				next[j]++
			}
		}
	}
	order, ready := make([]int, 0, len(nodes)), make([]int, 0, len(nodes))
	for k := range nodes {
		if pending[k] == 0 {
			ready = append(ready, k)
		}
	}
	for len(ready) > 0 {
		k := ready[0]
		ready = ready[1:]
		order = append(order, k)
		for _, r := range readers[first[k]:first[k+1]] {
			if pending[r]--; pending[r] == 0 {
				ready = append(ready, r)
			}
		}
	}
	if len(order) < len(nodes) {
		for k := range nodes {
			if pending[k] > 0 {
				return nil, fmt.Errorf("the graph has a cycle through node %s", nodeRef(&nodes[k], k))
			}
		}
	}
	out := g.GetOutput()[0].GetName()
	last, ok := producer(out)
	if !ok {
		return nil, fmt.Errorf("no node computes the graph output %q", out)
	}
	// Keep the nodes the output depends on: walking the order backwards
	// meets every reader before the nodes it reads.
	live := make([]bool, len(nodes))
	live[last] = true
	for _, k := range slices.Backward(order) {
		if !live[k] {
			continue
		}
		for _, in := range nodes[k].GetInput() {
			if j, ok := producer(in); ok {
				live[j] = true
			}
		}
	}
	return slices.DeleteFunc(order, func(k int) bool { return !live[k] }), nil
}

// nodeRef names a node in messages: its quoted name and operator, or its
// index when it has no name.
func nodeRef(n *nodeProto, k int) string {
	if n.GetName() != "" {
		return fmt.Sprintf("%q (%s)", n.GetName(), opName(n))
	}
	return fmt.Sprintf("#%d (%s)", k, opName(n))
}

func opName(n *nodeProto) string {
	if d := n.GetDomain(); d != "" && d != "ai.onnx" {
		return d + "." + n.GetOpType()
	}
	return n.GetOpType()
}

// constOnly lists operators the reader evaluates on constants only: on a
// tensor computed from the input they are unsupported.
var constOnly = map[string]bool{"ConstantOfShape": true, "Cast": true}

// Kinds of poisoned tensors, the outputs of nodes that could not be
// mapped: computed from the input, or constants (shapes).
const (
	poisonConst uint8 = 1
	poisonAct   uint8 = 2
)

// node maps one ONNX node, recording it as unsupported on failure. A node
// that reads the output of a failed node is not checked (its inputs are
// unknown) unless its operator is never supported on computed tensors.
func (b *builder) node(n *nodeProto, k int) {
	computed := false // some input is, or may be, computed from the input
	poisoned := false
	for _, name := range n.GetInput() {
		t := b.tensors[name]
		if t == nil {
			continue
		}
		if t.set && t.val.a != nil {
			computed = true
		}
		switch t.poisoned {
		case poisonAct:
			computed, poisoned = true, true
		case poisonConst:
			poisoned = true
		}
	}
	poison := func() {
		kind := poisonConst
		if computed && n.GetOpType() != "Shape" {
			kind = poisonAct
		}
		for _, out := range n.GetOutput() {
			b.tensor(out).poisoned = kind
		}
	}
	fail := func(err error) {
		if len(b.problem) == maxListed {
			b.unlisted++
			poison()
			return
		}
		ref := nodeRef(n, k)
		if !errors.Is(err, errPlain) {
			ref = strings.TrimSuffix(ref, ")") + ": " + err.Error() + ")"
		}
		b.problem = append(b.problem, ref)
		poison()
	}
	handler, ok := handlers[n.GetOpType()]
	if d := n.GetDomain(); (d != "" && d != "ai.onnx") || !ok {
		fail(errPlain)
		return
	}
	if poisoned {
		if computed && constOnly[n.GetOpType()] {
			fail(errPlain)
		} else {
			poison()
		}
		return
	}
	// One call and its inputs serve every node (handlers keep neither): a
	// file of tiny nodes must cost a small multiple of its size.
	ins := slices.Grow(b.call.ins[:0], len(n.GetInput()))[:len(n.GetInput())]
	clear(ins)
	b.call = call{b: b, n: n, ins: ins}
	c := &b.call
	for j, name := range n.GetInput() {
		if name == "" {
			continue
		}
		v, err := b.value(name)
		if err != nil {
			fail(fmt.Errorf("input %q: %w", name, err))
			return
		}
		c.ins[j] = v
	}
	c.base = b.baseName(n, k)
	b.cur, b.mapped = c.base+" ("+opName(n)+")", false
	if err := handler(c); err != nil {
		fail(err)
		return
	}
	if !b.mapped {
		b.folded = append(b.folded, b.cur)
	}
}

// attach records that layer n computes the node being mapped, if any.
func (b *builder) attach(n *nn.Node) {
	if b.cur != "" {
		n.From = append(n.From, b.cur)
	}
	b.mapped = true
}

// pending returns from with the node being mapped added: an activation
// carries them to the layer that will compute them.
func (b *builder) pending(from []string) []string {
	b.mapped = true
	return append(slices.Clone(from), b.cur)
}

// refold records that layer n now also computes the node being mapped (a
// BatchNormalization or constant folded into a convolution, a sigmoid
// becoming silu) and returns its new output, of the given shape. Readers
// of its previous output must not see the change: that output has a new
// version.
func (b *builder) refold(n *nn.Node, shape nn.Shape) *activation {
	l := b.layers[n.Name]
	l.ver++
	l.aliases = nil
	b.attach(n)
	return &activation{node: n.Name, ver: l.ver, shape: shape}
}

// value returns what tensor name holds, decoding initializers on first use.
func (b *builder) value(name string) (*value, error) {
	if t := b.tensors[name]; t != nil && t.set {
		return &t.val, nil
	}
	p, ok := b.inits[name]
	if !ok {
		return nil, fmt.Errorf("not defined")
	}
	t, err := decodeTensor(p)
	if err != nil {
		return nil, fmt.Errorf("initializer: %w", err)
	}
	return b.setConst(name, t), nil
}

// setAct records that tensor name holds activation a.
func (b *builder) setAct(name string, a *activation) {
	t := b.tensor(name)
	t.val, t.set = value{a: a}, true
	if b.current(a) {
		l := b.layers[a.node]
		l.aliases = append(l.aliases, name)
	}
}

// setConst records that tensor name holds the constant c.
func (b *builder) setConst(name string, c *tensor) *value {
	t := b.tensor(name)
	t.val, t.set = value{c: c}, true
	return &t.val
}

// current reports whether a is its layer's latest output (see refold).
func (b *builder) current(a *activation) bool {
	l := b.layers[a.node]
	return l != nil && l.ver == a.ver
}

// layer returns the layer called name, nil for the input or none.
func (b *builder) layer(name string) *nn.Node {
	if l := b.layers[name]; l != nil {
		return l.node
	}
	return nil
}

// baseName is the nn name for a node's layer: its ONNX name, or operator
// and index.
func (b *builder) baseName(n *nodeProto, k int) string {
	if n.GetName() != "" {
		return n.GetName()
	}
	return n.GetOpType() + "_" + strconv.Itoa(k)
}

// unique returns name, or name with a suffix if a layer already has it.
// A name that needed a suffix remembers the next one to try, so that n
// layers of one name cost n probes, not n²/2.
func (b *builder) unique(name string) string {
	out := name
	k := max(b.suffix[name], 2)
	for ; b.taken(out); k++ {
		out = fmt.Sprintf("%s_%d", name, k)
	}
	if out != name {
		b.suffix[name] = k
	}
	return out
}

// taken reports whether a layer, or the input, has the given name.
func (b *builder) taken(name string) bool {
	_, ok := b.layers[name]
	return ok
}

// add appends a layer reading the given activations and returns its output.
func (b *builder) add(n *nn.Node, shape nn.Shape, ins ...*activation) *activation {
	n.Name = b.unique(n.Name)
	for _, a := range ins {
		n.Inputs = append(n.Inputs, a.node)
		n.From = append(n.From, a.from...)
	}
	b.attach(n)
	b.m.Nodes = append(b.m.Nodes, n)
	b.layers[n.Name] = &layerState{node: n}
	return &activation{node: n.Name, shape: shape}
}

// finish checks the output and returns the model, without the layers that
// do not lead to it.
func (b *builder) finish(output string) (*nn.Model, error) {
	t := b.tensors[output]
	if t == nil || !t.set || t.val.a == nil {
		return nil, fmt.Errorf("the graph output %q is a constant, not computed from the input", output)
	}
	a := t.val.a
	if a.view != nil {
		var err error
		if a, err = b.materialize(a); err != nil {
			return nil, fmt.Errorf("the graph output %q %w", output, err)
		}
	}
	if a.node == nn.InputName {
		return nil, fmt.Errorf("the graph output %q is the input itself", output)
	}
	if a.padded() {
		return nil, fmt.Errorf("the graph output %q is padded by a Pad node that no Conv or AveragePool follows", output)
	}
	if len(a.shape) != 1 {
		return nil, fmt.Errorf("the graph output %q has shape [N, %s] per batch; edgecnn needs [N, classes]", output, strings.ReplaceAll(a.shape.String(), "x", ", "))
	}
	// Keep the layers the output depends on, in their order.
	b.layers[a.node].keep = true
	for k := len(b.m.Nodes) - 1; k >= 0; k-- {
		if n := b.m.Nodes[k]; b.layers[n.Name].keep {
			for _, in := range n.Inputs {
				b.layers[in].keep = true
			}
		}
	}
	m := b.m
	m.Nodes = slices.DeleteFunc(m.Nodes, func(n *nn.Node) bool {
		if b.layers[n.Name].keep {
			return false
		}
		delete(m.Params, n.Name+".weight")
		delete(m.Params, n.Name+".bias")
		return true
	})
	classes := a.shape[0]
	if len(b.opt.Labels) > 0 {
		if len(b.opt.Labels) != classes {
			return nil, fmt.Errorf("%d labels given for %d outputs", len(b.opt.Labels), classes)
		}
		m.Labels = slices.Clone(b.opt.Labels)
	} else {
		for c := range classes {
			m.Labels = append(m.Labels, strconv.Itoa(c))
		}
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}

// finite reports whether every value is finite.
func finite(v []float32) bool {
	for _, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return false
		}
	}
	return true
}
