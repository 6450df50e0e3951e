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
// one on every path; batches are split across threads by samples, as for
// every layer, and a single sample runs on one thread.
type linearInt8Float struct {
	in, out int
	w       []int8 // [out][in], row-major
	bias    []int32
	scale   []float32
}

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

func (l *linearInt8Float) forward(xs []buffer, y buffer, n int, _ *scratch) {
	kernels.LinearInt8Float(l.w, l.out, l.in, xs[0].q, n, l.bias, l.scale, y.f)
}
