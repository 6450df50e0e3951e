package engine

import (
	"bytes"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/models"
	"github.com/edgecnn/edgecnn/nn"
)

// TestMemoryBudgetRefusesHugeActivations: a model of a few hundred bytes
// of weights may legally ask for activations of 2^30 elements (a 1x1
// convolution to 64 channels of a 4x4096x4096 input: 4 GiB in float32).
// Its footprint is known at load, before anything is allocated, and a
// limit refuses it there; a batch that would pass the limit is refused by
// Infer.
func TestMemoryBudgetRefusesHugeActivations(t *testing.T) {
	in := nn.Input{Channels: 4, Height: 4096, Width: 4096, Mean: make([]float32, 4), Std: []float32{1, 1, 1, 1}}
	m := nn.Sequential("bomb", in, []string{"a", "b"},
		nn.Conv("wide", 64, 1, 1, 0), nn.Pool("p", nn.OpMaxPool, 4096), nn.Flat("f"), nn.FC("fc", 2))
	require.NoError(t, m.InitParams())
	require.NoError(t, m.Validate())

	before := allocated()
	_, err := New(m, Options{Threads: 1, MaxMemory: 256 << 20})
	require.ErrorContains(t, err, "over the limit of 256.0 MiB")
	require.ErrorContains(t, err, "4.3 GiB per sample")
	require.Less(t, allocated()-before, uint64(1<<20), "refused before allocating")

	e, err := New(m, Options{Threads: 1, MaxMemory: -1}) // no limit: planned, not allocated
	require.NoError(t, err)
	defer e.Close()
	require.Greater(t, e.Memory().Activations, int64(4<<30))
	require.Zero(t, e.MaxMemory())
}

// TestMemoryBudgetMatchesBuffers checks the plan against the buffers the
// engine actually holds after batches of several sizes, so the two cannot
// drift apart, and that a batch over the limit is refused.
func TestMemoryBudgetMatchesBuffers(t *testing.T) {
	for _, file := range [][]byte{models.LeNet5(), models.LeNet5Int8()} {
		m, err := nn.Decode(bytes.Clone(file))
		require.NoError(t, err)
		before := allocated()
		e, err := New(m, Options{Threads: 2, MaxMemory: -1})
		require.NoError(t, err)
		built := allocated() - before
		mem := e.Memory()
		var params int64
		for _, p := range m.Params {
			params += int64(p.Len() * p.DType.Size())
		}
		prepared := mem.Weights - params
		require.Positive(t, prepared, "packed or transposed weights")
		require.LessOrEqual(t, uint64(prepared), built, "prepared weights are allocated by New")
		for _, n := range []int{1, 5} {
			_, err := e.Infer(make([]uint8, n*e.input.size), n)
			require.NoError(t, err)
		}
		var act, scratch int64
		for _, w := range e.workers {
			act += int64(len(w.input.q) + 4*len(w.input.f))
			for i, s := range e.steps {
				if s.alias {
					continue
				}
				act += int64(len(w.acts[i].q) + 4*len(w.acts[i].f))
				for _, b := range w.staged[i] {
					act += int64(len(b.q) + 4*len(b.f))
				}
			}
			scratch += int64(len(w.scratch.q) + 4*len(w.scratch.f))
		}
		// Worker 0 ran the batch of 1 alone, then each worker 3 samples.
		logits := 4 * int64(e.classes)
		require.Equal(t, 6*(mem.Activations-logits), act, "activations")
		require.LessOrEqual(t, 4*int64(cap(e.logits)), 6*logits, "logits")
		require.Equal(t, 2*mem.Scratch, scratch, "scratch")

		e.limit = mem.Weights + 6*mem.Activations + 2*mem.Scratch
		_, err = e.Infer(make([]uint8, 6*e.input.size), 6)
		require.NoError(t, err, "within what the workers hold")
		_, err = e.Infer(make([]uint8, 8*e.input.size), 8)
		require.ErrorContains(t, err, "a batch of 8 needs")
		e.Close()
	}
}

func allocated() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.TotalAlloc
}

func TestThreadsAreBounded(t *testing.T) {
	m, err := nn.Decode(bytes.Clone(models.LeNet5()))
	require.NoError(t, err)
	_, err = New(m, Options{Threads: MaxThreads + 1})
	require.ErrorContains(t, err, "257 threads, at most 256")
}
