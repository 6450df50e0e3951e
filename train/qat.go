package train

import (
	"fmt"
	"math"
	"sync"

	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/nn"
	"github.com/edgecnn/edgecnn/quant"
)

// Quantization-aware training (Config.QAT) fine-tunes a float model, its
// batch norms folded, against the values its int8 form will compute with:
//
//   - Every conv2d and linear layer reads its weights fake-quantized per
//     output channel (quant.FakeQuantizeWeights, the rounding of
//     quant.QuantizeWeights) and its bias on the grid of its int32 form
//     (quant.FakeQuantizeBias); the optimizer steps the float parameters
//     behind them, which receive the gradient of the fake-quantized ones
//     unchanged (the straight-through estimator; the per-channel scale
//     comes from the largest weight, so no weight is ever clamped).
//   - Every tensor the int8 model stores with its own parameters passes a
//     fakeQuant layer: the input, with the parameters of nn.Input.QuantParams,
//     and the output of every node but those that keep their input's
//     parameters (nn.KeepsQuant). Each such node's nn.Node.Range follows an
//     exponential moving average of its output's extremes per batch, as
//     TFLite's and PyTorch's QAT observers do; convert then uses exactly
//     these ranges.
//   - A conv or linear layer's output is rounded as the int8 engine rounds
//     it: the int32 accumulator, recovered from the float output, goes
//     through quant.Requantize with the layer's fixed-point multipliers.
//     Rounding the float output to the nearest step instead disagrees with
//     the engine's double rounding near every tie, and the disagreements
//     compound from layer to layer.
//   - A ReLU or ReLU6 that the engine fuses into the conv, linear or add
//     before it (nn.Model.FusedActivation) is that layer's clamp here too:
//     it gets no layer of its own, and its Range is the layer's output
//     range.
//   - Average pools re-round their output to their input's grid the way the
//     int8 kernel rounds a window's mean (kernels.AvgPoolInt8).
//
// Max pool, flatten and dropout move values already on their grid.

// rangeDecay is the weight of the running range in each batch's update:
// range = rangeDecay*range + (1-rangeDecay)*batch extremes.
const rangeDecay = 0.99

// fakeQuant rounds its input to the int8 grid of an activation tensor; its
// backward pass lets the gradient through where the input was inside the
// grid's range and stops it where the clamp cut the input off.
type fakeQuant struct {
	// owner is the node whose Range gives the parameters; nil means the
	// fixed parameters of the model input.
	owner *nn.Node
	fixed quant.Params
	// observe is set when this layer's input is what owner.Range tracks:
	// a training forward pass then records its extremes in lo and hi, and
	// Trainer.step merges the shards' into the range.
	observe bool
	lo, hi  float32
	// window, for the output of an unpadded average pool, is its window's
	// cell count: the pool's mean is rounded as kernels.AvgPoolInt8 does.
	window int
	// layer, for the output of a conv or linear layer, is that layer:
	// the output is requantized exactly (see requantize), clamped as act
	// says. planes is the layer's output values per channel and sample
	// for a convolution (channel-major), 0 for a linear layer.
	layer  *qatLayer
	act    quant.Activation
	planes int
	// mult and shifts hold the layer's output multipliers of the last
	// forward, kept so that the next one allocates nothing.
	mult   []int32
	shifts []int
	size   int    // values per sample
	inside []bool // per value of the last forward: whether the gradient passes
}

