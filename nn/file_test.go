package nn

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/internal/memcheck"
	"github.com/edgecnn/edgecnn/quant"
)

// digits is the label list of a 10-class model.
var digits = []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}

// randomize fills every float parameter of m with values in [-1, 1).
func randomize(m *Model, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 1))
	for _, t := range m.Params {
		for i := range t.F32 {
			t.F32[i] = 2*r.Float32() - 1
		}
	}
}

// built returns a named architecture with random parameters.
func built(t testing.TB, arch string, channels int) *Model {
	t.Helper()
	in := Input{Channels: channels, Height: 32, Width: 32}
	for range channels {
		in.Mean = append(in.Mean, 0.5)
		in.Std = append(in.Std, 0.25)
	}
	m, err := Build(Arch{Name: arch, Input: in, Labels: digits})
	require.NoError(t, err)
	randomize(m, 42)
	return m
}

// tiny returns a small valid model (a 1 KB file) with random parameters.
func tiny(t testing.TB) *Model {
	t.Helper()
	m := Sequential("tiny", Input{Channels: 1, Height: 4, Width: 4, Mean: []float32{0.1307}, Std: []float32{0.3081}, Digit: true},
		[]string{"no", "yes"},
		Conv("c", 2, 3, 1, 0), Act("r", OpReLU6), Flat("f"), Drop("d", 0.25), FC("fc", 2), Act("s", OpSoftmax))
	require.NoError(t, m.InitParams())
	randomize(m, 7)
	return m
}

func encode(t testing.TB, m *Model) []byte {
	t.Helper()
	data, err := Encode(m)
	require.NoError(t, err)
	return data
}

// parsed is a model file taken apart, to be corrupted and put back together.
type parsed struct {
	header map[string]any
	body   []byte
}

func parse(t testing.TB, data []byte) parsed {
	t.Helper()
	n := binary.LittleEndian.Uint64(data)
	var p parsed
	dec := json.NewDecoder(bytes.NewReader(data[8 : 8+n]))
	dec.UseNumber()
	require.NoError(t, dec.Decode(&p.header))
	p.body = slices.Clone(data[8+n:])
	return p
}

func (p parsed) meta() map[string]any { return p.header[metadataKey].(map[string]any) }

func (p parsed) tensor(name string) map[string]any { return p.header[name].(map[string]any) }

// graph returns the decoded model document.
func (p parsed) graph(t testing.TB) map[string]any {
	t.Helper()
	var g map[string]any
	require.NoError(t, json.Unmarshal([]byte(p.meta()["model"].(string)), &g))
	return g
}

func (p parsed) setGraph(t testing.TB, g map[string]any) {
	t.Helper()
	b, err := json.Marshal(g)
	require.NoError(t, err)
	p.meta()["model"] = string(b)
}

func (p parsed) bytes(t testing.TB) []byte {
	t.Helper()
	h, err := json.Marshal(p.header)
	require.NoError(t, err)
	for len(h)%8 != 0 {
		h = append(h, ' ')
	}
	return file(h, p.body)
}

// file assembles a model file from a header and a data section.
func file(header, body []byte) []byte {
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	return append(append(out, header...), body...)
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name  string
		model func(testing.TB) *Model
	}{
		{"tiny", tiny},
		{"lenet5", func(t testing.TB) *Model { return built(t, "lenet5", 1) }},
		{"lenet5-classic-rgb", func(t testing.TB) *Model {
			m, err := Build(Arch{Name: "lenet5", Classic: true, Labels: []string{"cat", "dog", "bird"},
				Input: Input{Channels: 3, Height: 32, Width: 32, Mean: []float32{0.49, 0.48, 0.45}, Std: []float32{0.25, 0.24, 0.26}}})
			require.NoError(t, err)
			randomize(m, 3)
			return m
		}},
		{"alexnet", func(t testing.TB) *Model {
			if testing.Short() {
				t.Skip("alexnet is a 118 MB file")
			}
			return built(t, "alexnet", 3)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.model(t)
			data := encode(t, m)
			got, err := Decode(data)
			require.NoError(t, err)
			require.True(t, equalModels(m, got), "decoded model differs")
			again := encode(t, got)
			require.True(t, bytes.Equal(data, again), "re-encoding changed the bytes")
		})
	}
}

