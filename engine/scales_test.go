package engine_test

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/engine"
	"github.com/edgecnn/edgecnn/models"
	"github.com/edgecnn/edgecnn/nn"
	"github.com/edgecnn/edgecnn/tools/convert"
	"github.com/edgecnn/edgecnn/train"
)

// TestExtremeScalesAreAnError: an int8 model whose scales are each
// positive and finite, but whose requantization factors are out of the
// fixed-point range (a weight scale of 3e38, an output scale of 1e-30 or a
// denormal), used to pass validation and make engine.New panic in
// quant.QuantizeMultiplier. Every layer type that builds a multiplier
// (conv, linear, add, concat) now fails validation with an error naming
// the layer, and engine.New on the model fails the same way.
func TestExtremeScalesAreAnError(t *testing.T) {
	cases := []struct {
		name, layer string
		model       func() *nn.Model
		edit        func(m *nn.Model)
	}{
		{"conv weight scale 3e38", "conv1", lenet5Int8, func(m *nn.Model) {
			m.Params["conv1.weight_scale"].F32[2] = 3e38
		}},
		{"linear output scale 1e-30", "fc3", lenet5Int8, func(m *nn.Model) {
			m.Node("fc3").Quant.Scale = 1e-30
		}},
		{"linear output scale denormal", "fc1", lenet5Int8, func(m *nn.Model) {
			m.Node("fc1").Quant.Scale = 1e-45
		}},
		{"add output scale 1e-30", "sum", mergeInt8(t), func(m *nn.Model) {
			m.Node("sum").Quant.Scale = 1e-30
		}},
		{"concat output scale 1e-30", "cat", mergeInt8(t), func(m *nn.Model) {
			m.Node("cat").Quant.Scale = 1e-30
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := tc.model()
			require.NoError(t, m.Validate())
			tc.edit(m)
			err := m.Validate()
			require.Error(t, err)
			require.Contains(t, err.Error(), `layer "`+tc.layer+`"`)
			require.Contains(t, err.Error(), "out of range")
			require.NotPanics(t, func() {
				e, err := engine.New(m, engine.Options{Threads: 1})
				require.Error(t, err)
				require.Nil(t, e)
			})
		})
	}
}

// lenet5Int8 decodes a private copy of the embedded int8 LeNet-5 (decoded
// tensors alias the bytes, which the tests edit).
func lenet5Int8() *nn.Model {
	m, err := nn.Decode(bytes.Clone(models.LeNet5Int8()))
	if err != nil {
		panic(err)
	}
	return m
}

// mergeInt8 returns a builder of a small int8 model with a residual add
// ("sum") and a channel concat ("cat") whose inputs are quantized unlike
// it, converted by tools/convert from random weights.
func mergeInt8(t *testing.T) func() *nn.Model {
	return func() *nn.Model {
		in := nn.Input{Channels: 1, Height: 8, Width: 8, Mean: []float32{0}, Std: []float32{1}}
		conv := func(name string, out int, src string) *nn.Node {
			n := nn.Conv(name, out, 3, 1, 1)
			n.Inputs = []string{src}
			return n
		}
		flat := nn.Flat("flat")
		flat.Inputs = []string{"cat"}
		m := nn.Sequential("merge", in, []string{"a", "b"},
			conv("a", 2, nn.InputName), conv("b", 2, nn.InputName), conv("c", 2, nn.InputName),
			&nn.Node{Name: "sum", Op: nn.OpAdd, Inputs: []string{"a", "b"}},
			&nn.Node{Name: "cat", Op: nn.OpConcat, Inputs: []string{"sum", "c"}},
			flat, nn.FC("fc", 2))
		require.NoError(t, train.Init(m, 1))
		q, err := convert.Quantize(m, seededSet(16, 1, 8, 8), convert.Options{Method: "minmax"})
		require.NoError(t, err)
		return q
	}
}

// seededSet returns n random c x h x w images with two classes, for
// calibration.
func seededSet(n, c, h, w int) *dataset.Set {
	s := &dataset.Set{Name: "random", Channels: c, Height: h, Width: w,
		Images: make([]uint8, n*c*h*w), Labels: make([]int, n), Classes: []string{"a", "b"}}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range s.Images {
		s.Images[i] = uint8(r.IntN(256))
	}
	return s
}
