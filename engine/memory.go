package engine

import (
	"fmt"

	"github.com/edgecnn/edgecnn/kernels"
)

// Memory is what an engine holds, in bytes, as planned at load: New knows
// it before it allocates a single activation, so a small model file that
// asks for huge tensors is refused instead of exhausting the machine.
type Memory struct {
	// Weights is the model's parameters and the engine's prepared copies
	// of them (packed int8 panels, requantization parameters, transposed
	// float weights).
	Weights int64
	// Activations is what one sample needs: the input, the output of every
	// layer not fused into its producer, the copies of inputs converted
	// between float32 and int8 or between layouts, and the logits (counted per sample held
	// by any worker, a little more than the engine keeps).
	Activations int64
	// Scratch is the temporary space of one worker (im2col, staging).
	Scratch int64
}

// Total is the memory of an engine that has run batches of one sample.
func (m Memory) Total() int64 { return m.Weights + m.Activations + m.Scratch }

// weigher is a layer that holds prepared weights of its own (copies, not
// the model's tensors).
type weigher interface {
	weightBytes() int64
}

// planMemory computes e.memory from the planned steps.
func (e *Engine) planMemory() {
	var mem Memory
	for _, t := range e.model.Params {
		mem.Weights += int64(t.Len()) * int64(t.DType.Size())
	}
	act := sizeOf(e.input) + 4*int64(e.classes)
	var f, q int64
	for _, s := range e.steps {
		if s.alias {
			continue
		}
		if w, ok := s.layer.(weigher); ok {
			mem.Weights += w.weightBytes()
		}
		act += sizeOf(s.out)
		for _, in := range s.inputs {
			if in.converts() {
				act += sizeOf(in.in)
			}
			if in.transposes() && in.requantizes() {
				act += sizeOf(in.from) // transposed before the format changes
			}
		}
		sf, sq := s.layer.scratch(1)
		f, q = max(f, int64(sf)), max(q, int64(sq))
	}
	inF, inQ := e.inputScratch()
	f, q = max(f, int64(inF)), max(q, int64(inQ))
	mem.Activations, mem.Scratch = act, 4*f+q
	e.memory = mem
}

// sizeOf is the size in bytes of one sample of tensor t.
func sizeOf(t tensorInfo) int64 {
	if t.int8 {
		return int64(t.size)
	}
	return 4 * int64(t.size)
}

// admit checks that running a batch of n samples keeps the engine within
// its limit, counting what its workers already hold (their buffers only
// grow). single says one worker runs the whole batch.
func (e *Engine) admit(n int, single bool) error {
	if e.limit <= 0 {
		return nil
	}
	threads := len(e.workers)
	var samples, workers int64
	for i, w := range e.workers {
		want := 0
		switch {
		case single || n < threads:
			if i == 0 {
				want = n
			}
		default:
			want = (n + threads - 1) / threads
		}
		if held := max(w.batch, want); held > 0 {
			samples += int64(held)
			workers++
		}
	}
	need := e.memory.Weights + samples*e.memory.Activations + workers*e.memory.Scratch
	if need > e.limit {
		return fmt.Errorf("engine: a batch of %d needs %s of memory (weights %s, %s per sample, scratch %s per thread), over the limit of %s",
			n, FormatBytes(need), FormatBytes(e.memory.Weights), FormatBytes(e.memory.Activations), FormatBytes(e.memory.Scratch), FormatBytes(e.limit))
	}
	return nil
}

// CheckBatch reports whether a batch of n samples would take the engine
// over its memory limit (Infer refuses such a batch), before the caller
// allocates one.
func (e *Engine) CheckBatch(n int) error { return e.admit(n, false) }

// FormatBytes writes a size in binary units: "512 B", "3.2 MiB", "4.0 GiB".
func FormatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n)/unit, 0
	for v >= unit && i < 4 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %ciB", v, "KMGTP"[i])
}

// requantBytes is the memory of an epilogue's per-channel parameters.
func requantBytes(rq *kernels.Requant) int64 {
	return 4 * int64(len(rq.Bias)+len(rq.Multiplier)+len(rq.Shift))
}

// DefaultMaxMemory is the limit of an engine whose Options leave MaxMemory
// at 0: half of the memory this process may use (the machine's RAM, or its
// control group's limit), which leaves the rest to the camera, the
// decoders and the system; 0 (no limit) where that cannot be read.
func DefaultMaxMemory() int64 { return machineMemory() / 2 }