// equalModels is reflect.DeepEqual, but fast on large tensors and without
// testify's diff of 30M floats on failure.
func equalModels(a, b *Model) bool {
	if a == nil || b == nil {
		return a == b
	}
	graph := func(m *Model) Model { return Model{Arch: m.Arch, Input: m.Input, Nodes: m.Nodes, Labels: m.Labels} }
	if !assert.ObjectsAreEqual(graph(a), graph(b)) || len(a.Params) != len(b.Params) {
		return false
	}
	for name, x := range a.Params {
		y := b.Params[name]
		if y == nil || x.DType != y.DType || !slices.Equal(x.Shape, y.Shape) ||
			!sameSlice(x.F32, y.F32) || !sameSlice(x.I8, y.I8) || !sameSlice(x.I32, y.I32) {
			return false
		}
	}
	return true
}

// sameSlice is reflect.DeepEqual for slices of numbers: nil differs from empty.
func sameSlice[T comparable](x, y []T) bool { return (x == nil) == (y == nil) && slices.Equal(x, y) }

func TestEncodeDeterministic(t *testing.T) {
	m := built(t, "lenet5", 1)
	first := encode(t, m)
	// A fresh map with another insertion order must not matter.
	names := make([]string, 0, len(m.Params))
	for name := range m.Params {
		names = append(names, name)
	}
	slices.Sort(names)
	slices.Reverse(names)
	params := map[string]*Tensor{}
	for _, name := range names {
		params[name] = m.Params[name]
	}
	m.Params = params
	for range 3 {
		require.True(t, bytes.Equal(first, encode(t, m)))
	}
}

func TestEncodeLayout(t *testing.T) {
	// Mixed dtypes: an odd-sized I8 tensor must not misalign the others.
	m := quantizedTiny(t)
	data := encode(t, m)

	n := binary.LittleEndian.Uint64(data)
	require.Zero(t, n%8, "header length")
	header := data[8 : 8+n]
	assert.Equal(t, byte('{'), header[0])
	assert.Equal(t, string(bytes.TrimRight(header, " ")), strings.TrimSpace(string(header)))

	p := parse(t, data)
	assert.Equal(t, []string{"format", "model", "version"}, sortedKeys(p.meta()))
	assert.Equal(t, "edgecnn", p.meta()["format"])
	assert.Equal(t, "1", p.meta()["version"])
	assert.Equal(t, []string{"arch", "input", "labels", "nodes"}, sortedKeys(p.graph(t)))

	// Packed in order of decreasing element size, then name, each aligned.
	want := []string{"c.bias", "c.weight_scale", "fc.bias", "fc.weight", "c.weight"}
	pos := int64(0)
	for _, name := range want {
		e := p.tensor(name)
		offs := e["data_offsets"].([]any)
		begin, _ := offs[0].(json.Number).Int64()
		end, _ := offs[1].(json.Number).Int64()
		require.Equal(t, pos, begin, name)
		require.Zero(t, begin%int64(DType(e["dtype"].(string)).Size()), name)
		pos = end
	}
	require.Equal(t, int64(len(p.body)), pos)

	got, err := Decode(data)
	require.NoError(t, err)
	require.True(t, equalModels(m, got))
	require.True(t, bytes.Equal(data, encode(t, got)))
}

// quantizedTiny returns tiny as an int8 model whose conv layer is int8 and
// whose linear layer stays float32 (mixed precision).
func quantizedTiny(t *testing.T) *Model {
	m := tiny(t)
	m.Input.Quant = &quant.Params{Scale: 1.0 / 255, ZeroPoint: -128}
	for _, n := range m.Nodes {
		n.Quant = &quant.Params{Scale: 0.05, ZeroPoint: -3}
	}
	w := m.Params["c.weight"]
	m.Params["c.weight"] = &Tensor{DType: I8, Shape: w.Shape, I8: make([]int8, len(w.F32))}
	for i := range m.Params["c.weight"].I8 {
		m.Params["c.weight"].I8[i] = int8(i*29%255 - 127)
	}
	m.Params["c.bias"] = &Tensor{DType: I32, Shape: []int{2}, I32: []int32{-1 << 31, 1<<31 - 1}}
	m.Params["c.weight_scale"] = &Tensor{DType: F32, Shape: []int{2}, F32: []float32{0.01, 0.02}}
	require.NoError(t, m.Validate())
	return m
}

func sortedKeys(m map[string]any) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// within reports whether the first element of s lies inside buf.
func within[T any](s []T, buf []byte) bool {
	p := uintptr(unsafe.Pointer(unsafe.SliceData(s)))
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(buf)))
	return p >= lo && p < lo+uintptr(len(buf))
}

