package kernels

import (
	"math"
	"sync/atomic"
)

// i8Lanes is the per-channel part of a Requant laid out for kernels that
// hold output channels in vector lanes (depthwise convolution, and GEMMs
// whose output channels are contiguous): everything the requantize
// epilogue derives from Shift is computed once, so that the kernel's
// epilogue is loads and arithmetic, no per-lane shift decoding.
type i8Lanes struct {
	bias, mult []int32
	lsh, rsh   []int32 // max(Shift, 0) and max(-Shift, 0)
	mask, half []int32 // (1<<rsh)-1 and mask>>1, of the rounding divide
	// anyLeft is set when some channel shifts left (the epilogue then
	// runs its saturating left shift), anyMinMult when some multiplier is
	// MinInt32 (whose square saturates in the doubling high multiply).
	anyLeft, anyMinMult bool
	// anyUnshifted is set when some channel shifts neither way (Shift 0):
	// an epilogue that takes every channel to shift right cannot run.
	anyUnshifted bool
}

// newI8Lanes lays out the first channels of rq.
func newI8Lanes(rq *Requant, channels int) *i8Lanes {
	n := channels
	l := &i8Lanes{}
	all := make([]int32, 6*n)
	l.bias, l.mult, l.lsh, l.rsh, l.mask, l.half = all[:n], all[n:2*n], all[2*n:3*n], all[3*n:4*n], all[4*n:5*n], all[5*n:]
	copy(l.bias, rq.Bias[:channels])
	copy(l.mult, rq.Multiplier[:channels])
	for c, s := range rq.Shift[:channels] {
		l.lsh[c], l.rsh[c] = max(s, 0), max(-s, 0)
		l.mask[c] = int32(int64(1)<<l.rsh[c] - 1)
		l.half[c] = l.mask[c] >> 1
		l.anyLeft = l.anyLeft || s > 0
		l.anyUnshifted = l.anyUnshifted || s == 0
		l.anyMinMult = l.anyMinMult || rq.Multiplier[c] == math.MinInt32
	}
	return l
}

// rqCache keeps what a kernel prepared from packed weights and the
// Requant last used with them (weights and epilogue in one layout, say),
// so that steady-state calls prepare nothing.
type rqCache[T any] struct{ p atomic.Pointer[rqEntry[T]] }

type rqEntry[T any] struct {
	rq *Requant
	v  T
}

// get returns the value prepared for rq, or nil and false if there is
// none (the weights were not used with rq yet, or last with another).
func (c *rqCache[T]) get(rq *Requant) (v T, ok bool) {
	if e := c.p.Load(); e != nil && e.rq == rq {
		return e.v, true
	}
	return v, false
}

// put records v as prepared for rq.
func (c *rqCache[T]) put(rq *Requant, v T) { c.p.Store(&rqEntry[T]{rq, v}) }
