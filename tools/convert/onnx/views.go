package onnx

// Operators that rearrange a tensor without computing new values: Shape,
// Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Slice, Split and Gather.
//
// On constants they compute their result. On a tensor computed from the
// input they build a view: the activation's layer output, rearranged. A
// view is an integer tensor of the logical shape, batch included as a
// dimension of 1, whose element k holds the index (within one sample) of
// the layer output element it shows; the same evaluation as on constants
// computes it. Nothing runs until a layer reads the view: then it becomes
// the layer output itself (a reshape that moved nothing), a flatten, or a
// channels layer copying whole channels (or features), as a channel
// shuffle followed by a split is. Views that move values within a channel
// cannot run and are refused there.

import (
	"fmt"
	"slices"

	"github.com/edgecnn/edgecnn/nn"
)

// iota are the integers 0 to n-1: the index of an activation not (yet)
// rearranged, which costs nothing however large the activation.
type iota int

func (v iota) len() int       { return int(v) }
func (v iota) at(k int) int64 { return int64(k) }

// operand is an input of a rearranging operator: a constant (a nil), or
// the view of activation a.
type operand struct {
	t *tensor
	a *activation
}

// operand returns input k as an operand.
func (c *call) operand(k int) (operand, error) {
	v := c.in(k)
	if v == nil {
		return operand{}, fmt.Errorf("input %d is missing", k+1)
	}
	if v.c != nil {
		return operand{t: v.c}, nil
	}
	a, err := c.current(k)
	if err != nil {
		return operand{}, err
	}
	if a.padded() {
		return operand{}, fmt.Errorf("follows a Pad node: not supported")
	}
	if a.view != nil {
		return operand{t: a.view, a: a}, nil
	}
	dims := append([]int{1}, a.shape...)
	return operand{t: &tensor{dims: dims, i: iota(a.shape.Size()), isInt: true}, a: a}, nil
}

// setOperand sets output k to a rearranged operand: a constant, or a view
// of the same activation.
func (c *call) setOperand(k int, o operand) {
	if o.a == nil {
		c.setConst(k, o.t)
		return
	}
	v := *o.a
	v.view, v.viewName = o.t, c.base
	v.from = c.b.pending(o.a.from)
	c.setAct(k, &v)
}

// materialize turns the view of a into an activation that layers read:
// a itself when nothing moved, a flatten, or a channels layer. The layer
// it adds computes the nodes that made the view, not the node reading it.
func (b *builder) materialize(a *activation) (*activation, error) {
	cur := b.cur
	b.cur = ""
	defer func() { b.cur = cur }()
	t := a.view
	dims := t.dims[1:]
	base := *a
	base.view, base.viewName = nil, ""
	name, src := a.viewName, a.shape
	refuse := func() error {
		return fmt.Errorf("reads %s, a rearrangement of [N, %s] into [N, %s]: edgecnn runs rearrangements that move whole channels (or features) into [N, C, H, W] or [N, K]",
			a.from[len(a.from)-1], shapeList(src), shapeList(dims))
	}
	_, unmoved := t.i.(iota)
	switch {
	case len(dims) == 3 && len(src) == 3 && dims[1] == src[1] && dims[2] == src[2]:
		if unmoved {
			return &base, nil
		}
		plane := dims[1] * dims[2]
		list := make([]int, dims[0])
		for ch := range list {
			first := t.i.at(ch * plane)
			if first%int64(plane) != 0 {
				return nil, refuse()
			}
			for k := 1; k < plane; k++ {
				if t.i.at(ch*plane+k) != first+int64(k) {
					return nil, refuse()
				}
			}
			list[ch] = int(first) / plane
		}
		return b.channels(name, &base, list, nn.Shape(slices.Clone(dims)))
	case len(dims) == 1:
		flat, err := b.flatten(name, &base)
		if err != nil {
			return nil, err
		}
		if unmoved {
			return flat, nil
		}
		list := make([]int, dims[0])
		for k := range list {
			list[k] = int(t.i.at(k))
		}
		return b.channels(name, flat, list, nn.Shape{dims[0]})
	}
	return nil, refuse()
}

