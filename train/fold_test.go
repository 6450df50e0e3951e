package train

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/engine"
	"github.com/edgecnn/edgecnn/nn"
)

// TestFoldedBatchNormGivesSameLogits runs networks with batch norms (whose
// statistics and scales are far from the identity) through the trainer's
// inference pass, batch norms applied, and through the float engine, which
// folds them into the convolutions: the logits agree within 1e-5.
func TestFoldedBatchNormGivesSameLogits(t *testing.T) {
	if testing.Short() {
		t.Skip("five networks' float forward passes on one goroutine: for the full suite")
	}
	for _, a := range []nn.Arch{{Name: "resnet20"}, {Name: "mobilenetv2", Width: 0.5}, {Name: "vgg11"}, {Name: "densenet"}, {Name: "googlenet"}} {
		t.Run(a.Name, func(t *testing.T) {
			a.Input = nn.Input{Channels: 3, Height: 32, Width: 32, Mean: make([]float32, 3), Std: ones(3)}
			a.Labels = []string{"a", "b", "c", "d"}
			m, err := nn.Build(a)
			require.NoError(t, err)
			require.NoError(t, Init(m, 5))
			rng := rand.New(rand.NewPCG(5, 6))
			for _, n := range m.Nodes {
				if n.Op != nn.OpBatchNorm {
					continue
				}
				for c := range m.Weight(n).F32 {
					m.Weight(n).F32[c] = float32(0.5 + rng.Float64())
					m.Bias(n).F32[c] = float32(0.2 * rng.NormFloat64())
					m.RunningMean(n).F32[c] = float32(0.3 * rng.NormFloat64())
					m.RunningVar(n).F32[c] = float32(0.5 + 2*rng.Float64())
				}
			}
			const batch = 2
			r, err := newReplica(m, batch, nil)
			require.NoError(t, err)
			size := m.Input.Shape().Size()
			input := make([]float32, batch*size)
			for i := range input {
				input[i] = float32(rng.NormFloat64())
			}
			for s := range batch {
				planeCopy(input[s*size:(s+1)*size], r.input, 3, batch, s, true)
			}
			want := r.forward(batch, false)

			e, err := engine.New(m, engine.Options{Threads: 1})
			require.NoError(t, err)
			defer e.Close()
			require.False(t, e.Model().HasBatchNorm())
			got, err := e.InferFloat(input, batch)
			require.NoError(t, err)
			require.Len(t, got, len(a.Labels)*batch)
			for i := range got {
				require.InDelta(t, want[i], got[i], 1e-5, "logit %d: %v vs %v", i, want[:len(got)], got)
			}
		})
	}
}
