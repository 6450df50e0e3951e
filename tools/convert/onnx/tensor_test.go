package onnx

import (
	"math"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/edgecnn/edgecnn/tools/convert/onnx/internal/onnxpb"
)

// TestTypedTensorFields reads tensors whose values are in the typed fields
// (float_data, int64_data ...) rather than raw_data, packed as protobuf
// writes them and unpacked as it also reads them, and checks every value.
func TestTypedTensorFields(t *testing.T) {
	dims := []int64{2, 2}
	for _, c := range []struct {
		name  string
		p     *onnxpb.TensorProto
		f     []float32
		i     []int64
		field protowire.Number // the typed field, to write unpacked
	}{
		{"FLOAT", &onnxpb.TensorProto{DataType: proto.Int32(typeFloat), FloatData: []float32{1.5, -2, 0, 3e38}}, []float32{1.5, -2, 0, 3e38}, nil, tensorFloatData},
		{"DOUBLE", &onnxpb.TensorProto{DataType: proto.Int32(typeDouble), DoubleData: []float64{1.5, -2, 0.25, 1e300}}, []float32{1.5, -2, 0.25, float32(math.Inf(1))}, nil, tensorDoubleData},
		{"FLOAT16", &onnxpb.TensorProto{DataType: proto.Int32(typeFloat16), Int32Data: []int32{0x3c00, 0xc000, 0x3800, 0x7c00}}, []float32{1, -2, 0.5, float32(math.Inf(1))}, nil, tensorInt32Data},
		{"BFLOAT16", &onnxpb.TensorProto{DataType: proto.Int32(typeBfloat16), Int32Data: []int32{0x3f80, 0xc000, 0x3f00, 0}}, []float32{1, -2, 0.5, 0}, nil, tensorInt32Data},
		{"INT64", &onnxpb.TensorProto{DataType: proto.Int32(typeInt64), Int64Data: []int64{-1, 1 << 40, 0, math.MaxInt64}}, nil, []int64{-1, 1 << 40, 0, math.MaxInt64}, tensorInt64Data},
		{"UINT64", &onnxpb.TensorProto{DataType: proto.Int32(typeUint64), Uint64Data: []uint64{1, math.MaxUint64, 0, 7}}, nil, []int64{1, math.MaxInt64, 0, 7}, tensorUint64Data},
		{"INT32", &onnxpb.TensorProto{DataType: proto.Int32(typeInt32), Int32Data: []int32{-5, math.MaxInt32, math.MinInt32, 0}}, nil, []int64{-5, math.MaxInt32, math.MinInt32, 0}, tensorInt32Data},
		{"INT8", &onnxpb.TensorProto{DataType: proto.Int32(typeInt8), Int32Data: []int32{-128, 127, 0, -1}}, nil, []int64{-128, 127, 0, -1}, tensorInt32Data},
		{"BOOL", &onnxpb.TensorProto{DataType: proto.Int32(typeBool), Int32Data: []int32{1, 0, 1, 1}}, nil, []int64{1, 0, 1, 1}, tensorInt32Data},
	} {
		c.p.Dims = dims
		packed, err := proto.Marshal(c.p)
		if err != nil {
			t.Fatal(err)
		}
		for _, enc := range []struct {
			name string
			b    []byte
		}{{"packed", packed}, {"unpacked", unpack(t, packed, c.field)}} {
			got, err := decodeTensor(tensorProto(enc.b))
			if err != nil {
				t.Errorf("%s %s: %v", c.name, enc.name, err)
				continue
			}
			var ints []int64
			if got.isInt {
				for k := range got.i.len() {
					ints = append(ints, got.i.at(k))
				}
			}
			if !slices.Equal(got.dims, []int{2, 2}) || !slices.Equal(got.f, c.f) || !slices.Equal(ints, c.i) {
				t.Errorf("%s %s: dims %v, floats %v, ints %v; want %v %v", c.name, enc.name, got.dims, got.f, ints, c.f, c.i)
			}
		}
		c.p.Dims = []int64{5}
		short, _ := proto.Marshal(c.p)
		if _, err := decodeTensor(tensorProto(short)); err == nil {
			t.Errorf("%s: 4 values for dimensions [5]: no error", c.name)
		}
	}
}

// unpack rewrites packed field num of message b as one field per value.
func unpack(t *testing.T, b []byte, num protowire.Number) []byte {
	var out []byte
	for m := (message{rest: b}); m.next(); {
		if !m.is(num, protowire.BytesType) {
			out = protowire.AppendTag(out, m.num, m.typ)
			switch m.typ {
			case protowire.VarintType:
				out = protowire.AppendVarint(out, m.v)
			case protowire.BytesType:
				out = protowire.AppendBytes(out, m.b)
			default:
				t.Fatalf("field %d of wire type %d", m.num, m.typ)
			}
			continue
		}
		for p := m.b; len(p) > 0; {
			switch num {
			case tensorFloatData:
				v, n := protowire.ConsumeFixed32(p)
				out = protowire.AppendFixed32(protowire.AppendTag(out, num, protowire.Fixed32Type), v)
				p = p[n:]
			case tensorDoubleData:
				v, n := protowire.ConsumeFixed64(p)
				out = protowire.AppendFixed64(protowire.AppendTag(out, num, protowire.Fixed64Type), v)
				p = p[n:]
			default:
				v, n := protowire.ConsumeVarint(p)
				out = protowire.AppendVarint(protowire.AppendTag(out, num, protowire.VarintType), v)
				p = p[n:]
			}
		}
	}
	return out
}

