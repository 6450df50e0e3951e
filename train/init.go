package train

import (
	"math"
	"math/rand/v2"

	"github.com/edgecnn/edgecnn/nn"
)

// Init draws fresh parameters for m from seed: He (Kaiming) normal for layers
// followed by ReLU or ReLU6 (after a batch norm or not), Xavier (Glorot)
// uniform for the rest (tanh and the output layer); biases start at zero.
// Batch norms start as the identity: weight 1, bias 0, running mean 0 and
// variance 1.
func Init(m *nn.Model, seed uint64) error {
	if err := m.InitParams(); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	for i, n := range m.Nodes {
		w := m.Weight(n)
		if w == nil {
			continue
		}
		if n.Op == nn.OpBatchNorm {
			fill(w.F32, 1)
			clear(m.Bias(n).F32)
			clear(m.RunningMean(n).F32)
			fill(m.RunningVar(n).F32, 1)
			continue
		}
		fanOut, fanIn := w.Shape[0], w.Len()/w.Shape[0]
		if n.Op == nn.OpConv2D {
			fanOut *= n.Kernel[0] * n.Kernel[1]
		}
		if followedByReLU(m, i) {
			std := math.Sqrt(2 / float64(fanIn))
			for j := range w.F32 {
				w.F32[j] = float32(rng.NormFloat64() * std)
			}
		} else {
			limit := math.Sqrt(6 / float64(fanIn+fanOut))
			for j := range w.F32 {
				u := float64(rng.Float64()) // rounded: Float64's product is not fused into 2u-1 on arm64
				w.F32[j] = float32((2*u - 1) * limit)
			}
		}
		if b := m.Bias(n); b != nil {
			clear(b.F32)
		}
	}
	return nil
}

func fill(s []float32, v float32) {
	for i := range s {
		s[i] = v
	}
}

// followedByReLU reports whether the node after node i, or after the batch
// norm that follows it, is a ReLU or ReLU6.
func followedByReLU(m *nn.Model, i int) bool {
	if i+1 < len(m.Nodes) && m.Nodes[i+1].Op == nn.OpBatchNorm {
		i++
	}
	if i+1 >= len(m.Nodes) {
		return false
	}
	op := m.Nodes[i+1].Op
	return op == nn.OpReLU || op == nn.OpReLU6
}
