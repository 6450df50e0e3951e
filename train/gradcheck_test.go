package train

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/nn"
)

// gradCheckModels cover every layer type, with strides, padding (symmetric
// and not), groups, a softmax in the middle of the graph, a ReLU that the
// max pool after it takes over, and logits from a convolution. Each starts
// with a parameterised layer, so checking its weight gradient exercises the
// input gradient of every layer after it.
func gradCheckModels() map[string]*nn.Model {
	in := func(c, h, w int) nn.Input {
		return nn.Input{Channels: c, Height: h, Width: w, Mean: make([]float32, c), Std: ones(c)}
	}
	conv := func(name string, out, kh, kw, sh, sw int, pad [4]int, groups int) *nn.Node {
		return &nn.Node{Name: name, Op: nn.OpConv2D, Out: out, Kernel: [2]int{kh, kw}, Stride: [2]int{sh, sw}, Pad: pad, Groups: groups}
	}
	pool := func(name string, op nn.Op, k, s, pad int) *nn.Node {
		return &nn.Node{Name: name, Op: op, Kernel: [2]int{k, k}, Stride: [2]int{s, s}, Pad: [4]int{pad, pad, pad, pad}}
	}
	labels := []string{"a", "b", "c"}
	bn := nn.BatchNorm
	dw := func(name string, c, k, s int, pad [4]int) *nn.Node { return conv(name, c, k, k, s, s, pad, c) }
	node := func(n *nn.Node, inputs ...string) *nn.Node { n.Inputs = inputs; return n }
	nobias := func(n *nn.Node) *nn.Node { n.NoBias = true; return n }
	gap := func(name string, side int) *nn.Node { return pool(name, nn.OpAvgPool, side, side, 0) }
	return map[string]*nn.Model{
		// Batch norm, depthwise convolutions (stride 1 and 2, with and
		// without bias), a residual add whose input is also read by the
		// next layer, ReLU6 and global average pooling.
		"conv-bn-depthwise-add-gap": nn.Sequential("t", in(2, 7, 7), labels,
			nobias(conv("c1", 4, 3, 3, 1, 1, [4]int{1, 1, 1, 1}, 1)), bn("b1"), nn.Act("r1", nn.OpReLU),
			nobias(dw("dw1", 4, 3, 1, [4]int{1, 1, 1, 1})), bn("b2"),
			node(&nn.Node{Name: "add", Op: nn.OpAdd}, "r1", "b2"), nn.Act("r2", nn.OpReLU6),
			dw("dw2", 4, 3, 2, [4]int{0, 1, 1, 0}), bn("b3"),
			gap("gap", 3), nn.Flat("f"), nn.FC("l1", 3)),
		// Channel concatenation of three branches, one of them the input
		// itself, which three layers read; a padded max pool after a ReLU
		// that others read too (so not folded into the pool); 1x1
		// convolutions, dense and grouped, that read their input in place;
		// a ReLU6 that the batch norm before it applies (a ReLU does so in
		// the model above).
		"conv-branches-concat": nn.Sequential("t", in(3, 6, 6), labels,
			conv("c1", 3, 3, 3, 1, 1, [4]int{1, 1, 1, 1}, 1), nn.Act("r1", nn.OpReLU),
			node(conv("b1", 2, 1, 1, 1, 1, [4]int{}, 1), "r1"),
			node(pool("b2", nn.OpMaxPool, 3, 1, 1), "r1"),
			node(&nn.Node{Name: "cat", Op: nn.OpConcat}, "b1", "b2", "r1"),
			conv("pw", 8, 1, 1, 1, 1, [4]int{}, 2), // grouped pointwise: no im2col
			dw("dw", 8, 5, 2, [4]int{2, 2, 2, 2}), bn("bn"), nn.Act("r2", nn.OpReLU6),
			nn.Flat("f"), nn.FC("l1", 3)),
		// Residual adds in a chain, each sum read by the next add; a
		// depthwise convolution whose bias counts (no batch norm after it).
		"add-chain": nn.Sequential("t", in(2, 5, 5), labels,
			conv("c1", 3, 3, 3, 1, 1, [4]int{1, 1, 1, 1}, 1),
			dw("c2", 3, 3, 1, [4]int{1, 1, 1, 1}),
			node(&nn.Node{Name: "a1", Op: nn.OpAdd}, "c1", "c2"), nn.Act("t1", nn.OpTanh),
			node(&nn.Node{Name: "a2", Op: nn.OpAdd}, "t1", "a1"),
			gap("gap", 5), nn.Flat("f"), nn.FC("l1", 3)),
		"conv-groups-relu6-maxpool-linear-tanh": nn.Sequential("t", in(2, 9, 9), labels,
			conv("c1", 4, 3, 3, 2, 2, [4]int{1, 1, 1, 1}, 2), nn.Act("a1", nn.OpReLU6),
			pool("p1", nn.OpMaxPool, 2, 2, 0), nn.Flat("f"), nn.FC("l1", 6), nn.Act("a2", nn.OpTanh), nn.FC("l2", 3)),
		"conv-tanh-avgpool-padded-dropout-softmax": nn.Sequential("t", in(1, 8, 8), labels,
			conv("c1", 3, 3, 3, 1, 1, [4]int{}, 1), nn.Act("a1", nn.OpTanh),
			pool("p1", nn.OpAvgPool, 3, 2, 1), nn.Flat("f"), nn.Drop("d", 0.3),
			nn.FC("l1", 5), nn.Act("s", nn.OpSoftmax), nn.FC("l2", 3)),
		"conv-relu-maxpool-relu-linear": nn.Sequential("t", in(2, 6, 6), labels,
			conv("c1", 3, 3, 3, 1, 1, [4]int{1, 1, 1, 1}, 1), nn.Act("a1", nn.OpReLU),
			pool("p1", nn.OpMaxPool, 2, 2, 0), nn.Flat("f"), nn.FC("l1", 4), nn.Act("a2", nn.OpReLU), nn.FC("l2", 3)),
		// A softmax over [C, H, W] planes, and logits from a convolution.
		"conv-softmax-conv": nn.Sequential("t", in(2, 5, 5), labels,
			conv("c1", 3, 3, 3, 1, 1, [4]int{}, 1), nn.Act("s", nn.OpSoftmax),
			conv("c2", 3, 3, 3, 1, 1, [4]int{}, 1)),
		// The activations of MobileNet v3 and EfficientNet, hardswish and
		// hardsigmoid with PyTorch's and with other slopes.
		"conv-hardswish-sigmoid-hardsigmoid-silu": nn.Sequential("t", in(2, 5, 5), labels,
			conv("c1", 3, 3, 3, 1, 1, [4]int{1, 1, 1, 1}, 1), &nn.Node{Name: "hs", Op: nn.OpHardSwish, Alpha: 1.0 / 6, Beta: 0.5},
			conv("c2", 3, 3, 3, 1, 1, [4]int{}, 1), nn.Act("sg", nn.OpSigmoid), nn.Flat("f"), nn.FC("l1", 6),
			&nn.Node{Name: "hsg", Op: nn.OpHardSigmoid, Alpha: 0.2, Beta: 0.5}, nn.FC("l2", 5),
			&nn.Node{Name: "hs2", Op: nn.OpHardSwish, Alpha: 0.3, Beta: 0.4}, nn.FC("l3", 4), nn.Act("si", nn.OpSiLU),
			nn.FC("l4", 3)),
		"conv-asymmetric-relu-linear": nn.Sequential("t", in(3, 6, 7), labels,
			conv("c1", 2, 2, 3, 1, 2, [4]int{0, 1, 1, 2}, 1), nn.Act("a1", nn.OpReLU),
			conv("c2", 4, 3, 1, 2, 1, [4]int{1, 0, 0, 0}, 2), nn.Act("a2", nn.OpReLU),
			nn.Flat("f"), nn.FC("l1", 3)),
	}
}

