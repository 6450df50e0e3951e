package randmodel_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/engine"
	"github.com/edgecnn/edgecnn/internal/randmodel"
	"github.com/edgecnn/edgecnn/nn"
	"github.com/edgecnn/edgecnn/tools/convert/onnx"
)

var (
	onnxDir = flag.String("onnx", "", "folder of testdata/export.py's ONNX files: compare their import with the builders")
	update  = flag.Bool("update", false, "with -onnx: rewrite testdata/*.layers.json from the imported files")
)

// imagenet are the networks export.py exports.
var imagenet = []string{"mobilenetv1", "mobilenetv2", "resnet18"}

// TestTorchVisionLayers checks each 224x224 builder against the import of
// the same network exported from PyTorch: the committed layer tables, or
// with -onnx the ONNX files themselves.
func TestTorchVisionLayers(t *testing.T) {
	for _, name := range imagenet {
		t.Run(name, func(t *testing.T) {
			m, err := randmodel.Float(name)
			require.NoError(t, err)
			got := layerTable(t, m)
			fixture := filepath.Join("testdata", name+".layers.json")
			if *onnxDir != "" {
				imported, err := onnx.Read(filepath.Join(*onnxDir, name+".onnx"), onnx.Options{})
				require.NoError(t, err)
				want := layerTable(t, imported)
				if *update {
					require.NoError(t, os.WriteFile(fixture, want.encode(), 0o644))
				}
				require.Equal(t, want, got, "the builder and the import of the PyTorch export differ")
				return
			}
			data, err := os.ReadFile(fixture)
			require.NoError(t, err)
			var want table
			require.NoError(t, json.Unmarshal(data, &want))
			require.Equal(t, want, got, "the builder differs from the import of the PyTorch export (%s)", fixture)
		})
	}
}

// TestPublishedSizes checks the totals against the published ones:
// torchvision's documentation gives mobilenet_v2 3,504,872 parameters and
// 0.30 GFLOPS, resnet18 11,689,512 and 1.81 GFLOPS (multiply-adds, as
// torchvision counts them); the MobileNet v1 paper 4.2 million parameters
// and 569 million multiply-adds. PyTorch counts a batch norm's gamma and
// beta as parameters; folded, they become one bias per output channel.
func TestPublishedSizes(t *testing.T) {
	for _, c := range []struct {
		name               string
		paramsLo, paramsHi int
		macsLo, macsHi     int64
	}{
		{"mobilenetv1", 4.15e6, 4.25e6, 568.5e6, 569.5e6},
		{"mobilenetv2", 3504872, 3504872, 0.295e9, 0.305e9},
		{"resnet18", 11689512, 11689512, 1.805e9, 1.815e9},
	} {
		m, err := randmodel.Float(c.name)
		require.NoError(t, err)
		params, macs := totals(t, m)
		for _, n := range m.Nodes {
			if n.Op == nn.OpConv2D {
				params += n.Out // gamma and beta, less the folded bias
			}
		}
		require.True(t, params >= c.paramsLo && params <= c.paramsHi, "%s: %d parameters in PyTorch's count", c.name, params)
		require.True(t, macs >= c.macsLo && macs <= c.macsHi, "%s: %d MACs", c.name, macs)
	}
}

// TestInference builds every network, float and int8, and runs one image
// through each: the int8 logits follow the float ones, and two builds give
// the same weights.
func TestInference(t *testing.T) {
	for _, name := range randmodel.Names {
		t.Run(name, func(t *testing.T) {
			float, q, err := randmodel.Build(name, nil)
			require.NoError(t, err)
			require.True(t, q.Quantized())
			again, err := randmodel.Float(name)
			require.NoError(t, err)
			for k, p := range float.Params {
				require.Equal(t, p.F32, again.Params[k].F32, "%s: the weights depend on more than the seed", k)
			}
			image := randmodel.RandomImages(float, 1, 99).Images
			want := infer(t, float, image)
			got := infer(t, q, image)
			require.Len(t, got, len(float.Labels))
			// Random weights and four calibration images: the int8 logits
			// still track the float ones (25.1 to 34.8 dB when written).
			db := sqnr(want, got)
			t.Logf("SQNR of the int8 logits: %.1f dB", db)
			require.Greater(t, db, 20.0, "SQNR of the int8 logits, dB")
		})
	}
}

