// Package engine executes a model, float32 or int8: it plans the shapes and
// the number format of every tensor once, owns the buffers, maps every layer
// to kernels, and runs batches of images through the graph, split across a
// fixed set of workers.
//
// engine is the only place that decides how a layer maps to kernels.
//
// In an int8 model (nn.Model.Quantized) every layer runs in int8 except the
// conv2d and linear layers whose weights were kept in float32; tensors are
// quantized or dequantized where the two meet. Layers without parameters
// (pooling, activations, flatten) run in the format of their input, add and
// concat in that of their first input. The logits are dequantized at the
// end and softmax runs in float.
//
// Int8 convolutional layers keep their feature maps HWC (channels
// innermost) rather than the model's CHW: layout.go says which layers read
// which layout and where tensors are transposed.
package engine

import (
	"fmt"
	"math"
	"runtime"
	"time"

	"github.com/edgecnn/edgecnn/kernels"
	"github.com/edgecnn/edgecnn/nn"
	"github.com/edgecnn/edgecnn/quant"
)

// MaxThreads bounds Options.Threads: each thread is a goroutine and a set
// of buffers.
const MaxThreads = 256

// Options tune execution.
type Options struct {
	// Threads is the number of workers a batch is split across; 0 means one
	// per core. A batch with fewer samples than workers is split inside
	// each layer instead, where a share holds at least about a million
	// multiply-adds; smaller layers run on one thread.
	Threads int
	// MaxMemory bounds the memory the engine holds, in bytes: weights,
	// activations and scratch (see Memory). New refuses a model that
	// needs more for one sample, Infer a batch that would. 0 means
	// DefaultMaxMemory(); a negative value means no limit.
	MaxMemory int64
}

// Engine runs one model. It is not safe for concurrent use: give each
// goroutine its own Engine.
type Engine struct {
	model   *nn.Model
	input   tensorInfo
	steps   []step
	classes int
	workers []*worker
	logits  []float32
	pool    *pool
	cleanup runtime.Cleanup
	current batch // the batch being run, for the workers
	// stepTimes, while Profile runs, receives each step's duration.
	stepTimes []time.Duration
	// pixelTable, for an int8 model, holds channel c's int8 input for
	// pixel value p at [c*256+p] (pixelTable).
	pixelTable []int8
	// memory is the plan's footprint; limit the most it may hold (0: no
	// limit).
	memory Memory
	limit  int64
}

// tensorInfo describes a tensor as the engine stores it: its shape per
// sample, its layout, and for int8 tensors their quantization.
type tensorInfo struct {
	shape nn.Shape
	size  int
	int8  bool
	quant quant.Params
	// hwc is set when a [C, H, W] feature map is stored [H][W][C]
	// (layout.go).
	hwc bool
}

// step is one node, prepared: its layer, its inputs and its output.
type step struct {
	name   string
	layer  layer
	inputs []edge
	out    tensorInfo
	// alias marks an activation fused into the producer's epilogue: the
	// step does no work and its output is its input's buffer.
	alias bool
}

// edge is one input of a step: where it comes from (src, and from: the
// producer's tensor) and what the layer reads (in). When the two differ in
// format, the input is quantized or dequantized into a staging buffer.
type edge struct {
	src      int // index of the producing step; -1 for the model input
	from, in tensorInfo
}

// converts reports whether the input changes format before use: number
// format, layout or both.
func (e *edge) converts() bool { return e.requantizes() || e.transposes() }

// requantizes reports whether the input is quantized or dequantized
// before use.
func (e *edge) requantizes() bool { return e.from.int8 != e.in.int8 }

// transposes reports whether the input changes layout before use.
func (e *edge) transposes() bool { return !sameLayout(e.from, e.in) }

// buffer is a batch of one tensor in the engine's storage format.
type buffer struct {
	f []float32
	q []int8
}

// worker holds the buffers one thread needs for its share of a batch.
type worker struct {
	batch  int
	input  buffer
	acts   []buffer
	ins    [][]buffer // per step, the buffers its layer reads
	staged [][]buffer // per step and input, converted inputs where needed
	// transposed holds, per step and input, the input in the layout the
	// layer reads, where it also changes number format (staged then
	// holds the final form).
	transposed [][]buffer
	scratch    scratch
}

// scratch is temporary space a layer may use during forward, and the
// threads it may split its work across: parts > 1 when a batch is too small
// to give every thread its own samples.
type scratch struct {
	f     []float32
	q     []int8
	pool  *pool
	parts int
}