// channels adds a layer copying channels (or features) list of x, unless
// list is all of them in order.
func (b *builder) channels(name string, x *activation, list []int, shape nn.Shape) (*activation, error) {
	same := len(list) == x.shape[0]
	for k, ch := range list {
		same = same && ch == k
	}
	if same {
		return x, nil
	}
	return b.add(&nn.Node{Name: name, Op: nn.OpChannels, Channels: list}, shape, x), nil
}

// flatten adds a flatten layer called name unless x already is a
// vector.
func (b *builder) flatten(name string, x *activation) (*activation, error) {
	if len(x.shape) == 1 {
		return x, nil
	}
	if x.padded() {
		return nil, fmt.Errorf("follows a Pad node: not supported")
	}
	return b.add(&nn.Node{Name: name, Op: nn.OpFlatten}, nn.Shape{x.shape.Size()}, x), nil
}

// shape gives the shape of a constant, or of an activation with the batch
// size as symBatch.
func shape(c *call) error {
	o, err := c.operand(0)
	if err != nil {
		return err
	}
	dims := toInt64(o.t.dims)
	if o.a != nil {
		dims[0] = symBatch
	}
	r := int64(len(dims))
	start, err := c.attrInt("start", 0)
	if err != nil {
		return err
	}
	end, err := c.attrInt("end", r)
	if err != nil {
		return err
	}
	if start < 0 {
		start += r
	}
	if end < 0 {
		end += r
	}
	start, end = min(max(start, 0), r), min(max(end, 0), r)
	dims = dims[start:max(start, end)]
	c.setConst(0, intTensor([]int{len(dims)}, dims...))
	return nil
}

// keepsBatch refuses an axis of a view that is the batch dimension.
func keepsBatch(o operand, axis int, what string) error {
	if o.a != nil && axis == 0 {
		return fmt.Errorf("%s the batch dimension: not supported", what)
	}
	return nil
}

func reshape(c *call) error {
	o, err := c.operand(0)
	if err != nil {
		return err
	}
	st, err := c.constant(1, "shape")
	if err != nil {
		return err
	}
	if !st.isInt || len(st.dims) != 1 {
		return fmt.Errorf("shape must be a 1-D integer tensor")
	}
	target, err := st.shapeInts()
	if err != nil {
		return fmt.Errorf("shape: %w", err)
	}
	allowZero, err := c.attrInt("allowzero", 0)
	if err != nil {
		return err
	}
	if o.a != nil {
		// The first dimension must stay the batch: given as the batch
		// size, copied (0), or 1 for a model exported with batch 1.
		// Inferred (-1), the view makes it 1 when the rest holds a
		// sample, and more otherwise (refused below).
		target = slices.Clone(target)
		switch d := target[0]; {
		case d == symBatch, d == 0 && allowZero == 0, d == 1 && c.b.batch1:
			target[0] = 1
		case d == -1:
		default:
			return fmt.Errorf("reshape of [N, %s] to %s: the first dimension must stay the batch", shapeList(o.t.dims[1:]), fmtInts(target))
		}
		if slices.Contains(target[1:], symBatch) {
			return fmt.Errorf("reshape to %s moves the batch size into another dimension", fmtInts(target))
		}
	}
	t, err := reshapeConst(o.t, target, allowZero != 0)
	if err != nil {
		return err
	}
	if o.a != nil && (len(t.dims) == 0 || t.dims[0] != 1) {
		return fmt.Errorf("reshape of [N, %s] to %s mixes the batch with other dimensions", shapeList(o.t.dims[1:]), fmtInts(target))
	}
	c.setOperand(0, operand{t, o.a})
	return nil
}