// newFakeQuant returns the fake quantization of node i's output (size
// values per sample, up to batch samples), or nil when the int8 model
// stores it without rounding of its own.
func newFakeQuant(m *nn.Model, i, size, batch int, qat *qatWeights) *fakeQuant {
	n := m.Nodes[i]
	f := &fakeQuant{size: size, inside: make([]bool, batch*size)}
	switch {
	case n.Op == nn.OpAvgPool:
		f.owner = quantOwner(m, n.Inputs[0])
		if f.owner == nil {
			f.fixed = m.Input.QuantParams()
		}
		if n.Pad == [4]int{} {
			f.window = n.Kernel[0] * n.Kernel[1]
		}
	case nn.KeepsQuant(n.Op):
		return nil
	default:
		f.owner, f.observe = n, true
		switch n.Op {
		case nn.OpConv2D:
			f.layer, f.planes = qat.byNode[n.Name], size/n.Out
		case nn.OpLinear:
			f.layer = qat.byNode[n.Name]
		}
		if j := m.FusedActivation(i); j >= 0 {
			f.owner = m.Nodes[j]
			f.act = quant.ReLU
			if m.Nodes[j].Op == nn.OpReLU6 {
				f.act = quant.ReLU6
			}
		}
	}
	return f
}

// quantOwner returns the node whose range quantizes the tensor called name,
// following layers that keep their input's parameters; nil for the model
// input.
func quantOwner(m *nn.Model, name string) *nn.Node {
	for name != nn.InputName {
		n := m.Node(name)
		if !nn.KeepsQuant(n.Op) {
			return n
		}
		name = n.Inputs[0]
	}
	return nil
}

// params returns the quantization of the tensor: its owner's range, or on
// the very first training step, before any range exists, the extremes of x.
func (f *fakeQuant) params(x []float32) quant.Params {
	switch {
	case f.owner == nil:
		return f.fixed
	case f.owner.Range != nil:
		return f.owner.Range.Params()
	}
	return quant.ChooseParams(f.extremes(x))
}

// extremes returns the smallest and largest value of x after the fused
// activation, if any.
func (f *fakeQuant) extremes(x []float32) (lo, hi float32) {
	lo, hi = extremes(x)
	switch f.act {
	case quant.ReLU:
		return max(lo, 0), max(hi, 0)
	case quant.ReLU6:
		return min(max(lo, 0), 6), min(max(hi, 0), 6)
	}
	return lo, hi
}

func (f *fakeQuant) forward(x, y []float32, n int, training bool) {
	x, y = x[:n*f.size], y[:n*f.size]
	if training && f.observe {
		f.lo, f.hi = f.extremes(x)
	}
	p := f.params(x)
	inside := f.inside[:len(x)]
	if f.layer != nil && f.requantize(y, x, p, n) {
		return
	}
	if f.window > 0 {
		meanCodes(y, x, p, f.window)
		for i := range inside {
			inside[i] = true
		}
		return
	}
	for i, v := range x {
		a := v // after the fused activation, whose clamp stops the gradient too
		switch f.act {
		case quant.ReLU:
			a = max(v, 0)
		case quant.ReLU6:
			a = min(max(v, 0), 6)
		}
		y[i], inside[i] = quant.FakeQuantize(a, p)
		inside[i] = inside[i] && a == v
	}
}

// requantize sets y to the int8 engine's output for the float layer output
// x of n samples, when the layer's input has its parameters: the int32
// accumulator of value k is round(x[k] / (inputScale*weightScale[c])), which
// the float sum x[k] holds to far better than half a unit, and its code is
// quant.Requantize's. The gradient passes where the code before clamping
// lies within the activation's range. It reports false, leaving y alone,
// when the input has no range yet (the first training step) or the scales
// have no fixed-point multiplier.
func (f *fakeQuant) requantize(y, x []float32, p quant.Params, n int) bool {
	in, ok := f.layer.inputParams()
	if !ok {
		return false
	}
	mult, shifts, err := quant.AppendOutputMultipliers(f.mult[:0], f.shifts[:0], in.Scale, f.layer.scales, p.Scale)
	if err != nil {
		return false
	}
	f.mult, f.shifts = mult, shifts
	lo, hi := quant.ActivationRange(f.act, p)
	channels := len(f.layer.scales)
	run := n * f.planes // values of one channel in a row (convolutions)
	for k, v := range x {
		c := k % channels
		if f.planes > 0 {
			c = k / run
		}
		unit := float64(in.Scale) * float64(f.layer.scales[c])
		acc := int32(max(math.MinInt32, min(math.MaxInt32, math.Round(float64(v)/unit))))
		// quant.Requantize, keeping the code before its clamp for the
		// gradient.
		code := int64(quant.MultiplyByQuantizedMultiplier(acc, mult[c], shifts[c])) + int64(p.ZeroPoint)
		f.inside[k] = code >= int64(lo) && code <= int64(hi)
		y[k] = quant.Dequantize(int8(max(int64(lo), min(code, int64(hi)))), p)
	}
	return true
}

