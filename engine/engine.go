// Package engine executes a model: it plans the shapes once, owns the
// activation buffers, maps every layer to kernels and runs batches of images
// through the graph, split across a fixed set of workers.
//
// engine is the only place that decides how a layer maps to kernels.
package engine

import (
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/edgecnn/edgecnn/kernels"
	"github.com/edgecnn/edgecnn/nn"
)

// Options tune execution.
type Options struct {
	// Threads is the number of workers a batch is split across; 0 means one
	// per core.
	Threads int
}

// Engine runs one model. It is not safe for concurrent use: give each
// goroutine its own Engine.
type Engine struct {
	model   *nn.Model
	steps   []step
	inSize  int
	classes int
	workers []*worker
	logits  []float32
	wg      sync.WaitGroup
}

// step is one node, prepared: its layer and where its input comes from.
type step struct {
	layer layer
	src   int // index of the input step; -1 for the model input
	size  int // output elements per sample
}

// worker holds the buffers one thread needs for its share of a batch.
type worker struct {
	batch   int
	input   []float32
	acts    [][]float32
	scratch []float32
}

// New prepares m for inference: it checks the model, infers the shapes and
// binds every layer to its kernels.
func New(m *nn.Model, opt Options) (*Engine, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	if err := kernels.EnvError(); err != nil {
		return nil, err
	}
	shapes, _ := m.Shapes()
	threads := opt.Threads
	if threads <= 0 {
		threads = runtime.NumCPU()
	}
	e := &Engine{model: m, inSize: m.Input.Shape().Size()}
	index := map[string]int{nn.InputName: -1}
	for i, n := range m.Nodes {
		src := index[n.Inputs[0]]
		in := m.Input.Shape()
		if src >= 0 {
			in = shapes[src]
		}
		l, err := newLayer(m, n, in, shapes[i])
		if err != nil {
			return nil, fmt.Errorf("layer %q: %w", n.Name, err)
		}
		index[n.Name] = i
		e.steps = append(e.steps, step{layer: l, src: src, size: shapes[i].Size()})
	}
	e.classes = shapes[len(shapes)-1][0]
	for range threads {
		e.workers = append(e.workers, &worker{})
	}
	return e, nil
}

// Load reads a model file and prepares it.
func Load(path string, opt Options) (*Engine, error) {
	m, err := nn.Load(path)
	if err != nil {
		return nil, err
	}
	return New(m, opt)
}

// Model returns the model the engine runs.
func (e *Engine) Model() *nn.Model { return e.model }

// Classes is the number of outputs per sample.
func (e *Engine) Classes() int { return e.classes }

// Threads is the number of workers.
func (e *Engine) Threads() int { return len(e.workers) }

// Infer runs n images given as pixels (n*C*H*W bytes, CHW per image) and
// returns n*Classes() logits. The result is owned by the engine and valid
// until the next call.
func (e *Engine) Infer(pixels []uint8, n int) ([]float32, error) {
	if len(pixels) != n*e.inSize {
		return nil, fmt.Errorf("engine: got %d bytes for %d images of %v", len(pixels), n, e.model.Input.Shape())
	}
	return e.run(batch{pixels: pixels, n: n}), nil
}

// InferFloat runs n already normalised float32 inputs (NCHW) and returns
// n*Classes() logits, owned by the engine until the next call.
func (e *Engine) InferFloat(input []float32, n int) ([]float32, error) {
	if len(input) != n*e.inSize {
		return nil, fmt.Errorf("engine: got %d values for %d inputs of %v", len(input), n, e.model.Input.Shape())
	}
	for _, v := range input {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, fmt.Errorf("engine: input holds %v", v)
		}
	}
	return e.run(batch{floats: input, n: n}), nil
}

// batch is the input of one call: n samples as pixels or as floats.
type batch struct {
	pixels []uint8
	floats []float32
	n      int
}

// run splits a batch into one contiguous shard per worker.
func (e *Engine) run(b batch) []float32 {
	if cap(e.logits) < b.n*e.classes {
		e.logits = make([]float32, b.n*e.classes)
	}
	e.logits = e.logits[:b.n*e.classes]
	shard := (b.n + len(e.workers) - 1) / len(e.workers)
	for i, w := range e.workers {
		lo, hi := min(i*shard, b.n), min((i+1)*shard, b.n)
		if lo == hi {
			break
		}
		e.reserve(w, shard)
		if hi == b.n {
			e.runShard(w, b, lo, hi) // the last shard runs on the calling goroutine
			break
		}
		e.wg.Go(func() { e.runShard(w, b, lo, hi) })
	}
	e.wg.Wait()
	return e.logits
}

// runShard runs samples [lo, hi) of b on worker w.
func (e *Engine) runShard(w *worker, b batch, lo, hi int) {
	if b.pixels != nil {
		for s := lo; s < hi; s++ {
			e.model.Input.Normalize(w.input[(s-lo)*e.inSize:], b.pixels[s*e.inSize:(s+1)*e.inSize])
		}
	} else {
		copy(w.input, b.floats[lo*e.inSize:hi*e.inSize])
	}
	for i, s := range e.steps {
		in := w.input
		if s.src >= 0 {
			in = w.acts[s.src]
		}
		s.layer.forward(in, w.acts[i], hi-lo, w.scratch)
	}
	copy(e.logits[lo*e.classes:hi*e.classes], w.acts[len(w.acts)-1])
}

// reserve sizes w's buffers for batch samples; they only ever grow, so
// steady-state inference allocates nothing.
func (e *Engine) reserve(w *worker, batch int) {
	if w.batch >= batch {
		return
	}
	w.batch = batch
	w.input = make([]float32, batch*e.inSize)
	w.acts = make([][]float32, len(e.steps))
	scratch := 0
	for i, s := range e.steps {
		w.acts[i] = make([]float32, batch*s.size)
		scratch = max(scratch, s.layer.scratch())
	}
	w.scratch = make([]float32, scratch)
}
