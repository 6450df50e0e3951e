package train

import (
	"fmt"
	"math"

	"github.com/edgecnn/edgecnn/kernels"
)

// optimizer updates parameters from their batch gradients. Its state (one
// or two slices per parameter) is what a checkpoint must keep. A step is
// begin, then update over every element of every parameter, in disjoint
// ranges that may run in parallel: each element's update depends only on
// that element.
type optimizer interface {
	begin()
	// update steps elements lo ... hi-1 of parameter i (in paramNames
	// order), p, whose gradient is g (g[0] is element lo's).
	update(i int, p *param, lo, hi int, g []float32, lr float32)
	state() map[string][]float32
}

func newOptimizer(cfg Config, params []*param) (optimizer, error) {
	switch cfg.Optimizer {
	case "sgd":
		o := &sgd{momentum: float32(cfg.Momentum), decay: float32(cfg.WeightDecay), saved: map[string][]float32{}}
		o.velocity = buffers(params, "velocity", o.saved)
		return o, nil
	case "adam":
		o := &adam{step: kernels.Adam{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}, decay: float32(cfg.WeightDecay), saved: map[string][]float32{}}
		o.m = buffers(params, "m", o.saved)
		o.v = buffers(params, "v", o.saved)
		return o, nil
	}
	return nil, fmt.Errorf("unknown optimizer %q (want sgd or adam)", cfg.Optimizer)
}

// buffers returns one zero slice per parameter, in params order, and
// records each in saved under kind.name.
func buffers(params []*param, kind string, saved map[string][]float32) [][]float32 {
	out := make([][]float32, len(params))
	for i, p := range params {
		out[i] = make([]float32, len(p.w))
		saved[kind+"."+p.name] = out[i]
	}
	return out
}

// decays reports whether weight decay applies to p: weights yes, biases no.
func decays(p *param) bool { return len(p.name) > 7 && p.name[len(p.name)-7:] == ".weight" }

// sgd is stochastic gradient descent with classical momentum and L2 weight
// decay added to the gradient: v = mu*v + g + wd*w; w -= lr*v.
type sgd struct {
	momentum, decay float32
	velocity        [][]float32
	saved           map[string][]float32
}

func (o *sgd) begin() {}

func (o *sgd) update(i int, p *param, lo, hi int, grad []float32, lr float32) {
	v, w := o.velocity[i][lo:hi], p.w[lo:hi]
	wd := o.decay
	if !decays(p) {
		wd = 0
	}
	for j, g := range grad[:hi-lo] {
		v[j] = kernels.FlushTiny(float32(o.momentum*v[j]) + g + float32(wd*w[j]))
		w[j] -= float32(lr * v[j])
	}
}

func (o *sgd) state() map[string][]float32 { return o.saved }

// adam is Adam with bias correction; weight decay, if any, is decoupled
// (AdamW): w -= lr*wd*w.
type adam struct {
	// step holds the betas and eps, and the bias corrections of step t;
	// each update adds its learning rate and decay.
	step  kernels.Adam
	decay float32
	t     int
	m, v  [][]float32
	saved map[string][]float32
}

func (o *adam) begin() {
	o.t++
	o.step.R1 = float32(1 / (1 - math.Pow(float64(o.step.Beta1), float64(o.t))))
	o.step.R2 = float32(1 / (1 - math.Pow(float64(o.step.Beta2), float64(o.t))))
}

func (o *adam) update(i int, p *param, lo, hi int, grad []float32, lr float32) {
	h := o.step
	h.LR = lr
	if decays(p) {
		h.Decay = o.decay
	}
	kernels.AdamF32(p.w[lo:hi], o.m[i][lo:hi], o.v[i][lo:hi], grad[:hi-lo], &h)
}

func (o *adam) state() map[string][]float32 { return o.saved }

// restore copies a checkpointed optimizer state into o, which has taken
// steps updates so far.
func restore(o optimizer, saved map[string][]float32, steps int) error {
	for k, s := range o.state() {
		if len(saved[k]) != len(s) {
			return fmt.Errorf("optimizer state %s has %d values, want %d", k, len(saved[k]), len(s))
		}
		copy(s, saved[k])
	}
	if a, ok := o.(*adam); ok {
		a.t = steps
	}
	return nil
}

// learningRate is the schedule: the rate for a step given the epoch it is
// in and its fraction through training.
func learningRate(cfg Config, epoch, step, stepsPerEpoch int) float64 {
	switch cfg.Schedule {
	case "step":
		every := max(cfg.StepEvery, 1)
		return cfg.LR * math.Pow(cfg.StepGamma, float64(epoch/every))
	case "cosine":
		total := float64(cfg.Epochs * stepsPerEpoch)
		done := float64(epoch*stepsPerEpoch + step)
		return cfg.LR * 0.5 * (1 + math.Cos(math.Pi*done/total))
	}
	return cfg.LR
}
