package engine

import (
	"fmt"

	"github.com/edgecnn/edgecnn/kernels"
	"github.com/edgecnn/edgecnn/nn"
	"github.com/edgecnn/edgecnn/quant"
)

// int8Ops lists the layer types of newInt8Layer's switch.
var int8Ops = map[nn.Op]bool{nn.OpConv2D: true, nn.OpLinear: true, nn.OpMaxPool: true, nn.OpAvgPool: true,
	nn.OpFlatten: true, nn.OpDropout: true, nn.OpReLU: true, nn.OpReLU6: true, nn.OpTanh: true,
	nn.OpSoftmax: true, nn.OpLogSoftmax: true}

// RunsInt8 reports whether a quantized model may hold layers of type op:
// the int8 layers of this file, the merges (add, concat) and the layers
// of ops.go. Converters check a model with it before they calibrate.
func RunsInt8(op nn.Op) bool {
	return int8Ops[op] || importedOps[op] || op == nn.OpAdd || op == nn.OpConcat
}

// newInt8Layer binds node n, whose input is int8, to the int8 kernels of an
// engine of the given threads.
func newInt8Layer(m *nn.Model, n *nn.Node, in, out nn.Shape, inInfo, outInfo tensorInfo, threads int) (layer, error) {
	switch n.Op {
	case nn.OpConv2D:
		g := Geometry(n, in, out)
		if inInfo.hwc && n.Groups == g.C && n.Out == g.C {
			return newDepthwiseInt8(m, n, g, inInfo.quant, outInfo.quant)
		}
		pack := packCHW(n.Groups)
		if inInfo.hwc {
			pack = packHWC(g, n.Groups)
		}
		rq, w, err := prepareInt8(m, n, pack, 0, out[0], inInfo.quant, outInfo.quant)
		if err != nil {
			return nil, err
		}
		return &convInt8{g: g, w: w, rq: rq, hwc: inInfo.hwc,
			inZP: int8(inInfo.quant.ZeroPoint), inSize: in.Size(), outSize: out.Size()}, nil
	case nn.OpLinear:
		if n.FloatOutput {
			return newLinearInt8Float(m, n, in[0], out[0], inInfo.quant)
		}
		return newLinearInt8(m, n, in[0], out[0], inInfo.quant, outInfo.quant, threads)
	case nn.OpMaxPool, nn.OpAvgPool, nn.OpFlatten, nn.OpDropout:
		if n.Op == nn.OpAvgPool && nn.GlobalPool(n, in) && inInfo.quant != outInfo.quant {
			return newGlobalPoolInt8(in[0], in[1]*in[2], inInfo.hwc, inInfo.quant, outInfo.quant)
		}
		if inInfo.quant != outInfo.quant {
			return nil, fmt.Errorf("int8 %s must keep its input's quantization %+v, has %+v", n.Op, inInfo.quant, outInfo.quant)
		}
		if n.Op == nn.OpFlatten || n.Op == nn.OpDropout {
			return copyInt8{size: out.Size()}, nil
		}
		return &poolInt8{g: Geometry(n, in, out), max: n.Op == nn.OpMaxPool, hwc: inInfo.hwc,
			inSize: in.Size(), outSize: out.Size()}, nil
	case nn.OpReLU, nn.OpReLU6, nn.OpTanh:
		op := n.Op
		return newLookup(func(y, x []float32) { Activate(op, y, x) }, inInfo.quant, outInfo.quant, out.Size()), nil
	case nn.OpSoftmax, nn.OpLogSoftmax:
		return &softmaxInt8{size: out.Size(), log: n.Op == nn.OpLogSoftmax, in: inInfo.quant, out: outInfo.quant}, nil
	}
	return nil, fmt.Errorf("unsupported int8 layer type %s", n.Op)
}

// packer packs the int8 weights of rows output channels, k values each,
// for the kernels of a layer.
type packer func(w []int8, rows, k int) *kernels.PackedInt8

// packCHW returns the packer of fully connected weights (groups 1), or of
// convolution weights for ConvInt8 on CHW images.
func packCHW(groups int) packer {
	return func(w []int8, rows, k int) *kernels.PackedInt8 { return kernels.PackInt8Grouped(w, rows, k, groups) }
}

// packHWC returns the packer of the convolution g with groups for
// ConvInt8HWC.
func packHWC(g kernels.ConvGeom, groups int) packer {
	return func(w []int8, rows, k int) *kernels.PackedInt8 {
		return kernels.PackConvInt8HWC(w, rows, g.C/groups, g.KH, g.KW, groups)
	}
}