func infer(t *testing.T, m *nn.Model, pixels []uint8) []float32 {
	e, err := engine.New(m, engine.Options{Threads: 1})
	require.NoError(t, err)
	defer e.Close()
	out, err := e.Infer(pixels, 1)
	require.NoError(t, err)
	return slices.Clone(out)
}

// sqnr is the signal to noise ratio of got against want, in dB.
func sqnr(want, got []float32) float64 {
	var s, n float64
	for i := range want {
		d := float64(want[i] - got[i])
		s += float64(want[i]) * float64(want[i])
		n += d * d
	}
	return 10 * math.Log10(s/n)
}

func totals(t *testing.T, m *nn.Model) (params int, macs int64) {
	stats, err := m.Stats()
	require.NoError(t, err)
	for _, s := range stats {
		params += s.Params
		macs += s.MACs
	}
	return params, macs
}

// table is a network reduced to what the builder and an importer must
// agree on, whatever they name the layers and in whichever valid order
// they list them.
type table struct {
	Params int64   `json:"params"`
	MACs   int64   `json:"macs"`
	Layers []layer `json:"layers"`
}

// layer is one row: Inputs are indices into the table (-1: the model
// input), sorted for the commutative add.
type layer struct {
	Op     nn.Op    `json:"op"`
	Inputs []int    `json:"inputs"`
	Out    int      `json:"out,omitempty"`
	Kernel [2]int   `json:"kernel,omitzero"`
	Stride [2]int   `json:"stride,omitzero"`
	Pad    [4]int   `json:"pad,omitzero"`
	Groups int      `json:"groups,omitempty"`
	In     nn.Shape `json:"in"`
	Output nn.Shape `json:"output"`
	Params int      `json:"params"`
	MACs   int64    `json:"macs"`
}

// layerTable lists m's layers in a canonical topological order: of the
// layers whose inputs are listed, the next is the one whose row (with its
// inputs as table indices) sorts first as JSON. Two layers with equal rows
// have the same inputs and are interchangeable, so isomorphic graphs give
// equal tables.
func layerTable(t *testing.T, m *nn.Model) table {
	stats, err := m.Stats()
	require.NoError(t, err)
	index := map[string]int{nn.InputName: -1}
	placed := make([]bool, len(m.Nodes))
	var tab table
	for range m.Nodes {
		best, bestKey := -1, ""
		var bestRow layer
		for i, n := range m.Nodes {
			if placed[i] {
				continue
			}
			row, ready := layer{}, true
			for _, src := range n.Inputs {
				k, ok := index[src]
				ready = ready && ok
				row.Inputs = append(row.Inputs, k)
			}
			if !ready {
				continue
			}
			s := stats[i]
			slices.Sort(row.Inputs)
			row.Op, row.Out, row.Kernel, row.Stride, row.Pad, row.Groups = n.Op, n.Out, n.Kernel, n.Stride, n.Pad, n.Groups
			row.In, row.Output, row.Params, row.MACs = s.In, s.Out, s.Params, s.MACs
			key, err := json.Marshal(row)
			require.NoError(t, err)
			if best < 0 || string(key) < bestKey {
				best, bestKey, bestRow = i, string(key), row
			}
		}
		require.GreaterOrEqual(t, best, 0, "%s: a cycle or a missing input", m.Arch)
		placed[best] = true
		index[m.Nodes[best].Name] = len(tab.Layers)
		tab.Layers = append(tab.Layers, bestRow)
		tab.Params += int64(bestRow.Params)
		tab.MACs += bestRow.MACs
	}
	return tab
}

// encode writes the table as JSON with one layer per line, for diffs.
func (tab table) encode() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "{\"params\": %d, \"macs\": %d, \"layers\": [\n", tab.Params, tab.MACs)
	for i, l := range tab.Layers {
		row, _ := json.Marshal(l)
		b.Write(row)
		if i < len(tab.Layers)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("]}\n")
	return b.Bytes()
}
