package train

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/internal/memcheck"
	"github.com/edgecnn/edgecnn/nn"
)

// tinyCheckpoint returns the checkpoint file of a trainer of a small
// network whose parameters and Adam state are all non-zero.
func tinyCheckpoint(t testing.TB) []byte {
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

// FuzzDecodeCheckpoint feeds damaged and hostile checkpoint files to the
// decoder: an error, never a panic, and no allocation beyond memcheck's
// bound (the header's sizes are checked against the file first).
func FuzzDecodeCheckpoint(f *testing.F) {
	f.Add(tinyCheckpoint(f))
	f.Fuzz(func(t *testing.T, data []byte) {
		memcheck.Check(t, len(data), func() {
			ck, err := decodeCheckpoint(data)
			if err == nil {
				require.NoError(t, ck.Model.Validate())
			}
		})
	})
}