// prepareInt8 packs output channels [lo, hi) of the int8 weights of a conv
// or linear node and builds their epilogue: the bias with the input zero
// point folded in, and the output multiplier of every channel,
// real = inScale * weightScale[c] / outScale. It fails when a multiplier
// is out of range.
func prepareInt8(m *nn.Model, n *nn.Node, pack packer, lo, hi int, in, out quant.Params) (*kernels.Requant, *kernels.PackedInt8, error) {
	w := m.Weight(n)
	k := w.Len() / w.Shape[0]
	packed := pack(w.I8[lo*k:hi*k], hi-lo, k)
	rq, err := newRequant(m, n, packed.RowSums(), lo, hi, in, out)
	if err != nil {
		return nil, nil, err
	}
	return rq, packed, nil
}

// newRequant builds the epilogue of output channels [lo, hi) of a conv or
// linear node whose weights sum to rowSums per channel. It fails when a
// multiplier is out of range.
func newRequant(m *nn.Model, n *nn.Node, rowSums []int32, lo, hi int, in, out quant.Params) (*kernels.Requant, error) {
	mult, shifts, err := quant.OutputMultipliers(in.Scale, m.Params[n.Name+".weight_scale"].F32[lo:hi], out.Scale)
	if err != nil {
		return nil, err
	}
	var bias []int32
	if b := m.Bias(n).I32; b != nil {
		bias = b[lo:hi]
	}
	rq := &kernels.Requant{
		Bias:       kernels.FoldZeroPoint(bias, rowSums, in.ZeroPoint),
		Multiplier: mult,
		Shift:      make([]int32, hi-lo),
		ZeroPoint:  out.ZeroPoint,
		Min:        -128,
		Max:        127,
	}
	for i, s := range shifts {
		rq.Shift[i] = int32(s)
	}
	return rq, nil
}

// convInt8 is an int8 convolution: on HWC images kernels.ConvInt8HWC (a
// pixel-major GEMM, the image unfolded unless 1×1), on CHW ones
// kernels.ConvInt8 (im2col or the direct path, and one GEMM per group),
// with the requantize epilogue fused. When a batch leaves threads idle,
// the output rows are split across them.
type convInt8 struct {
	g               kernels.ConvGeom
	w               *kernels.PackedInt8
	rq              *kernels.Requant
	hwc             bool
	inZP            int8
	inSize, outSize int
	// The image being split across threads; layers are shared by the
	// workers, so these are only set while one worker runs alone.
	src, col, dst []int8
}

func (c *convInt8) scratch(int) (int, int) {
	if c.hwc && c.g.KH == 1 && c.g.KW == 1 && c.g.SH == 1 && c.g.SW == 1 && c.g.PadT == 0 && c.g.PadL == 0 &&
		c.g.OutH == c.g.H && c.g.OutW == c.g.W {
		return 0, 0 // a pointwise convolution reads its input in place
	}
	return 0, c.g.C * c.g.KH * c.g.KW * c.g.OutH * c.g.OutW
}

func (c *convInt8) fuse(act nn.Op, out quant.Params) { fuseInt8(c.rq, act, out) }

func (c *convInt8) weightBytes() int64 { return int64(c.w.Bytes()) + requantBytes(c.rq) }

func (c *convInt8) forward(xs []buffer, y buffer, n int, sc *scratch) {
	x := xs[0]
	for s := range n {
		src, dst := x.q[s*c.inSize:(s+1)*c.inSize], y.q[s*c.outSize:(s+1)*c.outSize]
		switch {
		case c.hwc && sc.parts == 1:
			kernels.ConvInt8HWC(src, dst, c.w, c.rq, c.g, sc.q, c.inZP)
			continue
		case sc.parts == 1:
			kernels.ConvInt8(src, dst, c.w, c.rq, c.g, sc.q, c.inZP)
			continue
		case !c.hwc:
			kernels.PrepareConvInt8(src, c.w, c.g, sc.q, c.inZP)
		}
		c.src, c.col, c.dst = src, sc.q, dst
		sc.pool.splitWork(c, c.g.OutH, sc.parts, c.w.Rows()*c.w.Cols()*c.g.OutW)
	}
}

