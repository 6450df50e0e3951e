package onnx

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
)

// Limits that keep a hostile file from making the reader allocate much more
// than the file's own size.
const (
	// maxDim bounds any single dimension of a tensor or attribute.
	maxDim = 1 << 24
	// maxConst bounds the elements of a constant the reader computes itself
	// (ConstantOfShape, Reshape ...) rather than reads from the file.
	maxConst = 1 << 20
	// maxRank bounds the rank of any tensor.
	maxRank = 8
)

// symBatch stands for the batch size in a shape computed from an
// activation (Shape of an activation): it is not known when the model is
// read, and only a few shape operations may carry it.
//
// It is -(2^63 - 1), a value files do hold (PyTorch writes it as the end of
// a Slice running backwards), so integers read from a file that equal it
// become math.MinInt64 (see fromFile), which every operator here treats the
// same way: as "beyond the start".
const symBatch = math.MinInt64 + 1

// fromFile keeps an integer read from a file apart from symBatch.
func fromFile(v int64) int64 {
	if v == symBatch {
		return math.MinInt64
	}
	return v
}

// tensor is a constant: an initializer, a Constant node's value, or a value
// computed from constants. Floating-point tensors (FLOAT, and DOUBLE,
// FLOAT16 and BFLOAT16 rounded to float32) hold f; integer and BOOL
// tensors hold i, with isInt set.
type tensor struct {
	dims  []int
	f     []float32
	i     intValues
	isInt bool
}

func (t *tensor) size() int {
	if t.isInt {
		return t.i.len()
	}
	return len(t.f)
}

// intValues are the elements of an integer tensor. Those of an initializer or a
// Constant stay in the file's bytes at their own width (a 100 MB INT8
// initializer costs nothing beyond the decoded protobuf); computed ones
// are int64s.
type intValues interface {
	len() int
	at(k int) int64
}

// int64s are computed integers.
type int64s []int64

func (v int64s) len() int       { return len(v) }
func (v int64s) at(k int) int64 { return v[k] }
func intTensor(dims []int, v ...int64) *tensor {
	return &tensor{dims: dims, i: int64s(v), isInt: true}
}

// rawInts are little-endian integers of width bytes, the raw_data of a
// tensor.
type rawInts struct {
	b        []byte
	width    int
	unsigned bool
}

func (v rawInts) len() int { return len(v.b) / v.width }

func (v rawInts) at(k int) int64 {
	b := v.b[k*v.width:]
	switch {
	case v.width == 8 && v.unsigned:
		return saturate(binary.LittleEndian.Uint64(b))
	case v.width == 8:
		return fromFile(int64(binary.LittleEndian.Uint64(b)))
	case v.width == 4 && v.unsigned:
		return int64(binary.LittleEndian.Uint32(b))
	case v.width == 4:
		return int64(int32(binary.LittleEndian.Uint32(b)))
	case v.width == 2 && v.unsigned:
		return int64(binary.LittleEndian.Uint16(b))
	case v.width == 2:
		return int64(int16(binary.LittleEndian.Uint16(b)))
	case v.unsigned:
		return int64(b[0])
	}
	return int64(int8(b[0]))
}

// fileInt64s are the int64_data of a tensor.
type fileInt64s []int64

func (v fileInt64s) len() int       { return len(v) }
func (v fileInt64s) at(k int) int64 { return fromFile(v[k]) }

// fileInt32s are the int32_data of a tensor, where ONNX keeps every
// integer type of 32 bits or less, and BOOL.
type fileInt32s []int32

func (v fileInt32s) len() int       { return len(v) }
func (v fileInt32s) at(k int) int64 { return int64(v[k]) }

// fileUint64s are the uint64_data of a tensor (UINT32 and UINT64).
type fileUint64s []uint64

func (v fileUint64s) len() int       { return len(v) }
func (v fileUint64s) at(k int) int64 { return saturate(v[k]) }

