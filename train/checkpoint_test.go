package train

import (
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"hash/crc32"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/internal/memcheck"
	"github.com/edgecnn/edgecnn/nn"
)

// tinyCheckpoint returns the checkpoint file of tinyTrainer.
func tinyCheckpoint(t testing.TB) []byte {
	return saveCheckpoint(t, tinyTrainer(t))
}

// tinyTrainer returns a trainer of a small network whose parameters and
// Adam state are all non-zero.
func tinyTrainer(t testing.TB) *Trainer {
	in := nn.Input{Channels: 1, Height: 4, Width: 4, Mean: []float32{0}, Std: []float32{1}}
	m := nn.Sequential("tiny", in, []string{"a", "b"}, nn.Conv("c", 2, 3, 1, 1), nn.Act("r", nn.OpReLU), nn.Flat("f"), nn.FC("fc", 2))
	require.NoError(t, Init(m, 1))
	cfg := Defaults("tiny")
	cfg.Threads = 1
	tr, err := New(m, cfg)
	require.NoError(t, err)
	for name, s := range tr.opt.state() {
		for i := range s {
			s[i] = float32(len(name)+i) / 7
		}
	}
	tr.pos.Steps = 3
	return tr
}

// saveCheckpoint returns tr's checkpoint file.
func saveCheckpoint(t testing.TB, tr *Trainer) []byte {
	path := filepath.Join(t.TempDir(), "tiny.ckpt")
	require.NoError(t, tr.SaveCheckpoint(path))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return data
}

// TestCheckpointDetectsEveryFlippedByte: one flipped byte used to resume
// silently (a run gave 78.8% instead of 93.6%). With a CRC32C over the
// header and over every section and tensor, every single-byte change of
// the file, and every truncation, is refused, naming the damaged part.
func TestCheckpointDetectsEveryFlippedByte(t *testing.T) {
	data := tinyCheckpoint(t)
	ck, err := decodeCheckpoint(data)
	require.NoError(t, err)
	require.Equal(t, 3, ck.Position.Steps)
	require.Len(t, ck.Optimizer, 8) // m and v of four parameters

	named := map[string]bool{}
	for i := range data {
		bad := append([]byte(nil), data...)
		bad[i] ^= 0x10
		_, err := decodeCheckpoint(bad)
		require.Error(t, err, "byte %d of %d flipped", i, len(data))
		named[err.Error()] = true
	}
	require.Contains(t, named, "checkpoint header: checksum mismatch (the file is damaged)")
	require.Contains(t, named, `checkpoint section "m.fc.weight": checksum mismatch (the file is damaged)`)
	require.Contains(t, named, `checkpoint model: parameter "c.weight": checksum mismatch (the file is damaged)`)
	require.Contains(t, named, `checkpoint section "model": checksum mismatch (the file is damaged)`)
	for n := range len(data) {
		_, err := decodeCheckpoint(data[:n])
		require.Error(t, err, "truncated to %d bytes", n)
	}

	path := filepath.Join(t.TempDir(), "damaged.ckpt")
	data[len(data)-1] ^= 1
	require.NoError(t, os.WriteFile(path, data, 0o644))
	_, err = Resume(path, 0)
	require.ErrorContains(t, err, path+`: checkpoint section "v.fc.weight": checksum mismatch`)
}

// TestCheckpointHeaderCostsItsSize: decoding a checkpoint allocates in
// proportion to its file, whatever its header holds. gob wrote an epoch of
// zero metrics as one byte, decoded it to 64 and grew the slice by
// copies: 200000 such epochs, a 200 KB header, took 24 MB.
func TestCheckpointHeaderCostsItsSize(t *testing.T) {
	tr := tinyTrainer(t)
	tr.history = make([]EpochMetrics, 200000)
	tr.history[1].Loss = 0.5
	data := saveCheckpoint(t, tr)
	memcheck.Check(t, len(data), func() {
		ck, err := decodeCheckpoint(data)
		require.NoError(t, err)
		require.Len(t, ck.History, 200000)
		require.Equal(t, tr.history[1], ck.History[1])
	})
}

