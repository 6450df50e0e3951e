package train

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/edgecnn/edgecnn/engine"
	"github.com/edgecnn/edgecnn/nn"
)

// replica is one worker's copy of the network: its layers, the activation
// and gradient buffers of every node for up to batch samples, and its own
// parameter gradients. Parameter values are shared by all replicas and only
// read during a pass.
type replica struct {
	layers []layer
	src    []int // index of each node's input node; -1 is the model input
	acts   [][]float32
	grads  [][]float32
	input  []float32 // channel-major, like every [C, H, W] activation
	params []*param  // in paramNames order
	batch  int
	sc     scratch
	// What shardStep needs to load a shard: one image's augmented pixels
	// and normalised values, the source of its augmentation, the labels.
	pixels []uint8
	image  []float32
	augSrc *rand.PCG
	aug    *rand.Rand
	labels []int
	// The shard's summed loss and correct count, from its worker.
	loss    float64
	correct int
	// sum holds the gradient sums of the optimizer step this replica's
	// worker takes part in (updateBlock floats).
	sum []float32
	// noise drives dropout; it is reseeded before every step so that a
	// resumed run draws the same masks as an uninterrupted one.
	noise *rand.PCG
}

// paramNames returns the model's parameter names in a fixed order, the order
// in which gradients are reduced and the optimizer steps.
func paramNames(m *nn.Model) []string {
	names := make([]string, 0, len(m.Params))
	for name := range m.Params {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

func newReplica(m *nn.Model, batch int) (*replica, error) {
	shapes, err := m.Shapes()
	if err != nil {
		return nil, err
	}
	size := m.Input.Shape().Size()
	r := &replica{batch: batch, input: make([]float32, batch*size), pixels: make([]uint8, size),
		image: make([]float32, size), augSrc: rand.NewPCG(0, 0), labels: make([]int, 0, batch), noise: rand.NewPCG(0, 0),
		sum: make([]float32, updateBlock)}
	r.aug = rand.New(r.augSrc)
	rng := rand.New(r.noise)
	index := map[string]int{nn.InputName: -1}
	byName := map[string]*param{}
	for _, name := range paramNames(m) {
		p := &param{name: name, w: m.Params[name].F32, grad: make([]float32, m.Params[name].Len())}
		byName[name] = p
		r.params = append(r.params, p)
	}
	consumed := map[int]bool{}
	for i, n := range m.Nodes {
		if len(n.Inputs) != 1 {
			return nil, fmt.Errorf("layer %q: training supports single-input layers only", n.Name)
		}
		src := index[n.Inputs[0]]
		if consumed[src] {
			return nil, fmt.Errorf("layer %q: training does not support a layer output read twice (%q)", n.Name, n.Inputs[0])
		}
		consumed[src] = true
		in := m.Input.Shape()
		if src >= 0 {
			in = shapes[src]
		}
		out := shapes[i]
		var l layer
		switch n.Op {
		case nn.OpConv2D:
			l = newConv(n, in, out, byName[n.Name+".weight"], byName[n.Name+".bias"], batch, &r.sc)
		case nn.OpLinear:
			l = newLinear(in[0], out[0], batch, byName[n.Name+".weight"], byName[n.Name+".bias"], &r.sc)
		case nn.OpMaxPool, nn.OpAvgPool:
			l = newPool(n, in, out, batch)
		case nn.OpReLU, nn.OpReLU6, nn.OpTanh:
			l = &activation{op: n.Op, size: out.Size()}
		case nn.OpSoftmax:
			l = newSoftmax(in, batch, &r.sc)
		case nn.OpFlatten:
			l = newFlatten(in)
		case nn.OpDropout:
			l = &dropout{rate: n.Rate, size: out.Size(), mask: make([]float32, batch*out.Size()), rng: rng}
		default:
			return nil, fmt.Errorf("layer %q: training does not support %s", n.Name, n.Op)
		}
		index[n.Name] = i
		r.add(l, src, out.Size())
	}
	r.foldReLUs()
	if last := shapes[len(shapes)-1]; len(last) == 3 {
		// The loss reads each sample's logits as one row.
		r.add(newFlatten(last), len(r.layers)-1, last.Size())
	}
	return r, nil
}

// foldReLUs hands each ReLU that feeds a max pool to the pool, which then
// reads the ReLU's input: max pooling commutes with the ReLU, which is then
// applied to the pool's output, a quarter as many values for a 2x2 pool,
// and its backward pass folds into the pool's routing. The ReLU's own
// buffers go unused.
func (r *replica) foldReLUs() {
	for j, l := range r.layers {
		p, ok := l.(*pool)
		i := r.src[j]
		if !ok || !p.max || i < 0 {
			continue
		}
		if a, ok := r.layers[i].(*activation); ok && a.op == nn.OpReLU {
			p.relu = true
			r.layers[i] = folded{}
			r.src[j] = r.src[i]
		}
	}
}

// add appends layer l, reading the output of layer src and giving size
// values per sample.
func (r *replica) add(l layer, src, size int) {
	r.layers = append(r.layers, l)
	r.src = append(r.src, src)
	r.acts = append(r.acts, make([]float32, r.batch*size))
	r.grads = append(r.grads, make([]float32, r.batch*size))
}

// setInput normalises img into the input of sample s of a shard of n.
func (r *replica) setInput(in nn.Input, img []uint8, s, n int) {
	size := len(r.image)
	if in.Channels == 1 {
		in.Normalize(r.input[s*size:(s+1)*size], img)
		return
	}
	in.Normalize(r.image, img)
	planeCopy(r.image, r.input, in.Channels, n, s, true)
}

// in returns the activation node i reads.
func (r *replica) in(i int) []float32 {
	if r.src[i] < 0 {
		return r.input
	}
	return r.acts[r.src[i]]
}

// forward runs n samples from r.input and returns the logits.
func (r *replica) forward(n int, training bool) []float32 {
	for i, l := range r.layers {
		l.forward(r.in(i), r.acts[i], n, training)
	}
	return r.acts[len(r.acts)-1]
}

// backward propagates r.grads of the last node back to the first layer,
// adding parameter gradients to r.params.
func (r *replica) backward(n int) {
	for i := len(r.layers) - 1; i >= 0; i-- {
		var dx []float32
		if r.src[i] >= 0 {
			dx = r.grads[r.src[i]]
		}
		r.layers[i].backward(r.in(i), r.acts[i], r.grads[i], dx, n)
	}
}

// lossAndGrad computes the softmax cross-entropy of the first n logits
// against labels, writes its gradient (divided by scale, the whole batch
// size) into the last node's gradient buffer and returns the summed loss and
// the number of correct predictions.
func (r *replica) lossAndGrad(labels []int, scale int) (loss float64, correct int) {
	logits, grad := r.acts[len(r.acts)-1], r.grads[len(r.grads)-1]
	classes := len(logits) / r.batch
	for s, label := range labels {
		z, g := logits[s*classes:(s+1)*classes], grad[s*classes:(s+1)*classes]
		engine.Softmax(g, z)
		loss -= math.Log(max(float64(g[label]), 1e-30))
		if argmax(z) == label {
			correct++
		}
		g[label] -= 1
		for j := range g {
			g[j] /= float32(scale)
		}
	}
	return loss, correct
}

func argmax(xs []float32) int {
	best := 0
	for i, v := range xs {
		if v > xs[best] {
			best = i
		}
	}
	return best
}