// saturate reads an unsigned 64-bit integer, capping it at the largest
// int64 (no shape or index comes near it).
func saturate(v uint64) int64 { return int64(min(v, math.MaxInt64)) }

// Data types of TensorProto.data_type (onnx.proto's TensorProto.DataType).
const (
	typeFloat    = 1
	typeUint8    = 2
	typeInt8     = 3
	typeUint16   = 4
	typeInt16    = 5
	typeInt32    = 6
	typeInt64    = 7
	typeBool     = 9
	typeFloat16  = 10
	typeDouble   = 11
	typeUint32   = 12
	typeUint64   = 13
	typeBfloat16 = 16
)

var dataTypeNames = map[int32]string{
	1: "FLOAT", 2: "UINT8", 3: "INT8", 4: "UINT16", 5: "INT16", 6: "INT32", 7: "INT64",
	8: "STRING", 9: "BOOL", 10: "FLOAT16", 11: "DOUBLE", 12: "UINT32", 13: "UINT64",
	14: "COMPLEX64", 15: "COMPLEX128", 16: "BFLOAT16",
}

// intTypes gives the width in bytes and signedness of the integer types.
var intTypes = map[int32]struct {
	width    int
	unsigned bool
}{
	typeUint8: {1, true}, typeInt8: {1, false}, typeUint16: {2, true}, typeInt16: {2, false},
	typeInt32: {4, false}, typeInt64: {8, false}, typeBool: {1, true}, typeUint32: {4, true}, typeUint64: {8, true},
}

// floatWidths gives the width in bytes of the floating-point types.
var floatWidths = map[int32]int{typeFloat: 4, typeDouble: 8, typeFloat16: 2, typeBfloat16: 2}

func dataTypeName(t int32) string {
	if s, ok := dataTypeNames[t]; ok {
		return s
	}
	return fmt.Sprintf("data type %d", t)
}

// checkDims converts ONNX dimensions, refusing negative or huge ones, and
// returns them with their element count.
func checkDims(dims []int64) ([]int, int, error) {
	if len(dims) > maxRank {
		return nil, 0, fmt.Errorf("rank %d is too large", len(dims))
	}
	out := make([]int, len(dims))
	n := 1
	for k, d := range dims {
		if d < 0 || d > maxDim {
			return nil, 0, fmt.Errorf("invalid dimension %d in %v", d, dims)
		}
		out[k] = int(d)
		if d > 0 && n > math.MaxInt32/int(d) {
			return nil, 0, fmt.Errorf("dimensions %v hold too many elements", dims)
		}
		n *= int(d)
	}
	return out, n, nil
}