// New prepares m for inference: it checks the model, infers the shapes,
// chooses the format of every tensor, binds every layer to its kernels
// (packing weights once) and checks the memory it will need against
// opt.MaxMemory. A model with batch norms (a checkpoint's) runs them
// folded into their convolutions (nn.FoldBatchNorm), and Model returns the
// folded model.
func New(m *nn.Model, opt Options) (*Engine, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	if !m.Folded() {
		var err error
		if m, err = nn.FoldBatchNorm(m); err != nil {
			return nil, err
		}
	}
	if err := kernels.EnvError(); err != nil {
		return nil, err
	}
	threads := opt.Threads
	if threads <= 0 {
		threads = runtime.NumCPU()
	}
	if threads > MaxThreads {
		return nil, fmt.Errorf("engine: %d threads, at most %d", threads, MaxThreads)
	}
	e := &Engine{model: m, limit: opt.MaxMemory}
	if e.limit == 0 {
		e.limit = DefaultMaxMemory()
	}
	if err := e.plan(threads); err != nil {
		return nil, err
	}
	e.planMemory()
	for range threads {
		e.workers = append(e.workers, &worker{})
	}
	if err := e.admit(1, false); err != nil {
		return nil, err
	}
	e.pool = newPool(threads)
	// The pool's goroutines hold the pool, not the engine, so an engine
	// dropped without Close still stops them.
	e.cleanup = runtime.AddCleanup(e, (*pool).close, e.pool)
	return e, nil
}

// Close stops the engine's threads. Using the engine afterwards panics.
func (e *Engine) Close() {
	e.cleanup.Stop()
	e.pool.close()
}

// Load reads a model file and prepares it.
func Load(path string, opt Options) (*Engine, error) {
	m, err := nn.Load(path)
	if err != nil {
		return nil, err
	}
	e, err := New(m, opt)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return e, nil
}

// plan decides the format of every tensor and builds the layers for an
// engine of the given threads.
func (e *Engine) plan(threads int) error {
	m := e.model
	shapes, err := m.Shapes()
	if err != nil {
		return err
	}
	e.input = tensorInfo{shape: m.Input.Shape(), size: m.Input.Shape().Size(), int8: m.Quantized()}
	if e.input.int8 {
		e.input.quant = *m.Input.Quant
		e.pixelTable = pixelTable(m.Input)
	}
	e.input.hwc = inputHWC(m, shapes)
	index := map[string]int{nn.InputName: -1}
	consumers := map[string]int{}
	for _, n := range m.Nodes {
		for _, src := range n.Inputs {
			consumers[src]++
		}
	}
	for i, n := range m.Nodes {
		s := step{name: n.Name}
		var inShapes []nn.Shape
		for _, name := range n.Inputs {
			src := index[name]
			from, shape := e.input, m.Input.Shape()
			if src >= 0 {
				from, shape = e.steps[src].out, shapes[src]
			}
			s.inputs = append(s.inputs, edge{src: src, from: from, in: from})
			inShapes = append(inShapes, shape)
		}
		first := s.inputs[0].from
		s.out = tensorInfo{shape: shapes[i], size: shapes[i].Size(), int8: runsInt8(m, n, first)}
		if s.out.int8 {
			s.out.quant = *n.Quant
		}
		// conv and linear read their own format, multi-input layers
		// the format of their first input: inputs in the other format
		// are converted, quantized with the parameters calibrated for
		// them. Every input is read in the layout the layer takes.
		want := first.int8
		if w := m.Weight(n); w != nil {
			want = w.DType == nn.I8
		}
		hwc := readsHWC(n, want, first.shape, first.hwc, shapes[i])
		for k := range s.inputs {
			in := &s.inputs[k]
			in.in.hwc = hwc
			if in.from.int8 != want {
				in.in = tensorInfo{shape: in.from.shape, size: in.from.size, int8: want, hwc: hwc}
				if want {
					in.in.quant = *producerQuant(m, n.Inputs[k])
				}
			}
		}
		s.out.hwc = writesHWC(n, hwc)
		if fusable(m, n, e.steps, s.inputs[0].src, consumers) {
			s.alias = true
			e.steps[s.inputs[0].src].layer.(fuser).fuse(n.Op, s.out.quant)
		} else if s.layer, err = newLayer(m, n, inShapes, shapes[i], s.inputs, s.out, threads); err != nil {
			return fmt.Errorf("layer %q: %w", n.Name, err)
		}
		index[n.Name] = i
		e.steps = append(e.steps, s)
	}
	e.classes = shapes[len(shapes)-1][0]
	return nil
}

