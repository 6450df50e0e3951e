package engine

import (
	"github.com/edgecnn/edgecnn/kernels"
	"github.com/edgecnn/edgecnn/nn"
	"github.com/edgecnn/edgecnn/quant"
)

// linearInt8Float is an int8 fully connected layer that writes float32
// (nn.Node.FloatOutput): each output is its int32 accumulator dequantized
// once, kernels.LinearInt8Float, where linearInt8 requantizes it to int8.
// Converters use it for a classifier's logits. Its kernel is the generic
// one on every path; a batch too small for every thread to have its own
// samples (one camera frame) splits the output features across them.
type linearInt8Float struct {
	in, out int
	w       []int8 // [out][in], row-major
	bias    []int32
	scale   []float32
	// The batch being split across threads; layers are shared by the
	// workers, so these are only set while one worker runs alone.
	x []int8
	y []float32
	n int
}

// genericMACCost is about how many multiply-adds of the int8 SIMD kernels
// take the time of one of the generic kernel's, the unit in which the
// pool weighs a share of work: kernels.LinearInt8Float took 1.8 to 2.4 ms
// for 1000x1024 at batch 1 where GemmInt8 took 0.035 to 0.075 ms (avx2,
// this machine loaded), so that a classifier of a million multiply-adds
// is split across the threads.
const genericMACCost = 32

func newLinearInt8Float(m *nn.Model, n *nn.Node, in, out int, inQ quant.Params) (*linearInt8Float, error) {
	w := m.Weight(n).I8
	sums := make([]int32, out)
	for i := range sums {
		for _, v := range w[i*in : (i+1)*in] {
			sums[i] += int32(v)
		}
	}
	scales := m.Params[n.Name+".weight_scale"].F32
	scale := make([]float32, out)
	for i := range scale {
		scale[i] = quant.AccumulatorScale(inQ.Scale, scales[i])
	}
	return &linearInt8Float{in: in, out: out, w: w,
		bias: kernels.FoldZeroPoint(m.Bias(n).I32, sums, inQ.ZeroPoint), scale: scale}, nil
}

func (l *linearInt8Float) scratch(int) (int, int) { return 0, 0 }

func (l *linearInt8Float) weightBytes() int64 {
	return int64(len(l.w)) + 4*int64(len(l.bias)+len(l.scale))
}

func (l *linearInt8Float) forward(xs []buffer, y buffer, n int, sc *scratch) {
	if sc.parts == 1 {
		l.features(xs[0].q, y.f, n, 0, l.out)
		return
	}
	l.x, l.y, l.n = xs[0].q, y.f, n
	sc.pool.splitWork(l, l.out, sc.parts, genericMACCost*n*l.in)
	l.x, l.y = nil, nil
}

// run computes output features [lo, hi) of the batch being split.
func (l *linearInt8Float) run(_, lo, hi int) { l.features(l.x, l.y, l.n, lo, hi) }

// features computes output features [lo, hi) of n samples.
func (l *linearInt8Float) features(x []int8, y []float32, n, lo, hi int) {
	kernels.LinearInt8Float(l.w[lo*l.in:hi*l.in], hi-lo, l.in, x, n, l.bias[lo:hi], l.scale[lo:hi], y[lo:], l.out)
}
