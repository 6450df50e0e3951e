package engine

import (
	"fmt"
	"math"

	"github.com/edgecnn/edgecnn/kernels"
	"github.com/edgecnn/edgecnn/nn"
	"github.com/edgecnn/edgecnn/quant"
)

// layer is one prepared node: forward runs n samples from x into y, using
// sc (at least scratch(n) floats and int8s) for temporaries.
type layer interface {
	forward(x []buffer, y buffer, n int, sc *scratch)
	scratch(batch int) (f32, i8 int)
}

// fuser is a layer whose epilogue can absorb a following ReLU or ReLU6.
type fuser interface {
	fuse(act nn.Op, out quant.Params)
}

// newLayer binds node n to kernels in the format the planner chose: float32
// unless its input is int8; threads is the engine's.
func newLayer(m *nn.Model, n *nn.Node, ins []nn.Shape, out nn.Shape, inputs []edge, outInfo tensorInfo, threads int) (layer, error) {
	if n.Op == nn.OpAdd || n.Op == nn.OpConcat {
		return newMerge(n, ins, out, inputs, outInfo)
	}
	if importedOps[n.Op] {
		return newImportedLayer(n, ins, out, inputs, outInfo)
	}
	if inputs[0].in.int8 {
		return newInt8Layer(m, n, ins[0], out, inputs[0].in, outInfo, threads)
	}
	return newFloatLayer(m, n, ins[0], out, inputs[0].in.hwc)
}

func newFloatLayer(m *nn.Model, n *nn.Node, in, out nn.Shape, hwc bool) (layer, error) {
	switch n.Op {
	case nn.OpConv2D:
		g := Geometry(n, in, out)
		if hwc {
			return newConvF32HWC(m, n, g), nil
		}
		return &convF32{g: g, out: n.Out, groups: n.Groups, w: m.Weight(n).F32, b: m.Bias(n).F32,
			lo: float32(math.Inf(-1)), hi: float32(math.Inf(1)), inSize: in.Size(), outSize: out.Size()}, nil
	case nn.OpLinear:
		return newLinearF32(m.Weight(n).F32, m.Bias(n).F32, in[0], out[0]), nil
	case nn.OpMaxPool, nn.OpAvgPool:
		return &poolF32{g: Geometry(n, in, out), max: n.Op == nn.OpMaxPool, hwc: hwc, inSize: in.Size(), outSize: out.Size()}, nil
	case nn.OpReLU, nn.OpReLU6, nn.OpTanh:
		return &activationF32{op: n.Op, size: out.Size()}, nil
	case nn.OpSoftmax, nn.OpLogSoftmax:
		return &softmaxF32{size: out.Size(), log: n.Op == nn.OpLogSoftmax}, nil
	case nn.OpFlatten, nn.OpDropout:
		return copyF32{size: out.Size()}, nil
	}
	return nil, fmt.Errorf("unsupported layer type %s", n.Op)
}

// Geometry describes the window of a conv2d or pooling node with input
// shape in and output shape out for the kernels. The trainer uses it too,
// so training and inference read a layer the same way.
func Geometry(n *nn.Node, in, out nn.Shape) kernels.ConvGeom {
	return kernels.ConvGeom{
		C: in[0], H: in[1], W: in[2],
		KH: n.Kernel[0], KW: n.Kernel[1], SH: n.Stride[0], SW: n.Stride[1],
		PadT: n.Pad[0], PadL: n.Pad[1], OutH: out[1], OutW: out[2],
	}
}

// convF32 is a float convolution on CHW images: im2col then one GEMM per
// group, then the bias and a fused ReLU or ReLU6 as the clamp. When a
// batch leaves threads idle, the GEMM's output columns (pixels) are split
// across them.
type convF32 struct {
	g               kernels.ConvGeom
	out, groups     int
	w, b            []float32
	lo, hi          float32
	inSize, outSize int
	// The image being split across threads; layers are shared by the
	// workers, so these are only set while one worker runs alone.
	col, dst []float32
}

func (c *convF32) scratch(int) (int, int) { return c.g.C * c.g.KH * c.g.KW * c.g.OutH * c.g.OutW, 0 }

// fuse makes a ReLU or ReLU6 the clamp of the epilogue.
func (c *convF32) fuse(act nn.Op, _ quant.Params) {
	c.lo = 0
	if act == nn.OpReLU6 {
		c.hi = 6
	}
}

func (c *convF32) forward(xs []buffer, y buffer, n int, sc *scratch) {
	x := xs[0]
	for s := range n {
		src, dst := x.f[s*c.inSize:(s+1)*c.inSize], y.f[s*c.outSize:(s+1)*c.outSize]
		kernels.Im2col(src, c.g, sc.f)
		if sc.parts == 1 {
			c.pixels(sc.f, dst, 0, c.g.OutH*c.g.OutW)
			continue
		}
		c.col, c.dst = sc.f, dst
		sc.pool.splitWork(c, c.g.OutH*c.g.OutW, sc.parts, c.out*c.g.C/c.groups*c.g.KH*c.g.KW)
	}
}

// run computes output pixels [lo, hi) of the current image.
func (c *convF32) run(_, lo, hi int) { c.pixels(c.col, c.dst, lo, hi) }

