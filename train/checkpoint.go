package train

// The checkpoint file.
//
//	8 bytes    "ECNNCKPT"
//	4 bytes    version, little-endian uint32 (checkpointVersion)
//	4 bytes    N, the header length, little-endian uint32
//	N bytes    the header: a gob-encoded checkpointHeader, whose tables
//	           encode themselves (see epochs, sectionTable, tensorCRCs)
//	4 bytes    CRC32C (Castagnoli) of everything above
//	the rest   the sections the header lists, in order: the model file
//	           (nn.Encode), then each optimizer buffer as little-endian
//	           float32
//
// Every section has its CRC32C in the header, and so has every tensor of
// the model, so a damaged file is refused with the name of what is
// damaged instead of resuming silently from a flipped bit.

import (
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"maps"
	"math"
	"slices"

	"github.com/edgecnn/edgecnn/internal/atomicfile"
	"github.com/edgecnn/edgecnn/internal/safefile"
	"github.com/edgecnn/edgecnn/nn"
)

// checkpointVersion changes whenever the checkpoint layout does. Version
// 1 was a bare gob stream without checksums; version 2 left its tables to
// gob.
const checkpointVersion = 3

// checkpointMagic starts every checkpoint file.
const checkpointMagic = "ECNNCKPT"

// maxCheckpointFile bounds the size of a checkpoint Resume reads: a model
// and two optimizer buffers of its size.
const maxCheckpointFile = 16 << 30

// maxCheckpointHeader bounds the header: it holds the configuration, the
// metrics of every epoch and one line per tensor.
const maxCheckpointHeader = 16 << 20

// castagnoli is the CRC32C table (hardware-accelerated on amd64 and arm64).
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// checkpointHeader is everything but the tensors: the configuration, the
// position and metrics so far, and the table of sections.
type checkpointHeader struct {
	Config   Config
	Position position
	History  epochs
	// Sections follow the header in this order: the model file, then the
	// optimizer state.
	Sections sectionTable
	// Tensors holds the CRC32C of each model parameter's bytes.
	Tensors tensorCRCs
}

// section is one block of bytes after the header.
type section struct {
	Name  string
	Bytes int64
	CRC   uint32
}

// modelSection names the section holding the model file.
const modelSection = "model"

// checkpoint is a decoded checkpoint: everything needed to continue
// training bit-identically.
type checkpoint struct {
	checkpointHeader
	Model     *nn.Model
	Optimizer map[string][]float32
}