func TestDecodeAliases(t *testing.T) {
	if !littleEndian {
		t.Skip("tensors are copied on big-endian machines")
	}
	m := quantizedTiny(t)
	data := encode(t, m)
	require.Zero(t, uintptr(unsafe.Pointer(&data[0]))%8, "Go allocations of this size are 8-aligned")

	got, err := Decode(data)
	require.NoError(t, err)
	assert.True(t, within(got.Params["fc.weight"].F32, data), "F32 copied")
	assert.True(t, within(got.Params["c.bias"].I32, data), "I32 copied")
	// Same memory, not just same values: a write shows through.
	got.Params["fc.weight"].F32[0] = 12.5
	m2, err := Decode(data)
	require.NoError(t, err)
	assert.Equal(t, float32(12.5), m2.Params["fc.weight"].F32[0])
	assert.Equal(t, len(got.Params["fc.weight"].F32), cap(got.Params["fc.weight"].F32), "append must not run into the next tensor")
	m2.Params["fc.weight"].F32[0] = m.Params["fc.weight"].F32[0]

	// Misaligned by one byte: decoded by copy, same values.
	shifted := make([]byte, len(data)+1)[1:]
	copy(shifted, data)
	got, err = Decode(shifted)
	require.NoError(t, err)
	assert.False(t, within(got.Params["fc.weight"].F32, shifted), "misaligned F32 aliased")
	assert.False(t, within(got.Params["c.bias"].I32, shifted), "misaligned I32 aliased")
	assert.True(t, equalModels(m, got))
}

func TestDecodeTruncated(t *testing.T) {
	for _, m := range []*Model{tiny(t), built(t, "lenet5", 1)} {
		data := encode(t, m)
		n := int(binary.LittleEndian.Uint64(data))
		// Every cut in the length and header, then a stride through the data.
		for cut := 0; cut < len(data); cut++ {
			if cut > 8+n+64 {
				cut += 997
				if cut >= len(data) {
					cut = len(data) - 1
				}
			}
			_, err := Decode(data[:cut])
			require.Error(t, err, "cut at %d of %d", cut, len(data))
		}
		// Extra bytes are an error too.
		_, err := Decode(append(slices.Clone(data), 0))
		require.ErrorContains(t, err, "data section has 1 bytes after the last tensor")
	}
}