// pixels computes output pixels [lo, hi) of the image unfolded in col.
func (c *convF32) pixels(col, dst []float32, lo, hi int) {
	p := c.g.OutH * c.g.OutW
	ocg, k := c.out/c.groups, c.g.C/c.groups*c.g.KH*c.g.KW
	for grp := range c.groups {
		kernels.Sgemm(false, false, ocg, hi-lo, k, 1, c.w[grp*ocg*k:], k, col[grp*k*p+lo:], p, 0, dst[grp*ocg*p+lo:], p)
	}
	kernels.BiasClampF32(dst[lo:], c.out, hi-lo, p, c.b, c.lo, c.hi)
}

// linearF32 is y = x W^T + b over the whole batch as one GEMM; when the
// batch leaves threads idle, the output features are split across them.
// The weights are stored transposed, [in][out], so that a batch of one
// reads them row by row instead of with a stride.
type linearF32 struct {
	in, out int
	wt, b   []float32
	// The batch being split across threads; layers are shared by the
	// workers, so these are only set while one worker runs alone.
	x, y []float32
	n    int
}

func newLinearF32(w, b []float32, in, out int) *linearF32 {
	wt := make([]float32, len(w))
	kernels.TransposeF32(wt, out, w, in, out, in)
	return &linearF32{in: in, out: out, wt: wt, b: b}
}

func (l *linearF32) scratch(int) (int, int) { return 0, 0 }

func (l *linearF32) weightBytes() int64 { return 4 * int64(len(l.wt)) }

func (l *linearF32) forward(xs []buffer, y buffer, n int, sc *scratch) {
	x := xs[0]
	if sc.parts == 1 {
		l.features(x.f, y.f, n, 0, l.out)
		return
	}
	l.x, l.y, l.n = x.f, y.f, n
	sc.pool.splitWork(l, l.out, sc.parts, n*l.in)
}

// run computes output features [lo, hi) of the batch being split.
func (l *linearF32) run(_, lo, hi int) { l.features(l.x, l.y, l.n, lo, hi) }

// features computes output features [lo, hi) of n samples.
func (l *linearF32) features(x, y []float32, n, lo, hi int) {
	kernels.Sgemm(false, false, n, hi-lo, l.in, 1, x, l.in, l.wt[lo:], l.out, 0, y[lo:], l.out)
	kernels.BiasClampColsF32(y[lo:], n, hi-lo, l.out, l.b[lo:hi], float32(math.Inf(-1)), float32(math.Inf(1)))
}

type poolF32 struct {
	g               kernels.ConvGeom
	max, hwc        bool
	inSize, outSize int
}

func (p *poolF32) scratch(int) (int, int) { return 0, 0 }

func (p *poolF32) forward(xs []buffer, y buffer, n int, _ *scratch) {
	x := xs[0]
	for s := range n {
		xs, ys := x.f[s*p.inSize:(s+1)*p.inSize], y.f[s*p.outSize:(s+1)*p.outSize]
		switch {
		case p.max && p.hwc:
			kernels.MaxPoolF32HWC(xs, ys, p.g)
		case p.max:
			kernels.MaxPoolF32(xs, ys, p.g)
		case p.hwc:
			kernels.AvgPoolF32HWC(xs, ys, p.g)
		default:
			kernels.AvgPoolF32(xs, ys, p.g)
		}
	}
}

type activationF32 struct {
	op   nn.Op
	size int
}

func (a *activationF32) scratch(int) (int, int) { return 0, 0 }

func (a *activationF32) forward(xs []buffer, y buffer, n int, _ *scratch) {
	x := xs[0]
	Activate(a.op, y.f[:n*a.size], x.f[:n*a.size])
}

// Activate applies the element-wise activation op (relu, relu6 or tanh) to
// x, writing y.
func Activate(op nn.Op, y, x []float32) {
	switch op {
	case nn.OpReLU:
		for i, v := range x {
			y[i] = max(v, 0)
		}
	case nn.OpReLU6:
		for i, v := range x {
			y[i] = min(max(v, 0), 6)
		}
	case nn.OpTanh:
		for i, v := range x {
			y[i] = float32(math.Tanh(float64(v)))
		}
	}
}

// softmaxF32 is softmax, or its logarithm when log is set.
type softmaxF32 struct {
	size int
	log  bool
}

func (s *softmaxF32) scratch(int) (int, int) { return 0, 0 }

func (s *softmaxF32) forward(xs []buffer, y buffer, n int, _ *scratch) {
	x := xs[0]
	for i := range n {
		softmax(y.f[i*s.size:(i+1)*s.size], x.f[i*s.size:(i+1)*s.size], s.log)
	}
}

// copyF32 serves flatten and dropout, which do not change the data at
// inference.
type copyF32 struct{ size int }

func (c copyF32) scratch(int) (int, int) { return 0, 0 }

func (c copyF32) forward(x []buffer, y buffer, n int, _ *scratch) { copy(y.f[:n*c.size], x[0].f) }

// Softmax writes the softmax of logits into dst (which may alias logits).
func Softmax(dst, logits []float32) { softmax(dst, logits, false) }

// softmax writes the softmax of logits into dst (which may alias logits),
// or with log its logarithm, computed as PyTorch's log_softmax does:
// x - max - log Σ e^(x - max), which stays finite where the softmax
// underflows to 0.
func softmax(dst, logits []float32, log bool) {
	mx := logits[0]
	for _, v := range logits {
		mx = max(mx, v)
	}
	var total float32
	for i, v := range logits {
		e := float32(math.Exp(float64(v - mx)))
		if !log {
			dst[i] = e
		}
		total += e
	}
	if log {
		shift := mx + float32(math.Log(float64(total)))
		for i, v := range logits {
			dst[i] = v - shift
		}
		return
	}
	for i := range dst {
		dst[i] /= total
	}
}
