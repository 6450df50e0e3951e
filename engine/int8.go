package engine

import (
	"fmt"

	"github.com/edgecnn/edgecnn/kernels"
	"github.com/edgecnn/edgecnn/nn"
	"github.com/edgecnn/edgecnn/quant"
)

// newInt8Layer binds node n, whose input is int8, to the int8 kernels.
func newInt8Layer(m *nn.Model, n *nn.Node, in, out nn.Shape, inInfo, outInfo tensorInfo) (layer, error) {
	switch n.Op {
	case nn.OpConv2D:
		rq, w := prepareInt8(m, n, n.Groups, inInfo.quant, outInfo.quant)
		return &convInt8{g: Geometry(n, in, out), w: w, rq: rq,
			inZP: int8(inInfo.quant.ZeroPoint), inSize: in.Size(), outSize: out.Size()}, nil
	case nn.OpLinear:
		rq, w := prepareInt8(m, n, 1, inInfo.quant, outInfo.quant)
		return &linearInt8{in: in[0], out: out[0], w: w, rq: rq}, nil
	case nn.OpMaxPool, nn.OpAvgPool, nn.OpFlatten, nn.OpDropout:
		if inInfo.quant != outInfo.quant {
			return nil, fmt.Errorf("int8 %s must keep its input's quantization %+v, has %+v", n.Op, inInfo.quant, outInfo.quant)
		}
		if n.Op == nn.OpFlatten || n.Op == nn.OpDropout {
			return copyInt8{size: out.Size()}, nil
		}
		return &poolInt8{g: Geometry(n, in, out), max: n.Op == nn.OpMaxPool, inSize: in.Size(), outSize: out.Size()}, nil
	case nn.OpReLU, nn.OpReLU6, nn.OpTanh:
		return newLookup(n.Op, inInfo.quant, outInfo.quant, out.Size()), nil
	case nn.OpSoftmax:
		return &softmaxInt8{size: out.Size(), in: inInfo.quant, out: outInfo.quant}, nil
	}
	return nil, fmt.Errorf("unsupported int8 layer type %s", n.Op)
}

// prepareInt8 packs the int8 weights of a conv or linear node and builds its
// epilogue: the bias with the input zero point folded in, and the output
// multiplier of every channel, real = inScale * weightScale[c] / outScale.
func prepareInt8(m *nn.Model, n *nn.Node, groups int, in, out quant.Params) (*kernels.Requant, *kernels.PackedInt8) {
	w := m.Weight(n)
	rows := w.Shape[0]
	packed := kernels.PackInt8Grouped(w.I8, rows, w.Len()/rows, groups)
	mult, shifts := quant.OutputMultipliers(in.Scale, m.Params[n.Name+".weight_scale"].F32, out.Scale)
	rq := &kernels.Requant{
		Bias:       kernels.FoldZeroPoint(m.Bias(n).I32, packed.RowSums(), in.ZeroPoint),
		Multiplier: mult,
		Shift:      make([]int32, rows),
		ZeroPoint:  out.ZeroPoint,
		Min:        -128,
		Max:        127,
	}
	for i, s := range shifts {
		rq.Shift[i] = int32(s)
	}
	return rq, packed
}

// convInt8 is an int8 convolution (kernels.ConvInt8: im2col or the direct
// path, and one int8 GEMM per group with the requantize epilogue fused).
// When a batch leaves threads idle, the output rows are split across them.
type convInt8 struct {
	g               kernels.ConvGeom
	w               *kernels.PackedInt8
	rq              *kernels.Requant
	inZP            int8
	inSize, outSize int
	// The image being split across threads; layers are shared by the
	// workers, so these are only set while one worker runs alone.
	src, col, dst []int8
}

func (c *convInt8) scratch(int) (int, int) { return 0, c.g.C * c.g.KH * c.g.KW * c.g.OutH * c.g.OutW }

func (c *convInt8) fuse(act nn.Op, out quant.Params) { fuseInt8(c.rq, act, out) }

