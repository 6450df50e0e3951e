package onnx

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/edgecnn/edgecnn/engine"
	"github.com/edgecnn/edgecnn/internal/memcheck"
	"github.com/edgecnn/edgecnn/nn"
	"github.com/edgecnn/edgecnn/tools/convert/onnx/internal/onnxpb"
)

// Builders for small synthetic ONNX graphs.

func node(name, op string, ins, outs []string, attrs ...*onnxpb.AttributeProto) *onnxpb.NodeProto {
	return &onnxpb.NodeProto{Name: proto.String(name), OpType: proto.String(op), Input: ins, Output: outs, Attribute: attrs}
}

func ints(name string, v ...int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INTS.Enum(), Ints: v}
}

func floatTensor(name string, dims []int64, v ...float32) *onnxpb.TensorProto {
	raw := make([]byte, 4*len(v))
	for k, x := range v {
		binary.LittleEndian.PutUint32(raw[4*k:], math.Float32bits(x))
	}
	return &onnxpb.TensorProto{Name: proto.String(name), Dims: dims, DataType: proto.Int32(1), RawData: raw}
}

func valueInfo(name string, dims ...int64) *onnxpb.ValueInfoProto {
	var shape []*onnxpb.TensorShapeProto_Dimension
	for _, d := range dims {
		if d < 0 {
			shape = append(shape, &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: "N"}})
		} else {
			shape = append(shape, &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: d}})
		}
	}
	return &onnxpb.ValueInfoProto{Name: proto.String(name), Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{
		TensorType: &onnxpb.TypeProto_Tensor{ElemType: proto.Int32(1), Shape: &onnxpb.TensorShapeProto{Dim: shape}}}}}
}

// graph returns a model reading "x" [N, 1, 8, 8] and writing "y".
func graph(opset int64, nodes []*onnxpb.NodeProto, inits ...*onnxpb.TensorProto) *onnxpb.ModelProto {
	return &onnxpb.ModelProto{
		IrVersion:   proto.Int64(7),
		OpsetImport: []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(opset)}},
		Graph: &onnxpb.GraphProto{Name: proto.String("g"), Node: nodes, Initializer: inits,
			Input: []*onnxpb.ValueInfoProto{valueInfo("x", -1, 1, 8, 8)}, Output: []*onnxpb.ValueInfoProto{valueInfo("y")}},
	}
}

