package onnx

import (
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/edgecnn/edgecnn/internal/memcheck"
	"github.com/edgecnn/edgecnn/tools/convert/onnx/internal/onnxpb"
)

// TestTinyRecordsCostTheirSize: a model of thousands of tiny records is
// read within memcheck's bound, the one FuzzReadONNX asserts. Each record
// decoded to a whole message first: 20000 empty initializers (40 KB) took
// 7.2 MB, 180 bytes per byte; empty nodes 94, attributes 128. Empty
// records are refused; the smallest valid ones are appended to a valid
// graph, so that the importer, not only the reader, handles them.
func TestTinyRecordsCostTheirSize(t *testing.T) {
	const n = 20000
	record := func(field protowire.Number, fields ...[]byte) []byte {
		var body []byte
		for _, f := range fields {
			body = append(body, f...)
		}
		return protowire.AppendBytes(protowire.AppendTag(nil, field, protowire.BytesType), body)
	}
	str := func(field protowire.Number, s string) []byte { return record(field, []byte(s)) }
	var valid []byte // small()'s graph
	for m := (message{rest: encode(t, small())}); m.next(); {
		if m.is(modelGraph, protowire.BytesType) {
			valid = m.b
		}
	}
	opset13 := record(modelOpsetImport, protowire.AppendVarint(protowire.AppendTag(nil, opsetVersion, protowire.VarintType), 13))
	for _, c := range []struct {
		name   string
		record []byte // one GraphProto field
		valid  bool   // append it to a valid graph
	}{
		{"empty nodes", record(graphNode), false},
		{"empty initializers", record(graphInitializer), false},
		{"empty inputs", record(graphInput), false},
		{"empty value infos", record(13), false},
		{"nodes with an empty attribute", record(graphNode, record(nodeAttribute)), false},
		{"unsupported nodes", record(graphNode, str(nodeOpType, "X")), true},
		{"unsupported nodes with an attribute", record(graphNode, str(nodeOpType, "X"), record(nodeAttribute, str(attrName, "a"))), true},
		{"ReLUs of the input", record(graphNode, str(nodeOpType, "Relu"), str(nodeInput, "x")), true},
		{"initializers", record(graphInitializer, str(tensorName, "a")), true},
		{"inputs", record(graphInput, str(valueInfoName, "a")), true},
		{"outputs", record(graphOutput, str(valueInfoName, "a")), true},
	} {
		var graph []byte
		if c.valid {
			graph = append(graph, valid...)
		}
		for range n {
			graph = append(graph, c.record...)
		}
		model := append(protowire.AppendBytes(protowire.AppendTag(nil, modelGraph, protowire.BytesType), graph), opset13...)
		t.Run(c.name, func(t *testing.T) {
			var err error
			memcheck.Check(t, len(model), func() { _, err = Decode(model, Options{}) })
			if err == nil && !c.valid {
				t.Errorf("%d %s: no error", n, c.name)
			}
			t.Logf("%d bytes: %.80v", len(model), err)
		})
	}
	// Nodes the output depends on are mapped: chains of unnamed nodes
	// whose tensors have two-byte names. Each ReLU, 16 bytes of the file,
	// becomes a layer: 36 MB for the 320 KB file when the builder kept a
	// map per property of a tensor or layer, 19.6 MB (61x) with one
	// record each.
	for _, op := range []string{"Relu", "X"} {
		t.Run("a chain of "+op, func(t *testing.T) {
			nodes := make([]*onnxpb.NodeProto, 0, n+1)
			prev := "x"
			for k := range n {
				out := string([]byte{byte(k >> 8), byte(k)})
				nodes = append(nodes, &onnxpb.NodeProto{OpType: proto.String(op), Input: []string{prev}, Output: []string{out}})
				prev = out
			}
			nodes = append(nodes, node("flat", "Flatten", []string{prev}, []string{"y"}))
			model := encode(t, graph(13, nodes))
			var err error
			memcheck.Check(t, len(model), func() { _, err = Decode(model, Options{}) })
			if (err == nil) != (op == "Relu") {
				t.Errorf("%d %s: %v", n, op, err)
			}
		})
	}
}