func TestDecodeErrors(t *testing.T) {
	valid := encode(t, tiny(t))
	// Corrupt returns a valid file changed by f.
	corrupt := func(f func(p *parsed)) func(t *testing.T) []byte {
		return func(t *testing.T) []byte {
			p := parse(t, valid)
			f(&p)
			return p.bytes(t)
		}
	}
	graph := func(f func(g map[string]any)) func(t *testing.T) []byte {
		return func(t *testing.T) []byte {
			p := parse(t, valid)
			g := p.graph(t)
			f(g)
			p.setGraph(t, g)
			return p.bytes(t)
		}
	}
	raw := func(header string, body []byte) func(t *testing.T) []byte {
		return func(*testing.T) []byte { return file([]byte(header), body) }
	}
	meta := `"__metadata__":{"format":"edgecnn","version":"1","model":"{}"}`
	huge := func(n uint64) func(t *testing.T) []byte {
		return func(*testing.T) []byte {
			return binary.LittleEndian.AppendUint64(nil, n)
		}
	}

	tests := []struct {
		name string
		data func(t *testing.T) []byte
		want string
	}{
		{"empty", raw("", nil), ""}, // a header of length 0 is not JSON
		{"short", func(*testing.T) []byte { return []byte{1, 2, 3} }, "file is 3 bytes, too short for a safetensors header"},
		{"header past end", huge(1000), "header length 1000 runs past the end of the 8-byte file"},
		{"header absurd", huge(1 << 40), "header length 1099511627776 is over the 100000000-byte limit"},
		{"header max uint64", huge(math.MaxUint64), "is over the 100000000-byte limit"},
		{"not json", raw("{nope}   ", nil), "header is not valid JSON"},
		{"not utf8", raw("{\"\xff\":1}", nil), "header is not valid UTF-8"},
		{"not object", raw("[1,2,3] ", nil), "header is not a JSON object"},
		{"trailing json", raw("{} {}", nil), "header is not valid JSON: data after the object"},
		{"unterminated", raw(`{"a":{}`, nil), "header is not valid JSON"},
		{"duplicate", raw(`{`+meta+`,"a":{},"a":{}}`, nil), `header: duplicate entry "a"`},
		{"duplicate escaped", raw(`{`+meta+`,"a":{},"\u0061":{}}`, nil), `header: duplicate entry "a"`},
		{"trailing literal", raw(`{} 1`, nil), "header is not valid JSON: data after the object"},
		{"literal", raw(`1`, nil), "header is not a JSON object"},
		{"spaces, brackets in strings", raw("\n { \"__metadata__\" : {\"format\":\"edgecnn\",\"version\":\"1\",\"model\":\"{\\\"]\\\":\\\"}\\\"}\"} ,\t\"a\" : {} }\r\n", nil),
			`tensor "a": needs dtype, shape and data_offsets`},
		{"no metadata", raw(`{}`, nil), "not an edgecnn model file: the header has no __metadata__"},
		{"metadata not strings", raw(`{"__metadata__":{"version":1}}`, nil), "header: __metadata__ must map strings to strings"},
		{"no format", corrupt(func(p *parsed) { delete(p.meta(), "format") }), "not an edgecnn model file: __metadata__ has no format"},
		{"wrong format", corrupt(func(p *parsed) { p.meta()["format"] = "pt" }), `not an edgecnn model file: format is "pt", want "edgecnn"`},
		{"no version", corrupt(func(p *parsed) { delete(p.meta(), "version") }), "metadata has no version"},
		{"newer version", corrupt(func(p *parsed) { p.meta()["version"] = "2" }), "model file version 2 is newer than this edgecnn (1): upgrade"},
		{"bad version", corrupt(func(p *parsed) { p.meta()["version"] = "1.0" }), `metadata: invalid version "1.0"`},
		{"zero version", corrupt(func(p *parsed) { p.meta()["version"] = "0" }), `metadata: invalid version "0"`},
		{"no model", corrupt(func(p *parsed) { delete(p.meta(), "model") }), "metadata has no model"},
		{"model not json", corrupt(func(p *parsed) { p.meta()["model"] = "{" }), "metadata: model: unexpected end of JSON input"},
		{"entry not object", corrupt(func(p *parsed) { p.header["c.bias"] = []int{1} }), `tensor "c.bias": entry is not a JSON object`},
		{"no dtype", corrupt(func(p *parsed) { delete(p.tensor("c.bias"), "dtype") }), `tensor "c.bias": needs dtype, shape and data_offsets`},
		{"unknown dtype", corrupt(func(p *parsed) { p.tensor("c.bias")["dtype"] = "F16" }), `tensor "c.bias": unsupported dtype "F16" (want F32, I32 or I8)`},
		{"dtype size", corrupt(func(p *parsed) { p.tensor("c.bias")["dtype"] = "I8" }), `tensor "c.bias": data_offsets [0, 8] hold 8 bytes, but I8 shape [2] needs 2 elements of 1 bytes`},
		{"negative dim", corrupt(func(p *parsed) { p.tensor("c.bias")["shape"] = []int{-2} }), `tensor "c.bias": invalid dimension -2 in shape`},
		{"fractional dim", corrupt(func(p *parsed) { p.tensor("c.bias")["shape"] = []float64{2.5} }), `tensor "c.bias": invalid dimension 2.5 in shape`},
		{"string dim", corrupt(func(p *parsed) { p.tensor("c.bias")["shape"] = []string{"2"} }), `tensor "c.bias": invalid dimension "2" in shape`},
		{"dim beyond int", corrupt(func(p *parsed) { p.tensor("c.bias")["shape"] = []json.Number{"99999999999999999999"} }), `tensor "c.bias": invalid dimension 99999999999999999999 in shape`},
		{"shape overflow", corrupt(func(p *parsed) { p.tensor("c.bias")["shape"] = []int64{1 << 32, 1 << 32} }), byIntSize(`tensor "c.bias": shape [4294967296 4294967296] overflows`, `tensor "c.bias": invalid dimension 4294967296 in shape`)},
		{"bytes overflow", corrupt(func(p *parsed) { p.tensor("c.bias")["shape"] = []int64{1 << 62} }), byIntSize(`tensor "c.bias": data_offsets [0, 8] hold 8 bytes, but F32 shape [4611686018427387904] needs 4611686018427387904 elements of 4 bytes`,
			`tensor "c.bias": invalid dimension 4611686018427387904 in shape`)},
		{"2^40 elements", corrupt(func(p *parsed) {
			p.tensor("c.bias")["shape"] = []int64{1 << 40}
			p.tensor("c.bias")["data_offsets"] = []int64{0, 4 << 40}
		}), byIntSize(`tensor "c.bias": data_offsets [0, 4398046511104] outside the 152-byte data section`, `tensor "c.bias": invalid dimension 1099511627776 in shape`)},
		{"offsets count", corrupt(func(p *parsed) { p.tensor("c.bias")["data_offsets"] = []int{0} }), `tensor "c.bias": data_offsets has 1 values, want 2`},
		{"negative offset", corrupt(func(p *parsed) { p.tensor("c.bias")["data_offsets"] = []int{-8, 0} }), `tensor "c.bias": invalid data offset -8`},
		{"offsets reversed", corrupt(func(p *parsed) { p.tensor("c.bias")["data_offsets"] = []int{8, 0} }), `tensor "c.bias": data_offsets [8, 0] outside the 152-byte data section`},
		{"offsets past end", corrupt(func(p *parsed) { p.tensor("fc.weight")["data_offsets"] = []int{152, 216} }), `tensor "fc.weight": data_offsets [152, 216] outside the 152-byte data section`},
		{"offsets not shape", corrupt(func(p *parsed) { p.tensor("c.bias")["data_offsets"] = []int{0, 12} }), `tensor "c.bias": data_offsets [0, 12] hold 12 bytes, but F32 shape [2] needs 2 elements of 4 bytes`},
		{"overlap", corrupt(func(p *parsed) { p.tensor("fc.bias")["data_offsets"] = []int{0, 8} }), `tensor "fc.bias": data_offsets [0, 8] overlap tensor "c.bias"`},
		{"gap", corrupt(func(p *parsed) {
			p.tensor("fc.weight")["data_offsets"] = []int{96, 160}
			p.body = append(p.body, make([]byte, 8)...)
		}), `tensor "fc.weight": 8 unused bytes before it in the data section (tensors must be packed)`},
		{"gap at start", corrupt(func(p *parsed) { delete(p.header, "c.bias") }), `tensor "c.weight": 8 unused bytes before it in the data section`},
		{"trailing bytes", corrupt(func(p *parsed) { p.body = append(p.body, 1, 2) }), "data section has 2 bytes after the last tensor"},
		{"wrong param shape", corrupt(func(p *parsed) { p.tensor("c.weight")["shape"] = []int{2, 9} }), `layer "c": parameter c.weight has shape [2 9], want [2 1 3 3]`},
		{"stray tensor", corrupt(func(p *parsed) {
			p.header["extra"] = map[string]any{"dtype": "I8", "shape": []int{3}, "data_offsets": []int{152, 155}}
			p.body = append(p.body, 1, 2, 3)
		}), "parameter extra belongs to no layer"},
		{"nan weight", corrupt(func(p *parsed) {
			binary.LittleEndian.PutUint32(p.body[88+4*5:], math.Float32bits(float32(math.NaN())))
		}), `layer "fc": parameter fc.weight: element 5 is NaN`},
		{"inf weight", corrupt(func(p *parsed) {
			binary.LittleEndian.PutUint32(p.body[0:], math.Float32bits(float32(math.Inf(-1))))
		}), `layer "c": parameter c.bias: element 0 is -Inf`},
		{"labels", graph(func(g map[string]any) { g["labels"] = []string{"one"} }), "model has 1 labels for 2 outputs"},
		{"null node", graph(func(g map[string]any) { g["nodes"] = []any{nil} }), "layer 0 is missing (null)"},
		{"no nodes", graph(func(g map[string]any) { delete(g, "nodes") }), "model has no layers"},
		{"node type", graph(func(g map[string]any) { g["nodes"] = []any{"conv"} }), "metadata: model: json: cannot unmarshal string"},
		{"unknown op", graph(func(g map[string]any) { g["nodes"].([]any)[1].(map[string]any)["op"] = "gelu" }), `layer "r" (gelu): unknown layer type`},
		{"huge out", graph(func(g map[string]any) { g["nodes"].([]any)[0].(map[string]any)["out"] = int64(1 << 60) }), byIntSize(`layer "c" (conv2d): output [1152921504606846976 2 2] has more than 1073741824 elements`,
			"metadata: model: json: cannot unmarshal number 1152921504606846976 into Go struct field Node.nodes.out of type int")},
		{"input", graph(func(g map[string]any) { g["input"].(map[string]any)["channels"] = 3 }), "input: need 3 mean and std values, have 1 and 1"},
		{"float overflow", graph(func(g map[string]any) { g["input"].(map[string]any)["std"] = []json.Number{"1e39"} }), "metadata: model: json: cannot unmarshal number 1e39"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := tt.data(t)
			m, err := Decode(data)
			require.Error(t, err)
			assert.Nil(t, m)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), "\n", "errors are one line")
		})
	}
}