// decodeTensor reads a TensorProto of a numeric type. The data must be
// stored in the file (not external) and hold exactly the elements its
// dimensions say. Integers in raw_data stay in the file's bytes at their
// own width; floating-point values become float32, so nothing is allocated
// beyond the file's size (twice a FLOAT16's).
func decodeTensor(p tensorProto) (*tensor, error) {
	var (
		external  bool
		where     string
		segment   bool
		dt        int32
		raw       []byte // nil if absent
		dimsCount int
		m         = message{rest: p}
	)
	for m.next() {
		switch {
		case m.is(tensorDataLocation, protowire.VarintType):
			external = m.v == dataLocationExternal
		case m.is(tensorExternalData, protowire.BytesType):
			external = true
			var key, value []byte
			for e := (message{rest: m.b}); e.next(); {
				switch {
				case e.is(stringStringEntryKey, protowire.BytesType):
					key = e.b
				case e.is(stringStringEntryValue, protowire.BytesType):
					value = e.b
				}
			}
			if string(key) == "location" {
				where = fmt.Sprintf(" (in %q)", value)
			}
		case m.is(tensorSegment, protowire.BytesType):
			segment = true
		case m.is(tensorDataType, protowire.VarintType):
			dt = int32(m.v)
		case m.is(tensorRawData, protowire.BytesType):
			raw = m.b
		}
	}
	if m.err != nil {
		return nil, m.err
	}
	if external {
		return nil, fmt.Errorf("data is stored outside the model file%s; external data is not supported: export the model with its weights inside (models under 2 GB)", where)
	}
	if segment {
		return nil, fmt.Errorf("segmented tensors are not supported")
	}
	dimsCount, err := countRepeated(p, tensorDims, protowire.VarintType)
	if err != nil {
		return nil, err
	}
	if dimsCount > maxRank {
		return nil, fmt.Errorf("rank %d is too large", dimsCount)
	}
	fileDims, err := readRepeated(p, tensorDims, protowire.VarintType, dimsCount, wireInt64)
	if err != nil {
		return nil, err
	}
	dims, n, err := checkDims(fileDims)
	if err != nil {
		return nil, err
	}
	name := dataTypeName(dt)
	if raw != nil {
		width := floatWidths[dt]
		it, isInt := intTypes[dt]
		if isInt {
			width = it.width
		}
		if width == 0 {
			return nil, unsupportedType(dt)
		}
		if len(raw) != width*n {
			return nil, fmt.Errorf("%s tensor %v has %d bytes of data, want %d", name, dims, len(raw), width*n)
		}
		if isInt {
			return &tensor{dims: dims, i: rawInts{b: raw, width: width, unsigned: it.unsigned}, isInt: true}, nil
		}
		return &tensor{dims: dims, f: rawFloats(raw, dt, n)}, nil
	}
	// The typed fields: the one dt uses must hold exactly n values.
	field, elem := protowire.Number(tensorInt32Data), protowire.Type(protowire.VarintType)
	switch dt {
	case typeFloat:
		field, elem = tensorFloatData, protowire.Fixed32Type
	case typeDouble:
		field, elem = tensorDoubleData, protowire.Fixed64Type
	case typeInt64:
		field = tensorInt64Data
	case typeUint32, typeUint64:
		field = tensorUint64Data
	case typeFloat16, typeBfloat16, typeInt32, typeInt16, typeInt8, typeUint16, typeUint8, typeBool:
	default:
		return nil, unsupportedType(dt)
	}
	have, err := countRepeated(p, field, elem)
	if err != nil {
		return nil, err
	}
	if have != n {
		return nil, fmt.Errorf("%s tensor %v has %d values, want %d", name, dims, have, n)
	}
	t := &tensor{dims: dims}
	switch dt {
	case typeFloat:
		t.f, err = readRepeated(p, field, elem, n, wireFloat32)
	case typeDouble:
		t.f, err = readRepeated(p, field, elem, n, func(v uint64) float32 { return float32(math.Float64frombits(v)) })
	case typeFloat16, typeBfloat16:
		// Stored as their bits in int32_data.
		t.f, err = readRepeated(p, field, elem, n, func(v uint64) float32 { return halfToFloat(uint16(v), dt) })
	case typeInt64:
		var v []int64
		v, err = readRepeated(p, field, elem, n, wireInt64)
		t.i, t.isInt = fileInt64s(v), true
	case typeUint32, typeUint64:
		var v []uint64
		v, err = readRepeated(p, field, elem, n, wireUint64)
		t.i, t.isInt = fileUint64s(v), true
	default: // every integer type of 32 bits or less, and BOOL
		var v []int32
		v, err = readRepeated(p, field, elem, n, wireInt32)
		t.i, t.isInt = fileInt32s(v), true
	}
	if err != nil {
		return nil, err
	}
	return t, nil
}

func unsupportedType(dt int32) error {
	return fmt.Errorf("%s tensors are not supported (edgecnn reads numeric tensors; export the model in float32)", dataTypeName(dt))
}