// runsInt8 reports whether node n stores its output in int8: conv and
// linear layers by the type of their weights (but float32 from int8 ones
// with nn.Node.FloatOutput), the others by their input.
func runsInt8(m *nn.Model, n *nn.Node, in tensorInfo) bool {
	if w := m.Weight(n); w != nil {
		return w.DType == nn.I8 && !n.FloatOutput
	}
	return in.int8
}

// producerQuant returns the int8 parameters of the tensor called name.
func producerQuant(m *nn.Model, name string) *quant.Params {
	if name == nn.InputName {
		return m.Input.Quant
	}
	return m.Node(name).Quant
}

// fuseActivations can be cleared by tests to run every activation as its
// own layer, the reference for the fused epilogues.
var fuseActivations = true

// fusable reports whether activation node n can be folded into the
// epilogue of the layer it reads: a ReLU or ReLU6 whose input is the only
// use of a conv, linear or add output, in int8 with the same quantization
// (the converter arranges this).
func fusable(m *nn.Model, n *nn.Node, steps []step, src int, consumers map[string]int) bool {
	if !fuseActivations || (n.Op != nn.OpReLU && n.Op != nn.OpReLU6) || src < 0 || consumers[n.Inputs[0]] != 1 {
		return false
	}
	p := steps[src]
	if _, ok := p.layer.(fuser); !ok || p.alias {
		return false
	}
	// A float32 layer's clamp is the activation itself; an int8 one's is
	// when the activation keeps its input's quantization.
	return !p.out.int8 || n.Quant != nil && *n.Quant == p.out.quant
}

// pixelTable returns, for the int8 input in, each channel's input value for
// each 8-bit pixel value, channel c's for pixel p at [c*256+p]: p - 128 when
// pixelExact, else the pixel normalised (Normalize) and quantized
// (quant.QuantizeSlice), the same float steps per value as one image
// would take, done once for the 256 values. loadInput then reads a table
// per pixel, in either layout.
func pixelTable(in nn.Input) []int8 {
	t := make([]int8, in.Channels*256)
	if pixelExact(in) {
		for i := range t {
			t[i] = int8(i%256 - 128)
		}
		return t
	}
	values := in // an image of one row: each channel's 256 pixel values
	values.Height, values.Width = 1, 256
	px := make([]uint8, len(t))
	for i := range px {
		px[i] = uint8(i)
	}
	f := make([]float32, len(t))
	values.Normalize(f, px)
	quant.QuantizeSlice(t, f, *in.Quant)
	return t
}

// pixelExact reports whether 8-bit pixels map to the int8 input by q = p -
// 128 exactly: one shared normalisation whose quantization undoes it.
func pixelExact(in nn.Input) bool {
	q := in.Quant
	for c := range in.Channels {
		if in.Mean[c] != in.Mean[0] || in.Std[c] != in.Std[0] {
			return false
		}
	}
	scale := 1 / (255 * float64(in.Std[0]))
	zp := float64(255*float64(in.Mean[0])) - 128
	return math.Abs(float64(q.Scale)-scale) <= 1e-6*scale && float64(q.ZeroPoint) == zp
}

// Model returns the model the engine runs.
func (e *Engine) Model() *nn.Model { return e.model }

// Classes is the number of outputs per sample.
func (e *Engine) Classes() int { return e.classes }

// Threads is the number of workers.
func (e *Engine) Threads() int { return len(e.workers) }

// Memory is the engine's planned footprint.
func (e *Engine) Memory() Memory { return e.memory }

// MaxMemory is the most memory the engine may hold, in bytes (0: no limit).
func (e *Engine) MaxMemory() int64 { return max(e.limit, 0) }

// Infer runs n images given as pixels (n*C*H*W bytes, CHW per image) and
// returns n*Classes() logits. The result is owned by the engine and valid
// until the next call.
func (e *Engine) Infer(pixels []uint8, n int) ([]float32, error) {
	if err := e.checkPixels(pixels, n); err != nil {
		return nil, err
	}
	if err := e.admit(n, false); err != nil {
		return nil, err
	}
	return e.infer(batch{pixels: pixels, n: n}), nil
}

// checkPixels reports pixels that do not hold n input images.
func (e *Engine) checkPixels(pixels []uint8, n int) error {
	if len(pixels) != n*e.input.size {
		return fmt.Errorf("engine: got %d bytes for %d images of %v", len(pixels), n, e.model.Input.Shape())
	}
	return nil
}

