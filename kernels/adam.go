package kernels

import (
	"fmt"
	"math"
)

// Adam holds the hyper-parameters of one Adam step (AdamF32).
type Adam struct {
	Beta1, Beta2, Eps float32
	// R1 and R2 are the reciprocals of the bias corrections of this step,
	// 1/(1-Beta1^t) and 1/(1-Beta2^t): multiplying by them is much cheaper
	// than dividing.
	R1, R2 float32
	// LR is the learning rate, Decay the decoupled weight decay (AdamW; 0
	// for biases).
	LR, Decay float32
}

// Tiny is where the optimizers flush their state to zero (FlushTiny). A
// parameter whose gradient stays zero (a unit that never fires, an input
// that dropout keeps removing) sees its momentum shrink geometrically into
// the subnormal floats, and every operation on a subnormal costs the CPU a
// microcode assist of about a hundred cycles: an AlexNet training run
// slowed from 50 to 27 images/s as its Adam state decayed. Go cannot set
// the CPU's flush-to-zero mode, so the code does it; a value below 1e-30
// moves no weight (the step is at most lr*1e-30/1e-8).
const Tiny = 1e-30

// adamMinGrad is the smallest |g| whose square Adam adds to v: below it
// (1-Beta2)*g*g would be subnormal.
const adamMinGrad = 1e-17

// FlushTiny returns x, or 0 if |x| < Tiny. NaN stays NaN.
func FlushTiny(x float32) float32 {
	if x > -Tiny && x < Tiny {
		return 0
	}
	return x
}

// AdamF32 applies one Adam step with bias correction and decoupled weight
// decay to the weights w, first moments m and second moments v of len(g)
// parameters whose gradients are g. For each element, in float32, each
// operation rounded once (never fused):
//
//	g  = FlushTiny(g)
//	g2 = (1-Beta2)*g*g  if |g| >= 1e-17, else 0
//	m  = FlushTiny(Beta1*m + (1-Beta1)*g)
//	v  = FlushTiny(Beta2*v + g2)
//	w  = w - LR*((m*R1)/(sqrt(v*R2)+Eps) + Decay*w)
//
// Every path gives the same bits. It panics if w, m or v is shorter than g.
func AdamF32(w, m, v, g []float32, h *Adam) {
	n := len(g)
	if len(w) < n || len(m) < n || len(v) < n {
		panic(fmt.Sprintf("kernels: AdamF32: %d gradients, but w, m, v hold %d, %d, %d", n, len(w), len(m), len(v)))
	}
	done := 0
	if adam := active.Load().adam; adam != nil {
		done = adam(w, m, v, g, h)
	}
	adamF32Generic(w[done:n], m[done:n], v[done:n], g[done:], h)
}

// adamF32Generic is AdamF32 in Go. The conversions to float32 round each
// product on its own: without them the compiler may fuse a multiply and an
// add (it does on arm64), which rounds once instead of twice.
func adamF32Generic(w, m, v, g []float32, h *Adam) {
	c1, c2 := 1-h.Beta1, 1-h.Beta2
	for j, gj := range g {
		gj = FlushTiny(gj)
		var g2 float32
		if gj <= -adamMinGrad || gj >= adamMinGrad {
			g2 = float32(c2*gj) * gj
		}
		mj := FlushTiny(float32(h.Beta1*m[j]) + float32(c1*gj))
		vj := FlushTiny(float32(h.Beta2*v[j]) + g2)
		m[j], v[j] = mj, vj
		step := float32(mj*h.R1)/(float32(math.Sqrt(float64(vj*h.R2)))+h.Eps) + float32(h.Decay*w[j])
		w[j] -= float32(h.LR * step)
	}
}
