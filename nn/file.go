package nn

// The model file.
//
// A model file is a safetensors file (https://github.com/huggingface/safetensors),
// so Python can open it with safetensors.safe_open:
//
//	8 bytes       N, the header length, little-endian uint64
//	N bytes       the header: a JSON object, padded with spaces to a multiple of 8
//	the rest      the data section: raw little-endian tensors, packed
//
// The header has one entry per tensor,
//
//	"conv1.weight": {"dtype": "F32", "shape": [6, 1, 5, 5], "data_offsets": [begin, end]}
//
// with offsets relative to the start of the data section, and a
// "__metadata__" object mapping strings to strings:
//
//	"format":  "edgecnn"
//	"version": "1"          (FileVersion, a decimal integer)
//	"model":   a JSON document {"arch", "input", "nodes", "labels"} (see modelJSON)
//
// Compatibility: new fields may be added to the model document and new keys
// to __metadata__ without changing the version; readers ignore what they do
// not know. The version changes only when an older reader would misread a
// newer file, and a reader refuses files with a version newer than its own.
//
// Layout rules, the same as the reference safetensors implementation, which
// rejects files that break them: tensors tile the data section exactly, in
// offset order, with no gaps, no overlaps and no trailing bytes. Encode
// orders tensors by decreasing element size, then by name; since the data
// section starts at a multiple of 8 in the file, every tensor then starts at
// a multiple of its own element size. Decode lets F32, I32 and I8 tensors
// alias the file bytes when the machine is little-endian and the actual
// address is aligned, and copies them otherwise.

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
	"unsafe"

	"github.com/edgecnn/edgecnn/internal/atomicfile"
	"github.com/edgecnn/edgecnn/internal/safefile"
)

// FileFormat is the value of the "format" metadata key of a model file.
const FileFormat = "edgecnn"

// FileVersion is the version of the model file format this package writes,
// and the newest it reads.
const FileVersion = 1

// maxHeader bounds the JSON header of a model file, as in the reference
// safetensors implementation.
const maxHeader = 100_000_000

// maxFile bounds the size of a model file Load reads: 4 GiB, a billion
// int8 weights, far more than a Raspberry Pi runs.
const maxFile = 4 << 30

// metadataKey is the header entry that holds string metadata rather than a tensor.
const metadataKey = "__metadata__"

// modelJSON is the document stored under the "model" metadata key.
type modelJSON struct {
	Arch     string    `json:"arch"`
	Input    Input     `json:"input"`
	Nodes    []*Node   `json:"nodes"`
	Labels   []string  `json:"labels"`
	Imported *Imported `json:"imported,omitempty"`
}

// tensorJSON is the header entry of one tensor.
type tensorJSON struct {
	DType       DType  `json:"dtype"`
	Shape       []int  `json:"shape"`
	DataOffsets [2]int `json:"data_offsets"`
}

// littleEndian reports whether the machine stores numbers little-endian,
// like the file, so that tensors can alias the file bytes.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// Save validates m and writes it to path atomically: to a temporary file in
// the same directory, synced, then renamed over path, and the directory
// synced. On error nothing is left behind and an existing file at path is
// untouched. An existing file keeps its permissions; a new one gets 0644.
// A symbolic link at path is replaced, not followed.
func Save(path string, m *Model) error {
	data, err := Encode(m)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return atomicfile.WriteBytes(path, data)
}

