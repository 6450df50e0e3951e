package engine

import (
	"slices"
	"time"

	"github.com/edgecnn/edgecnn/nn"
)

// LayerTime is one layer's share of a profiled run.
type LayerTime struct {
	Name string
	Op   nn.Op
	// Int8 is set when the layer computes in int8.
	Int8 bool
	// Fused is set for an activation that runs inside the previous
	// layer's epilogue: its time is in that layer's.
	Fused bool
	// MACs is the layer's multiply-accumulates for the whole batch.
	MACs int64
	// Seconds is the median time of the layer over the profiled runs.
	Seconds float64
}

// Profile runs n images iters times and returns every layer's median time.
// To time layers one by one, a single worker runs the whole batch and the
// layers split their work across the threads; Infer may instead give each
// thread its own samples, so a profile's sum can differ from Infer's time.
func (e *Engine) Profile(pixels []uint8, n, iters int) ([]LayerTime, error) {
	if err := e.checkPixels(pixels, n); err != nil {
		return nil, err
	}
	if err := e.admit(n, true); err != nil {
		return nil, err
	}
	stats, err := e.model.Stats()
	if err != nil {
		return nil, err
	}
	e.sizeLogits(n)
	w := e.workers[0]
	e.reserve(w, n)
	w.scratch.parts = len(e.workers)
	samples := make([][]float64, len(e.steps))
	e.stepTimes = make([]time.Duration, len(e.steps))
	defer func() { e.stepTimes = nil }()
	for range max(iters, 1) {
		clear(e.stepTimes)
		e.runShard(w, batch{pixels: pixels, n: n}, 0, n)
		for i, d := range e.stepTimes {
			samples[i] = append(samples[i], d.Seconds())
		}
	}
	layers := make([]LayerTime, len(e.steps))
	for i, s := range e.steps {
		slices.Sort(samples[i])
		layers[i] = LayerTime{Name: s.name, Op: stats[i].Node.Op, Int8: s.out.int8, Fused: s.alias,
			MACs: int64(n) * stats[i].MACs, Seconds: samples[i][len(samples[i])/2]}
	}
	return layers, nil
}