func ones(n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = 1
	}
	return s
}

// TestGradients compares every analytic parameter gradient with a central
// finite difference of the mean loss over a batch of random inputs: once
// with each convolution's im2col matrix made for the whole batch, as for
// these small planes, and once two images at a time (the batch of 3 ending
// in a part block), as the large layers of real networks make it.
func TestGradients(t *testing.T) {
	blocksOf2 := func(r *replica) {
		for _, l := range r.layers {
			if c, ok := l.(*conv); ok {
				c.imgs = 2
			}
		}
	}
	for name, m := range gradCheckModels() {
		for variant, alter := range map[string]func(*replica){"whole": nil, "blocks": blocksOf2} {
			t.Run(name+"/"+variant, func(t *testing.T) {
				c := checkGradients(t, m, alter)
				require.Empty(t, c.mismatches)
				require.LessOrEqual(t, c.kinks, c.checked/20, "too many non-smooth points to trust the check")
				require.Greater(t, c.checked, 50)
			})
		}
	}
}

// TestGradientsCatchBrokenBackward breaks the backward pass of one layer at
// a time, every layer of every check model in turn (its input gradient
// scaled by 0.8), and requires the check to notice: a check that
// passes anything would pass a real bug too. The first layer of each model
// has no input gradient to break; its weight gradient is compared directly.
func TestGradientsCatchBrokenBackward(t *testing.T) {
	if testing.Short() {
		t.Skip("one finite-difference check per broken layer on one goroutine: for the full suite")
	}
	for name, m := range gradCheckModels() {
		require.NoError(t, Init(m, 7))
		r, err := newReplica(m, 1, nil)
		require.NoError(t, err)
		for i := 1; i < len(r.layers); i++ {
			if _, ok := r.layers[i].(folded); ok || i == len(r.layers)-1 && len(m.Nodes) < len(r.layers) {
				continue // no work of its own; the loss's own flatten
			}
			t.Run(fmt.Sprintf("%s/%d", name, i), func(t *testing.T) {
				c := checkGradients(t, m, func(r *replica) {
					if r.layers[i] != nil {
						r.layers[i] = brokenLayer{r.layers[i]}
					} else {
						r.joins[i] = brokenJoin{r.joins[i]}
					}
				})
				require.NotEmpty(t, c.mismatches, "layer %d (%T%T) broken, yet every gradient matched", i, r.layers[i], r.joins[i])
			})
		}
	}
}