// InferFloat runs n already normalised float32 inputs (NCHW) and returns
// n*Classes() logits, owned by the engine until the next call.
func (e *Engine) InferFloat(input []float32, n int) ([]float32, error) {
	if len(input) != n*e.input.size {
		return nil, fmt.Errorf("engine: got %d values for %d inputs of %v", len(input), n, e.model.Input.Shape())
	}
	for _, v := range input {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, fmt.Errorf("engine: input holds %v", v)
		}
	}
	if err := e.admit(n, false); err != nil {
		return nil, err
	}
	return e.infer(batch{floats: input, n: n}), nil
}

// batch is the input of one call: n samples as pixels or as floats.
type batch struct {
	pixels []uint8
	floats []float32
	n      int
}

// infer runs a batch: with at least as many samples as threads, each thread
// takes a contiguous shard of samples; otherwise one worker runs them all
// and its layers split their own work across the threads.
func (e *Engine) infer(b batch) []float32 {
	e.sizeLogits(b.n)
	threads := len(e.workers)
	if b.n < threads {
		w := e.workers[0]
		e.reserve(w, b.n)
		w.scratch.parts = threads
		e.runShard(w, b, 0, b.n)
		return e.logits
	}
	shard := (b.n + threads - 1) / threads
	for _, w := range e.workers {
		e.reserve(w, shard)
		w.scratch.parts = 1
	}
	e.current = b
	e.pool.split(e, b.n, threads)
	e.current = batch{}
	return e.logits
}

// run is the shard job of infer: samples [lo, hi) of the current batch.
func (e *Engine) run(part, lo, hi int) { e.runShard(e.workers[part], e.current, lo, hi) }

// sizeLogits makes e.logits hold n samples' logits, growing it only when
// a batch is larger than any before.
func (e *Engine) sizeLogits(n int) {
	if cap(e.logits) < n*e.classes {
		e.logits = make([]float32, n*e.classes)
	}
	e.logits = e.logits[:n*e.classes]
}

// reserve sizes w's buffers for batch samples; they only ever grow, so
// steady-state inference allocates nothing.
func (e *Engine) reserve(w *worker, batch int) {
	if w.batch >= batch {
		return
	}
	w.batch = batch
	w.input = newBuffer(e.input, batch)
	w.acts = make([]buffer, len(e.steps))
	w.ins = make([][]buffer, len(e.steps))
	w.staged = make([][]buffer, len(e.steps))
	w.transposed = make([][]buffer, len(e.steps))
	var f, q int
	for i, s := range e.steps {
		if s.alias {
			w.acts[i] = w.acts[s.inputs[0].src]
			continue
		}
		w.acts[i] = newBuffer(s.out, batch)
		w.ins[i] = make([]buffer, len(s.inputs))
		w.staged[i] = make([]buffer, len(s.inputs))
		w.transposed[i] = make([]buffer, len(s.inputs))
		for k, in := range s.inputs {
			if in.converts() {
				w.staged[i][k] = newBuffer(in.in, batch)
			}
			if in.transposes() && in.requantizes() {
				w.transposed[i][k] = newBuffer(in.from, batch)
			}
		}
		sf, sq := s.layer.scratch(batch)
		f, q = max(f, sf), max(q, sq)
	}
	inF, inQ := e.inputScratch()
	f, q = max(f, inF), max(q, inQ)
	w.scratch = scratch{f: make([]float32, f), q: make([]int8, q), pool: e.pool, parts: 1}
}

func newBuffer(t tensorInfo, batch int) buffer {
	if t.int8 {
		return buffer{q: make([]int8, batch*t.size)}
	}
	return buffer{f: make([]float32, batch*t.size)}
}

// runShard runs samples [lo, hi) of b on worker w.
func (e *Engine) runShard(w *worker, b batch, lo, hi int) {
	n := hi - lo
	e.loadInput(w, b, lo, hi)
	for i := range e.steps {
		if e.stepTimes == nil {
			e.runStep(w, i, n)
			continue
		}
		start := time.Now()
		e.runStep(w, i, n)
		e.stepTimes[i] = time.Since(start)
	}
	last := e.steps[len(e.steps)-1]
	out, logits := w.acts[len(w.acts)-1], e.logits[lo*e.classes:hi*e.classes]
	if last.out.int8 {
		quant.DequantizeSlice(logits, out.q[:n*e.classes], last.out.quant)
	} else {
		copy(logits, out.f)
	}
}