// TestInputTypeDenotation reads a graph input whose type carries a
// denotation after its tensor type, as Python's protobuf writes it: a field
// beside the tensor type, not a member of its oneof that replaces it.
func TestInputTypeDenotation(t *testing.T) {
	typ, err := proto.Marshal(valueInfo("x", -1, 1, 8, 8).Type)
	if err != nil {
		t.Fatal(err)
	}
	denoted := protowire.AppendString(protowire.AppendTag(slices.Clone(typ), 6, protowire.BytesType), "TENSOR")
	vi := valueInfoProto{name: "x", typ: denoted}
	if tt, ok, err := vi.tensorType(); err != nil || !ok || tt.rank != 4 || tt.dims[3].value != 8 {
		t.Errorf("with a denotation: %+v, %v, %v", tt, ok, err)
	}
	sequence := protowire.AppendBytes(protowire.AppendTag(slices.Clone(typ), 4, protowire.BytesType), nil)
	vi.typ = sequence
	if _, ok, err := vi.tensorType(); err != nil || ok {
		t.Errorf("a sequence type after the tensor type: read as a tensor (%v)", err)
	}
}

// TestFieldNumbersMatchTheSchema checks the reader's field numbers against
// onnx.proto, as compiled into the generated package.
func TestFieldNumbersMatchTheSchema(t *testing.T) {
	for _, c := range []struct {
		message, field string
		num            protowire.Number
	}{
		{"ModelProto", "opset_import", modelOpsetImport}, {"ModelProto", "graph", modelGraph},
		{"OperatorSetIdProto", "domain", opsetDomain}, {"OperatorSetIdProto", "version", opsetVersion},
		{"GraphProto", "node", graphNode}, {"GraphProto", "initializer", graphInitializer},
		{"GraphProto", "input", graphInput}, {"GraphProto", "output", graphOutput},
		{"GraphProto", "sparse_initializer", graphSparseInitializer},
		{"NodeProto", "input", nodeInput}, {"NodeProto", "output", nodeOutput}, {"NodeProto", "name", nodeName},
		{"NodeProto", "op_type", nodeOpType}, {"NodeProto", "attribute", nodeAttribute}, {"NodeProto", "domain", nodeDomain},
		{"AttributeProto", "name", attrName}, {"AttributeProto", "f", attrF}, {"AttributeProto", "i", attrI},
		{"AttributeProto", "s", attrS}, {"AttributeProto", "t", attrT}, {"AttributeProto", "floats", attrFloats},
		{"AttributeProto", "ints", attrInts}, {"AttributeProto", "type", attrType},
		{"ValueInfoProto", "name", valueInfoName}, {"ValueInfoProto", "type", valueInfoType},
		{"TypeProto", "tensor_type", typeTensorType},
		{"TypeProto.Tensor", "elem_type", typeTensorElemType}, {"TypeProto.Tensor", "shape", typeTensorShape},
		{"TensorShapeProto", "dim", shapeDim},
		{"TensorShapeProto.Dimension", "dim_value", dimValue}, {"TensorShapeProto.Dimension", "dim_param", dimParam},
		{"TensorProto", "dims", tensorDims}, {"TensorProto", "data_type", tensorDataType},
		{"TensorProto", "segment", tensorSegment}, {"TensorProto", "float_data", tensorFloatData},
		{"TensorProto", "int32_data", tensorInt32Data}, {"TensorProto", "int64_data", tensorInt64Data},
		{"TensorProto", "name", tensorName}, {"TensorProto", "raw_data", tensorRawData},
		{"TensorProto", "double_data", tensorDoubleData}, {"TensorProto", "uint64_data", tensorUint64Data},
		{"TensorProto", "external_data", tensorExternalData}, {"TensorProto", "data_location", tensorDataLocation},
		{"StringStringEntryProto", "key", stringStringEntryKey}, {"StringStringEntryProto", "value", stringStringEntryValue},
	} {
		md := onnxpb.File_onnx_proto.Messages().ByName(protoreflect.Name(strings.Split(c.message, ".")[0]))
		if inner, ok := strings.CutPrefix(c.message, string(md.Name())+"."); ok {
			md = md.Messages().ByName(protoreflect.Name(inner))
		}
		f := md.Fields().ByName(protoreflect.Name(c.field))
		if f == nil || f.Number() != c.num {
			t.Errorf("%s.%s: the reader uses field %d, the schema says %v", c.message, c.field, c.num, f)
		}
	}
	oneof := onnxpb.File_onnx_proto.Messages().ByName("TypeProto").Oneofs().ByName("value").Fields()
	for k := range oneof.Len() {
		if f := oneof.Get(k); typeNotTensor[f.Number()] != (f.Number() != typeTensorType) {
			t.Errorf("TypeProto.%s (%d) is misclassified", f.Name(), f.Number())
		}
	}
	if len(typeNotTensor) != oneof.Len()-1 {
		t.Errorf("typeNotTensor has %d members, the oneof %d besides tensor_type", len(typeNotTensor), oneof.Len()-1)
	}
	if onnxpb.TensorProto_EXTERNAL != dataLocationExternal {
		t.Errorf("DataLocation EXTERNAL is %d, the reader uses %d", onnxpb.TensorProto_EXTERNAL, dataLocationExternal)
	}
}
