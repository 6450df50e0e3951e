package train

import (
	"fmt"
	"math"
)

// optimizer updates parameters from their batch gradients. Its state (one
// or two slices per parameter) is what a checkpoint must keep.
type optimizer interface {
	step(params []*param, lr float32)
	state() map[string][]float32
}

func newOptimizer(cfg Config, params []*param) (optimizer, error) {
	switch cfg.Optimizer {
	case "sgd":
		return &sgd{momentum: float32(cfg.Momentum), decay: float32(cfg.WeightDecay), velocity: buffers(params, "velocity")}, nil
	case "adam":
		return &adam{beta1: 0.9, beta2: 0.999, eps: 1e-8, decay: float32(cfg.WeightDecay),
			m: buffers(params, "m"), v: buffers(params, "v")}, nil
	}
	return nil, fmt.Errorf("unknown optimizer %q (want sgd or adam)", cfg.Optimizer)
}

func buffers(params []*param, kind string) map[string][]float32 {
	out := map[string][]float32{}
	for _, p := range params {
		out[kind+"."+p.name] = make([]float32, len(p.w))
	}
	return out
}

// decays reports whether weight decay applies to p: weights yes, biases no.
func decays(p *param) bool { return len(p.name) > 7 && p.name[len(p.name)-7:] == ".weight" }

// sgd is stochastic gradient descent with classical momentum and L2 weight
// decay added to the gradient: v = mu*v + g + wd*w; w -= lr*v.
type sgd struct {
	momentum, decay float32
	velocity        map[string][]float32
}

func (o *sgd) step(params []*param, lr float32) {
	for _, p := range params {
		v := o.velocity["velocity."+p.name]
		wd := o.decay
		if !decays(p) {
			wd = 0
		}
		for i, g := range p.grad {
			v[i] = o.momentum*v[i] + g + wd*p.w[i]
			p.w[i] -= lr * v[i]
		}
	}
}

func (o *sgd) state() map[string][]float32 { return o.velocity }

// adam is Adam with bias correction; weight decay, if any, is decoupled
// (AdamW): w -= lr*wd*w.
type adam struct {
	beta1, beta2, eps, decay float32
	t                        int
	m, v                     map[string][]float32
}

func (o *adam) step(params []*param, lr float32) {
	o.t++
	c1 := 1 - float32(math.Pow(float64(o.beta1), float64(o.t)))
	c2 := 1 - float32(math.Pow(float64(o.beta2), float64(o.t)))
	for _, p := range params {
		m, v := o.m["m."+p.name], o.v["v."+p.name]
		wd := o.decay
		if !decays(p) {
			wd = 0
		}
		for i, g := range p.grad {
			m[i] = o.beta1*m[i] + (1-o.beta1)*g
			v[i] = o.beta2*v[i] + (1-o.beta2)*g*g
			mh, vh := m[i]/c1, v[i]/c2
			p.w[i] -= lr * (mh/(float32(math.Sqrt(float64(vh)))+o.eps) + wd*p.w[i])
		}
	}
}

func (o *adam) state() map[string][]float32 {
	out := map[string][]float32{}
	for k, s := range o.m {
		out[k] = s
	}
	for k, s := range o.v {
		out[k] = s
	}
	return out
}

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