// run computes output rows [lo, hi) of the current image.
func (c *convInt8) run(_, lo, hi int) {
	if c.hwc {
		kernels.ConvInt8HWCRows(c.src, c.dst, c.w, c.rq, c.g, c.col, c.inZP, lo, hi)
		return
	}
	kernels.ConvInt8Rows(c.src, c.dst, c.w, c.rq, c.g, c.col, c.inZP, lo, hi)
}

// depthwiseInt8 is an int8 depthwise convolution (channel multiplier 1) on
// HWC images, kernels.DepthwiseConvInt8. When a batch leaves threads idle,
// the output rows are split across them.
type depthwiseInt8 struct {
	g               kernels.ConvGeom
	w               *kernels.PackedDepthwiseInt8
	rq              *kernels.Requant
	inZP            int8
	inSize, outSize int
	// The image being split across threads, set only while one worker
	// runs alone (as convInt8's).
	src, dst []int8
}

func newDepthwiseInt8(m *nn.Model, n *nn.Node, g kernels.ConvGeom, in, out quant.Params) (*depthwiseInt8, error) {
	w := kernels.PackDepthwiseInt8(m.Weight(n).I8, g.C, g.KH, g.KW)
	rq, err := newRequant(m, n, w.RowSums(), 0, g.C, in, out)
	if err != nil {
		return nil, err
	}
	return &depthwiseInt8{g: g, w: w, rq: rq, inZP: int8(in.ZeroPoint),
		inSize: g.C * g.H * g.W, outSize: g.C * g.OutH * g.OutW}, nil
}

func (d *depthwiseInt8) scratch(int) (int, int) { return 0, 0 }

func (d *depthwiseInt8) weightBytes() int64 { return int64(d.w.Bytes()) + requantBytes(d.rq) }

func (d *depthwiseInt8) fuse(act nn.Op, out quant.Params) { fuseInt8(d.rq, act, out) }

func (d *depthwiseInt8) forward(xs []buffer, y buffer, n int, sc *scratch) {
	for s := range n {
		src, dst := xs[0].q[s*d.inSize:(s+1)*d.inSize], y.q[s*d.outSize:(s+1)*d.outSize]
		if sc.parts == 1 {
			kernels.DepthwiseConvInt8(src, dst, d.w, d.rq, d.g, d.inZP)
			continue
		}
		d.src, d.dst = src, dst
		sc.pool.splitWork(d, d.g.OutH, sc.parts, d.g.C*d.g.KH*d.g.KW*d.g.OutW)
		d.src, d.dst = nil, nil
	}
}

// run computes output rows [lo, hi) of the current image.
func (d *depthwiseInt8) run(_, lo, hi int) {
	kernels.DepthwiseConvInt8Rows(d.src, d.dst, d.w, d.rq, d.g, d.inZP, lo, hi)
}

// linearInt8 is an int8 fully connected layer: out[s][o] = requant(W[o] . x[s]),
// GEMMs whose activation and output strides read and write
// [batch][features]. A layer large enough to share has its weights packed
// in one block of output features per thread, so that a batch too small
// for every thread to have its own samples (one camera frame) splits the
// blocks across the threads: at batch 1 the layer is a matrix-vector
// product bound by reading the weights, and more cores read them faster.
// (Each block packs the activations again: with two blocks, at batch 32
// on AlexNet's fc1 that adds one packing of about 0.09 ms to a 2.0 ms
// product. Blocks of a few hundred rows would cost far more.)
type linearInt8 struct {
	in, out int
	blocks  []linearBlock
	// The batch being split across threads; layers are shared by the
	// workers, so these are only set while one worker runs alone.
	x, y []int8
	n    int
}

// linearBlock is output features [lo, lo+w.Rows()) of a linearInt8.
type linearBlock struct {
	lo int
	w  *kernels.PackedInt8
	rq *kernels.Requant
}

// linearRowAlign is a multiple of every path's tile height (6 rows on AVX2,
// panels of 16 on AVX-512, 4 and 8 on NEON): blocks of a multiple of it
// leave no partial tiles but the last.
const linearRowAlign = 48

func newLinearInt8(m *nn.Model, n *nn.Node, in, out int, inQ, outQ quant.Params, threads int) (*linearInt8, error) {
	l := &linearInt8{in: in, out: out}
	rows := out
	if in*out >= 2*minSplitMACs {
		rows = ((out+threads-1)/threads + linearRowAlign - 1) / linearRowAlign * linearRowAlign
	}
	for lo := 0; lo < out; lo += rows {
		hi := min(lo+rows, out)
		rq, w, err := prepareInt8(m, n, packCHW(1), lo, hi, inQ, outQ)
		if err != nil {
			return nil, err
		}
		l.blocks = append(l.blocks, linearBlock{lo: lo, w: w, rq: rq})
	}
	return l, nil
}

