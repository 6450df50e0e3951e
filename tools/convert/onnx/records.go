package onnx

// The records of an ONNX file, read straight from the protobuf wire format.
//
// The generated messages (internal/onnxpb) cost hundreds of bytes for every
// record, however small: a file of 20,000 empty initializers, two bytes
// each, took 180 times its size, one of one-letter nodes 40 times. This
// reader decodes only what the importer uses, into records whose cost is
// bounded by their bytes in the file:
//
//   - Every message is read twice, once to count its repeated fields and
//     once to fill them, so each slice is allocated once at its length.
//   - A record ONNX requires to be named or typed is refused before it is
//     allocated when it is too short to hold that name: every node, graph
//     input or output, initializer and attribute kept is at least 5 bytes
//     of the file, and costs at most 30 times that.
//   - Tensors (initializers and attribute values) and the graph input's type
//     stay as their bytes within the file until the importer reads them;
//     raw_data is never copied. Strings are copied, so a model never keeps
//     the file's bytes alive.
//   - Fields the importer does not read (documentation, value_info,
//     subgraphs, metadata, functions) are skipped without allocating.
//
// A singular scalar field given twice keeps its last value, as protobuf
// says; a singular message field given twice, which protobuf would merge
// and no exporter writes, is refused. The getters mirror the generated
// types', so the importer reads these records as it read the messages.

import (
	"errors"
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/edgecnn/edgecnn/tools/convert/onnx/internal/onnxpb"
)

// minNamed is the shortest content of a record that must hold a non-empty
// string field: its tag, its length and one byte.
const minNamed = 3

// Field numbers of onnx.proto.
const (
	modelOpsetImport = 8
	modelGraph       = 7

	opsetDomain  = 1
	opsetVersion = 2

	graphNode              = 1
	graphInitializer       = 5
	graphInput             = 11
	graphOutput            = 12
	graphSparseInitializer = 15
	nodeInput              = 1
	nodeOutput             = 2
	nodeName               = 3
	nodeOpType             = 4
	nodeAttribute          = 5
	nodeDomain             = 7
	attrName               = 1
	attrF                  = 2
	attrI                  = 3
	attrS                  = 4
	attrT                  = 5
	attrFloats             = 7
	attrInts               = 8
	attrType               = 20
	valueInfoName          = 1
	valueInfoType          = 2
	typeTensorType         = 1
	typeTensorElemType     = 1
	typeTensorShape        = 2
	shapeDim               = 1
	dimValue               = 1
	dimParam               = 2
	tensorDims             = 1
	tensorDataType         = 2
	tensorSegment          = 3
	tensorFloatData        = 4
	tensorInt32Data        = 5
	tensorInt64Data        = 7
	tensorName             = 8
	tensorRawData          = 9
	tensorDoubleData       = 10
	tensorUint64Data       = 11
	tensorExternalData     = 13
	tensorDataLocation     = 14
	stringStringEntryKey   = 1
	stringStringEntryValue = 2
	dataLocationExternal   = 1
)

// typeNotTensor are the members of TypeProto's oneof value other than
// tensor_type: sequence_type, map_type, sparse_tensor_type, optional_type.
var typeNotTensor = map[protowire.Number]bool{4: true, 5: true, 8: true, 9: true}

// malformed is an error in the wire format itself.
type malformed struct{ err error }

func (e malformed) Error() string { return "malformed protobuf: " + e.err.Error() }

// message reads the fields of a protobuf message in order:
//
//	for m := (message{rest: b}); m.next(); { switch m.num { ... } }
//	if m.err != nil { ... }
type message struct {
	rest []byte
	num  protowire.Number
	typ  protowire.Type
	v    uint64 // a varint, fixed32 or fixed64 field's value
	b    []byte // a length-delimited field's contents (never nil)
	err  error
}