// Load reads the model file at path with a single read and decodes it
// without copying the tensors (see Decode). Errors about the content are
// prefixed with path. path must be a regular file of at most 4 GiB.
func Load(path string) (*Model, error) {
	data, err := safefile.ReadFile(path, maxFile)
	if err != nil {
		return nil, err
	}
	m, err := Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// Encode validates m and returns its model file. The same model always
// encodes to the same bytes.
func Encode(m *Model) ([]byte, error) {
	if m == nil {
		return nil, errors.New("no model")
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	if err := checkUTF8(m); err != nil {
		return nil, err
	}
	graph, err := json.Marshal(modelJSON{Arch: m.Arch, Input: m.Input, Nodes: m.Nodes, Labels: m.Labels, Imported: m.Imported})
	if err != nil {
		return nil, fmt.Errorf("encode graph: %w", err)
	}

	names := make([]string, 0, len(m.Params))
	for name := range m.Params {
		names = append(names, name)
	}
	slices.SortFunc(names, func(a, b string) int {
		if c := cmp.Compare(m.Params[b].DType.Size(), m.Params[a].DType.Size()); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})

	// encoding/json writes map keys sorted, so the header is deterministic.
	header := make(map[string]any, len(names)+1)
	header[metadataKey] = map[string]string{
		"format":  FileFormat,
		"version": strconv.Itoa(FileVersion),
		"model":   string(graph),
	}
	size := 0
	for _, name := range names {
		t := m.Params[name]
		n := t.Len() * t.DType.Size()
		if n == 0 && Shape(t.Shape).Size() != 0 {
			return nil, fmt.Errorf("tensor %q: cannot encode dtype %q", name, t.DType)
		}
		shape := t.Shape
		if shape == nil {
			shape = []int{}
		}
		header[name] = tensorJSON{DType: t.DType, Shape: shape, DataOffsets: [2]int{size, size + n}}
		size += n
	}
	h, err := json.Marshal(header)
	if err != nil {
		return nil, fmt.Errorf("encode header: %w", err)
	}
	pad := (8 - len(h)%8) % 8

	out := make([]byte, 8, 8+len(h)+pad+size)
	binary.LittleEndian.PutUint64(out, uint64(len(h)+pad))
	out = append(out, h...)
	out = append(out, "        "[:pad]...)
	for _, name := range names {
		out = appendTensor(out, m.Params[name])
	}
	return out, nil
}

// checkUTF8 reports a name that JSON cannot hold unchanged. Names of
// inputs and parameters are checked too, since Validate ties them to layer names.
func checkUTF8(m *Model) error {
	if !utf8.ValidString(m.Arch) {
		return fmt.Errorf("architecture name %q is not valid UTF-8", m.Arch)
	}
	for _, n := range m.Nodes {
		if !utf8.ValidString(n.Name) {
			return fmt.Errorf("layer %q: name is not valid UTF-8", n.Name)
		}
	}
	for _, l := range m.Labels {
		if !utf8.ValidString(l) {
			return fmt.Errorf("label %q is not valid UTF-8", l)
		}
	}
	return nil
}

// appendTensor appends the little-endian bytes of t's data.
func appendTensor(out []byte, t *Tensor) []byte {
	switch t.DType {
	case F32:
		if littleEndian {
			return append(out, unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(t.F32))), 4*len(t.F32))...)
		}
		for _, v := range t.F32 {
			out = binary.LittleEndian.AppendUint32(out, math.Float32bits(v))
		}
	case I32:
		if littleEndian {
			return append(out, unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(t.I32))), 4*len(t.I32))...)
		}
		for _, v := range t.I32 {
			out = binary.LittleEndian.AppendUint32(out, uint32(v))
		}
	case I8:
		return append(out, unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(t.I8))), len(t.I8))...)
	}
	return out
}

