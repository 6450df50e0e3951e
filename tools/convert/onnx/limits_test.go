package onnx

import (
	"fmt"
	"runtime"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/edgecnn/edgecnn/tools/convert/onnx/internal/onnxpb"
)

// chain returns a model of n Relu nodes in a row, all named "relu" (as
// an exporter that does not name nodes uniquely writes them), then a
// Flatten: [N, 1, 8, 8] -> [N, 64].
func chain(n int) *onnxpb.ModelProto {
	nodes := make([]*onnxpb.NodeProto, 0, n+1)
	prev := "x"
	for k := range n {
		out := fmt.Sprintf("r%d", k)
		nodes = append(nodes, node("relu", "Relu", []string{prev}, []string{out}))
		prev = out
	}
	nodes = append(nodes, node("flat", "Flatten", []string{prev}, []string{"y"}))
	return graph(13, nodes)
}

// TestImportIsLinear imports chains of 2,000 and 8,000 same-named nodes:
// four times the nodes must cost about four times the allocations. When
// every layer searched for a free name from "relu_2" up, the larger chain
// made 16 times as many (and 20,000 nodes took 42 s).
func TestImportIsLinear(t *testing.T) {
	allocs := func(n int) float64 {
		data := encode(t, chain(n))
		m, err := Decode(data, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Nodes) != n+1 || m.Nodes[n-1].Name != fmt.Sprintf("relu_%d", n) {
			t.Fatalf("%d layers, the last relu named %q", len(m.Nodes), m.Nodes[n-1].Name)
		}
		return testing.AllocsPerRun(1, func() { Decode(data, Options{}) })
	}
	small, large := allocs(2000), allocs(8000)
	t.Logf("allocations: %.0f for 2,000 nodes, %.0f for 8,000 (%.2fx)", small, large, large/small)
	if large > 4.5*small {
		t.Errorf("4x the nodes cost %.2fx the allocations, want about 4x", large/small)
	}
}

// BenchmarkImport20kNodes imports a chain of 20,000 same-named nodes.
func BenchmarkImport20kNodes(b *testing.B) {
	data := encode(b, chain(20000))
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Decode(data, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestIntegerInitializersStayAtTheirWidth reads a model whose 8 MiB
// integer initializer of each type passes through the operators that
// evaluate on constants without changing values (Identity, Reshape,
// Squeeze, Unsqueeze, Flatten, a Cast to its own type, Shape): its raw_data
// stays in the file's bytes, so the reader must allocate almost nothing.
// It used to widen every integer to int64, 8 times an INT8's bytes, and
// the protobuf messages it decoded through copied raw_data.
func TestIntegerInitializersStayAtTheirWidth(t *testing.T) {
	const bytes = 8 << 20
	for _, typ := range []int32{typeInt8, typeUint8, typeBool, typeInt16, typeInt32, typeInt64, typeUint64} {
		t.Run(dataTypeName(typ), func(t *testing.T) {
			m := intChain(typ, bytes)
			data := encode(t, m)
			if _, err := Decode(data, Options{}); err != nil {
				t.Fatal(err)
			}
			decode := allocated(func() { Decode(data, Options{}) })
			t.Logf("%d bytes of %s: import %d bytes", bytes, dataTypeName(typ), decode)
			if decode > bytes/16 {
				t.Errorf("the import allocated %d bytes for an initializer of %d bytes", decode, bytes)
			}
		})
	}
}

// intChain is small() with an integer initializer of the given type and
// size in bytes passing through Identity, Reshape, Unsqueeze, Squeeze,
// Flatten, a Cast to its own type and Shape.
func intChain(typ int32, bytes int) *onnxpb.ModelProto {
	n := int64(bytes / intTypes[typ].width)
	m := small()
	m.Graph.Initializer = append(m.Graph.Initializer,
		&onnxpb.TensorProto{Name: proto.String("big"), Dims: []int64{n / 64, 64}, DataType: proto.Int32(typ), RawData: make([]byte, bytes)},
		int64Tensor("flat", -1), int64Tensor("axes", 0))
	m.Graph.Node = append(m.Graph.Node,
		node("id", "Identity", []string{"big"}, []string{"b1"}),
		node("reshape", "Reshape", []string{"b1", "flat"}, []string{"b2"}),
		node("unsqueeze", "Unsqueeze", []string{"b2", "axes"}, []string{"b3"}),
		node("squeeze", "Squeeze", []string{"b3", "axes"}, []string{"b4"}),
		node("flatten", "Flatten", []string{"b4"}, []string{"b5"}),
		node("cast", "Cast", []string{"b5"}, []string{"b6"}, attrInt("to", int64(typ))),
		node("shape", "Shape", []string{"b6"}, []string{"s"}))
	return m
}

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}