// runStep runs step i on n samples in w's buffers, converting its input
// first when the producer stores another format.
func (e *Engine) runStep(w *worker, i, n int) {
	s := &e.steps[i]
	if s.alias {
		return
	}
	ins := w.ins[i]
	for k, edge := range s.inputs {
		in := w.input
		if edge.src >= 0 {
			in = w.acts[edge.src]
		}
		if edge.transposes() {
			t := w.staged[i][k]
			if edge.requantizes() {
				t = w.transposed[i][k]
			}
			toLayout(t, in, edge.from.shape, edge.from.hwc, n)
			in = t
		}
		if edge.requantizes() {
			size, staged := n*edge.in.size, w.staged[i][k]
			if edge.in.int8 {
				quant.QuantizeSlice(staged.q[:size], in.f[:size], edge.in.quant)
			} else {
				quant.DequantizeSlice(staged.f[:size], in.q[:size], edge.from.quant)
			}
			in = staged
		}
		ins[k] = in
	}
	s.layer.forward(ins, w.acts[i], n, &w.scratch)
}

// loadInput fills w's input with samples [lo, hi) of b in the input format.
func (e *Engine) loadInput(w *worker, b batch, lo, hi int) {
	size, in := e.input.size, e.model.Input
	switch {
	case b.floats != nil && e.input.int8 && e.input.hwc:
		for s := lo; s < hi; s++ {
			chw := w.scratch.q[:size]
			quant.QuantizeSlice(chw, b.floats[s*size:(s+1)*size], e.input.quant)
			toLayout(buffer{q: w.input.q[(s-lo)*size:]}, buffer{q: chw}, e.input.shape, false, 1)
		}
	case b.floats != nil && e.input.int8:
		quant.QuantizeSlice(w.input.q[:(hi-lo)*size], b.floats[lo*size:hi*size], e.input.quant)
	case b.floats != nil && e.input.hwc:
		toLayout(w.input, buffer{f: b.floats[lo*size : hi*size]}, e.input.shape, false, hi-lo)
	case b.floats != nil:
		copy(w.input.f, b.floats[lo*size:hi*size])
	case e.input.int8:
		// Pixels through their channel's table, into either layout.
		c, hw := in.Channels, in.Height*in.Width
		for s := lo; s < hi; s++ {
			px, q := b.pixels[s*size:(s+1)*size], w.input.q[(s-lo)*size:(s-lo+1)*size]
			if e.input.hwc {
				kernels.LookupPlanesInt8HWC(q, px, e.pixelTable)
				continue
			}
			for ch := range c {
				t := (*[256]int8)(e.pixelTable[ch*256:])
				out := q[ch*hw : (ch+1)*hw]
				for i, p := range px[ch*hw : (ch+1)*hw] {
					out[i] = t[p]
				}
			}
		}
	case e.input.hwc:
		tmp := w.scratch.f[:size]
		for s := lo; s < hi; s++ {
			in.Normalize(tmp, b.pixels[s*size:(s+1)*size])
			toLayout(buffer{f: w.input.f[(s-lo)*size:]}, buffer{f: tmp}, e.input.shape, false, 1)
		}
	default:
		for s := lo; s < hi; s++ {
			in.Normalize(w.input.f[(s-lo)*size:], b.pixels[s*size:(s+1)*size])
		}
	}
}

// inputScratch is the scratch loadInput uses for an HWC input: float32
// values to normalise pixels into before the transpose, or int8 values to
// quantize floats into before it.
func (e *Engine) inputScratch() (f, q int) {
	switch {
	case !e.input.hwc:
		return 0, 0
	case e.input.int8:
		return 0, e.input.size
	}
	return e.input.size, 0
}

// Outputs runs n images and returns the output of every node for them, in
// graph order, dequantized to float32. It serves calibration and accuracy
// reports, not inference: it allocates the result. A layer whose activation
// was fused into it reports the activation's output, like the activation.
func (e *Engine) Outputs(pixels []uint8, n int) ([][]float32, error) {
	if err := e.checkPixels(pixels, n); err != nil {
		return nil, err
	}
	if err := e.admit(n, true); err != nil {
		return nil, err
	}
	e.sizeLogits(n)
	w := e.workers[0]
	e.reserve(w, n)
	w.scratch.parts = 1
	e.runShard(w, batch{pixels: pixels, n: n}, 0, n)
	outs := make([][]float32, len(e.steps))
	for i, s := range e.steps {
		outs[i] = make([]float32, n*s.out.size)
		if s.out.int8 {
			quant.DequantizeSlice(outs[i], w.acts[i].q[:n*s.out.size], s.out.quant)
		} else {
			copy(outs[i], w.acts[i].f)
		}
		if s.out.hwc && spatial(s.out.shape) {
			chw := make([]float32, len(outs[i]))
			toLayout(buffer{f: chw}, buffer{f: outs[i]}, s.out.shape, true, n)
			outs[i] = chw
		}
	}
	return outs, nil
}
