package train

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/nn"
)

// TestGradientBuffersShareOnlyDisjointSpans checks shareGradients' plan on
// the gradient-check models and on the batch-normalised architectures: two nodes share
// gradient memory only if their spans in the backward pass (from the last
// reader's backward to the node's own) do not meet, and the networks with
// many layers keep far less gradient memory than activations.
func TestGradientBuffersShareOnlyDisjointSpans(t *testing.T) {
	models := gradCheckModels()
	for _, arch := range []string{"resnet20", "mobilenetv2", "vgg11", "googlenet", "densenet"} {
		m, err := nn.Build(nn.Arch{Name: arch, Labels: []string{"a", "b", "c"},
			Input: nn.Input{Channels: 3, Height: 32, Width: 32, Mean: make([]float32, 3), Std: ones(3)}})
		require.NoError(t, err)
		models[arch] = m
	}
	for name, m := range models {
		require.NoError(t, Init(m, 1))
		r, err := newReplica(m, 1, nil)
		require.NoError(t, err, name)
		// span[s] = [s, the last layer that reads s]; the logits' reaches
		// past the end, to the loss.
		end := make([]int, len(r.layers))
		for i := range end {
			end[i] = i
		}
		end[len(end)-1] = len(end)
		for i, srcs := range r.srcs {
			for _, s := range srcs {
				if s >= 0 {
					end[s] = max(end[s], i)
				}
			}
		}
		owner := map[*float32][]int{}
		acts, grads := 0, 0
		for i, g := range r.grads {
			acts += len(r.acts[i])
			size := r.batch * r.sizes[i]
			if len(g) == 0 {
				continue
			}
			require.Equal(t, size, len(g), "%s: node %d", name, i)
			p := unsafe.SliceData(g)
			for _, j := range owner[p] {
				require.True(t, end[j] < i || end[i] < j, "%s: nodes %d (to %d) and %d (to %d) share a gradient buffer", name, j, end[j], i, end[i])
			}
			if owner[p] == nil {
				grads += cap(g)
			}
			owner[p] = append(owner[p], i)
		}
		if len(r.layers) > 50 {
			require.Less(t, grads, acts/4, "%s: gradient memory", name)
		}
	}
}