// Decode checks and decodes a model file. Every length, offset and shape is
// checked against data before use, then the graph with Validate; an error is
// one line saying what is wrong.
//
// The tensors of the result alias data where they can (see the package
// comment on the model file): data must not be modified while the model is
// in use, and writing to the model's tensors writes to data.
func Decode(data []byte) (*Model, error) {
	if len(data) < 8 {
		return nil, fmt.Errorf("file is %d bytes, too short for a safetensors header", len(data))
	}
	n := binary.LittleEndian.Uint64(data)
	if n > maxHeader {
		return nil, fmt.Errorf("header length %d is over the %d-byte limit (not a safetensors file?)", n, maxHeader)
	}
	if n > uint64(len(data)-8) {
		return nil, fmt.Errorf("header length %d runs past the end of the %d-byte file (truncated?)", n, len(data))
	}
	header, body := data[8:8+n], data[8+n:]
	if !utf8.Valid(header) {
		return nil, errors.New("header is not valid UTF-8")
	}
	entries, err := splitHeader(header)
	if err != nil {
		return nil, err
	}

	var meta map[string]string
	tensors := entries[:0]
	for _, e := range entries {
		if e.name == metadataKey {
			if err := json.Unmarshal(e.raw, &meta); err != nil {
				return nil, fmt.Errorf("header: %s must map strings to strings: %v", metadataKey, err)
			}
			continue
		}
		tensors = append(tensors, e)
	}
	if err := checkMetadata(meta); err != nil {
		return nil, err
	}

	params := make(map[string]*Tensor, len(tensors))
	spans := make([]span, 0, len(tensors))
	for _, e := range tensors {
		t, begin, end, err := parseTensor(e.raw, len(body))
		if err != nil {
			return nil, fmt.Errorf("tensor %q: %w", e.name, err)
		}
		params[e.name] = t
		spans = append(spans, span{e.name, begin, end})
	}
	if err := checkTiling(spans, len(body)); err != nil {
		return nil, err
	}
	for _, s := range spans {
		fill(params[s.name], body[s.begin:s.end])
	}

	graph := []byte(meta["model"])
	if err := checkNames(graph); err != nil {
		return nil, err
	}
	var g modelJSON
	if err := json.Unmarshal(graph, &g); err != nil {
		return nil, fmt.Errorf("metadata: model: %v", err)
	}
	m := &Model{Arch: g.Arch, Input: g.Input, Nodes: g.Nodes, Labels: g.Labels, Params: params, Imported: g.Imported}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}

// checkNames refuses a graph with an unnamed layer before its layers are
// decoded: "{}" is 3 bytes of file and a Node 160 bytes of memory, so a
// graph of empty layers would take fifty times its size before Validate
// refused it. Named layers take at least 12 bytes each.
func checkNames(graph []byte) error {
	var g struct {
		Nodes []*struct {
			Name string `json:"name"`
			Op   Op     `json:"op"`
		} `json:"nodes"`
	}
	if err := json.Unmarshal(graph, &g); err != nil {
		return fmt.Errorf("metadata: model: %v", err)
	}
	for i, n := range g.Nodes {
		if n == nil {
			continue // Validate says it is missing
		}
		if err := checkName(i, n.Op, n.Name); err != nil {
			return err
		}
	}
	return nil
}

// entry is one key of the header object and its raw JSON value (a slice of
// the header).
type entry struct {
	name string
	raw  json.RawMessage
}

// splitHeader parses the header as one JSON object, keeping its entries in
// file order. Duplicate keys are an error: they would make the file mean
// different things to different readers.
//
// It walks the object itself rather than through json.Decoder's tokens:
// those cost about 700 bytes per entry, and a header of thousands of
// 6-byte entries ("a":0,) would take a hundred times its size. Here an
// entry costs its slot, its name and a map slot.
func splitHeader(header []byte) ([]entry, error) {
	start := skipSpace(header, 0)
	end := jsonEnd(header, start)
	if end >= 0 && skipSpace(header, end) < len(header) {
		return nil, errors.New("header is not valid JSON: data after the object")
	}
	obj := header[start:max(end, start)]
	if end < 0 || !json.Valid(obj) {
		err := json.Unmarshal(header, new(json.RawMessage)) // says where
		return nil, fmt.Errorf("header is not valid JSON: %v", err)
	}
	if obj[0] != '{' {
		return nil, errors.New("header is not a JSON object")
	}
	// obj is valid JSON: every key is a string followed by a colon, and
	// every value by a comma or the closing brace.
	var entries []entry
	for i := skipSpace(obj, 1); obj[i] == '"'; {
		keyEnd := jsonEnd(obj, i)
		name, err := jsonString(obj[i:keyEnd])
		if err != nil {
			return nil, fmt.Errorf("header is not valid JSON: %v", err)
		}
		v := skipSpace(obj, skipSpace(obj, keyEnd)+1)
		vEnd := jsonEnd(obj, v)
		entries = append(entries, entry{name, obj[v:vEnd:vEnd]})
		i = skipSpace(obj, vEnd)
		if obj[i] == ',' {
			i = skipSpace(obj, i+1)
		}
	}
	seen := make(map[string]struct{}, len(entries))
	for _, e := range entries {
		if _, dup := seen[e.name]; dup {
			return nil, fmt.Errorf("header: duplicate entry %q", e.name)
		}
		seen[e.name] = struct{}{}
	}
	return entries, nil
}