func flattenOp(c *call) error {
	o, err := c.operand(0)
	if err != nil {
		return err
	}
	axis, err := c.attrInt("axis", 1)
	if err != nil {
		return err
	}
	r := int64(len(o.t.dims))
	if axis < 0 {
		axis += r
	}
	if axis < 0 || axis > r {
		return fmt.Errorf("axis %d out of range", axis)
	}
	if o.a != nil && axis != 1 {
		return fmt.Errorf("axis %d: only flattening after the batch dimension (axis 1) is supported", axis)
	}
	outer := 1
	for _, d := range o.t.dims[:axis] {
		outer *= d
	}
	out := *o.t
	if outer == 0 {
		out.dims = []int{0, 0}
	} else {
		out.dims = []int{outer, o.t.size() / outer}
	}
	c.setOperand(0, operand{&out, o.a})
	return nil
}

// axesInput reads the axes of Squeeze or Unsqueeze: an attribute before
// opset 13, an input since.
func (c *call) axesInput() ([]int64, bool, error) {
	if c.b.opset < 13 {
		return c.attrInts("axes")
	}
	if c.in(1) == nil {
		return nil, false, nil
	}
	v, err := c.ints(1, "axes")
	if err != nil {
		return nil, false, err
	}
	if len(v) > maxRank {
		return nil, false, fmt.Errorf("too many axes")
	}
	return v, true, nil
}

func squeeze(c *call) error {
	o, err := c.operand(0)
	if err != nil {
		return err
	}
	axes, given, err := c.axesInput()
	if err != nil {
		return err
	}
	if o.a != nil && !given {
		// Every dimension of 1 but the batch.
		given = true
		for k, d := range o.t.dims[1:] {
			if d == 1 {
				axes = append(axes, int64(k+1))
			}
		}
	}
	for _, a := range axes {
		axis, err := normAxis(a, len(o.t.dims))
		if err != nil {
			return err
		}
		if err := keepsBatch(o, axis, "squeezes"); err != nil {
			return err
		}
	}
	t, err := squeezeConst(o.t, axes, given)
	if err != nil {
		return err
	}
	c.setOperand(0, operand{t, o.a})
	return nil
}

func unsqueeze(c *call) error {
	o, err := c.operand(0)
	if err != nil {
		return err
	}
	axes, _, err := c.axesInput()
	if err != nil {
		return err
	}
	for _, a := range axes {
		axis, err := normAxis(a, len(o.t.dims)+len(axes))
		if err != nil {
			return err
		}
		if err := keepsBatch(o, axis, "inserts a dimension before"); err != nil {
			return err
		}
	}
	t, err := unsqueezeConst(o.t, axes)
	if err != nil {
		return err
	}
	c.setOperand(0, operand{t, o.a})
	return nil
}

func transpose(c *call) error {
	o, err := c.operand(0)
	if err != nil {
		return err
	}
	t := o.t
	r := len(t.dims)
	perm, ok, err := c.attrInts("perm")
	if err != nil {
		return err
	}
	if !ok {
		for k := r - 1; k >= 0; k-- {
			perm = append(perm, int64(k))
		}
	}
	if len(perm) != r {
		return fmt.Errorf("perm %v does not fit rank %d", perm, r)
	}
	seen := make([]bool, r)
	dims := make([]int, r)
	for k, p := range perm {
		if p < 0 || p >= int64(r) || seen[p] {
			return fmt.Errorf("perm %v is not a permutation", perm)
		}
		seen[p] = true
		dims[k] = t.dims[p]
	}
	if o.a != nil && perm[0] != 0 {
		return fmt.Errorf("perm %v moves the batch dimension: not supported", perm)
	}
	n, err := elements(dims)
	if err != nil {
		return err
	}
	src, out := strides(t.dims), strides(dims)
	c.setOperand(0, operand{t.remap(dims, n, func(k int) int {
		from := 0
		for axis := range r {
			from += k / out[axis] % max(dims[axis], 1) * src[perm[axis]]
		}
		return from
	}), o.a})
	return nil
}