// SaveCheckpoint writes the trainer's state to path atomically.
func (t *Trainer) SaveCheckpoint(path string) error {
	model, err := nn.Encode(t.Model)
	if err != nil {
		return err
	}
	state := t.opt.state()
	h := checkpointHeader{Config: t.Cfg, Position: t.pos, History: t.history, Tensors: tensorCRCs{}}
	h.Sections = append(h.Sections, section{modelSection, int64(len(model)), crc32.Checksum(model, castagnoli)})
	for name, p := range t.Model.Params {
		h.Tensors[name] = crcFloats(p.F32)
	}
	names := slices.Sorted(maps.Keys(state))
	for _, name := range names {
		h.Sections = append(h.Sections, section{name, 4 * int64(len(state[name])), crcFloats(state[name])})
	}
	err = atomicfile.Write(path, func(w io.Writer) error {
		if err := writeCheckpointHeader(w, &h); err != nil {
			return err
		}
		if _, err := w.Write(model); err != nil {
			return err
		}
		for _, name := range names {
			if err := writeFloats(w, state[name]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	return nil
}

// Resume restores a trainer from a checkpoint. epochs, if positive,
// replaces the configured number of epochs (to train further than planned).
func Resume(path string, epochs int) (*Trainer, error) {
	data, err := safefile.ReadFile(path, maxCheckpointFile)
	if err != nil {
		return nil, err
	}
	ck, err := decodeCheckpoint(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	cfg := ck.Config
	if epochs > 0 {
		cfg.Epochs = epochs
	}
	t, err := New(ck.Model, cfg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := restore(t.opt, ck.Optimizer, ck.Position.Steps); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	t.pos, t.history = ck.Position, ck.History
	return t, nil
}

// writeCheckpointHeader writes the magic, version, header and its CRC.
func writeCheckpointHeader(w io.Writer, h *checkpointHeader) error {
	var enc bytes.Buffer
	if err := gob.NewEncoder(&enc).Encode(h); err != nil {
		return err
	}
	head := []byte(checkpointMagic)
	head = binary.LittleEndian.AppendUint32(head, checkpointVersion)
	head = binary.LittleEndian.AppendUint32(head, uint32(enc.Len()))
	head = append(head, enc.Bytes()...)
	head = binary.LittleEndian.AppendUint32(head, crc32.Checksum(head, castagnoli))
	_, err := w.Write(head)
	return err
}

// decodeCheckpoint checks and decodes a checkpoint file: the header's
// checksum before the header is decoded, every size against the file
// before anything is allocated, and every section's and tensor's checksum.
func decodeCheckpoint(data []byte) (*checkpoint, error) {
	const fixed = len(checkpointMagic) + 4 + 4
	if len(data) < fixed+4 || string(data[:len(checkpointMagic)]) != checkpointMagic {
		return nil, errors.New("not an edgecnn checkpoint (or one written before checkpoints had checksums: train again)")
	}
	if v := binary.LittleEndian.Uint32(data[8:]); v != checkpointVersion {
		return nil, fmt.Errorf("checkpoint version %d, want %d", v, checkpointVersion)
	}
	n := uint64(binary.LittleEndian.Uint32(data[12:]))
	if n > maxCheckpointHeader || n > uint64(len(data)-fixed-4) {
		return nil, fmt.Errorf("checkpoint header of %d bytes does not fit the %d-byte file (truncated?)", n, len(data))
	}
	end := fixed + int(n)
	if crc32.Checksum(data[:end], castagnoli) != binary.LittleEndian.Uint32(data[end:]) {
		return nil, errors.New("checkpoint header: checksum mismatch (the file is damaged)")
	}
	var ck checkpoint
	dec := gob.NewDecoder(bytes.NewReader(data[fixed:end]))
	if err := dec.Decode(&ck.checkpointHeader); err != nil {
		return nil, fmt.Errorf("checkpoint header: %v", err)
	}
	body := data[end+4:]
	if err := checkSections(ck.Sections, len(body)); err != nil {
		return nil, err
	}
	ck.Optimizer = make(map[string][]float32, len(ck.Sections)-1)
	for _, s := range ck.Sections {
		b := body[:s.Bytes]
		body = body[s.Bytes:]
		damaged := func() error {
			return fmt.Errorf("checkpoint section %q: checksum mismatch (the file is damaged)", s.Name)
		}
		intact := crc32.Checksum(b, castagnoli) == s.CRC
		if s.Name == modelSection {
			// Decoded first, so that damage in a tensor is reported with
			// the tensor's name; the section's checksum covers the graph.
			m, err := nn.Decode(b)
			switch {
			case err != nil && !intact:
				return nil, damaged()
			case err != nil:
				return nil, fmt.Errorf("checkpoint model: %w", err)
			}
			if err := checkTensors(m, ck.Tensors); err != nil {
				return nil, err
			}
			if !intact {
				return nil, damaged()
			}
			ck.Model = m
			continue
		}
		if !intact {
			return nil, damaged()
		}
		v := make([]float32, len(b)/4)
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
		ck.Optimizer[s.Name] = v
	}
	return &ck, nil
}

// checkSections checks the section table against a body of size bytes:
// the model first, then uniquely named float32 buffers, covering the body
// exactly.
func checkSections(sections []section, size int) error {
	if len(sections) == 0 || sections[0].Name != modelSection {
		return errors.New("checkpoint header: the first section is not the model")
	}
	seen := map[string]bool{}
	left := int64(size)
	for i, s := range sections {
		switch {
		case s.Bytes < 0 || s.Bytes > left:
			return fmt.Errorf("checkpoint section %q of %d bytes runs past the end of the file (truncated?)", s.Name, s.Bytes)
		case seen[s.Name] || i > 0 && s.Name == modelSection:
			return fmt.Errorf("checkpoint section %q appears twice", s.Name)
		case i > 0 && s.Bytes%4 != 0:
			return fmt.Errorf("checkpoint section %q: %d bytes, not whole float32 values", s.Name, s.Bytes)
		}
		seen[s.Name] = true
		left -= s.Bytes
	}
	if left != 0 {
		return fmt.Errorf("checkpoint: %d bytes after the last section", left)
	}
	return nil
}

// checkTensors checks each parameter of m against its checksum, naming the
// first that differs.
func checkTensors(m *nn.Model, crcs map[string]uint32) error {
	for _, name := range slices.Sorted(maps.Keys(m.Params)) {
		p := m.Params[name]
		want, ok := crcs[name]
		switch {
		case !ok:
			return fmt.Errorf("checkpoint model: parameter %q has no checksum", name)
		case p.DType != nn.F32:
			return fmt.Errorf("checkpoint model: parameter %q is %s, a trainer's are F32", name, p.DType)
		case crcFloats(p.F32) != want:
			return fmt.Errorf("checkpoint model: parameter %q: checksum mismatch (the file is damaged)", name)
		}
	}
	if len(crcs) != len(m.Params) {
		return fmt.Errorf("checkpoint: %d tensor checksums for %d model parameters", len(crcs), len(m.Params))
	}
	return nil
}

// floatChunk is how many float32 values are converted to bytes at once.
const floatChunk = 4096

// crcFloats returns the CRC32C of v's little-endian bytes.
func crcFloats(v []float32) uint32 {
	var crc uint32
	var buf [4 * floatChunk]byte
	for len(v) > 0 {
		n := min(len(v), floatChunk)
		crc = crc32.Update(crc, castagnoli, appendFloats(buf[:0], v[:n]))
		v = v[n:]
	}
	return crc
}

// writeFloats writes v as little-endian float32, a chunk at a time.
func writeFloats(w io.Writer, v []float32) error {
	var buf [4 * floatChunk]byte
	for len(v) > 0 {
		n := min(len(v), floatChunk)
		if _, err := w.Write(appendFloats(buf[:0], v[:n])); err != nil {
			return err
		}
		v = v[n:]
	}
	return nil
}

func appendFloats(b []byte, v []float32) []byte {
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}