// skipSpace returns the index of the first byte of b at or after i that is
// not JSON white space.
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// jsonEnd returns the end of the JSON value starting at b[i], or -1 if b
// ends first. It only matches brackets and skips strings, so it finds the
// end of any valid value and stops on any input; validity is checked
// separately.
func jsonEnd(b []byte, i int) int {
	depth := 0
	for ; i < len(b); i++ {
		switch b[i] {
		case '"':
			for i++; i < len(b) && b[i] != '"'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
			if i >= len(b) {
				return -1
			}
			if depth == 0 {
				return i + 1
			}
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return i // the end of a literal inside its container
			}
			if depth--; depth == 0 {
				return i + 1
			}
		case ',', ':', ' ', '\t', '\n', '\r':
			if depth == 0 {
				return i
			}
		}
	}
	if depth == 0 {
		return len(b)
	}
	return -1
}

// jsonString decodes a JSON string literal, allocating only its text
// unless it has escapes.
func jsonString(lit []byte) (string, error) {
	if bytes.IndexByte(lit, '\\') < 0 {
		return string(lit[1 : len(lit)-1]), nil
	}
	var s string
	err := json.Unmarshal(lit, &s)
	return s, err
}

// checkMetadata checks the format and version keys.
func checkMetadata(meta map[string]string) error {
	if meta == nil {
		return fmt.Errorf("not an edgecnn model file: the header has no %s", metadataKey)
	}
	format, ok := meta["format"]
	if !ok {
		return fmt.Errorf("not an edgecnn model file: %s has no format", metadataKey)
	}
	if format != FileFormat {
		return fmt.Errorf("not an edgecnn model file: format is %q, want %q", format, FileFormat)
	}
	v, ok := meta["version"]
	if !ok {
		return errors.New("metadata has no version")
	}
	version, err := strconv.Atoi(v)
	if err != nil || version < 1 {
		return fmt.Errorf("metadata: invalid version %q", v)
	}
	if version > FileVersion {
		return fmt.Errorf("model file version %d is newer than this edgecnn (%d): upgrade", version, FileVersion)
	}
	if _, ok := meta["model"]; !ok {
		return errors.New("metadata has no model")
	}
	return nil
}

