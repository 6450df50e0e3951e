package onnx

import (
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/edgecnn/edgecnn/engine"
	"github.com/edgecnn/edgecnn/nn"
	"github.com/edgecnn/edgecnn/tools/convert/onnx/internal/onnxpb"
)

func attrFloat(name string, v float32) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_FLOAT.Enum(), F: proto.Float32(v)}
}

func attrInt(name string, v int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(v)}
}

func int64Tensor(name string, v ...int64) *onnxpb.TensorProto {
	return &onnxpb.TensorProto{Name: proto.String(name), Dims: []int64{int64(len(v))}, DataType: proto.Int32(typeInt64), Int64Data: v}
}

// doubleConstant is a Constant node of one DOUBLE value, as PyTorch writes
// the bounds of torch.clamp(x, 0.0, 6.0) with constant folding off.
func doubleConstant(out string, v float64) *onnxpb.NodeProto {
	return node(out, "Constant", nil, []string{out}, &onnxpb.AttributeProto{Name: proto.String("value"), Type: onnxpb.AttributeProto_TENSOR.Enum(),
		T: &onnxpb.TensorProto{DataType: proto.Int32(typeDouble), DoubleData: []float64{v}}})
}

// blocks is a small model built of the blocks of torchvision's networks,
// written as PyTorch 1.13 exports them without constant folding and with
// a dynamic batch: a conv clamped to [0, 6] by DOUBLE constants through
// Cast, hard swish (MobileNet v3), SiLU (EfficientNet), a
// squeeze-and-excitation gate, a channel shuffle whose shape is computed
// from the input's (Shape, Gather, Unsqueeze, Concat), a split, a branch
// and a concat (ShuffleNet v2), LRN, and a classifier.
func blocks() *onnxpb.ModelProto {
	w := func(name string, dims ...int64) *onnxpb.TensorProto {
		n := int64(1)
		for _, d := range dims {
			n *= d
		}
		v := make([]float32, n)
		for k := range v {
			v[k] = float32((k*7+len(name))%11-5) / 8
		}
		return floatTensor(name, dims, v...)
	}
	nodes := []*onnxpb.NodeProto{
		node("/c0/Conv", "Conv", []string{"x", "w0", "b0"}, []string{"c0"}, ints("kernel_shape", 3, 3), ints("pads", 1, 1, 1, 1)),
		doubleConstant("lo", 0), doubleConstant("hi", 6),
		node("/Cast", "Cast", []string{"lo"}, []string{"lo_f"}, attrInt("to", typeFloat)),
		node("/Cast_1", "Cast", []string{"hi"}, []string{"hi_f"}, attrInt("to", typeFloat)),
		node("/Clip", "Clip", []string{"c0", "lo_f", "hi_f"}, []string{"r6"}),
		node("/act/HardSigmoid", "HardSigmoid", []string{"r6"}, []string{"hs"}, attrFloat("alpha", 1.0/6)),
		node("/act/Mul", "Mul", []string{"r6", "hs"}, []string{"hsw"}),
		node("/silu/Sigmoid", "Sigmoid", []string{"hsw"}, []string{"sg"}),
		node("/silu/Mul", "Mul", []string{"sg", "hsw"}, []string{"silu"}),
		node("/se/GlobalAveragePool", "GlobalAveragePool", []string{"silu"}, []string{"gap"}),
		node("/se/fc/Conv", "Conv", []string{"gap", "wse", "bse"}, []string{"g1"}, ints("kernel_shape", 1, 1)),
		node("/se/Sigmoid", "Sigmoid", []string{"g1"}, []string{"gate"}),
		node("/se/Mul", "Mul", []string{"silu", "gate"}, []string{"se"}),
		node("/shuffle/Shape", "Shape", []string{"se"}, []string{"sh"}),
		node("/shuffle/Gather", "Gather", []string{"sh", "zero"}, []string{"nb"}, attrInt("axis", 0)),
		node("/shuffle/Unsqueeze", "Unsqueeze", []string{"nb", "axes0"}, []string{"nb1"}),
		node("/shuffle/Concat", "Concat", []string{"nb1", "two", "two", "eight", "eight"}, []string{"s5"}, attrInt("axis", 0)),
		node("/shuffle/Reshape", "Reshape", []string{"se", "s5"}, []string{"v5"}),
		node("/shuffle/Transpose", "Transpose", []string{"v5"}, []string{"t5"}, ints("perm", 0, 2, 1, 3, 4)),
		node("/shuffle/Reshape_1", "Reshape", []string{"t5", "s4"}, []string{"shuf"}),
		node("/Split", "Split", []string{"shuf", "halves"}, []string{"a", "b"}, attrInt("axis", 1)),
		node("/branch/Conv", "Conv", []string{"b", "wb", "bb"}, []string{"bc"}, ints("kernel_shape", 1, 1)),
		node("/Concat", "Concat", []string{"a", "bc"}, []string{"cat"}, attrInt("axis", 1)),
		node("/LRN", "LRN", []string{"cat"}, []string{"lrn"}, attrInt("size", 3)),
		node("/Flatten", "Flatten", []string{"lrn"}, []string{"f"}),
		node("/fc/Gemm", "Gemm", []string{"f", "fw", "fb"}, []string{"y"}, attrInt("transB", 1)),
	}
	m := graph(13, nodes, w("w0", 4, 1, 3, 3), w("b0", 4), w("wse", 4, 4, 1, 1), w("bse", 4), w("wb", 2, 2, 1, 1), w("bb", 2),
		w("fw", 3, 256), w("fb", 3),
		int64Tensor("zero", 0), int64Tensor("axes0", 0), int64Tensor("two", 2), int64Tensor("eight", 8),
		int64Tensor("s4", 0, -1, 8, 8), int64Tensor("halves", 2, 2))
	// Scalar indices, as PyTorch writes x.size(0).
	m.Graph.Initializer[len(m.Graph.Initializer)-6].Dims = nil
	return m
}