func (l *linearInt8) scratch(int) (int, int) { return 0, 0 }

func (l *linearInt8) weightBytes() int64 {
	var n int64
	for _, b := range l.blocks {
		n += int64(b.w.Bytes()) + requantBytes(b.rq)
	}
	return n
}

func (l *linearInt8) fuse(act nn.Op, out quant.Params) {
	for _, b := range l.blocks {
		fuseInt8(b.rq, act, out)
	}
}

func (l *linearInt8) forward(xs []buffer, y buffer, n int, sc *scratch) {
	if sc.parts == 1 {
		l.features(xs[0].q, y.q, n, l.blocks)
		return
	}
	l.x, l.y, l.n = xs[0].q, y.q, n
	sc.pool.splitWork(l, len(l.blocks), sc.parts, n*l.in*l.blocks[0].w.Rows())
}

// run computes blocks [lo, hi) of the batch being split.
func (l *linearInt8) run(_, lo, hi int) { l.features(l.x, l.y, l.n, l.blocks[lo:hi]) }

// features computes the output features of blocks for n samples.
func (l *linearInt8) features(x, y []int8, n int, blocks []linearBlock) {
	for _, b := range blocks {
		kernels.GemmInt8(b.w, x[:n*l.in], n, 1, l.in, b.rq, y[b.lo:], 1, l.out)
	}
}

// fuseInt8 makes a ReLU or ReLU6 part of the epilogue's clamp.
func fuseInt8(rq *kernels.Requant, act nn.Op, out quant.Params) {
	rq.Min, rq.Max = activationRange(act, out)
}

// activationRange returns the int8 values a ReLU or ReLU6 keeps of a
// tensor quantized by out.
func activationRange(act nn.Op, out quant.Params) (lo, hi int32) {
	a := quant.ReLU
	if act == nn.OpReLU6 {
		a = quant.ReLU6
	}
	return quant.ActivationRange(a, out)
}

type poolInt8 struct {
	g               kernels.ConvGeom
	max, hwc        bool
	inSize, outSize int
}

func (p *poolInt8) scratch(int) (int, int) { return 0, 0 }

func (p *poolInt8) forward(xs []buffer, y buffer, n int, _ *scratch) {
	x := xs[0]
	for s := range n {
		xs, ys := x.q[s*p.inSize:(s+1)*p.inSize], y.q[s*p.outSize:(s+1)*p.outSize]
		switch {
		case p.max && p.hwc:
			kernels.MaxPoolInt8HWC(xs, ys, p.g)
		case p.max:
			kernels.MaxPoolInt8(xs, ys, p.g)
		case p.hwc:
			kernels.AvgPoolInt8HWC(xs, ys, p.g)
		default:
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

// newLookup tabulates the activation apply, which sets y[i] to the
// activation of x[i] (y aliasing x), from int8 quantized with in to int8
// quantized with out.
func newLookup(apply func(y, x []float32), in, out quant.Params, size int) *lookup {
	l := &lookup{size: size}
	x := make([]float32, 256)
	for i := range x {
		x[i] = quant.Dequantize(int8(i), in)
	}
	apply(x, x)
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

// softmaxInt8 computes softmax (or its log) in float between a dequantize
// and a quantize.
type softmaxInt8 struct {
	size    int
	log     bool
	in, out quant.Params
}

func (s *softmaxInt8) scratch(int) (int, int) { return s.size, 0 }

func (s *softmaxInt8) forward(xs []buffer, y buffer, n int, sc *scratch) {
	x := xs[0]
	row := sc.f[:s.size]
	for i := range n {
		quant.DequantizeSlice(row, x.q[i*s.size:(i+1)*s.size], s.in)
		softmax(row, row, s.log)
		quant.QuantizeSlice(y.q[i*s.size:(i+1)*s.size], row, s.out)
	}
}

type copyInt8 struct{ size int }

func (c copyInt8) scratch(int) (int, int) { return 0, 0 }

func (c copyInt8) forward(x []buffer, y buffer, n int, _ *scratch) { copy(y.q[:n*c.size], x[0].q) }