// parseTensor checks one tensor entry against a data section of size bytes
// and returns the tensor, without data yet, and its byte range. Nothing is
// allocated in proportion to the shape it claims.
func parseTensor(raw json.RawMessage, size int) (t *Tensor, begin, end int, err error) {
	var e struct {
		DType       *string            `json:"dtype"`
		Shape       *[]json.RawMessage `json:"shape"`
		DataOffsets *[]json.RawMessage `json:"data_offsets"`
	}
	if len(raw) == 0 || raw[0] != '{' {
		return nil, 0, 0, errors.New("entry is not a JSON object")
	}
	if err := json.Unmarshal(raw, &e); err != nil {
		return nil, 0, 0, err
	}
	if e.DType == nil || e.Shape == nil || e.DataOffsets == nil {
		return nil, 0, 0, errors.New("needs dtype, shape and data_offsets")
	}
	dtype := DType(*e.DType)
	if dtype.Size() == 0 {
		return nil, 0, 0, fmt.Errorf("unsupported dtype %q (want F32, I32 or I8)", *e.DType)
	}
	shape := make([]int, len(*e.Shape))
	count := 1
	for i, r := range *e.Shape {
		d, err := parseInt(r)
		if err != nil || d < 0 {
			return nil, 0, 0, fmt.Errorf("invalid dimension %s in shape", r)
		}
		shape[i] = d
		if d == 0 || count == 0 {
			count = 0
		} else if count > math.MaxInt/d {
			return nil, 0, 0, fmt.Errorf("shape %v overflows", shape[:i+1])
		}
		count *= d
	}
	if len(*e.DataOffsets) != 2 {
		return nil, 0, 0, fmt.Errorf("data_offsets has %d values, want 2", len(*e.DataOffsets))
	}
	var offs [2]int
	for i, r := range *e.DataOffsets {
		v, err := parseInt(r)
		if err != nil || v < 0 {
			return nil, 0, 0, fmt.Errorf("invalid data offset %s", r)
		}
		offs[i] = v
	}
	begin, end = offs[0], offs[1]
	if begin > end || end > size {
		return nil, 0, 0, fmt.Errorf("data_offsets [%d, %d] outside the %d-byte data section", begin, end, size)
	}
	if count > math.MaxInt/dtype.Size() || count*dtype.Size() != end-begin {
		return nil, 0, 0, fmt.Errorf("data_offsets [%d, %d] hold %d bytes, but %s shape %v needs %d elements of %d bytes",
			begin, end, end-begin, dtype, shape, count, dtype.Size())
	}
	return &Tensor{DType: dtype, Shape: shape}, begin, end, nil
}

// parseInt parses a JSON integer literal (no fraction, no exponent) that fits an int.
func parseInt(raw json.RawMessage) (int, error) {
	v, err := strconv.ParseInt(string(bytes.TrimSpace(raw)), 10, 0)
	return int(v), err
}

// span is the byte range of one tensor in the data section.
type span struct {
	name       string
	begin, end int
}

// checkTiling checks that the tensors cover the data section exactly, as
// the reference safetensors reader requires: no overlaps, no gaps, nothing
// after the last tensor.
func checkTiling(spans []span, size int) error {
	slices.SortFunc(spans, func(a, b span) int {
		return cmp.Or(cmp.Compare(a.begin, b.begin), cmp.Compare(a.end, b.end), cmp.Compare(a.name, b.name))
	})
	pos, prev := 0, ""
	for _, s := range spans {
		if s.begin < pos {
			return fmt.Errorf("tensor %q: data_offsets [%d, %d] overlap tensor %q", s.name, s.begin, s.end, prev)
		}
		if s.begin > pos {
			return fmt.Errorf("tensor %q: %d unused bytes before it in the data section (tensors must be packed)", s.name, s.begin-pos)
		}
		pos, prev = s.end, s.name
	}
	if pos != size {
		return fmt.Errorf("data section has %d bytes after the last tensor", size-pos)
	}
	return nil
}

// fill points t at its bytes b (already checked to match its dtype and
// shape): aliased when possible, copied otherwise.
func fill(t *Tensor, b []byte) {
	switch t.DType {
	case F32:
		t.F32 = decode32(b, math.Float32frombits)
	case I32:
		t.I32 = decode32(b, func(u uint32) int32 { return int32(u) })
	case I8:
		t.I8 = make([]int8, 0)
		if len(b) > 0 {
			t.I8 = unsafe.Slice((*int8)(unsafe.Pointer(&b[0])), len(b))
		}
	}
}

// decode32 returns the little-endian 4-byte values in b as a slice that
// aliases b if this machine is little-endian and b is aligned for T, and as
// a decoded copy otherwise.
func decode32[T float32 | int32](b []byte, conv func(uint32) T) []T {
	n := len(b) / 4
	if n == 0 {
		return make([]T, 0)
	}
	var zero T
	if littleEndian && uintptr(unsafe.Pointer(&b[0]))%unsafe.Alignof(zero) == 0 {
		return unsafe.Slice((*T)(unsafe.Pointer(&b[0])), n)
	}
	out := make([]T, n)
	for i := range out {
		out[i] = conv(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}
