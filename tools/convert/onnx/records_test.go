package onnx

import (
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/edgecnn/edgecnn/internal/memcheck"
)

// TestTinyRecordsCostTheirSize: a model of thousands of empty records, two
// bytes each, is refused within memcheck's bound, the one FuzzReadONNX
// asserts. Each record decoded to a whole message first: 20000 empty
// initializers (40 KB) took 7.2 MB, 180 bytes per byte; empty nodes 94,
// attributes 128.
func TestTinyRecordsCostTheirSize(t *testing.T) {
	const n = 20000
	empty := func(field protowire.Number) []byte {
		return protowire.AppendBytes(protowire.AppendTag(nil, field, protowire.BytesType), nil)
	}
	withAttribute := protowire.AppendBytes(protowire.AppendTag(nil, 1, protowire.BytesType), empty(5))
	for _, c := range []struct {
		name   string
		record []byte // one GraphProto field
	}{
		{"nodes", empty(1)},
		{"initializers", empty(5)},
		{"inputs", empty(11)},
		{"value infos", empty(13)},
		{"nodes with an attribute", withAttribute},
	} {
		var graph []byte
		for range n {
			graph = append(graph, c.record...)
		}
		model := protowire.AppendBytes(protowire.AppendTag(nil, 7, protowire.BytesType), graph)
		memcheck.Check(t, len(model), func() {
			if _, err := Decode(model, Options{}); err == nil {
				t.Errorf("%d empty %s: no error", n, c.name)
			}
		})
	}
}