func (f *fakeQuant) backward(_, _, dy, dx []float32, n int) {
	if dx == nil {
		return
	}
	for i, in := range f.inside[:n*f.size] {
		dx[i] = pass(in, dy[i])
	}
}

// meanCodes sets y to the means x of windows of window values on p's grid,
// rounded as the int8 average pool rounds: the window's code sum divided by
// its count, ties away from zero, in the code domain (zero point included).
// The sum of codes is recovered exactly from the float mean, whose error is
// far below half a code.
func meanCodes(y, x []float32, p quant.Params, window int) {
	w := float64(window)
	for i, v := range x {
		sum := math.Round((float64(v)/float64(p.Scale) + float64(p.ZeroPoint)) * w)
		code := max(-128, min(127, math.Round(sum/w)))
		y[i] = quant.Dequantize(int8(code), p)
	}
}

// extremes returns the smallest and largest value of x (0, 0 when empty).
func extremes(x []float32) (lo, hi float32) {
	if len(x) == 0 {
		return 0, 0
	}
	lo, hi = x[0], x[0]
	for _, v := range x[1:] {
		lo, hi = min(lo, v), max(hi, v)
	}
	return lo, hi
}

// qatWeights holds the fake-quantized weights and biases of
// quantization-aware training: what every replica's conv and linear layers
// read, rebuilt from the float ones after every optimizer step.
type qatWeights struct {
	layers []*qatLayer
	byNode map[string]*qatLayer
	fake   map[string][]float32 // by parameter name
	input  quant.Params         // the model input's
}

// qatLayer is one conv or linear layer of quantization-aware training.
type qatLayer struct {
	weight, bias string
	// in is the node whose range quantizes the layer's input; when nil,
	// input is the model input's parameters.
	in     *nn.Node
	input  quant.Params
	scales []float32 // the weights' per-channel scales
}

// inputParams returns the quantization of the layer's input, and false
// before it has one (the first training step).
func (l *qatLayer) inputParams() (quant.Params, bool) {
	switch {
	case l.in == nil:
		return l.input, true
	case l.in.Range != nil:
		return l.in.Range.Params(), true
	}
	return quant.Params{}, false
}

func newQATWeights(m *nn.Model) *qatWeights {
	q := &qatWeights{fake: map[string][]float32{}, byNode: map[string]*qatLayer{}, input: m.Input.QuantParams()}
	for _, n := range m.Nodes {
		if w := m.Weight(n); w != nil {
			l := &qatLayer{weight: n.Name + ".weight", bias: n.Name + ".bias", in: quantOwner(m, n.Inputs[0]),
				input: q.input, scales: make([]float32, w.Shape[0])}
			q.layers = append(q.layers, l)
			q.byNode[n.Name] = l
			q.fake[l.weight] = make([]float32, w.Len())
			q.fake[l.bias] = make([]float32, m.Bias(n).Len())
		}
	}
	q.refresh(m)
	return q
}

// refresh rounds the float weights and biases of m into the fake-quantized
// ones. A bias is rounded to the grid of its int32 form, whose scale is
// the input's times the weights'; before the input has a range (the first
// training step) it stays as it is.
func (q *qatWeights) refresh(m *nn.Model) {
	for _, l := range q.layers {
		quant.FakeQuantizeWeights(q.fake[l.weight], l.scales, m.Params[l.weight].F32)
		b := m.Params[l.bias].F32
		if in, ok := l.inputParams(); ok {
			quant.FakeQuantizeBias(q.fake[l.bias], b, in.Scale, l.scales)
		} else {
			copy(q.fake[l.bias], b)
		}
	}
}

