package engine_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/engine"
	"github.com/edgecnn/edgecnn/internal/memcheck"
	"github.com/edgecnn/edgecnn/nn"
	"github.com/edgecnn/edgecnn/tools/convert"
	"github.com/edgecnn/edgecnn/train"
)

// fuzzMACs bounds the inference a fuzzed model gets, so that one execution
// stays short: building the engine is what is fuzzed, a forward pass
// checks that what was built runs.
const fuzzMACs = 1 << 22

// FuzzNew builds an engine from any model file that decodes, then runs
// one image through it: a model that passes validation must build without
// panicking (or be refused with an error), within a memory limit of half
// the bound memcheck asserts, and run. Seeds are small float and int8
// models with every layer type, so mutations reach the engine quickly.
func FuzzNew(f *testing.F) {
	for _, m := range fuzzSeeds(f) {
		data, err := nn.Encode(m)
		require.NoError(f, err)
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		memcheck.Check(t, len(data), func() {
			m, err := nn.Decode(data)
			if err != nil {
				return
			}
			e, err := engine.New(m, engine.Options{Threads: 2, MaxMemory: int64(memcheck.Limit(len(data)) / 2)})
			if err != nil {
				return
			}
			defer e.Close()
			stats, err := m.Stats()
			require.NoError(t, err, "Validate passed")
			var macs int64
			for _, s := range stats {
				macs += s.MACs
			}
			if macs > fuzzMACs {
				return
			}
			logits, err := e.Infer(make([]uint8, m.Input.Shape().Size()), 1)
			require.NoError(t, err)
			require.Len(t, logits, e.Classes())
		})
	})
}

// fuzzSeeds returns small models covering the layer types: a float and an
// int8 convolutional network with both pools, tanh, relu6, dropout and
// softmax, and an int8 network with a residual add and a concat.
func fuzzSeeds(t testing.TB) []*nn.Model {
	in := nn.Input{Channels: 1, Height: 6, Width: 6, Mean: []float32{0.5}, Std: []float32{0.25}}
	labels := []string{"a", "b"}
	chain := nn.Sequential("chain", in, labels,
		nn.Conv("c1", 2, 3, 1, 1), nn.Act("r1", nn.OpReLU), nn.Pool("p1", nn.OpMaxPool, 2),
		nn.Conv("c2", 2, 2, 1, 0), nn.Act("t", nn.OpTanh), nn.Pool("p2", nn.OpAvgPool, 2),
		nn.Flat("f"), nn.Drop("d", 0.1), nn.FC("fc1", 3), nn.Act("r6", nn.OpReLU6), nn.FC("fc2", 2),
		nn.Act("s", nn.OpSoftmax))
	merge := nn.Sequential("merge", in, labels,
		&nn.Node{Name: "a", Op: nn.OpConv2D, Out: 2, Kernel: [2]int{3, 3}, Stride: [2]int{1, 1}, Pad: [4]int{1, 1, 1, 1}, Groups: 1, Inputs: []string{nn.InputName}},
		&nn.Node{Name: "b", Op: nn.OpConv2D, Out: 2, Kernel: [2]int{1, 1}, Stride: [2]int{1, 1}, Groups: 1, Inputs: []string{nn.InputName}},
		&nn.Node{Name: "sum", Op: nn.OpAdd, Inputs: []string{"a", "b"}},
		&nn.Node{Name: "cat", Op: nn.OpConcat, Inputs: []string{"sum", "a"}},
		nn.Flat("f"), nn.FC("fc", 2))
	calib := seededSet(16, 1, 6, 6)
	var models []*nn.Model
	for _, m := range []*nn.Model{chain, merge} {
		require.NoError(t, train.Init(m, 1))
		q, _, err := convert.Convert(m, calib, convert.Options{Method: "minmax"})
		require.NoError(t, err)
		models = append(models, m, q)
	}
	return models
}