// next reads the next field, reporting false at the end of the message or
// on an error (m.err).
func (m *message) next() bool {
	if len(m.rest) == 0 || m.err != nil {
		return false
	}
	num, typ, n := protowire.ConsumeTag(m.rest)
	if n < 0 {
		m.err = malformed{protowire.ParseError(n)}
		return false
	}
	m.num, m.typ, m.v, m.b = num, typ, 0, nil
	b := m.rest[n:]
	switch typ {
	case protowire.VarintType:
		m.v, n = protowire.ConsumeVarint(b)
	case protowire.Fixed32Type:
		var v uint32
		v, n = protowire.ConsumeFixed32(b)
		m.v = uint64(v)
	case protowire.Fixed64Type:
		m.v, n = protowire.ConsumeFixed64(b)
	case protowire.BytesType:
		m.b, n = protowire.ConsumeBytes(b) // a slice of b, never nil
	default: // groups, which ONNX does not use
		n = protowire.ConsumeFieldValue(num, typ, b)
	}
	if n < 0 {
		m.err = malformed{protowire.ParseError(n)}
		return false
	}
	m.rest = b[n:]
	return true
}

// is reports whether the field read is number num, of wire type typ.
// Fields of another wire type are unknown fields, as in protobuf.
func (m *message) is(num protowire.Number, typ protowire.Type) bool {
	return m.num == num && m.typ == typ
}

// once sets *field to the contents of a singular message field, reporting
// false if it was set already.
func (m *message) once(field *[]byte) bool {
	if *field != nil {
		return false
	}
	*field = m.b
	return true
}

// scalar is the Go type of a repeated numeric field.
type scalar interface {
	~int32 | ~int64 | ~uint64 | ~float32
}

// countRepeated returns how many values repeated field num of message b
// holds, unpacked or packed; elem is their wire type.
func countRepeated(b []byte, num protowire.Number, elem protowire.Type) (int, error) {
	n := 0
	m := message{rest: b}
	for m.next() {
		switch {
		case m.is(num, elem):
			n++
		case m.is(num, protowire.BytesType):
			switch elem {
			case protowire.VarintType:
				for _, c := range m.b {
					if c < 0x80 {
						n++ // the last byte of a varint
					}
				}
			case protowire.Fixed32Type, protowire.Fixed64Type:
				width := 4
				if elem == protowire.Fixed64Type {
					width = 8
				}
				if len(m.b)%width != 0 {
					return 0, malformed{fmt.Errorf("packed field %d of %d bytes holds no whole number of %d-byte values", num, len(m.b), width)}
				}
				n += len(m.b) / width
			}
		}
	}
	return n, m.err
}

// readRepeated returns the n values (countRepeated's) of repeated field num
// of message b, each converted from its wire value by conv.
func readRepeated[T scalar](b []byte, num protowire.Number, elem protowire.Type, n int, conv func(uint64) T) ([]T, error) {
	out := make([]T, 0, n)
	m := message{rest: b}
	for m.next() {
		switch {
		case m.is(num, elem):
			out = append(out, conv(m.v))
		case m.is(num, protowire.BytesType):
			for p := m.b; len(p) > 0; {
				var v uint64
				k := 0
				switch elem {
				case protowire.VarintType:
					v, k = protowire.ConsumeVarint(p)
				case protowire.Fixed32Type:
					var v32 uint32
					v32, k = protowire.ConsumeFixed32(p)
					v = uint64(v32)
				case protowire.Fixed64Type:
					v, k = protowire.ConsumeFixed64(p)
				}
				if k < 0 {
					return nil, malformed{protowire.ParseError(k)}
				}
				out = append(out, conv(v))
				p = p[k:]
			}
		}
	}
	return out, m.err
}

// repeated reads repeated field num of message b in full.
func repeated[T scalar](b []byte, num protowire.Number, elem protowire.Type, conv func(uint64) T) ([]T, error) {
	n, err := countRepeated(b, num, elem)
	if err != nil {
		return nil, err
	}
	return readRepeated(b, num, elem, n, conv)
}