// quantizeInput rounds the first n samples of r.input to the input grid.
func (q *qatWeights) quantizeInput(r *replica, n int) {
	x := r.input[:n*len(r.image)]
	for i, v := range x {
		x[i], _ = quant.FakeQuantize(v, q.input)
	}
}

// mergeRanges moves the range of every observed tensor towards the
// extremes of the batch just run by the first busy replicas (the first
// step sets it to them).
func mergeRanges(replicas []*replica) {
	for k, f := range replicas[0].fakes {
		if !f.observe {
			continue
		}
		lo, hi := f.lo, f.hi
		for _, r := range replicas[1:] {
			lo, hi = min(lo, r.fakes[k].lo), max(hi, r.fakes[k].hi)
		}
		r := f.owner.Range
		if r == nil {
			f.owner.Range = &nn.Range{Min: lo, Max: hi}
			continue
		}
		r.Min = float32(float64(rangeDecay*float64(r.Min)) + float64((1-rangeDecay)*float64(lo)))
		r.Max = float32(float64(rangeDecay*float64(r.Max)) + float64((1-rangeDecay)*float64(hi)))
	}
}

// Evaluate classifies every image of s with the trainer's model as it
// stands: with the engine after float training, and with the replicas'
// fake-quantized forward pass in quantization-aware training (the engine
// runs float or int8 models, not fake-quantized ones).
func (t *Trainer) Evaluate(s *dataset.Set) (*Result, error) {
	if t.qat == nil {
		return Evaluate(t.Model, s, t.Cfg.Threads)
	}
	if err := checkFits(t.Model, s); err != nil {
		return nil, err
	}
	in, classes := t.Model.Input, len(t.Model.Labels)
	shard := t.replicas[0].batch
	chunks := (s.Len() + shard - 1) / shard
	preds, losses := make([]int, s.Len()), make([]float64, s.Len())
	var wg sync.WaitGroup
	for w, r := range t.replicas {
		wg.Go(func() {
			for c := w; c < chunks; c += len(t.replicas) {
				lo, hi := c*shard, min((c+1)*shard, s.Len())
				for k := lo; k < hi; k++ {
					r.setInput(in, s.Image(k), k-lo, hi-lo)
				}
				t.qat.quantizeInput(r, hi-lo)
				logits := r.forward(hi-lo, false)
				for k := lo; k < hi; k++ {
					l := logits[(k-lo)*classes : (k-lo+1)*classes]
					preds[k], losses[k] = argmax(l), crossEntropy(l, s.Labels[k], false)
				}
			}
		})
	}
	wg.Wait()
	res := &Result{Classes: t.Model.Labels, Confusion: make([][]int, classes), N: s.Len(), TopK: 1, Predicted: preds}
	for c := range res.Confusion {
		res.Confusion[c] = make([]int, classes)
	}
	for k, pred := range preds {
		if !s.HasImage(k) { // as EvaluateWith counts an image without a digit
			preds[k] = -1
			res.NotFound++
			continue
		}
		label := s.Labels[k]
		res.Confusion[label][pred]++
		res.LossSum += losses[k]
		if pred == label {
			res.Correct++
			res.CorrectK++
		}
	}
	return res, nil
}

// EvaluateFakeQuant classifies every image of s with m, a model trained
// quantization-aware, as training saw it: fake-quantized with its ranges,
// on threads workers. Its top-1 is what m's int8 conversion should reach.
func EvaluateFakeQuant(m *nn.Model, s *dataset.Set, threads int) (*Result, error) {
	t, err := New(m, Config{Epochs: 1, BatchSize: threads * 64, Optimizer: "sgd", LR: 1, Schedule: "constant",
		Threads: threads, QAT: true})
	if err != nil {
		return nil, err
	}
	for _, f := range t.replicas[0].fakes {
		if f.observe && f.owner.Range == nil {
			return nil, fmt.Errorf("layer %q has no range: the model was not trained quantization-aware", f.owner.Name)
		}
	}
	return t.Evaluate(s)
}