// The corruption table above depends on the layout of the tiny model.
func TestTinyLayout(t *testing.T) {
	p := parse(t, encode(t, tiny(t)))
	assert.Len(t, p.body, 152)
	assert.Equal(t, "[0 8]", fmt.Sprint(p.tensor("c.bias")["data_offsets"]))
	assert.Equal(t, "[8 80]", fmt.Sprint(p.tensor("c.weight")["data_offsets"]))
	assert.Equal(t, "[80 88]", fmt.Sprint(p.tensor("fc.bias")["data_offsets"]))
	assert.Equal(t, "[88 152]", fmt.Sprint(p.tensor("fc.weight")["data_offsets"]))
}

func TestDecodeForwardCompatible(t *testing.T) {
	m := tiny(t)
	p := parse(t, encode(t, m))
	p.meta()["quantization"] = "added by a later edgecnn"
	g := p.graph(t)
	g["preprocess"] = map[string]any{"crop": "centre"}
	g["input"].(map[string]any)["layout"] = "CHW"
	g["nodes"].([]any)[0].(map[string]any)["annotation"] = map[string]any{"origin": "onnx", "opset": 13}
	p.setGraph(t, g)
	got, err := Decode(p.bytes(t))
	require.NoError(t, err)
	assert.True(t, equalModels(m, got))
}

func TestSaveLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.safetensors")
	m := built(t, "lenet5", 1)
	require.NoError(t, Save(path, m))
	got, err := Load(path)
	require.NoError(t, err)
	require.True(t, equalModels(m, got))
	if littleEndian {
		// Zero copy: packed tensors sit back to back in the one file buffer.
		bias, weight := got.Params["conv1.bias"].F32, got.Params["conv1.weight"].F32
		assert.Equal(t, uintptr(unsafe.Pointer(&bias[0]))+4*uintptr(len(bias)), uintptr(unsafe.Pointer(&weight[0])))
	}
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), fi.Mode().Perm())
	assertOnly(t, dir, "model.safetensors")

	// Saving over an existing file replaces it and keeps its permissions.
	require.NoError(t, os.Chmod(path, 0o600))
	other := tiny(t)
	require.NoError(t, Save(path, other))
	got, err = Load(path)
	require.NoError(t, err)
	require.True(t, equalModels(other, got))
	fi, err = os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	assertOnly(t, dir, "model.safetensors")

	// A relative path in the working directory.
	t.Chdir(dir)
	require.NoError(t, Save("rel.safetensors", other))
	_, err = Load("rel.safetensors")
	require.NoError(t, err)
}

func TestSaveFailures(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.safetensors")
	require.NoError(t, Save(path, tiny(t)))
	before, err := os.ReadFile(path)
	require.NoError(t, err)

	// An invalid model writes nothing and leaves the old file alone.
	bad := tiny(t)
	bad.Labels = bad.Labels[:1]
	err = Save(path, bad)
	require.ErrorContains(t, err, path+": model has 1 labels for 2 outputs")
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, before, after)
	err = Save(filepath.Join(dir, "new.safetensors"), nil)
	require.ErrorContains(t, err, "no model")
	// Strings JSON would silently change: the file could not be loaded back.
	bad = tiny(t)
	bad.Labels[1] = "caf\xe9"
	err = Save(filepath.Join(dir, "new.safetensors"), bad)
	require.ErrorContains(t, err, `label "caf\xe9" is not valid UTF-8`)
	bad = tiny(t)
	bad.Arch = "\xff"
	require.ErrorContains(t, Save(filepath.Join(dir, "new.safetensors"), bad), `architecture name "\xff" is not valid UTF-8`)
	bad = tiny(t)
	bad.Nodes[0].Name = "c\x80"
	bad.Nodes[1].Inputs[0] = "c\x80"
	bad.Params = map[string]*Tensor{}
	require.NoError(t, bad.InitParams())
	require.ErrorContains(t, Save(filepath.Join(dir, "new.safetensors"), bad), `layer "c\x80": name is not valid UTF-8`)
	assertOnly(t, dir, "model.safetensors")

	// Renaming over a directory fails after the write: the temp file goes.
	sub := filepath.Join(dir, "sub")
	require.NoError(t, os.MkdirAll(filepath.Join(sub, "x"), 0o755))
	require.Error(t, Save(sub, tiny(t)))
	assertOnly(t, dir, "model.safetensors", "sub")

	// A directory that does not exist.
	require.Error(t, Save(filepath.Join(dir, "missing", "m.safetensors"), tiny(t)))
	assertOnly(t, dir, "model.safetensors", "sub")
}