// Conversions from wire values.
func wireInt64(v uint64) int64     { return int64(v) }
func wireInt32(v uint64) int32     { return int32(v) }
func wireUint64(v uint64) uint64   { return v }
func wireFloat32(v uint64) float32 { return math.Float32frombits(uint32(v)) }

// model is what the importer reads of a ModelProto: the version of the
// default domain it imports (-1 if none) and its graph.
type modelProto struct {
	opset int64
	graph *graphProto
}

// readModel reads a ModelProto.
func readModel(data []byte) (*modelProto, error) {
	md := &modelProto{opset: -1}
	var g []byte
	m := message{rest: data}
	for m.next() {
		switch {
		case m.is(modelGraph, protowire.BytesType):
			if !m.once(&g) {
				return nil, errors.New("the model has two graphs")
			}
		case m.is(modelOpsetImport, protowire.BytesType):
			isDefault, version := true, int64(0)
			o := message{rest: m.b}
			for o.next() {
				switch {
				case o.is(opsetDomain, protowire.BytesType):
					isDefault = len(o.b) == 0 || string(o.b) == "ai.onnx"
				case o.is(opsetVersion, protowire.VarintType):
					version = int64(o.v)
				}
			}
			if o.err != nil {
				return nil, o.err
			}
			if isDefault {
				md.opset = version
			}
		}
	}
	if m.err != nil {
		return nil, m.err
	}
	if g == nil {
		return md, nil
	}
	var err error
	md.graph, err = readGraph(g)
	return md, err
}

// graph is what the importer reads of a GraphProto.
type graphProto struct {
	node          []nodeProto
	initializer   []initializerProto
	input, output []valueInfoProto
	sparse        int // sparse initializers, which are not supported
}

func (g *graphProto) GetNode() []nodeProto               { return g.node }
func (g *graphProto) GetInitializer() []initializerProto { return g.initializer }
func (g *graphProto) GetInput() []valueInfoProto         { return g.input }
func (g *graphProto) GetOutput() []valueInfoProto        { return g.output }

// readGraph reads a GraphProto: counts its records, refusing those too
// short to be valid, then reads them into slices of that length.
func readGraph(b []byte) (*graphProto, error) {
	g := &graphProto{}
	var nodes, inits, inputs, outputs int
	m := message{rest: b}
	for m.next() {
		if m.typ != protowire.BytesType {
			continue
		}
		short := len(m.b) < minNamed
		switch m.num {
		case graphNode:
			if short {
				return nil, fmt.Errorf("node #%d has no operator (op_type)", nodes)
			}
			nodes++
		case graphInitializer:
			if short {
				return nil, fmt.Errorf("initializer #%d has no name", inits)
			}
			inits++
		case graphInput:
			if short {
				return nil, fmt.Errorf("graph input #%d has no name", inputs)
			}
			inputs++
		case graphOutput:
			if short {
				return nil, fmt.Errorf("graph output #%d has no name", outputs)
			}
			outputs++
		case graphSparseInitializer:
			g.sparse++
		}
	}
	if m.err != nil {
		return nil, m.err
	}
	if nodes > maxNodes {
		return nil, fmt.Errorf("graph has %d nodes, more than %d", nodes, maxNodes)
	}
	g.node = make([]nodeProto, nodes)
	g.initializer = make([]initializerProto, inits)
	g.input = make([]valueInfoProto, inputs)
	g.output = make([]valueInfoProto, outputs)
	nodes, inits, inputs, outputs = 0, 0, 0, 0
	m = message{rest: b}
	for m.next() {
		if m.typ != protowire.BytesType {
			continue
		}
		var err error
		switch m.num {
		case graphNode:
			err = g.node[nodes].read(m.b, nodes)
			nodes++
		case graphInitializer:
			err = g.initializer[inits].read(m.b, inits)
			inits++
		case graphInput:
			err = g.input[inputs].read(m.b, "graph input", inputs)
			inputs++
		case graphOutput:
			err = g.output[outputs].read(m.b, "graph output", outputs)
			outputs++
		}
		if err != nil {
			return nil, err
		}
	}
	return g, nil
}

