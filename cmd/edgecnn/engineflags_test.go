package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/nn"
)

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{
		"512MiB": 512 << 20, "512M": 512 << 20, "2G": 2 << 30, "1.5GB": 1.5e9, "100": 100, "64KB": 64000, "1tib": 1 << 40,
	} {
		got, err := parseBytes(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, bad := range []string{"", "0", "-1G", "1X", "GiB", "1e30G", "nan", "0.1B"} {
		_, err := parseBytes(bad)
		require.Error(t, err, bad)
	}
}

// memoryBomb writes a float model of a few kilobytes whose first layer
// legally produces 2^30 float32 activations (4 GiB per image).
func memoryBomb(t *testing.T) string {
	in := nn.Input{Channels: 4, Height: 4096, Width: 4096, Mean: make([]float32, 4), Std: []float32{1, 1, 1, 1}}
	m := nn.Sequential("bomb", in, []string{"0", "1"},
		nn.Conv("wide", 64, 1, 1, 0), nn.Pool("p", nn.OpMaxPool, 4096), nn.Flat("f"), nn.FC("fc", 2))
	require.NoError(t, m.InitParams())
	path := filepath.Join(t.TempDir(), "bomb.safetensors")
	require.NoError(t, nn.Save(path, m))
	return path
}

// TestMemoryLimitRefusesBomb: before the memory budget, `run` on such a
// model took 4.8 GB; now every command that builds an engine refuses it
// at load under --max-memory, naming what it needs, and inspect reports it.
func TestMemoryLimitRefusesBomb(t *testing.T) {
	bomb := memoryBomb(t)
	for _, args := range [][]string{
		{"run", "--source", "synthetic", "--limit", "1"},
		{"bench", "--time", "1ms"},
		{"eval", "--limit", "1"},
		{"inspect"},
	} {
		_, stderr, code := edgecnn(t, append(args, "--model", bomb, "--max-memory", "256MiB")...)
		require.Equal(t, 1, code, "%v: %s", args, stderr)
		require.Contains(t, stderr, "over the limit of 256.0 MiB", args)
	}
	stdout, stderr, code := edgecnn(t, "inspect", "--model", bomb, "--max-memory", "none")
	require.Zero(t, code, stderr)
	require.Contains(t, stdout, "activations 4.3 GiB per image")
	_, stderr, code = edgecnn(t, "run", "--max-memory", "lots")
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "--max-memory")
}

// TestFlagBounds: values that used to be accepted and then hang or exhaust
// memory (--smooth 1e9 allocated a ring of a billion probability vectors,
// --fps 1e-9 paced a file to one frame in 30 years, a 16384x16384
// synthetic source rendered 6 GB of frames, --threads 1e8 started as many
// goroutines, bench --batch 1e9 allocated the batch) are refused at once,
// naming the flag.
func TestFlagBounds(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"run", "--smooth", "1000000000"}, 2, "--smooth 1000000000: want 1 to 1000"},
		{[]string{"run", "--fps", "1e-9"}, 2, "--fps 1e-09: want a rate from 0.01 to 1000"},
		{[]string{"run", "--fps", "NaN"}, 2, "--fps NaN"},
		{[]string{"capture", "--source", "synthetic", "--label", "1", "--out", t.TempDir(), "--fps", "1e9"}, 2, "--fps 1e+09"},
		{[]string{"run", "--source", "synthetic", "--size", "16384x16384"}, 1, "16384x16384 frames are over 2073600 pixels"},
		{[]string{"run", "--threads", "100000000"}, 2, "--threads 100000000: want 0 (all cores) to 256"},
		{[]string{"bench", "--batch", "1000000000", "--max-memory", "1GiB"}, 1, "--batch: engine: a batch of 1000000000 needs"},
	} {
		_, stderr, code := edgecnn(t, tc.args...)
		require.Equal(t, tc.code, code, "%v: %s", tc.args, stderr)
		require.Contains(t, stderr, tc.want, tc.args)
	}
}
