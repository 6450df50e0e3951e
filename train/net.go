package train

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/edgecnn/edgecnn/engine"
	"github.com/edgecnn/edgecnn/nn"
)

// replica is one worker's copy of the network: its layers, the activation
// and gradient buffers of every node for up to batch samples, and its own
// parameter gradients. Parameter values are shared by all replicas and only
// read during a pass.
type replica struct {
	layers []layer  // nil where the node has several inputs: see joins
	joins  []joiner // the layers with several inputs, nil elsewhere
	srcs   [][]int  // index of each node's input nodes; -1 is the model input
	// direct[i][k] says whether layer i writes its gradient for input k
	// straight into that input's gradient buffer: true for the last
	// reader of each node (the first in the backward pass); the others
	// write into spare[k] and add it there.
	direct [][]bool
	spare  [][]float32
	xs     [][][]float32 // per layer, its inputs' activations (reused)
	dxs    [][][]float32 // per layer, where its input gradients go (reused)
	norms  []*batchNorm  // the batch norms, in node order
	fakes  []*fakeQuant  // quantization-aware training: the fake quantizations, in node order
	// nodeOut[i] is the layer whose output is node i's (its fake
	// quantization's in quantization-aware training).
	nodeOut []int
	qat     *qatWeights // quantization-aware training: the weights to read; nil otherwise
	acts    [][]float32 // nil where within places the output in another's
	grads   [][]float32
	sizes   []int // per sample, of each layer's output
	within  []placement
	input   []float32 // channel-major, like every [C, H, W] activation
	params  []*param  // in paramNames order
	batch   int
	sc      scratch
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

// placement says where a layer writes its output: into its own buffer
// (into < 0), or in place into the output of the concatenation layer into,
// off values per sample from its start (see placeConcats).
type placement struct{ into, off int }

// trainable reports whether a model parameter is fitted by the optimizer:
// every one but a batch norm's running statistics, which the forward pass
// keeps.
func trainable(name string) bool {
	return !strings.HasSuffix(name, ".running_mean") && !strings.HasSuffix(name, ".running_var")
}

// paramNames returns the model's trainable parameter names in a fixed
// order, the order in which gradients are reduced and the optimizer steps.
func paramNames(m *nn.Model) []string {
	names := make([]string, 0, len(m.Params))
	for name := range m.Params {
		if trainable(name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// newReplica builds a worker's replica of m for shards of up to batch
// samples. With qat set, it trains m quantization-aware (see qat.go): its
// conv and linear layers read qat's weights and fake quantizations follow
// the nodes whose int8 outputs are rounded.
func newReplica(m *nn.Model, batch int, qat *qatWeights) (*replica, error) {
	shapes, err := m.Shapes()
	if err != nil {
		return nil, err
	}
	size := m.Input.Shape().Size()
	r := &replica{batch: batch, input: make([]float32, batch*size), pixels: make([]uint8, size),
		image: make([]float32, size), augSrc: rand.NewPCG(0, 0), labels: make([]int, 0, batch), noise: rand.NewPCG(0, 0),
		sum: make([]float32, updateBlock), qat: qat}
	r.aug = rand.New(r.augSrc)
	rng := rand.New(r.noise)
	index := map[string]int{nn.InputName: -1}
	byName := map[string]*param{}
	for _, name := range paramNames(m) {
		p := &param{name: name, w: m.Params[name].F32, grad: make([]float32, m.Params[name].Len())}
		if qat != nil && qat.fake[name] != nil {
			p.w = qat.fake[name]
		}
		byName[name] = p
		r.params = append(r.params, p)
	}
	var layerShapes []nn.Shape // of each replica layer's output
	shapeOf := func(src int) nn.Shape {
		if src < 0 {
			return m.Input.Shape()
		}
		return layerShapes[src]
	}
	for i, n := range m.Nodes {
		if qat != nil && i > 0 && m.FusedActivation(i-1) == i {
			// The fake quantization of the layer it follows applies it.
			index[n.Name] = index[n.Inputs[0]]
			continue
		}
		var srcs []int
		for _, name := range n.Inputs {
			srcs = append(srcs, index[name])
		}
		in, out := shapeOf(srcs[0]), shapes[i]
		var l layer
		var j joiner
		switch n.Op {
		case nn.OpConv2D:
			w, b := byName[n.Name+".weight"], byName[n.Name+".bias"]
			if n.Groups == in[0] && n.Out == in[0] && n.Groups > 1 {
				l = newDepthwise(n, in, out, w, b, batch)
			} else {
				l = newConv(n, in, out, w, b, batch, &r.sc)
			}
		case nn.OpLinear:
			l = newLinear(in[0], out[0], batch, byName[n.Name+".weight"], byName[n.Name+".bias"], &r.sc)
		case nn.OpBatchNorm:
			bn := newBatchNorm(n, in, byName[n.Name+".weight"], byName[n.Name+".bias"], m)
			r.norms = append(r.norms, bn)
			l = bn
		case nn.OpMaxPool, nn.OpAvgPool:
			l = newPool(n, in, out, batch)
		case nn.OpReLU, nn.OpReLU6, nn.OpTanh, nn.OpSigmoid, nn.OpHardSigmoid, nn.OpHardSwish, nn.OpSiLU:
			l = &activation{node: n, op: n.Op, size: out.Size()}
		case nn.OpSoftmax:
			l = newSoftmax(in, batch, &r.sc)
		case nn.OpFlatten:
			l = newFlatten(in)
		case nn.OpDropout:
			l = &dropout{rate: n.Rate, size: out.Size(), mask: make([]float32, batch*out.Size()), rng: rng}
		case nn.OpAdd:
			j = add{size: out.Size()}
		case nn.OpConcat:
			if len(out) != 3 {
				return nil, fmt.Errorf("layer %q: training joins CxHxW maps only, not vectors", n.Name)
			}
			c := concat{}
			for _, src := range srcs {
				c.sizes = append(c.sizes, shapeOf(src).Size())
			}
			j = c
		default:
			return nil, fmt.Errorf("layer %q: training does not support %s", n.Name, n.Op)
		}
		index[n.Name] = len(r.layers)
		r.add(l, j, srcs, out.Size())
		layerShapes = append(layerShapes, out)
		if qat == nil {
			continue
		}
		if f := newFakeQuant(m, i, out.Size(), batch, qat); f != nil {
			r.fakes = append(r.fakes, f)
			index[n.Name] = len(r.layers)
			r.add(f, nil, []int{len(r.layers) - 1}, out.Size())
			layerShapes = append(layerShapes, out)
		}
	}
	for _, n := range m.Nodes {
		r.nodeOut = append(r.nodeOut, index[n.Name])
	}
	r.foldReLUs()
	r.foldActivations()
	if last := shapes[len(shapes)-1]; len(last) == 3 {
		// The loss reads each sample's logits as one row.
		r.add(newFlatten(last), nil, []int{len(r.layers) - 1}, last.Size())
	}
	r.placeConcats()
	for i, size := range r.sizes {
		if r.within[i].into < 0 && size > 0 {
			r.acts[i] = make([]float32, batch*size)
		}
	}
	r.planGradients()
	return r, nil
}

// readers counts the layers that read each node's output.
func (r *replica) readers() []int {
	count := make([]int, len(r.layers))
	for _, srcs := range r.srcs {
		for _, s := range srcs {
			if s >= 0 {
				count[s]++
			}
		}
	}
	return count
}

// foldReLUs hands each ReLU that feeds a max pool, and nothing else, to the
// pool, which then reads the ReLU's input: max pooling commutes with the
// ReLU, which is then applied to the pool's output, a quarter as many
// values for a 2x2 pool, and its backward pass folds into the pool's
// routing. The ReLU's own buffers go unused.
func (r *replica) foldReLUs() {
	readers := r.readers()
	for j, l := range r.layers {
		p, ok := l.(*pool)
		if !ok || !p.max || r.srcs[j][0] < 0 {
			continue
		}
		i := r.srcs[j][0]
		if a, ok := r.layers[i].(*activation); ok && a.op == nn.OpReLU && readers[i] == 1 && r.srcs[i][0] >= 0 {
			p.relu = true
			r.layers[i] = folded{}
			r.srcs[j][0] = r.srcs[i][0]
			r.srcs[i] = nil
		}
	}
}

// foldActivations hands each ReLU or ReLU6 that is the only reader of a
// batch norm to the batch norm, which applies it to its output (in cache
// then) and masks its gradient with it; the activation's readers read the
// batch norm instead. The results are the same; the activation's pass over
// memory and its buffers go. nodeOut follows.
func (r *replica) foldActivations() {
	readers := r.readers()
	for i, l := range r.layers {
		a, ok := l.(*activation)
		if !ok || a.op != nn.OpReLU && a.op != nn.OpReLU6 {
			continue
		}
		src := r.srcs[i][0]
		if src < 0 || readers[src] != 1 || i == len(r.layers)-1 { // the last holds the logits
			continue
		}
		bn, ok := r.layers[src].(*batchNorm)
		if !ok {
			continue
		}
		bn.act = a.op
		r.layers[i] = folded{}
		r.srcs[i] = nil
		r.sizes[i] = 0 // no buffers
		for _, srcs := range r.srcs {
			for k, s := range srcs {
				if s == i {
					srcs[k] = src
				}
			}
		}
		for k, o := range r.nodeOut {
			if o == i {
				r.nodeOut[k] = src
			}
		}
	}
}

// planGradients decides, for every input of every layer, whether its
// backward pass writes that input's gradient or adds to it (see direct),
// sizes the spare buffers and gives out the gradient buffers.
func (r *replica) planGradients() {
	last := make([]int, len(r.layers)) // last reader of each node, as layer*maxInputs+input
	for i := range last {
		last[i] = -1
	}
	width := 0
	for i, srcs := range r.srcs {
		width = max(width, len(srcs))
		for k, s := range srcs {
			if s >= 0 {
				last[s] = max(last[s], i*maxInputs+k)
			}
		}
	}
	r.direct = make([][]bool, len(r.layers))
	r.xs = make([][][]float32, len(r.layers))
	r.dxs = make([][][]float32, len(r.layers))
	biggest := make([]int, width) // the largest spare buffer of each input
	for i, srcs := range r.srcs {
		r.direct[i] = make([]bool, len(srcs))
		r.xs[i] = make([][]float32, len(srcs))
		r.dxs[i] = make([][]float32, len(srcs))
		for k, s := range srcs {
			r.direct[i][k] = s < 0 || last[s] == i*maxInputs+k
			if !r.direct[i][k] {
				biggest[k] = max(biggest[k], r.batch*r.sizes[s])
			}
		}
	}
	r.spare = make([][]float32, width)
	for k := range r.spare {
		r.spare[k] = make([]float32, biggest[k])
	}
	r.shareGradients(last)
}

// shareGradients gives out the nodes' gradient buffers. In the backward
// pass the gradient of node s is written first by its last reader (the
// layer last[s] names) and read last by s's own backward pass; outside
// that span its memory can hold another node's gradient. Buffers are
// handed out in backward order, each span taking the smallest free buffer
// that holds it (or the largest, grown), so a chain of layers needs two
// buffers rather than one per node: GoogLeNet's and DenseNet's gradients
// at batch 128 took gigabytes. A node that nothing reads keeps a zero
// gradient of its own, as the output of a dead branch would have.
func (r *replica) shareGradients(last []int) {
	type buffer struct {
		size  int
		nodes []int
	}
	var all, free []*buffer
	held := make([]*buffer, len(r.layers))
	take := func(s int) {
		if held[s] != nil {
			return
		}
		size := r.batch * r.sizes[s]
		best := -1
		for k, b := range free {
			switch {
			case best < 0,
				b.size >= size && (free[best].size < size || b.size < free[best].size),
				b.size < size && free[best].size < size && b.size > free[best].size:
				best = k
			}
		}
		var b *buffer
		if best < 0 {
			b = &buffer{}
			all = append(all, b)
		} else {
			b = free[best]
			free = slices.Delete(free, best, best+1)
		}
		b.size = max(b.size, size)
		b.nodes = append(b.nodes, s)
		held[s] = b
	}
	take(len(r.layers) - 1) // the loss writes the logits' gradient
	for i := len(r.layers) - 1; i >= 0; i-- {
		for k, s := range r.srcs[i] {
			if s >= 0 && last[s] == i*maxInputs+k {
				take(s)
			}
		}
		if b := held[i]; b != nil {
			free = append(free, b)
		}
	}
	for _, b := range all {
		mem := make([]float32, b.size)
		for _, s := range b.nodes {
			r.grads[s] = mem[:r.batch*r.sizes[s]]
		}
	}
	for i, b := range held {
		if b == nil && len(r.srcs[i]) > 0 {
			r.grads[i] = make([]float32, r.batch*r.sizes[i])
		}
	}
}

// maxInputs bounds the inputs of a layer in planGradients' numbering.
const maxInputs = 1 << 16

// add appends a layer (l, or j for several inputs) reading the outputs
// of layers srcs and giving size values per sample.
func (r *replica) add(l layer, j joiner, srcs []int, size int) {
	r.layers = append(r.layers, l)
	r.joins = append(r.joins, j)
	r.srcs = append(r.srcs, srcs)
	r.acts = append(r.acts, nil)   // see placeConcats
	r.grads = append(r.grads, nil) // see shareGradients
	r.sizes = append(r.sizes, size)
	r.within = append(r.within, placement{into: -1})
}

// placeConcats lets the inputs of each concatenation write their outputs
// straight into its output. In the channel-major layout the output of a
// shard of n samples is its inputs' planes end to end, input k's n times
// the sizes of those before it from the start; a layer that writes there
// leaves the concatenation nothing to copy, and needs no buffer of its own.
// DenseNet's blocks, where each layer's concatenation is the one before
// plus a few channels, then keep one buffer per block instead of one per
// layer (half its activation memory). Not placed: the model input, an
// input a concatenation reads twice, and one that another concatenation
// already holds.
func (r *replica) placeConcats() {
	for i, j := range r.joins {
		c, ok := j.(concat)
		if !ok {
			continue
		}
		off := 0
		for k, s := range r.srcs[i] {
			once := slices.Index(r.srcs[i], s) == k && !slices.Contains(r.srcs[i][k+1:], s)
			if s >= 0 && r.within[s].into < 0 && once {
				r.within[s] = placement{into: i, off: off}
			}
			off += c.sizes[k]
		}
	}
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

// out returns the output of layer i (-1: the model input) for a shard of
// n samples. One placed in a concatenation's output is exactly n samples
// long, and no longer: a layer that wrote past its shard would write into
// its neighbour's planes.
func (r *replica) out(i, n int) []float32 {
	if i < 0 {
		return r.input
	}
	if p := r.within[i]; p.into >= 0 {
		lo, hi := p.off*n, (p.off+r.sizes[i])*n
		return r.out(p.into, n)[lo:hi:hi]
	}
	return r.acts[i]
}

// forward runs n samples from r.input and returns the logits.
func (r *replica) forward(n int, training bool) []float32 {
	for i, l := range r.layers {
		if l != nil {
			var x []float32
			if len(r.srcs[i]) > 0 {
				x = r.out(r.srcs[i][0], n)
			}
			l.forward(x, r.out(i, n), n, training)
			continue
		}
		xs := r.xs[i]
		for k, s := range r.srcs[i] {
			xs[k] = r.out(s, n)
		}
		r.joins[i].join(xs, r.out(i, n), n)
	}
	return r.acts[len(r.acts)-1]
}

// backward propagates r.grads of the last node back to the first layer,
// setting the parameter gradients of r.params.
func (r *replica) backward(n int) {
	for i := len(r.layers) - 1; i >= 0; i-- {
		srcs := r.srcs[i]
		if len(srcs) == 0 { // folded
			continue
		}
		dxs := r.dxs[i]
		for k, s := range srcs {
			switch {
			case s < 0:
				dxs[k] = nil
			case r.direct[i][k]:
				dxs[k] = r.grads[s]
			default:
				dxs[k] = r.spare[k]
			}
		}
		if l := r.layers[i]; l != nil {
			l.backward(r.out(srcs[0], n), r.out(i, n), r.grads[i], dxs[0], n)
		} else {
			r.joins[i].split(r.grads[i], dxs, n)
		}
		for k, s := range srcs {
			if s >= 0 && !r.direct[i][k] {
				g := r.grads[s][:r.sizes[s]*n]
				for j, v := range r.spare[k][:len(g)] {
					g[j] += v
				}
			}
		}
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
