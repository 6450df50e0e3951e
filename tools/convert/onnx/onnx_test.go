package onnx

import (
	"slices"

	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/tools/convert"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/edgecnn/edgecnn/engine"
	"github.com/edgecnn/edgecnn/internal/npy"
	"github.com/edgecnn/edgecnn/nn"
)

// fixtures are the models testdata/export.py exported from PyTorch.
var fixtures = []string{"lenet5", "resnet"}

func readNPY(t testing.TB, name string) *npy.Array {
	t.Helper()
	return readNPYFile(t, filepath.Join("testdata", name))
}

func readNPYFile(t testing.TB, name string) *npy.Array {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	a, err := npy.Decode(data)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return a
}

func readFixture(t testing.TB, name string) *nn.Model {
	t.Helper()
	m, err := Read(filepath.Join("testdata", name+".onnx"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestFloatParity runs PyTorch's sample inputs through the imported models
// and compares the logits with PyTorch's.
func TestFloatParity(t *testing.T) {
	input := readNPY(t, "input.npy")
	n := input.Shape[0]
	for _, name := range fixtures {
		t.Run(name, func(t *testing.T) {
			m := readFixture(t, name)
			want := readNPY(t, name+"_logits.npy")
			e, err := engine.New(m, engine.Options{Threads: 2})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			got, err := e.InferFloat(input.Data, n)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want.Data) {
				t.Fatalf("%d logits, PyTorch has %d", len(got), len(want.Data))
			}
			worst := 0.0
			for k := range got {
				worst = max(worst, math.Abs(float64(got[k]-want.Data[k])))
			}
			t.Logf("%s: %d layers, max abs diff vs PyTorch %.3g over %d logits", name, len(m.Nodes), worst, len(got))
			if worst > 1e-4 {
				t.Errorf("max abs diff %g > 1e-4", worst)
			}
		})
	}
}

// TestLayers checks how the residual fixture maps: BatchNormalization folded
// into the convolutions before it, or a depthwise 1x1 convolution after a
// Concat; F.pad folded into the next convolution; ceil_mode as extra padding.
func TestLayers(t *testing.T) {
	m := readFixture(t, "resnet")
	var ops []nn.Op
	for _, n := range m.Nodes {
		ops = append(ops, n.Op)
	}
	want := []nn.Op{nn.OpConv2D, nn.OpReLU, nn.OpMaxPool, nn.OpConv2D, nn.OpReLU, nn.OpConv2D, nn.OpAdd, nn.OpReLU,
		nn.OpConv2D, nn.OpConv2D, nn.OpConcat, nn.OpConv2D, nn.OpReLU, nn.OpReLU6, nn.OpConv2D, nn.OpReLU,
		nn.OpMaxPool, nn.OpAvgPool, nn.OpAvgPool, nn.OpFlatten, nn.OpLinear}
	if !slices.Equal(ops, want) {
		t.Fatalf("layers %v\nwant %v", ops, want)
	}
	bn := m.Node("/bn_cat/BatchNormalization")
	if bn == nil || bn.Groups != 16 || bn.Kernel != [2]int{1, 1} {
		t.Errorf("BatchNormalization after Concat: %+v, want a depthwise 1x1 conv", bn)
	}
	if down := m.Node("/down/Conv"); down == nil || down.Pad != [4]int{0, 0, 1, 1} {
		t.Errorf("conv after ZeroPad2d((0, 1, 0, 1)): %+v, want pads [0 0 1 1]", down)
	}
	if p := m.Node("/maxc/MaxPool"); p == nil || p.Pad != [4]int{0, 0, 1, 1} {
		t.Errorf("max pool with ceil_mode: %+v, want extra end padding [0 0 1 1]", p)
	}
	if m.Arch != "onnx" || len(m.Labels) != 10 || m.Labels[9] != "9" {
		t.Errorf("arch %q labels %v", m.Arch, m.Labels)
	}
}

// pixelSet turns the fixture inputs (pixel/255) back into 8-bit pixels.
func pixelSet(t *testing.T, input *npy.Array) *dataset.Set {
	n := input.Shape[0]
	s := &dataset.Set{Name: "input.npy", Channels: input.Shape[1], Height: input.Shape[2], Width: input.Shape[3],
		Images: make([]uint8, len(input.Data)), Labels: make([]int, n), Classes: []string{"0"}}
	for k, v := range input.Data {
		p := math.Round(float64(v) * 255)
		if p < 0 || p > 255 || math.Abs(float64(v)*255-p) > 1e-3 {
			t.Fatalf("input %d = %v is not a pixel/255", k, v)
		}
		s.Images[k] = uint8(p)
	}
	return s
}

func argmax(v []float32) int {
	best := 0
	for k := range v {
		if v[k] > v[best] {
			best = k
		}
	}
	return best
}

// TestInt8Agreement quantizes the imported models, calibrated on the
// sample digits, and checks that int8 picks the float model's class on at
// least 99% of them.
func TestInt8Agreement(t *testing.T) {
	input := readNPY(t, "input.npy")
	set := pixelSet(t, input)
	n := set.Len()
	for _, name := range fixtures {
		t.Run(name, func(t *testing.T) {
			m := readFixture(t, name)
			q, err := convert.Quantize(m, set, convert.Options{Method: "minmax"})
			if err != nil {
				t.Fatal(err)
			}
			var logits [2][]float32
			for k, model := range []*nn.Model{m, q} {
				e, err := engine.New(model, engine.Options{Threads: 2})
				if err != nil {
					t.Fatal(err)
				}
				out, err := e.Infer(set.Images, n)
				if err != nil {
					t.Fatal(err)
				}
				logits[k] = slices.Clone(out)
				e.Close()
			}
			c := len(m.Labels)
			agree := 0
			for i := range n {
				if argmax(logits[0][i*c:(i+1)*c]) == argmax(logits[1][i*c:(i+1)*c]) {
					agree++
				}
			}
			t.Logf("%s: int8 argmax agrees with float on %d/%d samples", name, agree, n)
			if float64(agree) < 0.99*float64(n) {
				t.Errorf("int8 agrees with float on %d/%d samples, want >= 99%%", agree, n)
			}
		})
	}
}

// TestUnsupportedFixture reads a PyTorch export with an LSTM: one error
// names every node that cannot be mapped, with the opset (the Transpose
// and Gather around the LSTM would run, as channel gathers, if it could).
func TestUnsupportedFixture(t *testing.T) {
	_, err := Read(filepath.Join("testdata", "unsupported.onnx"), Options{Name: "unsupported.onnx"})
	if err == nil {
		t.Fatal("no error")
	}
	want := `unsupported.onnx (opset 13): unsupported nodes: "/Softplus" (Softplus), "/lstm/LSTM" (LSTM)`
	if err.Error() != want {
		t.Errorf("error:\n%s\nwant:\n%s", err, want)
	}
}