func gather(c *call) error {
	o, err := c.operand(0)
	if err != nil {
		return err
	}
	data := o.t
	idx, err := c.ints(1, "indices")
	if err != nil {
		return err
	}
	it := c.in(1).c
	a, err := c.attrInt("axis", 0)
	if err != nil {
		return err
	}
	axis, err := normAxis(a, len(data.dims))
	if err != nil {
		return err
	}
	if err := keepsBatch(o, axis, "gathers along"); err != nil {
		return err
	}
	dim := data.dims[axis]
	pos := make([]int, len(idx))
	for k, v := range idx {
		if v < 0 {
			v += int64(dim)
		}
		if v < 0 || v >= int64(dim) {
			return fmt.Errorf("index %d out of range for dimension %d", idx[k], dim)
		}
		pos[k] = int(v)
	}
	dims := slices.Concat(data.dims[:axis], it.dims, data.dims[axis+1:])
	n, err := elements(dims)
	if err != nil {
		return err
	}
	inner := 1
	for _, d := range data.dims[axis+1:] {
		inner *= d
	}
	m := len(pos)
	c.setOperand(0, operand{data.remap(dims, n, func(k int) int {
		o, rest := k/(m*inner), k%(m*inner)
		j, i := rest/inner, rest%inner
		return (o*dim+pos[j])*inner + i
	}), o.a})
	return nil
}

// sliceAxis is the part of one axis a Slice keeps: count elements from
// begin, step apart.
type sliceAxis struct{ begin, step, count int }

// sliceOf applies one axis of a Slice (ONNX's clamping rules) to a
// dimension of dim elements.
func sliceOf(dim, lo, hi, step int64) (sliceAxis, error) {
	if step == 0 || step < -maxDim || step > maxDim {
		return sliceAxis{}, fmt.Errorf("invalid step %d", step)
	}
	if lo < 0 {
		lo += dim
	}
	if hi < 0 {
		hi += dim
	}
	var count int64
	if step > 0 {
		lo, hi = min(max(lo, 0), dim), min(max(hi, 0), dim)
		if hi > lo {
			count = (hi - lo + step - 1) / step
		}
	} else {
		lo, hi = min(max(lo, 0), dim-1), min(max(hi, -1), dim-1)
		if lo > hi {
			count = (lo - hi - step - 1) / -step
		}
	}
	return sliceAxis{begin: int(lo), step: int(step), count: int(count)}, nil
}

// sliceTensor keeps, on every axis, the part cut says (whole axes where
// cut holds the zero sliceAxis).
func sliceTensor(t *tensor, cut []sliceAxis) (*tensor, error) {
	r := len(t.dims)
	dims := slices.Clone(t.dims)
	begin, step := make([]int, r), make([]int, r)
	for axis, s := range cut {
		if s == (sliceAxis{}) {
			step[axis] = 1
			continue
		}
		begin[axis], step[axis], dims[axis] = s.begin, s.step, s.count
	}
	n, err := elements(dims)
	if err != nil {
		return nil, err
	}
	src, out := strides(t.dims), strides(dims)
	return t.remap(dims, n, func(k int) int {
		from := 0
		for axis := range r {
			j := k / out[axis] % max(dims[axis], 1)
			from += (begin[axis] + j*step[axis]) * src[axis]
		}
		return from
	}), nil
}

// keepsWholeBatch refuses a slice of a view's batch dimension, unless it
// keeps all of it.
func keepsWholeBatch(o operand, axis int, s sliceAxis) error {
	if o.a == nil || axis != 0 || (s.begin == 0 && s.step == 1 && s.count == 1) {
		return nil
	}
	return fmt.Errorf("slices the batch dimension: not supported")
}

