package onnx

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/edgecnn/edgecnn/tools/convert/onnx/internal/onnxpb"
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

// fromFile keeps integers read from a file apart from symBatch.
func fromFile(v []int64) []int64 {
	for k, x := range v {
		if x == symBatch {
			v[k] = math.MinInt64
		}
	}
	return v
}

// tensor is a constant: an initializer, a Constant node's value, or a value
// computed from constants. Exactly one of f and i holds the data: floats for
// FLOAT tensors, i for integer tensors (INT64, INT32 and the like).
type tensor struct {
	dims  []int
	f     []float32
	i     []int64
	isInt bool
}

func (t *tensor) size() int {
	if t.isInt {
		return len(t.i)
	}
	return len(t.f)
}

// Data types of TensorProto.data_type (onnx.proto's TensorProto.DataType).
var dataTypeNames = map[int32]string{
	1: "FLOAT", 2: "UINT8", 3: "INT8", 4: "UINT16", 5: "INT16", 6: "INT32", 7: "INT64",
	8: "STRING", 9: "BOOL", 10: "FLOAT16", 11: "DOUBLE", 12: "UINT32", 13: "UINT64",
	14: "COMPLEX64", 15: "COMPLEX128", 16: "BFLOAT16",
}

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

// decodeTensor reads a TensorProto. Only float32 and integer tensors are
// read; the data must be stored in the file (not external) and hold exactly
// the elements its dimensions say, so nothing is allocated beyond what the
// file holds.
func decodeTensor(p *onnxpb.TensorProto) (*tensor, error) {
	if p.GetDataLocation() == onnxpb.TensorProto_EXTERNAL || len(p.GetExternalData()) > 0 {
		where := ""
		for _, kv := range p.GetExternalData() {
			if kv.GetKey() == "location" {
				where = fmt.Sprintf(" (in %q)", kv.GetValue())
			}
		}
		return nil, fmt.Errorf("data is stored outside the model file%s; external data is not supported: export the model with its weights inside (models under 2 GB)", where)
	}
	if p.Segment != nil {
		return nil, fmt.Errorf("segmented tensors are not supported")
	}
	dims, n, err := checkDims(p.GetDims())
	if err != nil {
		return nil, err
	}
	raw := p.GetRawData()
	hasRaw := p.RawData != nil
	t := &tensor{dims: dims}
	switch dt := p.GetDataType(); dt {
	case 1: // FLOAT
		if hasRaw {
			if len(raw) != 4*n {
				return nil, fmt.Errorf("FLOAT tensor %v has %d bytes of data, want %d", dims, len(raw), 4*n)
			}
			t.f = make([]float32, n)
			for k := range t.f {
				t.f[k] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*k:]))
			}
		} else {
			if len(p.GetFloatData()) != n {
				return nil, fmt.Errorf("FLOAT tensor %v has %d values, want %d", dims, len(p.GetFloatData()), n)
			}
			t.f = slices.Clone(p.GetFloatData())
		}
	case 7, 6, 3, 2, 5, 4, 12, 9: // INT64, INT32, INT8, UINT8, INT16, UINT16, UINT32, BOOL
		t.isInt = true
		if hasRaw {
			width := map[int32]int{7: 8, 6: 4, 12: 4, 5: 2, 4: 2, 3: 1, 2: 1, 9: 1}[dt]
			if len(raw) != width*n {
				return nil, fmt.Errorf("%s tensor %v has %d bytes of data, want %d", dataTypeName(dt), dims, len(raw), width*n)
			}
			t.i = make([]int64, n)
			for k := range t.i {
				b := raw[width*k:]
				switch dt {
				case 7:
					t.i[k] = fromFile([]int64{int64(binary.LittleEndian.Uint64(b))})[0]
				case 6:
					t.i[k] = int64(int32(binary.LittleEndian.Uint32(b)))
				case 12:
					t.i[k] = int64(binary.LittleEndian.Uint32(b))
				case 5:
					t.i[k] = int64(int16(binary.LittleEndian.Uint16(b)))
				case 4:
					t.i[k] = int64(binary.LittleEndian.Uint16(b))
				case 3:
					t.i[k] = int64(int8(b[0]))
				default:
					t.i[k] = int64(b[0])
				}
			}
		} else if dt == 7 {
			if len(p.GetInt64Data()) != n {
				return nil, fmt.Errorf("INT64 tensor %v has %d values, want %d", dims, len(p.GetInt64Data()), n)
			}
			t.i = fromFile(slices.Clone(p.GetInt64Data()))
		} else {
			// Every other integer type is stored in int32_data.
			if len(p.GetInt32Data()) != n {
				return nil, fmt.Errorf("%s tensor %v has %d values, want %d", dataTypeName(dt), dims, len(p.GetInt32Data()), n)
			}
			t.i = make([]int64, n)
			for k, v := range p.GetInt32Data() {
				t.i[k] = int64(v)
			}
		}
	default:
		return nil, fmt.Errorf("%s tensors are not supported (edgecnn reads float32 weights; export the model in float32)", dataTypeName(dt))
	}
	return t, nil
}

// floats returns the values of a float tensor.
func (t *tensor) floats() ([]float32, error) {
	if t.isInt {
		return nil, fmt.Errorf("expected a float32 tensor, got an integer one")
	}
	return t.f, nil
}

// ints returns the values of an integer tensor, refusing the batch size.
func (t *tensor) ints() ([]int64, error) {
	if !t.isInt {
		return nil, fmt.Errorf("expected an integer tensor, got a float one")
	}
	for _, v := range t.i {
		if v == symBatch {
			return nil, fmt.Errorf("value depends on the batch size")
		}
	}
	return t.i, nil
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

// gatherIndex builds a tensor of the given dims whose element at flat
// position k is t's element at src(k).
func (t *tensor) remap(dims []int, n int, src func(k int) int) *tensor {
	out := &tensor{dims: dims, isInt: t.isInt}
	if t.isInt {
		out.i = make([]int64, n)
		for k := range out.i {
			out.i[k] = t.i[src(k)]
		}
	} else {
		out.f = make([]float32, n)
		for k := range out.f {
			out.f[k] = t.f[src(k)]
		}
	}
	return out
}
