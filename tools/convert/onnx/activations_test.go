package onnx

import (
	"path/filepath"
	"testing"

	"github.com/edgecnn/edgecnn/engine"
	"github.com/edgecnn/edgecnn/nn"
	"github.com/edgecnn/edgecnn/quant"
	"github.com/edgecnn/edgecnn/tools/convert"
)

// TestActivationExports reads a classifier written as users write their
// own (testdata/activations.py): normalisation inside the model, leaky
// ReLU, a one-slope PReLU, ELU, GELU (as Erf arithmetic) and log_softmax,
// exported with and without constant folding. The float model must match
// PyTorch, and its int8 conversion must stay close to it: the activations
// run as lookup tables, log_softmax in float between a dequantize and a
// quantize.
func TestActivationExports(t *testing.T) {
	input := readNPY(t, "activations_input.npy")
	want := readNPY(t, "activations_logits.npy")
	set := pixelSet(t, input)
	for _, file := range []string{"activations.onnx", "activations.raw.onnx"} {
		t.Run(file, func(t *testing.T) {
			m, err := Read(filepath.Join("testdata", file), Options{})
			if err != nil {
				t.Fatal(err)
			}
			ops := map[nn.Op]bool{}
			for _, n := range m.Nodes {
				ops[n.Op] = true
			}
			for _, op := range []nn.Op{nn.OpLeakyReLU, nn.OpELU, nn.OpErf, nn.OpLogSoftmax} {
				if !ops[op] {
					t.Errorf("no %s layer in the import", op)
				}
			}
			worst, _ := checkParity(t, m, input.Data, want.Data, want.Shape[1])
			t.Logf("%d layers, max abs difference from PyTorch %.3g", len(m.Nodes), worst)

			q, err := convert.Quantize(m, set, convert.Options{})
			if err != nil {
				t.Fatal(err)
			}
			e, err := engine.New(q, engine.Options{Threads: 1})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			got, err := e.Infer(set.Images, set.Len())
			if err != nil {
				t.Fatal(err)
			}
			sqnr := quant.SQNR(want.Data, got)
			t.Logf("int8 log-probabilities: %.1f dB from PyTorch's float", sqnr)
			if sqnr < 25 {
				t.Errorf("int8 log-probabilities %.1f dB from float, want >= 25 dB", sqnr)
			}
		})
	}
}
