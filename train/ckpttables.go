package train

import (
	"encoding/binary"
	"fmt"
	"maps"
	"math"
	"slices"
)

// The checkpoint header's tables encode themselves inside the gob stream
// (gob.GobEncoder): gob sizes a map from the count it claims before
// reading a single entry, and writes a struct of zeros as one byte that
// decodes to 64, so a few kilobytes of hostile header could take any
// amount of memory. Here every entry takes its bytes: an epoch 64, a
// section or a tensor at least 6 and 5, and nothing is sized from a claim.

// epochs is the metrics history: 8 little-endian 64-bit words per epoch.
type epochs []EpochMetrics

// epochBytes is the size of one encoded epoch.
const epochBytes = 8 * 8

func (h epochs) GobEncode() ([]byte, error) {
	b := make([]byte, 0, len(h)*epochBytes)
	for _, e := range h {
		b = binary.LittleEndian.AppendUint64(b, uint64(e.Epoch))
		for _, v := range [...]float64{e.Loss, e.TrainTop1, e.TestTop1, e.TestLoss, e.Seconds, e.ImagesPerSec, e.LR} {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
		}
	}
	return b, nil
}

func (h *epochs) GobDecode(b []byte) error {
	if len(b)%epochBytes != 0 {
		return fmt.Errorf("epoch table of %d bytes is not whole epochs of %d", len(b), epochBytes)
	}
	rows := make(epochs, len(b)/epochBytes)
	for i := range rows {
		var w [8]uint64
		for j := range w {
			w[j] = binary.LittleEndian.Uint64(b[8*(8*i+j):])
		}
		f := func(j int) float64 { return math.Float64frombits(w[j]) }
		rows[i] = EpochMetrics{Epoch: int(int64(w[0])), Loss: f(1), TrainTop1: f(2), TestTop1: f(3), TestLoss: f(4),
			Seconds: f(5), ImagesPerSec: f(6), LR: f(7)}
	}
	*h = rows
	return nil
}

// sectionTable lists the sections: each a name, its size (varint) and
// its CRC32C.
type sectionTable []section

func (t sectionTable) GobEncode() ([]byte, error) {
	var b []byte
	for _, s := range t {
		b = appendName(b, s.Name)
		b = binary.AppendVarint(b, s.Bytes)
		b = binary.LittleEndian.AppendUint32(b, s.CRC)
	}
	return b, nil
}

func (t *sectionTable) GobDecode(b []byte) error {
	var out sectionTable
	r := tableReader{b: b}
	for len(r.b) > 0 && r.err == nil {
		out = append(out, section{Name: r.name(), Bytes: r.varint(), CRC: r.uint32()})
	}
	*t = out
	return r.err
}

// tensorCRCs maps each model parameter to the CRC32C of its bytes: each a
// name and its CRC, in name order.
type tensorCRCs map[string]uint32

func (m tensorCRCs) GobEncode() ([]byte, error) {
	var b []byte
	for _, name := range slices.Sorted(maps.Keys(m)) {
		b = appendName(b, name)
		b = binary.LittleEndian.AppendUint32(b, m[name])
	}
	return b, nil
}

func (m *tensorCRCs) GobDecode(b []byte) error {
	out := tensorCRCs{}
	r := tableReader{b: b}
	for len(r.b) > 0 && r.err == nil {
		name, crc := r.name(), r.uint32()
		if _, dup := out[name]; dup && r.err == nil {
			return fmt.Errorf("tensor %q has two checksums", name)
		}
		out[name] = crc
	}
	*m = out
	return r.err
}

// appendName appends s with its length (uvarint) first.
func appendName(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// tableReader reads the fields of an encoded table. The first error
// sticks: later reads return zeros.
type tableReader struct {
	b   []byte
	err error
}

func (r *tableReader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("table entry cut short in its %s", what)
	}
	r.b = nil
}

func (r *tableReader) name() string {
	n, k := binary.Uvarint(r.b)
	if k <= 0 || n > uint64(len(r.b)-k) {
		r.fail("name")
		return ""
	}
	s := string(r.b[k : k+int(n)])
	r.b = r.b[k+int(n):]
	return s
}

func (r *tableReader) varint() int64 {
	v, k := binary.Varint(r.b)
	if k <= 0 {
		r.fail("size")
		return 0
	}
	r.b = r.b[k:]
	return v
}

func (r *tableReader) uint32() uint32 {
	if len(r.b) < 4 {
		r.fail("checksum")
		return 0
	}
	v := binary.LittleEndian.Uint32(r.b)
	r.b = r.b[4:]
	return v
}