func encode(t testing.TB, m *onnxpb.ModelProto) []byte {
	data, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// small is a valid model: conv 1->2 3x3, relu, global average pool,
// flatten, gemm 2->3.
func small() *onnxpb.ModelProto {
	w := make([]float32, 18)
	for k := range w {
		w[k] = float32(k%5) - 2
	}
	return graph(13, []*onnxpb.NodeProto{
		node("conv", "Conv", []string{"x", "w", "b"}, []string{"c"}, ints("kernel_shape", 3, 3), ints("pads", 1, 1, 1, 1)),
		node("relu", "Relu", []string{"c"}, []string{"r"}),
		node("gap", "GlobalAveragePool", []string{"r"}, []string{"g"}),
		node("flat", "Flatten", []string{"g"}, []string{"f"}),
		node("fc", "Gemm", []string{"f", "fw", "fb"}, []string{"y"}),
	},
		floatTensor("w", []int64{2, 1, 3, 3}, w...), floatTensor("b", []int64{2}, 0.5, -0.5),
		floatTensor("fw", []int64{2, 3}, 1, 2, 3, 4, 5, 6), floatTensor("fb", []int64{3}, 0, 1, 2))
}

func TestSmallModel(t *testing.T) {
	m, err := Decode(encode(t, small()), Options{Labels: []string{"a", "b", "c"}, Mean: []float32{0.5}, Std: []float32{0.25}, Digit: true})
	if err != nil {
		t.Fatal(err)
	}
	if m.Input.Channels != 1 || m.Input.Height != 8 || m.Input.Mean[0] != 0.5 || m.Input.Std[0] != 0.25 || !m.Input.Digit {
		t.Errorf("input %+v", m.Input)
	}
	// Gemm without transB: the weight is B transposed.
	if w := m.Params["fc.weight"]; w.Shape[0] != 3 || w.Shape[1] != 2 || w.F32[1] != 4 {
		t.Errorf("fc.weight %v %v, want [3 2] [1 4 2 5 3 6]", w.Shape, w.F32)
	}
	e, err := engine.New(m, engine.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if _, err := e.InferFloat(make([]float32, 64), 1); err != nil {
		t.Fatal(err)
	}
}

func TestErrors(t *testing.T) {
	dilated := small()
	dilated.Graph.Node[0].Attribute = append(dilated.Graph.Node[0].Attribute, ints("dilations", 2, 2))
	dilated.Graph.Node = append(dilated.Graph.Node[:2], append([]*onnxpb.NodeProto{
		node("softplus", "Softplus", []string{"r"}, []string{"r2"}),
		node("", "FusedConv", []string{"r2"}, []string{"r3"}),
		node("clip", "Clip", []string{"r3", "lo", "hi"}, []string{"r4"}),
	}, dilated.Graph.Node[2:]...)...)
	dilated.Graph.Node[2].Input = []string{"r"}
	dilated.Graph.Node[3].Domain = proto.String("com.microsoft")
	dilated.Graph.Node[5].Input = []string{"r4"}
	dilated.Graph.Initializer = append(dilated.Graph.Initializer, floatTensor("lo", nil, -1), floatTensor("hi", nil, 1))

	clip := small()
	clip.Graph.Node[1] = node("clip", "Clip", []string{"c", "lo", "hi"}, []string{"r"})
	clip.Graph.Initializer = append(clip.Graph.Initializer, floatTensor("lo", nil, -1), floatTensor("hi", nil, 1))

	external := small()
	external.Graph.Initializer[0].RawData = nil
	external.Graph.Initializer[0].DataLocation = onnxpb.TensorProto_EXTERNAL.Enum()
	external.Graph.Initializer[0].ExternalData = []*onnxpb.StringStringEntryProto{{Key: proto.String("location"), Value: proto.String("weights.bin")}}

	cycle := small()
	cycle.Graph.Node[0].Input[0] = "f"

	huge := small()
	huge.Graph.Initializer[0].Dims = []int64{1 << 40, 1, 3, 3}

	hugeInput := small()
	hugeInput.Graph.Input[0] = valueInfo("x", -1, 1, 1<<40, 8)

	complex64 := small()
	complex64.Graph.Initializer[0].DataType = proto.Int32(14)

	opset := small()
	opset.OpsetImport[0].Version = proto.Int64(18)

	inputs := small()
	inputs.Graph.Input = append(inputs.Graph.Input, valueInfo("z", -1, 3))

	undefined := small()
	undefined.Graph.Node[1].Input[0] = "nowhere"

	reshape := small()
	reshape.Graph.Node[3] = node("reshape", "Reshape", []string{"g", "shape"}, []string{"f"})
	reshape.Graph.Initializer = append(reshape.Graph.Initializer, &onnxpb.TensorProto{Name: proto.String("shape"),
		Dims: []int64{3}, DataType: proto.Int32(7), Int64Data: []int64{0, 2, 1}})

	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"every unsupported node", encode(t, dilated), `m.onnx (opset 13): unsupported nodes: "conv" (Conv: dilations [2 2] are not supported (only 1))`},
		{"every unsupported node", encode(t, dilated), `"softplus" (Softplus), #3 (com.microsoft.FusedConv)`},
		{"clip", encode(t, clip), `m.onnx (opset 13): unsupported nodes: "clip" (Clip: bounds [-1, 1]: only [0, 6] (ReLU6) and [0, inf) (ReLU) are supported)`},
		{"external data", encode(t, external), `stored outside the model file (in "weights.bin"); external data is not supported`},
		{"cycle", encode(t, cycle), `m.onnx (opset 13): the graph has a cycle through node "conv" (Conv)`},
		{"huge dimension", encode(t, huge), "invalid dimension 1099511627776"},
		{"huge input", encode(t, hugeInput), "C, H and W fixed numbers from 1 to 4096"},
		{"complex", encode(t, complex64), "COMPLEX64 tensors are not supported"},
		{"opset", encode(t, opset), "m.onnx: opset 18 is not supported (edgecnn reads opsets 9 to 17"},
		{"two inputs", encode(t, inputs), `the graph has 2 inputs ("x", "z")`},
		{"undefined", encode(t, undefined), `node "relu" (Relu) reads "nowhere", which no node, initializer or graph input defines`},
		{"reshape", encode(t, reshape), `"fc" (Gemm: reads reshape (Reshape), a rearrangement of [N, 2, 1, 1] into [N, 2, 1]: edgecnn runs rearrangements that move whole channels (or features) into [N, C, H, W] or [N, K])`},
		{"malformed", []byte("\x0a\xff\xff\xff\xff\x0fgarbage"), "m.onnx: not an ONNX model (malformed protobuf"},
		{"empty", nil, "m.onnx: empty file"},
	} {
		_, err := Decode(c.data, Options{Name: "m.onnx"})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v\nwant an error containing %s", c.name, err, c.want)
		}
	}
	if _, err := Decode(encode(t, small()), Options{Labels: []string{"a"}}); err == nil || !strings.Contains(err.Error(), "1 labels given for 3 outputs") {
		t.Errorf("wrong label count: %v", err)
	}
}

// FuzzReadONNX feeds the reader mutated models: it must return a valid
// model or an error, never panic, hang or allocate without bound. The seeds
// are large, so keep minimisation short:
//
//	go test ./tools/convert/onnx -run '^$' -fuzz FuzzReadONNX -fuzztime 30s -fuzzminimizetime 200x
func FuzzReadONNX(f *testing.F) {
	for _, name := range []string{"resnet.onnx", "unsupported.onnx", "lenet5.onnx"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add(encode(f, small()))
	f.Add(encode(f, blocks()))
	for _, typ := range []int32{typeInt8, typeInt16, typeUint64} {
		f.Add(encode(f, intChain(typ, 128)))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		start := time.Now()
		var m *nn.Model
		var err error
		memcheck.Check(t, len(data), func() { m, err = Decode(data, Options{}) })
		if el := time.Since(start); el > 2*time.Second {
			t.Fatalf("Decode took %v: %.200v", el, err)
		}
		if err != nil {
			if strings.Contains(err.Error(), "internal error") {
				t.Fatal(err)
			}
			return
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("invalid model without an error: %v", err)
		}
	})
}
