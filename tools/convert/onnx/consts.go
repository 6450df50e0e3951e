package onnx

// Operators on constants, evaluated while the graph is read. PyTorch emits
// them to compute shapes (x.view(x.size(0), -1)) and paddings (F.pad).

import (
	"fmt"
	"math"
	"slices"

	"github.com/edgecnn/edgecnn/tools/convert/onnx/internal/onnxpb"
)

func constant(c *call) error {
	if len(c.n.GetAttribute()) != 1 {
		return fmt.Errorf("needs exactly one value attribute")
	}
	a := c.n.GetAttribute()[0]
	var t *tensor
	switch a.GetName() {
	case "value":
		if a.GetT() == nil {
			return fmt.Errorf("value is not a tensor")
		}
		var err error
		if t, err = decodeTensor(a.GetT()); err != nil {
			return err
		}
	case "value_float":
		t = &tensor{dims: []int{}, f: []float32{a.GetF()}}
	case "value_floats":
		t = &tensor{dims: []int{len(a.GetFloats())}, f: slices.Clone(a.GetFloats())}
	case "value_int":
		t = intTensor([]int{}, fromFile(a.GetI()))
	case "value_ints":
		t = &tensor{dims: []int{len(a.GetInts())}, i: fileInt64s(a.GetInts()), isInt: true}
	default:
		return fmt.Errorf("attribute %s is not supported", a.GetName())
	}
	c.setConst(0, t)
	return nil
}

// constInputs returns the constant inputs, or errPlain if one is computed
// from the model input (the operator is only supported on constants).
func (c *call) constInputs() error {
	if !c.allConst() || c.in(0) == nil {
		return errPlain
	}
	return nil
}

func normAxis(axis int64, rank int) (int, error) {
	if axis < 0 {
		axis += int64(rank)
	}
	if axis < 0 || axis >= int64(rank) {
		return 0, fmt.Errorf("axis %d out of range for rank %d", axis, rank)
	}
	return int(axis), nil
}

func unsqueezeConst(t *tensor, axes []int64) (*tensor, error) {
	r := len(t.dims) + len(axes)
	if r > maxRank {
		return nil, fmt.Errorf("rank %d is too large", r)
	}
	ones := make([]bool, r)
	for _, a := range axes {
		k, err := normAxis(a, r)
		if err != nil {
			return nil, err
		}
		if ones[k] {
			return nil, fmt.Errorf("axis %d repeated", a)
		}
		ones[k] = true
	}
	dims := make([]int, 0, r)
	src := t.dims
	for k := range r {
		if ones[k] {
			dims = append(dims, 1)
		} else {
			dims = append(dims, src[0])
			src = src[1:]
		}
	}
	out := *t
	out.dims = dims
	return &out, nil
}

func squeezeConst(t *tensor, axes []int64, given bool) (*tensor, error) {
	drop := make([]bool, len(t.dims))
	for _, a := range axes {
		k, err := normAxis(a, len(t.dims))
		if err != nil {
			return nil, err
		}
		if t.dims[k] != 1 {
			return nil, fmt.Errorf("cannot squeeze dimension %d of size %d", k, t.dims[k])
		}
		drop[k] = true
	}
	var dims []int
	for k, d := range t.dims {
		if !drop[k] && (given || d != 1) {
			dims = append(dims, d)
		}
	}
	out := *t
	out.dims = append([]int{}, dims...)
	return &out, nil
}

func concatConst(ts []*tensor, a int64) (*tensor, error) {
	first := ts[0]
	axis, err := normAxis(a, len(first.dims))
	if err != nil {
		return nil, err
	}
	dims := slices.Clone(first.dims)
	dims[axis] = 0
	for _, t := range ts {
		if t.isInt != first.isInt || len(t.dims) != len(first.dims) {
			return nil, fmt.Errorf("inputs of different types or ranks")
		}
		for k, d := range t.dims {
			if k != axis && d != first.dims[k] {
				return nil, fmt.Errorf("inputs of shapes %v and %v", first.dims, t.dims)
			}
		}
		dims[axis] += t.dims[axis]
	}
	if _, err := elements(dims); err != nil {
		return nil, err
	}
	outer := 1
	for _, d := range dims[:axis] {
		outer *= d
	}
	out := &tensor{dims: dims, isInt: first.isInt}
	var v int64s
	for o := range outer {
		for _, t := range ts {
			chunk := t.size() / max(outer, 1)
			if t.isInt {
				for k := o * chunk; k < (o+1)*chunk; k++ {
					v = append(v, t.i.at(k))
				}
			} else {
				out.f = append(out.f, t.f[o*chunk:(o+1)*chunk]...)
			}
		}
	}
	if out.isInt {
		out.i = v
	}
	return out, nil
}

// reshapeConst reshapes a constant (0 copies a dimension unless allowZero,
// -1 is inferred).
func reshapeConst(t *tensor, target []int64, allowZero bool) (*tensor, error) {
	if len(target) > maxRank {
		return nil, fmt.Errorf("shape %s has too many dimensions", fmtInts(target))
	}
	dims := make([]int, len(target))
	infer, known := -1, 1
	for k, d := range target {
		switch {
		case d == 0 && !allowZero:
			if k >= len(t.dims) {
				return nil, fmt.Errorf("shape %s copies a missing dimension", fmtInts(target))
			}
			dims[k] = t.dims[k]
		case d == -1 && infer < 0:
			infer = k
			continue
		case d >= 0 && d <= maxDim:
			dims[k] = int(d)
		default:
			return nil, fmt.Errorf("invalid shape %s", fmtInts(target))
		}
		if dims[k] > 0 && known > maxConst/dims[k] {
			return nil, fmt.Errorf("shape %s is too large", fmtInts(target))
		}
		known *= dims[k]
	}
	if infer >= 0 {
		if known == 0 || t.size()%known != 0 {
			return nil, fmt.Errorf("cannot reshape %v to %s", t.dims, fmtInts(target))
		}
		dims[infer] = t.size() / known
		known *= dims[infer]
	}
	if known != t.size() {
		return nil, fmt.Errorf("cannot reshape %v to %s", t.dims, fmtInts(target))
	}
	out := *t
	out.dims = dims
	return &out, nil
}