// node is a NodeProto.
type nodeProto struct {
	input, output        []string
	name, opType, domain string
	attribute            []attributeProto
}

func (n *nodeProto) GetInput() []string             { return n.input }
func (n *nodeProto) GetOutput() []string            { return n.output }
func (n *nodeProto) GetName() string                { return n.name }
func (n *nodeProto) GetOpType() string              { return n.opType }
func (n *nodeProto) GetDomain() string              { return n.domain }
func (n *nodeProto) GetAttribute() []attributeProto { return n.attribute }

// read reads node #k.
func (n *nodeProto) read(b []byte, k int) error {
	var ins, outs, attrs int
	m := message{rest: b}
	for m.next() {
		if m.typ != protowire.BytesType {
			continue
		}
		switch m.num {
		case nodeInput:
			ins++
		case nodeOutput:
			outs++
		case nodeAttribute:
			if len(m.b) < minNamed {
				return fmt.Errorf("node #%d: attribute #%d has no name", k, attrs)
			}
			attrs++
		}
	}
	if m.err != nil {
		return m.err
	}
	n.input, n.output = make([]string, 0, ins), make([]string, 0, outs)
	n.attribute = make([]attributeProto, attrs)
	attrs = 0
	for m = (message{rest: b}); m.next(); {
		if m.typ != protowire.BytesType {
			continue
		}
		switch m.num {
		case nodeInput:
			n.input = append(n.input, string(m.b))
		case nodeOutput:
			n.output = append(n.output, string(m.b))
		case nodeName:
			n.name = string(m.b)
		case nodeOpType:
			n.opType = string(m.b)
		case nodeDomain:
			n.domain = string(m.b)
		case nodeAttribute:
			if err := n.attribute[attrs].read(m.b); err != nil {
				return fmt.Errorf("node #%d: attribute #%d: %w", k, attrs, err)
			}
			attrs++
		}
	}
	if n.opType == "" {
		return fmt.Errorf("node #%d has no operator (op_type)", k)
	}
	return nil
}

// attribute is an AttributeProto of the types the importer reads.
type attributeProto struct {
	name   string
	typ    onnxpb.AttributeProto_AttributeType
	f      float32
	i      int64
	s      []byte      // within the file
	t      tensorProto // nil if absent
	floats []float32
	ints   []int64
}

func (a *attributeProto) GetName() string                              { return a.name }
func (a *attributeProto) GetType() onnxpb.AttributeProto_AttributeType { return a.typ }
func (a *attributeProto) GetF() float32                                { return a.f }
func (a *attributeProto) GetI() int64                                  { return a.i }
func (a *attributeProto) GetS() []byte                                 { return a.s }
func (a *attributeProto) GetT() tensorProto                            { return a.t }
func (a *attributeProto) GetFloats() []float32                         { return a.floats }
func (a *attributeProto) GetInts() []int64                             { return a.ints }

func (a *attributeProto) read(b []byte) error {
	m := message{rest: b}
	for m.next() {
		switch {
		case m.is(attrName, protowire.BytesType):
			a.name = string(m.b)
		case m.is(attrType, protowire.VarintType):
			a.typ = onnxpb.AttributeProto_AttributeType(int32(m.v))
		case m.is(attrF, protowire.Fixed32Type):
			a.f = wireFloat32(m.v)
		case m.is(attrI, protowire.VarintType):
			a.i = int64(m.v)
		case m.is(attrS, protowire.BytesType):
			a.s = m.b
		case m.is(attrT, protowire.BytesType):
			if !m.once((*[]byte)(&a.t)) {
				return errors.New("two tensors")
			}
		}
	}
	if m.err != nil {
		return m.err
	}
	if a.name == "" {
		return errors.New("no name")
	}
	var err error
	if a.floats, err = repeated(b, attrFloats, protowire.Fixed32Type, wireFloat32); err != nil {
		return err
	}
	a.ints, err = repeated(b, attrInts, protowire.VarintType, wireInt64)
	return err
}