// TestBlocks reads blocks: every node maps to the layer it should, the
// channel shuffle and split become two channel gathers, and the model runs.
func TestBlocks(t *testing.T) {
	m, err := Decode(encode(t, blocks()), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var ops []nn.Op
	for _, n := range m.Nodes {
		ops = append(ops, n.Op)
	}
	want := []nn.Op{nn.OpConv2D, nn.OpReLU6, nn.OpHardSwish, nn.OpSiLU, nn.OpAvgPool, nn.OpConv2D, nn.OpSigmoid, nn.OpMul,
		nn.OpChannels, nn.OpConv2D, nn.OpChannels, nn.OpConcat, nn.OpLRN, nn.OpFlatten, nn.OpLinear}
	if !slices.Equal(ops, want) {
		t.Fatalf("layers %v\nwant %v", ops, want)
	}
	// The shuffle of 2 groups of 2 channels gives 0, 2, 1, 3; the split
	// takes its halves, each gathered where a layer first reads it.
	if a, b := m.Nodes[10], m.Nodes[8]; !slices.Equal(a.Channels, []int{0, 2}) || !slices.Equal(b.Channels, []int{1, 3}) {
		t.Errorf("split of the shuffle: channels %v and %v, want [0 2] and [1 3]", a.Channels, b.Channels)
	}
	if hs := m.Nodes[2]; hs.Alpha != 1.0/6 || hs.Beta != 0.5 {
		t.Errorf("hard swish alpha %v beta %v", hs.Alpha, hs.Beta)
	}
	from := strings.Join(m.Nodes[8].From, ", ")
	if from != "/shuffle/Reshape (Reshape), /shuffle/Transpose (Transpose), /shuffle/Reshape_1 (Reshape), /Split (Split)" {
		t.Errorf("the second half of the split computes %s", from)
	}
	if from := strings.Join(m.Nodes[2].From, ", "); from != "/act/HardSigmoid (HardSigmoid), /act/Mul (Mul)" {
		t.Errorf("hard swish computes %s", from)
	}
	folded := strings.Join(m.Imported.Folded, ", ")
	for _, f := range []string{"lo (Constant)", "/Cast (Cast)", "/shuffle/Shape (Shape)", "/shuffle/Concat (Concat)"} {
		if !strings.Contains(folded, f) {
			t.Errorf("folded nodes %s lack %s", folded, f)
		}
	}
	if m.Imported.Nodes != len(blocks().Graph.Node) {
		t.Errorf("imported %d nodes, the graph has %d", m.Imported.Nodes, len(blocks().Graph.Node))
	}
	e, err := engine.New(m, engine.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if _, err := e.InferFloat(make([]float32, 2*64), 2); err != nil {
		t.Fatal(err)
	}
}