func slice(c *call) error {
	o, err := c.operand(0)
	if err != nil {
		return err
	}
	t := o.t
	var starts, ends, axes, steps []int64
	if c.b.opset < 10 {
		var ok bool
		if starts, ok, err = c.attrInts("starts"); err != nil || !ok {
			return fmt.Errorf("attribute starts is missing or invalid")
		}
		if ends, ok, err = c.attrInts("ends"); err != nil || !ok {
			return fmt.Errorf("attribute ends is missing or invalid")
		}
		if axes, _, err = c.attrInts("axes"); err != nil {
			return err
		}
	} else {
		if starts, err = c.ints(1, "starts"); err != nil {
			return err
		}
		if ends, err = c.ints(2, "ends"); err != nil {
			return err
		}
		if c.in(3) != nil {
			if axes, err = c.ints(3, "axes"); err != nil {
				return err
			}
		}
		if c.in(4) != nil {
			if steps, err = c.ints(4, "steps"); err != nil {
				return err
			}
		}
	}
	r := len(t.dims)
	if len(ends) != len(starts) || (axes != nil && len(axes) != len(starts)) || (steps != nil && len(steps) != len(starts)) || len(starts) > r {
		return fmt.Errorf("starts, ends, axes and steps differ in length")
	}
	cut := make([]sliceAxis, r)
	seen := make([]bool, r)
	for k := range starts {
		a := int64(k)
		if axes != nil {
			a = axes[k]
		}
		axis, err := normAxis(a, r)
		if err != nil {
			return err
		}
		if seen[axis] {
			return fmt.Errorf("axis %d repeated", a)
		}
		seen[axis] = true
		step := int64(1)
		if steps != nil {
			step = steps[k]
		}
		if cut[axis], err = sliceOf(int64(t.dims[axis]), starts[k], ends[k], step); err != nil {
			return err
		}
		if err := keepsWholeBatch(o, axis, cut[axis]); err != nil {
			return err
		}
	}
	out, err := sliceTensor(t, cut)
	if err != nil {
		return err
	}
	c.setOperand(0, operand{out, o.a})
	return nil
}

// split cuts a tensor into consecutive parts along one axis: of the sizes
// given (an input since opset 13, an attribute before), or equal.
func split(c *call) error {
	o, err := c.operand(0)
	if err != nil {
		return err
	}
	a, err := c.attrInt("axis", 0)
	if err != nil {
		return err
	}
	axis, err := normAxis(a, len(o.t.dims))
	if err != nil {
		return err
	}
	if err := keepsBatch(o, axis, "splits"); err != nil {
		return err
	}
	parts := len(c.n.GetOutput())
	var sizes []int64
	if c.b.opset < 13 {
		if sizes, _, err = c.attrInts("split"); err != nil {
			return err
		}
	} else if c.in(1) != nil {
		if sizes, err = c.ints(1, "split"); err != nil {
			return err
		}
	}
	dim := int64(o.t.dims[axis])
	if sizes == nil {
		if parts == 0 || dim%int64(parts) != 0 {
			return fmt.Errorf("cannot split %d into %d equal parts", dim, parts)
		}
		sizes = slices.Repeat([]int64{dim / int64(parts)}, parts)
	}
	var total int64
	for _, s := range sizes {
		if s < 0 || s > dim {
			return fmt.Errorf("split %v does not fit a dimension of %d", sizes, dim)
		}
		total += s
	}
	if len(sizes) != parts || total != dim {
		return fmt.Errorf("split %v does not cut a dimension of %d into %d parts", sizes, dim, parts)
	}
	var begin int64
	for k, s := range sizes {
		cut := make([]sliceAxis, len(o.t.dims))
		cut[axis] = sliceAxis{begin: int(begin), step: 1, count: int(s)}
		out, err := sliceTensor(o.t, cut)
		if err != nil {
			return err
		}
		c.setOperand(k, operand{out, o.a})
		begin += s
	}
	return nil
}