// valueInfo is a ValueInfoProto: a name, and a type kept within the file
// until it is read (only the graph input's is).
type valueInfoProto struct {
	name string
	typ  []byte
}

func (v *valueInfoProto) GetName() string { return v.name }

// read reads value info #k of the graph's inputs or outputs (what).
func (v *valueInfoProto) read(b []byte, what string, k int) error {
	m := message{rest: b}
	for m.next() {
		switch {
		case m.is(valueInfoName, protowire.BytesType):
			v.name = string(m.b)
		case m.is(valueInfoType, protowire.BytesType):
			if !m.once(&v.typ) {
				return fmt.Errorf("%s #%d has two types", what, k)
			}
		}
	}
	if m.err != nil {
		return m.err
	}
	if v.name == "" {
		return fmt.Errorf("%s #%d has no name", what, k)
	}
	return nil
}

// dim is one dimension of a tensor type: a number, a name (a symbolic
// dimension such as the batch size), or neither (unknown).
type dim struct {
	value    int64
	param    string
	hasValue bool
}

func (d dim) String() string {
	switch {
	case d.hasValue:
		return fmt.Sprint(d.value)
	case d.param != "":
		return d.param
	}
	return "?"
}

// tensorType is a TypeProto.Tensor: the element type and, if given, the
// shape: its rank, and its dimensions unless there are more than maxRank.
type tensorType struct {
	elem     int32
	hasShape bool
	rank     int
	dims     []dim
}

// tensorType reads the type of v; ok is false when it is not a tensor.
func (v *valueInfoProto) tensorType() (tt tensorType, ok bool, err error) {
	var tensorB, shapeB []byte
	m := message{rest: v.typ}
	for m.next() {
		switch {
		case m.is(typeTensorType, protowire.BytesType):
			if !m.once(&tensorB) {
				return tt, false, errors.New("two tensor types")
			}
		case m.typ == protowire.BytesType && typeNotTensor[m.num]:
			tensorB = nil // another member of the oneof replaces the tensor type
		}
	}
	if m.err != nil || tensorB == nil {
		return tt, false, m.err
	}
	for m = (message{rest: tensorB}); m.next(); {
		switch {
		case m.is(typeTensorElemType, protowire.VarintType):
			tt.elem = int32(m.v)
		case m.is(typeTensorShape, protowire.BytesType):
			if !m.once(&shapeB) {
				return tt, false, errors.New("two shapes")
			}
		}
	}
	if m.err != nil {
		return tt, false, m.err
	}
	tt.hasShape = shapeB != nil
	if tt.rank, err = countRepeated(shapeB, shapeDim, protowire.BytesType); err != nil || tt.rank > maxRank {
		return tt, true, err
	}
	tt.dims = make([]dim, 0, tt.rank)
	for m = (message{rest: shapeB}); m.next(); {
		if !m.is(shapeDim, protowire.BytesType) {
			continue
		}
		var d dim
		for f := (message{rest: m.b}); f.next(); {
			switch {
			case f.is(dimValue, protowire.VarintType):
				d = dim{value: int64(f.v), hasValue: true}
			case f.is(dimParam, protowire.BytesType):
				d = dim{param: string(f.b)}
			}
			if f.err != nil {
				return tt, true, f.err
			}
		}
		tt.dims = append(tt.dims, d)
	}
	return tt, true, m.err
}

// initializer is a named tensor of the graph, kept within the file until
// the importer reads it.
type initializerProto struct {
	name string
	data tensorProto
}

func (t *initializerProto) GetName() string { return t.name }

// read reads initializer #k.
func (t *initializerProto) read(b []byte, k int) error {
	m := message{rest: b}
	for m.next() {
		if m.is(tensorName, protowire.BytesType) {
			t.name = string(m.b)
		}
	}
	if m.err != nil {
		return m.err
	}
	if t.name == "" {
		return fmt.Errorf("initializer #%d has no name", k)
	}
	t.data = b
	return nil
}

// tensorProto is a TensorProto, still in the file's bytes.
type tensorProto []byte
