//go:build linux

package main

import (
	"bytes"
	"fmt"
	"image/jpeg"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/nn"
)

// The generators make the inputs they are named for: each is checked with
// the standard library or nn, not with edgecnn's readers under test.

func TestPatchedModelsAreWhatTheySay(t *testing.T) {
	_, err := nn.Decode(patchModel(lenet5Int8(), nil, nil))
	require.NoError(t, err, "an unpatched copy still decodes")
	_, err = nn.Decode(patchModel(lenet5Int8(), map[string]map[int]float32{"conv1.weight_scale": {0: 3e38}}, nil))
	require.ErrorContains(t, err, `layer "conv1": int8 scales out of range`)
	_, err = nn.Decode(patchModel(lenet5Int8(), nil, setNodeScale("fc3", 1e-30)))
	require.ErrorContains(t, err, `layer "fc3": int8 scales out of range`)

	bomb, err := nn.Decode(bombModel(2))
	require.NoError(t, err, "the memory bomb is a valid model")
	require.Len(t, bomb.Nodes, 6)
}

func TestImageBombsDeclareWhatTheySay(t *testing.T) {
	p := progressiveBomb()
	require.Len(t, p, 339)
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(p))
	require.NoError(t, err)
	require.Equal(t, [2]int{8192, 8192}, [2]int{cfg.Width, cfg.Height})
	require.True(t, bytes.Contains(p, []byte{0xFF, 0xC2}), "progressive (SOF2)")

	b := pngBomb(300, 200)
	cfg, err = png.DecodeConfig(bytes.NewReader(b))
	require.NoError(t, err)
	require.Equal(t, [2]int{300, 200}, [2]int{cfg.Width, cfg.Height})
	img, err := png.Decode(bytes.NewReader(b))
	require.NoError(t, err)
	require.Equal(t, "*image.Gray16", fmt.Sprintf("%T", img))
	require.Less(t, len(pngBomb(8192, 8192)), 1<<20, "small on disk")
}

// TestONNXModelsAreValid: the onnx package's checker accepts the generated
// models, small versions of the corpus's, as well-formed (not its shape
// inference: a Reshape's shape must be INT64, and a hostile file holds what
// it likes). Skipped without python3-onnx, unless EDGECNN_REQUIRE_PYTHON is
// set, as in CI.
func TestONNXModelsAreValid(t *testing.T) {
	if exec.Command("/usr/bin/python3", "-c", "import onnx").Run() != nil {
		if os.Getenv("EDGECNN_REQUIRE_PYTHON") != "" {
			t.Fatal("python3 with onnx is required (EDGECNN_REQUIRE_PYTHON is set)")
		}
		t.Skip("no python3 with onnx")
	}
	dir := t.TempDir()
	head, zeros := hugeIntONNX(3)
	for name, model := range map[string][]byte{"ints.onnx": append(head, make([]byte, zeros)...), "names.onnx": sameNamesONNX(4)} {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, model, 0o644))
		out, err := exec.Command("/usr/bin/python3", "-c", `import onnx, sys
m = onnx.load(sys.argv[1])
onnx.checker.check_model(m)
print(len(m.graph.node), [n.name for n in m.graph.node][-1], [list(t.dims) for t in m.graph.initializer])`, path).CombinedOutput()
		require.NoError(t, err, "%s", out)
		want := map[string]string{"ints.onnx": "1 reshape [[3, 3]]\n", "names.onnx": "5 relu []\n"}[name]
		require.Equal(t, want, string(out))
	}
}
