package nn

import (
	"fmt"
	"maps"
	"math"
	"slices"
)

// OpBatchNorm normalises each channel of a CxHxW input with its batch
// statistics in training and its running statistics at inference:
// y = weight * (x - mean) / sqrt(var + Eps) + bias. Its parameters are
// weight and bias (gamma and beta, [C]) and the running statistics
// running_mean and running_var ([C]), which training updates with
// Momentum: running = (1 - Momentum) * running + Momentum * batch, as
// PyTorch's BatchNorm2d does.
//
// A batch norm exists only for training: FoldBatchNorm merges it into the
// convolution before it, which is how every inference path runs it.
const OpBatchNorm Op = "batchnorm"

// Batch norm defaults, PyTorch's.
const (
	DefaultBNEps      = 1e-5
	DefaultBNMomentum = 0.1
)

// BatchNorm returns a batch norm with PyTorch's epsilon and momentum.
func BatchNorm(name string) *Node {
	return &Node{Name: name, Op: OpBatchNorm, Eps: DefaultBNEps, Momentum: DefaultBNMomentum}
}

// RunningMean and RunningVar return the running statistics of batch norm
// n, or nil for any other layer.
func (m *Model) RunningMean(n *Node) *Tensor { return m.Params[n.Name+".running_mean"] }
func (m *Model) RunningVar(n *Node) *Tensor  { return m.Params[n.Name+".running_var"] }

// batchNormShape checks a batch norm's constants and input.
func (n *Node) batchNormShape(in Shape) (Shape, error) {
	switch {
	case len(in) != 3:
		return nil, fmt.Errorf("needs a CxHxW input, got %v", in)
	case !(n.Eps > 0) || math.IsInf(float64(n.Eps), 0):
		return nil, fmt.Errorf("epsilon %v is not positive", n.Eps)
	case !(n.Momentum >= 0 && n.Momentum <= 1):
		return nil, fmt.Errorf("momentum %v outside [0, 1]", n.Momentum)
	}
	return slices.Clone(in), nil
}

// HasBatchNorm reports whether m holds a batch norm layer.
func (m *Model) HasBatchNorm() bool {
	return slices.ContainsFunc(m.Nodes, func(n *Node) bool { return n.Op == OpBatchNorm })
}

// Folded reports whether m is ready for inference as it is: no batch norm,
// and no convolution without bias. FoldBatchNorm makes it so.
func (m *Model) Folded() bool {
	return !slices.ContainsFunc(m.Nodes, func(n *Node) bool { return n.Op == OpBatchNorm || n.NoBias })
}

// FoldBatchNorm returns m with every batch norm merged into the
// convolution it follows, for inference: the convolution's weights of
// output channel c are scaled by s = weight[c] / sqrt(running_var[c] + Eps)
// and its bias becomes (bias[c] - running_mean[c]) * s + bias'[c], bias'
// the batch norm's. Layers that read the batch norm read the convolution
// instead. Every convolution without bias gets one (zero where no batch
// norm follows it).
//
// m itself is left alone; the result shares the tensors of the layers it
// does not change. A batch norm that does not follow a float convolution
// whose output it alone reads cannot be folded: that is an error naming it.
func FoldBatchNorm(m *Model) (*Model, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	readers := map[string]int{}
	for _, n := range m.Nodes {
		for _, in := range n.Inputs {
			readers[in]++
		}
	}
	out := *m
	out.Nodes = make([]*Node, 0, len(m.Nodes))
	out.Params = maps.Clone(m.Params)
	renamed := map[string]string{}
	index := map[string]int{}
	for _, n := range m.Nodes {
		c := *n
		c.Inputs = slices.Clone(n.Inputs)
		for i, in := range c.Inputs {
			if r, ok := renamed[in]; ok {
				c.Inputs[i] = r
			}
		}
		if n.Op != OpBatchNorm {
			if c.NoBias {
				c.NoBias = false
				out.Params[c.Name+".bias"] = NewTensor(c.Out)
			}
			index[c.Name] = len(out.Nodes)
			out.Nodes = append(out.Nodes, &c)
			continue
		}
		src := c.Inputs[0]
		i, ok := index[src]
		if !ok || out.Nodes[i].Op != OpConv2D || readers[n.Inputs[0]] != 1 {
			return nil, fmt.Errorf("batch norm %q: cannot fold into %q: it must follow a convolution that only it reads", n.Name, n.Inputs[0])
		}
		if v := slices.IndexFunc(m.RunningVar(n).F32, func(v float32) bool { return !(v >= 0) }); v >= 0 {
			return nil, fmt.Errorf("batch norm %q: running variance %v of channel %d is negative", n.Name, m.RunningVar(n).F32[v], v)
		}
		conv := *out.Nodes[i]
		out.Nodes[i] = &conv
		foldInto(&out, &conv, m, n)
		for _, p := range []string{".weight", ".bias", ".running_mean", ".running_var"} {
			delete(out.Params, n.Name+p)
		}
		renamed[n.Name] = conv.Name
	}
	return &out, nil
}

// foldInto writes the parameters of conv merged with batch norm bn (both
// of m) into out.
func foldInto(out *Model, conv *Node, m *Model, bn *Node) {
	w := m.Params[conv.Name+".weight"]
	gamma, beta := m.Weight(bn).F32, m.Bias(bn).F32
	mean, vr := m.RunningMean(bn).F32, m.RunningVar(bn).F32
	fw := NewTensor(w.Shape...)
	fb := NewTensor(conv.Out)
	per := w.Len() / conv.Out
	var bias []float32
	if b := m.Params[conv.Name+".bias"]; b != nil {
		bias = b.F32
	}
	for c := range conv.Out {
		s := float64(gamma[c]) / math.Sqrt(float64(vr[c])+float64(bn.Eps))
		for j := c * per; j < (c+1)*per; j++ {
			fw.F32[j] = float32(float64(w.F32[j]) * s)
		}
		b := 0.0
		if bias != nil {
			b = float64(bias[c])
		}
		fb.F32[c] = float32(float64((b-float64(mean[c]))*s) + float64(beta[c]))
	}
	out.Params[conv.Name+".weight"] = fw
	out.Params[conv.Name+".bias"] = fb
}