// rawFloats decodes n little-endian floating-point values of type dt to
// float32.
func rawFloats(raw []byte, dt int32, n int) []float32 {
	f := make([]float32, n)
	for k := range f {
		switch dt {
		case typeFloat:
			f[k] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*k:]))
		case typeDouble:
			f[k] = float32(math.Float64frombits(binary.LittleEndian.Uint64(raw[8*k:])))
		default:
			f[k] = halfToFloat(binary.LittleEndian.Uint16(raw[2*k:]), dt)
		}
	}
	return f
}

// halfToFloat converts the bits of a FLOAT16 (IEEE half precision) or
// BFLOAT16 (the top half of a float32) to float32, exactly.
func halfToFloat(h uint16, dt int32) float32 {
	if dt == typeBfloat16 {
		return math.Float32frombits(uint32(h) << 16)
	}
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // infinity or NaN
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	case exp == 0 && frac == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal: frac * 2^-24
		v := float32(frac) * 0x1p-24
		if sign != 0 {
			v = -v
		}
		return v
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | frac<<13)
}

// floats returns the values of a float tensor.
func (t *tensor) floats() ([]float32, error) {
	if t.isInt {
		return nil, fmt.Errorf("expected a float32 tensor, got an integer one")
	}
	return t.f, nil
}

// ints returns the values of an integer tensor of at most maxConst
// elements, refusing the batch size. The result must not be modified.
func (t *tensor) ints() ([]int64, error) {
	v, err := t.shapeInts()
	if err != nil {
		return nil, err
	}
	if slices.Contains(v, symBatch) {
		return nil, fmt.Errorf("value depends on the batch size")
	}
	return v, nil
}

// shapeInts returns the values of an integer tensor of at most maxConst
// elements, which may hold the batch size (symBatch). The result must not
// be modified.
func (t *tensor) shapeInts() ([]int64, error) {
	if !t.isInt {
		return nil, fmt.Errorf("expected an integer tensor, got a float one")
	}
	if v, ok := t.i.(int64s); ok {
		return v, nil
	}
	n := t.i.len()
	if n > maxConst {
		return nil, fmt.Errorf("integer tensor of %d values is too large", n)
	}
	v := make([]int64, n)
	for k := range v {
		v[k] = t.i.at(k)
	}
	return v, nil
}

// fmtInts prints a shape, writing N for the batch size, and at most 8
// values.
func fmtInts(v []int64) string {
	more := ""
	if len(v) > 8 {
		v, more = v[:8], ", ..."
	}
	parts := make([]string, len(v))
	for k, d := range v {
		if d == symBatch {
			parts[k] = "N"
		} else {
			parts[k] = fmt.Sprint(d)
		}
	}
	return "[" + strings.Join(parts, ", ") + more + "]"
}

// elements multiplies dims, refusing more than maxConst elements.
func elements(dims []int) (int, error) {
	if len(dims) > maxRank {
		return 0, fmt.Errorf("rank %d is too large", len(dims))
	}
	n := 1
	for _, d := range dims {
		if d < 0 || d > maxDim {
			return 0, fmt.Errorf("invalid dimension %d", d)
		}
		if d > 0 && n > maxConst/d {
			return 0, fmt.Errorf("shape %v is too large", dims)
		}
		n *= d
	}
	return n, nil
}

// strides returns the row-major strides of dims.
func strides(dims []int) []int {
	s := make([]int, len(dims))
	acc := 1
	for k := len(dims) - 1; k >= 0; k-- {
		s[k] = acc
		acc *= dims[k]
	}
	return s
}

// remap builds a tensor of the given dims whose element at flat position
// k is t's element at src(k).
func (t *tensor) remap(dims []int, n int, src func(k int) int) *tensor {
	out := &tensor{dims: dims, isInt: t.isInt}
	if t.isInt {
		v := make(int64s, n)
		for k := range v {
			v[k] = t.i.at(src(k))
		}
		out.i = v
	} else {
		out.f = make([]float32, n)
		for k := range out.f {
			out.f[k] = t.f[src(k)]
		}
	}
	return out
}