func cast(c *call) error {
	if c.in(0) != nil && c.in(0).a != nil {
		// Casting the float32 input to float32 is a no-op.
		if to, err := c.attrInt("to", 0); err == nil && to == 1 {
			return identity(c)
		}
		return errPlain
	}
	if err := c.constInputs(); err != nil {
		return err
	}
	t := c.in(0).c
	to, err := c.attrInt("to", 0)
	if err != nil {
		return err
	}
	out := &tensor{dims: t.dims}
	switch to {
	case typeFloat, typeDouble, typeFloat16, typeBfloat16: // kept as float32
		if t.isInt {
			if _, err := t.ints(); err != nil {
				return err
			}
			out.f = make([]float32, t.i.len())
			for k := range out.f {
				out.f[k] = float32(t.i.at(k))
			}
		} else {
			out.f = t.f
		}
	case typeInt64, typeInt32, typeInt8, typeUint8, typeInt16, typeUint16, typeUint32, typeUint64, typeBool:
		out.isInt = true
		if t.isInt {
			out.i = t.i
		} else {
			v := make(int64s, len(t.f))
			for k, x := range t.f {
				if math.IsNaN(float64(x)) || math.Abs(float64(x)) > 1<<62 {
					return fmt.Errorf("cannot cast %v to an integer", x)
				}
				v[k] = int64(x)
				if to == typeBool && x != 0 {
					v[k] = 1
				}
			}
			out.i = v
		}
	default:
		return fmt.Errorf("cast to %s is not supported", dataTypeName(int32(to)))
	}
	c.setConst(0, out)
	return nil
}

func constantOfShape(c *call) error {
	if err := c.constInputs(); err != nil {
		return err
	}
	v, err := c.ints(0, "shape")
	if err != nil {
		return err
	}
	dims := make([]int, len(v))
	for k, d := range v {
		if d < 0 || d > maxDim {
			return fmt.Errorf("invalid shape %s", fmtInts(v))
		}
		dims[k] = int(d)
	}
	n, err := elements(dims)
	if err != nil {
		return err
	}
	fill := &tensor{dims: []int{1}, f: []float32{0}}
	if a := c.attr("value"); a != nil {
		if a.GetType() != onnxpb.AttributeProto_TENSOR || a.GetT() == nil {
			return fmt.Errorf("attribute value is not a tensor")
		}
		if fill, err = decodeTensor(a.GetT()); err != nil {
			return err
		}
		if fill.size() != 1 {
			return fmt.Errorf("value has %d elements, want 1", fill.size())
		}
	}
	c.setConst(0, fill.remap(dims, n, func(int) int { return 0 }))
	return nil
}

// arith computes an element-wise Add, Sub, Mul or Div of constants, with
// broadcasting.
func arith(x, y *tensor, op byte) (*tensor, error) {
	if x.isInt != y.isInt {
		return nil, fmt.Errorf("of an integer and a float tensor")
	}
	r := max(len(x.dims), len(y.dims))
	dims := make([]int, r)
	pad := func(d []int) []int { return append(slices.Repeat([]int{1}, r-len(d)), d...) }
	xd, yd := pad(x.dims), pad(y.dims)
	for k := range r {
		switch {
		case xd[k] == yd[k] || yd[k] == 1:
			dims[k] = xd[k]
		case xd[k] == 1:
			dims[k] = yd[k]
		default:
			return nil, fmt.Errorf("shapes %v and %v do not broadcast", x.dims, y.dims)
		}
	}
	n, err := elements(dims)
	if err != nil {
		return nil, err
	}
	out := strides(dims)
	index := func(d []int) func(k int) int {
		s := strides(d)
		return func(k int) int {
			from := 0
			for axis := range r {
				if d[axis] != 1 {
					from += k / out[axis] % dims[axis] * s[axis]
				}
			}
			return from
		}
	}
	xi, yi := index(xd), index(yd)
	res := &tensor{dims: dims, isInt: x.isInt}
	if x.isInt {
		if _, err := x.ints(); err != nil {
			return nil, err
		}
		if _, err := y.ints(); err != nil {
			return nil, err
		}
		v := make(int64s, n)
		for k := range v {
			a, b := x.i.at(xi(k)), y.i.at(yi(k))
			switch op {
			case '+':
				v[k] = a + b
			case '-':
				v[k] = a - b
			case '*':
				v[k] = a * b
			default:
				if b == 0 {
					return nil, fmt.Errorf("integer division by zero")
				}
				v[k] = a / b
			}
		}
		res.i = v
		return res, nil
	}
	res.f = make([]float32, n)
	for k := range res.f {
		a, b := x.f[xi(k)], y.f[yi(k)]
		switch op {
		case '+':
			res.f[k] = a + b
		case '-':
			res.f[k] = a - b
		case '*':
			res.f[k] = a * b
		default:
			res.f[k] = a / b
		}
	}
	return res, nil
}