func TestSaveReadOnlyDir(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root can write to a read-only directory")
	}
	dir := t.TempDir()
	require.NoError(t, os.Chmod(dir, 0o555))
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	err := Save(filepath.Join(dir, "model.safetensors"), tiny(t))
	require.ErrorIs(t, err, os.ErrPermission)
	assertOnly(t, dir)
}

// assertOnly checks that dir holds exactly the named entries.
func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var have []string
	for _, e := range entries {
		have = append(have, e.Name())
	}
	assert.ElementsMatch(t, names, have)
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := Load(filepath.Join(dir, "none.safetensors"))
	require.ErrorIs(t, err, os.ErrNotExist)

	path := filepath.Join(dir, "bad.safetensors")
	p := parse(t, encode(t, tiny(t)))
	p.meta()["version"] = "2"
	require.NoError(t, os.WriteFile(path, p.bytes(t), 0o644))
	_, err = Load(path)
	require.EqualError(t, err, path+": model file version 2 is newer than this edgecnn (1): upgrade")
}

// FuzzDecode checks that Decode never panics, allocates within memcheck's
// bound, and that whatever it accepts encodes and decodes back to the same
// model.
func FuzzDecode(f *testing.F) {
	small := encode(f, tiny(f))
	f.Add(small)
	f.Add(encode(f, built(f, "lenet5", 1)))
	f.Add(small[:len(small)/2])
	f.Add(small[:8])
	bigHeader := slices.Clone(small)
	binary.LittleEndian.PutUint64(bigHeader, 1<<40)
	f.Add(bigHeader)
	flipped := slices.Clone(small)
	flipped[8+10] ^= 0x20
	f.Add(flipped)
	p := parse(f, small)
	p.tensor("c.bias")["shape"] = []int64{1 << 40}
	f.Add(p.bytes(f))
	p = parse(f, small)
	p.meta()["version"] = "2"
	f.Add(p.bytes(f))
	// Thousands of header entries of 8 bytes, where what one costs beyond
	// its bytes is multiplied (json.Decoder's tokens once cost 78 bytes of
	// memory per byte).
	keys := []byte("{")
	for i := range 8000 {
		keys = fmt.Appendf(keys, `"%d":0,`, i)
	}
	f.Add(file(append(keys, `"x":0}`...), nil))
	// 50000 empty layers "{}": 3 bytes of file each, and a layer is 160
	// bytes of memory (once 69 bytes per byte).
	p = parse(f, small)
	p.meta()["model"] = `{"nodes":[` + strings.Repeat("{},", 50000) + `{}]}`
	f.Add(p.bytes(f))

	f.Fuzz(func(t *testing.T, data []byte) {
		var m *Model
		var err error
		memcheck.Check(t, len(data), func() { m, err = Decode(data) })
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error on more than one line: %q", err)
			}
			return
		}
		out, err := Encode(m)
		if err != nil {
			t.Fatalf("decoded model does not encode: %v", err)
		}
		m2, err := Decode(out)
		if err != nil {
			t.Fatalf("encoded model does not decode: %v", err)
		}
		if !equalModels(m, m2) {
			t.Fatal("round trip changed the model")
		}
		if out2, _ := Encode(m2); !bytes.Equal(out, out2) {
			t.Fatal("re-encoding changed the bytes")
		}
	})
}

// byIntSize returns want64 where int has 64 bits and want32 where it has 32
// (GOARCH=arm): there, a dimension beyond 2^31 is rejected as it is parsed.
func byIntSize(want64, want32 string) string {
	if strconv.IntSize == 32 {
		return want32
	}
	return want64
}