// TestCheckpointTableClaims: a header whose table claims many entries in a
// few bytes is refused without allocating the claim. gob sized a map from
// the count it read: 65536 tensors claimed in a 727-byte file took 3.5 MB,
// and a larger claim any amount.
func TestCheckpointTableClaims(t *testing.T) {
	// The header as gob wrote it before the tables encoded themselves.
	type gobTables struct {
		Config   Config
		Position position
		History  []EpochMetrics
		Sections []section
		Tensors  map[string]uint32
	}
	h := gobTables{Config: Defaults("tiny")}
	var buf bytes.Buffer
	enc := gob.NewEncoder(&buf)
	require.NoError(t, enc.Encode(h)) // the type descriptors, then h
	types := buf.Len()
	require.NoError(t, enc.Encode(h)) // h alone
	small := buf.Len() - types
	types -= small
	smallPayload := small - 1 // after a one-byte length

	h.Tensors = map[string]uint32{}
	for i := range 1 << 16 {
		h.Tensors[string(binary.AppendUvarint(nil, uint64(i)))] = 0
	}
	mark := buf.Len()
	require.NoError(t, enc.Encode(h))
	msg := buf.Bytes()[mark:]
	payload := msg[1+int(-int8(msg[0])):] // a long message's length: -(its byte count), then the bytes
	count := smallPayload                 // where the Tensors field was the end of struct
	require.Equal(t, []byte{0xFD, 1, 0, 0}, payload[count:count+4], "the map's count, 65536")
	cut := payload[:count+16] // the count and a few entries
	hostile := append(buf.Bytes()[:types:types], byte(len(cut)))
	data := sealHeader(append(hostile, cut...))
	memcheck.Check(t, len(data), func() {
		_, err := decodeCheckpoint(data)
		require.ErrorContains(t, err, "checkpoint header: ")
	})
}

// TestEpochsEncodeEveryField: the epoch table's encoding lists the fields
// of EpochMetrics one by one; a new field needs its place there.
func TestEpochsEncodeEveryField(t *testing.T) {
	require.Equal(t, epochBytes/8, reflect.TypeFor[EpochMetrics]().NumField())
	want := epochs{{Epoch: 2, Loss: 1, TrainTop1: 2, TestTop1: 3, TestLoss: 4, Seconds: 5, ImagesPerSec: 6, LR: 7}}
	b, err := want.GobEncode()
	require.NoError(t, err)
	var got epochs
	require.NoError(t, got.GobDecode(b))
	require.Equal(t, want, got)
	require.ErrorContains(t, got.GobDecode(b[:60]), "epoch table of 60 bytes")
	var s sectionTable
	require.ErrorContains(t, s.GobDecode([]byte{5, 'm'}), "table entry cut short in its name")
	var c tensorCRCs
	require.ErrorContains(t, c.GobDecode([]byte{1, 'a', 0, 0, 0, 0, 1, 'a', 0, 0, 0, 0}), `tensor "a" has two checksums`)
}

// sealHeader returns a checkpoint file of the gob-encoded header h and no
// sections, its checksum set.
func sealHeader(h []byte) []byte {
	data := []byte(checkpointMagic)
	data = binary.LittleEndian.AppendUint32(data, checkpointVersion)
	data = binary.LittleEndian.AppendUint32(data, uint32(len(h)))
	data = append(data, h...)
	return binary.LittleEndian.AppendUint32(data, crc32.Checksum(data, castagnoli))
}

// resealed returns a copy of data with the header's checksum set right,
// if it has a header, so that mutated headers are decoded rather than
// refused by their checksum.
func resealed(data []byte) []byte {
	data = bytes.Clone(data)
	if len(data) < 20 {
		return data
	}
	if n := uint64(binary.LittleEndian.Uint32(data[12:])); n <= uint64(len(data)-20) {
		binary.LittleEndian.PutUint32(data[16+n:], crc32.Checksum(data[:16+n], castagnoli))
	}
	return data
}

// gobClaims is what encoding/gob may allocate on a claim it has not yet
// checked against its input: it reads a message, or sizes a slice of its
// type descriptors, from the length the stream states, up to 10 MB at once
// (its documented "basic sanity checking" of sizes). Everything the
// header's own tables hold is sized from their bytes.
const gobClaims = 10 << 20

// FuzzDecodeCheckpoint feeds damaged and hostile checkpoint files to the
// decoder, with the header's checksum set right so that mutations reach
// the header's decoding: an error, never a panic, and no allocation beyond
// memcheck's bound and gob's claims.
func FuzzDecodeCheckpoint(f *testing.F) {
	f.Add(tinyCheckpoint(f))
	f.Add(append(tinyCheckpoint(f)[:100], 0, 0, 0, 0))
	f.Fuzz(func(t *testing.T, data []byte) {
		data = resealed(data)
		memcheck.Bound(t, memcheck.Limit(len(data))+gobClaims, func() {
			ck, err := decodeCheckpoint(data)
			if err == nil {
				require.NoError(t, ck.Model.Validate())
			}
		})
	})
}