func (c *convInt8) forward(xs []buffer, y buffer, n int, sc *scratch) {
	x := xs[0]
	for s := range n {
		src, dst := x.q[s*c.inSize:(s+1)*c.inSize], y.q[s*c.outSize:(s+1)*c.outSize]
		if sc.parts == 1 {
			kernels.ConvInt8(src, dst, c.w, c.rq, c.g, sc.q, c.inZP)
			continue
		}
		kernels.PrepareConvInt8(src, c.w, c.g, sc.q, c.inZP)
		c.src, c.col, c.dst = src, sc.q, dst
		sc.pool.split(c, c.g.OutH, sc.parts, (minColumns+c.g.OutW-1)/max(c.g.OutW, 1))
	}
}

// run computes output rows [lo, hi) of the current image.
func (c *convInt8) run(_, lo, hi int) {
	kernels.ConvInt8Rows(c.src, c.dst, c.w, c.rq, c.g, c.col, c.inZP, lo, hi)
}

// linearInt8 is an int8 fully connected layer: out[s][o] = requant(W[o] . x[s]),
// one GEMM whose activation and output strides read and write [batch][features].
type linearInt8 struct {
	in, out int
	w       *kernels.PackedInt8
	rq      *kernels.Requant
}

func (l *linearInt8) scratch(int) (int, int) { return 0, 0 }

func (l *linearInt8) fuse(act nn.Op, out quant.Params) { fuseInt8(l.rq, act, out) }

func (l *linearInt8) forward(xs []buffer, y buffer, n int, _ *scratch) {
	x := xs[0]
	kernels.GemmInt8(l.w, x.q[:n*l.in], n, 1, l.in, l.rq, y.q, 1, l.out)
}

// fuseInt8 makes a ReLU or ReLU6 part of the epilogue's clamp.
func fuseInt8(rq *kernels.Requant, act nn.Op, out quant.Params) {
	a := quant.ReLU
	if act == nn.OpReLU6 {
		a = quant.ReLU6
	}
	rq.Min, rq.Max = quant.ActivationRange(a, out)
}

type poolInt8 struct {
	g               kernels.ConvGeom
	max             bool
	inSize, outSize int
}

func (p *poolInt8) scratch(int) (int, int) { return 0, 0 }

func (p *poolInt8) forward(xs []buffer, y buffer, n int, _ *scratch) {
	x := xs[0]
	for s := range n {
		xs, ys := x.q[s*p.inSize:(s+1)*p.inSize], y.q[s*p.outSize:(s+1)*p.outSize]
		if p.max {
			kernels.MaxPoolInt8(xs, ys, p.g)
		} else {
			kernels.AvgPoolInt8(xs, ys, p.g)
		}
	}
}

// lookup applies an element-wise function through a table of its value at
// every int8 input: exact for any activation and any pair of quantizations.
type lookup struct {
	table [256]int8
	size  int
}

func newLookup(op nn.Op, in, out quant.Params, size int) *lookup {
	l := &lookup{size: size}
	x := make([]float32, 256)
	for i := range x {
		x[i] = quant.Dequantize(int8(i), in)
	}
	Activate(op, x, x)
	for i, v := range x {
		l.table[i] = quant.Quantize(v, out)
	}
	return l
}

func (l *lookup) scratch(int) (int, int) { return 0, 0 }

func (l *lookup) forward(xs []buffer, y buffer, n int, _ *scratch) {
	x := xs[0]
	kernels.LookupInt8(y.q[:n*l.size], x.q[:n*l.size], &l.table)
}

// softmaxInt8 computes softmax in float between a dequantize and a quantize.
type softmaxInt8 struct {
	size    int
	in, out quant.Params
}

func (s *softmaxInt8) scratch(int) (int, int) { return s.size, 0 }

func (s *softmaxInt8) forward(xs []buffer, y buffer, n int, sc *scratch) {
	x := xs[0]
	row := sc.f[:s.size]
	for i := range n {
		quant.DequantizeSlice(row, x.q[i*s.size:(i+1)*s.size], s.in)
		Softmax(row, row)
		quant.QuantizeSlice(y.q[i*s.size:(i+1)*s.size], row, s.out)
	}
}

type copyInt8 struct{ size int }

func (c copyInt8) scratch(int) (int, int) { return 0, 0 }

func (c copyInt8) forward(x []buffer, y buffer, n int, _ *scratch) { copy(y.q[:n*c.size], x[0].q) }