// brokenLayer and brokenJoin get their input gradients wrong by 20%.
type (
	brokenLayer struct{ layer }
	brokenJoin  struct{ joiner }
)

func (b brokenLayer) backward(x, y, dy, dx []float32, n int) {
	b.layer.backward(x, y, dy, dx, n)
	breakGrad(dx)
}

func (b brokenJoin) split(dy []float32, dxs [][]float32, n int) {
	b.joiner.split(dy, dxs, n)
	for _, dx := range dxs {
		breakGrad(dx)
	}
}

func breakGrad(dx []float32) {
	for i := range dx {
		dx[i] *= 0.8
	}
}

// gradCheck is the outcome of checkGradients: the parameters whose
// analytic gradient missed the numeric one, how many matched, and how many
// sat on a kink and were skipped.
type gradCheck struct {
	mismatches     []string
	checked, kinks int
}

// checkGradients compares every analytic parameter gradient of m (fresh
// parameters, biases made non-zero) with a central finite difference of
// the mean loss over a batch of random inputs. alter, if set, changes the
// replica before the check.
func checkGradients(t *testing.T, m *nn.Model, alter func(*replica)) gradCheck {
	require.NoError(t, Init(m, 7))
	rng := rand.New(rand.NewPCG(1, 2))
	for _, name := range paramNames(m) {
		p := m.Params[name]
		for i := range p.F32 { // non-zero biases, so every path is live
			p.F32[i] += float32(rng.NormFloat64() * 0.1)
		}
	}
	const batch = 3
	r, err := newReplica(m, batch, nil)
	require.NoError(t, err)
	if alter != nil {
		alter(r)
	}
	// Each sample drawn in [C, H, W] order, then stored channel-major.
	sample := make([]float32, m.Input.Shape().Size())
	for s := range batch {
		for i := range sample {
			sample[i] = float32(3 * rng.NormFloat64()) // large enough to saturate relu6
		}
		planeCopy(sample, r.input, m.Input.Channels, batch, s, true)
	}
	labels := []int{0, 2, 1}
	loss := func() float64 {
		r.noise.Seed(3, 4) // the same dropout mask every pass
		r.forward(batch, true)
		l, _ := r.lossAndGrad(labels, batch)
		return l / batch
	}
	loss()
	r.backward(batch)
	base := loss()
	var c gradCheck
	for _, p := range r.params {
		analytic := append([]float32(nil), p.grad...)
		for i := range p.w {
			const eps = 1e-3
			orig := p.w[i]
			p.w[i] = orig + eps
			up := loss()
			p.w[i] = orig - eps
			down := loss()
			p.w[i] = orig
			// Where a step crosses a kink (ReLU at 0 or 6, a max-pool
			// tie changing hands) the one-sided slopes disagree and no
			// derivative exists to compare with: skip, but count.
			if fwd, bwd := (up-base)/eps, (base-down)/eps; math.Abs(fwd-bwd) > 1e-2+0.05*math.Abs(fwd) {
				c.kinks++
				continue
			}
			numeric := (up - down) / (2 * eps)
			if tol := 3e-4 + 2e-2*math.Abs(numeric); math.Abs(numeric-float64(analytic[i])) > tol {
				c.mismatches = append(c.mismatches, fmt.Sprintf("%s[%d]: analytic %v, numeric %v", p.name, i, analytic[i], numeric))
				continue
			}
			c.checked++
		}
	}
	return c
}
