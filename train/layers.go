package train

import (
	"math"
	"math/rand/v2"

	"github.com/edgecnn/edgecnn/engine"
	"github.com/edgecnn/edgecnn/kernels"
	"github.com/edgecnn/edgecnn/nn"
)

// Layout of the activations of a shard of n samples. A [C, H, W] tensor is
// stored channel-major, [C, n, H, W]: plane c of sample s starts at
// (c*n+s)*H*W. A convolution is then one GEMM over the whole shard
// (kernels.Im2colBatch) whose output is already in that layout, and pooling
// and element-wise layers see n*C planes. A flat tensor of F features is
// stored sample-major, [n, F], the layout of a linear layer's GEMM; flatten
// converts between the two.

// layer is the training-time form of one node: a forward pass over a shard
// of n samples and the matching backward pass. x and y are the node's input
// and output, dy the loss gradient with respect to y. backward writes dx
// (nil when nobody needs it) and sets the layer's parameter gradients to
// those of the shard. backward may rely on what forward left in the layer,
// so each backward follows the forward of the same shard.
type layer interface {
	forward(x, y []float32, n int, training bool)
	backward(x, y, dy, dx []float32, n int)
}

// param is one trainable tensor as a worker sees it: the shared values and
// the worker's own gradient.
type param struct {
	name string
	w    []float32
	grad []float32
}

// scratch is memory the layers of one replica share for values that do not
// outlive a call. Each layer reserves what it needs when it is built, so
// training allocates nothing per step.
type scratch struct{ buf []float32 }

func (s *scratch) reserve(n int) {
	if cap(s.buf) < n {
		s.buf = make([]float32, n)
	}
}

func (s *scratch) get(n int) []float32 { return s.buf[:n] }

// conv is a 2-D convolution over the shard as im2col + one GEMM per group:
// out[g] (OCg x nP) = W[g] (OCg x Kg) * col[g] (Kg x nP), P pixels per
// sample, then the bias added per output channel. A 1x1 convolution with
// stride 1 and no padding needs no im2col: in the channel-major layout the
// input of group g already is col[g].
//
// The im2col matrix is made a block of images at a time (imgs of them,
// about convBlock floats), used while it is in cache, and made again in
// the backward pass rather than kept: keeping it cost GoogLeNet and
// DenseNet gigabytes at batch 128, and the GEMMs that read it from memory
// ran slower than the ones that read it from cache.
type conv struct {
	g           kernels.ConvGeom
	out, groups int
	w, b        *param
	pointwise   bool
	imgs        int
	// colT is a block's im2col matrix packed as the weights of
	// kernels.SgemmPacked, for the weight gradient; it keeps its panels
	// in the scratch memory after the im2col matrix.
	colT kernels.PackedF32
	sc   *scratch
}

// convBlock is about how many floats of im2col matrix a convolution makes
// at once: a block of images of that size stays in the 512 KiB L2 cache of
// the benchmark machine's cores while the GEMMs read it. But a block has
// at least convCols columns (pixels): every GEMM of a block packs the
// weights again, OCg*Kg values for OCg*Kg*columns multiply-adds, and
// VGG-11's 512-channel layers on 2x2 planes spent a fifth of the step
// packing them for blocks of 12 columns.
const (
	convBlock = 1 << 16
	convCols  = 256
)

func newConv(n *nn.Node, in, out nn.Shape, w, b *param, batch int, sc *scratch) *conv {
	g := engine.Geometry(n, in, out)
	c := &conv{g: g, out: n.Out, groups: n.Groups, w: w, b: b, sc: sc,
		pointwise: g.KH == 1 && g.KW == 1 && g.SH == 1 && g.SW == 1 && g.PadT == 0 && g.PadL == 0 && g.OutH == g.H && g.OutW == g.W}
	_, kg, p := c.dims()
	c.imgs = min(max(convBlock/(kg*p), (convCols+p-1)/p), batch)
	sc.reserve(c.colLen() + kernels.PackedF32Len(kg, c.imgs*p))
	return c
}

// colLen bounds the scratch memory the im2col matrix of a block takes
// (colStride pads its rows by at most 16): none for a pointwise
// convolution, which reads its input in place.
func (c *conv) colLen() int {
	if c.pointwise {
		return 0
	}
	_, kg, p := c.dims()
	return kg * (c.imgs*p + 16)
}

// colStride returns how far apart the rows of a column matrix of np
// columns (im2col's, or its gradient) are kept: np, but a cache line more
// when np is a multiple of 1 KiB, as it is for blocks of 32x32, 16x16 and
// 8x8 planes. Rows a multiple of 4 KiB apart fall in the same cache sets,
// and the GEMMs that read such a matrix a strip of rows at a time ran at
// half speed (kernels.BenchmarkSgemmPowerOfTwoStride).
func colStride(np int) int {
	if np%256 == 0 {
		return np + 16
	}
	return np
}

// dims returns the per-group GEMM sizes: output channels, reduction length
// and output pixels per sample.
func (c *conv) dims() (ocg, kg, p int) {
	return c.out / c.groups, c.g.C / c.groups * c.g.KH * c.g.KW, c.g.OutH * c.g.OutW
}

// group returns the geometry of one input channel and the offset of group
// g's planes in a channel-major shard of n samples.
func (c *conv) group(g, n int) (kernels.ConvGeom, int) {
	gg := c.g
	gg.C = 1
	return gg, g * (c.g.C / c.groups) * n * gg.H * gg.W
}

// cols returns col[g] of images s ... s+k-1 of a shard of n samples whose
// input is x, and how far apart its rows are: a view of x for a pointwise
// convolution, else the scratch matrix, made from x.
func (c *conv) cols(x []float32, g, n, s, k int) ([]float32, int) {
	_, kg, p := c.dims()
	if c.pointwise {
		return x[g*kg*n*p+s*p:], n * p
	}
	ld := colStride(k * p)
	col := c.sc.get(kg * ld)
	gg, off := c.group(g, n)
	hw, taps := gg.H*gg.W, gg.KH*gg.KW
	// Im2colBatch reads the planes of n images, channel after channel; the
	// block is k images of each channel, so it goes a channel at a time.
	for ch := range c.g.C / c.groups {
		kernels.Im2colBatch(x[off+(ch*n+s)*hw:], gg, k, col[ch*taps*ld:], ld)
	}
	return col, ld
}

// col2im adds the gradient dcol of the block of images s ... s+k-1, made
// by cols, into group g's planes of dx.
func (c *conv) col2im(dcol []float32, ld int, dx []float32, g, n, s, k int) {
	gg, off := c.group(g, n)
	hw, taps := gg.H*gg.W, gg.KH*gg.KW
	for ch := range c.g.C / c.groups {
		kernels.Col2imBatch(dcol[ch*taps*ld:], ld, gg, k, dx[off+(ch*n+s)*hw:])
	}
}

func (c *conv) forward(x, y []float32, n int, _ bool) {
	ocg, kg, p := c.dims()
	np := n * p
	for g := range c.groups {
		w := c.w.w[g*ocg*kg:]
		if c.pointwise {
			kernels.Sgemm(false, false, ocg, np, kg, 1, w, kg, x[g*kg*np:], np, 0, y[g*ocg*np:], np)
			continue
		}
		for s := 0; s < n; s += c.imgs {
			k := min(c.imgs, n-s)
			col, ld := c.cols(x, g, n, s, k)
			kernels.Sgemm(false, false, ocg, k*p, kg, 1, w, kg, col, ld, 0, y[g*ocg*np+s*p:], np)
		}
	}
	if c.b != nil {
		kernels.BiasClampF32(y, c.out, np, np, c.b.w, float32(math.Inf(-1)), float32(math.Inf(1)))
	}
}

func (c *conv) backward(x, _, dy, dx []float32, n int) {
	ocg, kg, p := c.dims()
	np := n * p
	if c.b != nil {
		for o := range c.out {
			c.b.grad[o] = sum(dy[o*np : (o+1)*np])
		}
	}
	if dx != nil && !c.pointwise {
		clear(dx[:c.g.C*n*c.g.H*c.g.W])
	}
	for g := range c.groups {
		w, dyg := c.w.w[g*ocg*kg:], dy[g*ocg*np:]
		for s := 0; s < n; s += c.imgs {
			// dW[g] (OCg x Kg) += dY[g] (OCg x kP) * col^T (kP x Kg) for
			// the block of k images, col packed by transposing its
			// panels of rows in cache (AVX2), not by the GEMM's scalar
			// packing of an A operand; the sums are the same FMA chains.
			k := min(c.imgs, n-s)
			col, ld := c.cols(x, g, n, s, k)
			kernels.PackF32Into(&c.colT, c.sc.buf[c.colLen():], col, kg, k*p, ld)
			kernels.SgemmPackedBeta(ocg, dyg[s*p:], np, &c.colT, float32(min(s, 1)), c.w.grad[g*ocg*kg:], kg)
			if dx == nil || c.pointwise {
				continue
			}
			// dcol (Kg x kP) = W[g]^T (Kg x OCg) * dY[g] (OCg x kP),
			// over col, which is done with.
			kernels.Sgemm(true, false, kg, k*p, ocg, 1, w, kg, dyg[s*p:], np, 0, col, ld)
			c.col2im(col, ld, dx, g, n, s, k)
		}
		if dx != nil && c.pointwise {
			// For a pointwise convolution dcol is dX[g] itself.
			kernels.Sgemm(true, false, kg, np, ocg, 1, w, kg, dyg, np, 0, dx[g*kg*np:], np)
		}
	}
}

// sum returns the sum of xs, in four interleaved partial sums (a single
// chain of dependent additions would run at a quarter of the speed).
func sum(xs []float32) float32 {
	var s [4]float32
	i := 0
	for ; i+4 <= len(xs); i += 4 {
		s[0] += xs[i]
		s[1] += xs[i+1]
		s[2] += xs[i+2]
		s[3] += xs[i+3]
	}
	for ; i < len(xs); i++ {
		s[0] += xs[i]
	}
	return (s[0] + s[1]) + (s[2] + s[3])
}

// linear is y = x W^T + b over the shard.
type linear struct {
	in, out int
	w, b    *param
	sc      *scratch
}

func newLinear(in, out, batch int, w, b *param, sc *scratch) *linear {
	sc.reserve(out * batch)
	return &linear{in: in, out: out, w: w, b: b, sc: sc}
}

func (l *linear) forward(x, y []float32, n int, _ bool) {
	// y^T (out x n) = W (out x in) * x^T: the weights are read row by row
	// and only the few samples are transposed, where x W^T would transpose
	// all the weights.
	yt := l.sc.get(l.out * n)
	kernels.Sgemm(false, true, l.out, n, l.in, 1, l.w.w, l.in, x, l.in, 0, yt, n)
	kernels.TransposeF32(y, l.out, yt, n, l.out, n)
	kernels.BiasClampColsF32(y, n, l.out, l.out, l.b.w, float32(math.Inf(-1)), float32(math.Inf(1)))
}

func (l *linear) backward(x, _, dy, dx []float32, n int) {
	// dW = dY^T (out x n) * X (n x in)
	kernels.Sgemm(true, false, l.out, l.in, n, 1, dy, l.out, x, l.in, 0, l.w.grad, l.in)
	db := l.b.grad
	copy(db, dy[:l.out])
	for s := 1; s < n; s++ {
		for o, d := range dy[s*l.out : (s+1)*l.out] {
			db[o] += d
		}
	}
	if dx == nil {
		return
	}
	// dX = dY (n x out) * W (out x in). For a few rows Sgemm reads W in
	// place a column panel at a time, every row of it a page apart once W
	// outgrows the caches; 4 rows at a time it streams W row by row
	// instead, which for AlexNet's fc1 and fc2 at 8 samples is twice as
	// fast even though W is read twice.
	rows := n
	if n < smallShard && l.in*l.out >= largeWeights {
		rows = 4
	}
	for s := 0; s < n; s += rows {
		kernels.Sgemm(false, false, min(rows, n-s), l.in, l.out, 1, dy[s*l.out:], l.out, l.w.w, l.in, 0, dx[s*l.in:], l.in)
	}
}

// Shards below smallShard samples and weight matrices of at least
// largeWeights floats (4 MiB) take linear.backward's row-streaming path.
const (
	smallShard   = 16
	largeWeights = 1 << 20
)

// pool is max or average pooling over the shard's n*C planes. Max pooling
// remembers which input won each window, for its backward pass, and may
// apply a ReLU to its output (see foldReLUs).
type pool struct {
	g         kernels.ConvGeom
	max, relu bool
	arg       []int32
}

func newPool(n *nn.Node, in, out nn.Shape, batch int) *pool {
	p := &pool{g: engine.Geometry(n, in, out), max: n.Op == nn.OpMaxPool}
	if p.max {
		p.arg = make([]int32, batch*out.Size())
	}
	return p
}

// planes returns the geometry of the n*C planes of a shard as one image.
func (p *pool) planes(n int) kernels.ConvGeom {
	g := p.g
	g.C *= n
	return g
}

func (p *pool) forward(x, y []float32, n int, _ bool) {
	g := p.planes(n)
	if !p.max {
		kernels.AvgPoolF32(x, y, g)
		return
	}
	kernels.MaxPoolArgF32(x, y, p.arg, g)
	if p.relu {
		// A window whose maximum the ReLU clamps passes no gradient. By
		// masks, not branches: half the windows of a fresh network clamp.
		y = y[:g.C*g.OutH*g.OutW]
		arg := p.arg[:len(y)]
		for o, v := range y {
			b := math.Float32bits(v)
			y[o] = math.Float32frombits(b &^ uint32(int32(b)>>31))
			arg[o] |= ^int32(-int64(int32(b)) >> 63) // -1 unless v > 0
		}
	}
}

func (p *pool) backward(_, _, dy, dx []float32, n int) {
	if dx == nil {
		return
	}
	g := p.planes(n)
	dx = dx[:g.C*g.H*g.W]
	clear(dx)
	if p.max {
		// A window without a winner (-1) adds +0 to dx[0] instead of
		// branching: no branch to mispredict, and dx[0] keeps its value.
		dy = dy[:g.C*g.OutH*g.OutW]
		for o, i := range p.arg[:len(dy)] {
			none := i >> 31
			dx[i&^none] += math.Float32frombits(math.Float32bits(dy[o]) &^ uint32(none))
		}
		return
	}
	for c := range g.C {
		for oh := range g.OutH {
			y0, y1 := max(oh*g.SH-g.PadT, 0), min(oh*g.SH-g.PadT+g.KH, g.H)
			for ow := range g.OutW {
				x0, x1 := max(ow*g.SW-g.PadL, 0), min(ow*g.SW-g.PadL+g.KW, g.W)
				share := dy[(c*g.OutH+oh)*g.OutW+ow] / float32((y1-y0)*(x1-x0))
				for iy := y0; iy < y1; iy++ {
					row := dx[(c*g.H+iy)*g.W : (c*g.H+iy+1)*g.W]
					for ix := x0; ix < x1; ix++ {
						row[ix] += share
					}
				}
			}
		}
	}
}

// activation is an element-wise nonlinearity: relu, relu6, tanh, sigmoid,
// hardsigmoid, hardswish or silu. The forward pass is the engine's
// (engine.ActivateNode).
type activation struct {
	node *nn.Node
	op   nn.Op
	size int
}

func (a *activation) forward(x, y []float32, n int, _ bool) {
	x = x[:n*a.size]
	y = y[:len(x)]
	switch a.op {
	case nn.OpReLU:
		reluForward(y, x)
	case nn.OpReLU6:
		relu6Forward(y, x)
	default:
		engine.ActivateNode(a.node, y, x)
	}
}

// reluForward sets y = max(x, 0) by clearing every bit of a negative value
// (the sign bit smeared by an arithmetic shift): no branch for the random
// signs, and none of the NaN and signed-zero care of the max builtin. y
// may be x.
func reluForward(y, x []float32) {
	y = y[:len(x)]
	for i, v := range x {
		b := math.Float32bits(v)
		y[i] = math.Float32frombits(b &^ uint32(int32(b)>>31))
	}
}

// relu6Forward is reluForward, then the bits of 6 wherever the (now
// non-negative) value's bits exceed them, but for a NaN, which stays.
func relu6Forward(y, x []float32) {
	y = y[:len(x)]
	for i, v := range x {
		b := math.Float32bits(v)
		b &^= uint32(int32(b) >> 31)
		over := uint32(int32(six-b)>>31) &^ uint32(int32(inf-b)>>31)
		y[i] = math.Float32frombits(b&^over | six&over)
	}
}

// reluBackward passes dy where the output y is positive: where the negated
// bits of y are negative, as a mask. dx may be dy.
func reluBackward(dx, y, dy []float32) {
	dy, dx = dy[:len(y)], dx[:len(y)]
	for i, v := range y {
		mask := uint32(-int32(math.Float32bits(v)) >> 31)
		dx[i] = math.Float32frombits(math.Float32bits(dy[i]) & mask)
	}
}

// relu6Backward passes dy where 0 < y < 6, by the bits as above: those of
// a y in (0, 6) are positive and below six's, a negative y's are above.
func relu6Backward(dx, y, dy []float32) {
	dy, dx = dy[:len(y)], dx[:len(y)]
	for i, v := range y {
		b := math.Float32bits(v)
		mask := uint32(-int32(b)>>31) & uint32(int32(b-six)>>31)
		dx[i] = math.Float32frombits(math.Float32bits(dy[i]) & mask)
	}
}

// The bits of float32 6 and +Inf: non-negative floats order as their bits.
const (
	six = 0x40c00000
	inf = 0x7f800000
)

func (a *activation) backward(x, y, dy, dx []float32, n int) {
	if dx == nil {
		return
	}
	x, y, dy, dx = x[:n*a.size], y[:n*a.size], dy[:n*a.size], dx[:n*a.size]
	switch a.op {
	case nn.OpReLU:
		reluBackward(dx, y, dy)
	case nn.OpReLU6:
		relu6Backward(dx, y, dy)
	case nn.OpTanh:
		for i, v := range y {
			dx[i] = dy[i] * (1 - float32(v*v))
		}
	case nn.OpSigmoid:
		for i, v := range y {
			dx[i] = dy[i] * v * (1 - v)
		}
	case nn.OpHardSigmoid, nn.OpHardSwish:
		// hardsigmoid h = clamp(Alpha x + Beta, 0, 1) has slope Alpha
		// inside (0, 1); hardswish x*h has slope h + x*h'.
		alpha, beta := a.node.Alpha, a.node.Beta
		for i, v := range x {
			t := float32(alpha*v) + beta
			inside := t > 0 && t < 1
			if a.op == nn.OpHardSigmoid {
				dx[i] = pass(inside, dy[i]*alpha)
				continue
			}
			slope := min(max(t, 0), 1)
			if inside {
				slope += float32(v * alpha)
			}
			dx[i] = dy[i] * slope
		}
	case nn.OpSiLU:
		// x*s(x) has slope s + x*s*(1-s) = s*(1 + x*(1-s)).
		for i, v := range x {
			s := float32(1 / (1 + math.Exp(-float64(v))))
			dx[i] = dy[i] * s * (1 + float32(v*(1-s)))
		}
	}
}

// pass returns d if ok and 0 otherwise, as a bit mask rather than a branch
// (a ReLU's output is positive or zero at random) or a multiplication (which
// would keep a NaN or Inf gradient alive).
func pass(ok bool, d float32) float32 {
	var mask uint32
	if ok {
		mask = ^uint32(0)
	}
	return math.Float32frombits(math.Float32bits(d) & mask)
}

// folded is a layer whose work another one does: its forward and backward
// passes do nothing, and nothing reads its buffers.
type folded struct{}

func (folded) forward(_, _ []float32, _ int, _ bool) {}
func (folded) backward(_, _, _, _ []float32, _ int)  {}

// softmax normalises each sample's vector; its backward is the full Jacobian
// product dx = y * (dy - <dy, y>). A [C, H, W] input is gathered sample by
// sample from its channel-major planes.
type softmax struct {
	size, planes int // planes is C for a [C, H, W] input, 0 for a flat one
	sc           *scratch
}

func newSoftmax(in nn.Shape, batch int, sc *scratch) *softmax {
	s := &softmax{size: in.Size(), sc: sc}
	if len(in) == 3 {
		s.planes = in[0]
		sc.reserve(3 * s.size)
	}
	return s
}

func (s *softmax) forward(x, y []float32, n int, _ bool) {
	if s.planes == 0 {
		for i := range n {
			engine.Softmax(y[i*s.size:(i+1)*s.size], x[i*s.size:(i+1)*s.size])
		}
		return
	}
	buf := s.sc.get(2 * s.size)
	xs, ys := buf[:s.size], buf[s.size:]
	for i := range n {
		planeCopy(xs, x, s.planes, n, i, false)
		engine.Softmax(ys, xs)
		planeCopy(ys, y, s.planes, n, i, true)
	}
}

func (s *softmax) backward(_, y, dy, dx []float32, n int) {
	if dx == nil {
		return
	}
	if s.planes == 0 {
		for i := range n {
			softmaxGrad(y[i*s.size:(i+1)*s.size], dy[i*s.size:(i+1)*s.size], dx[i*s.size:(i+1)*s.size])
		}
		return
	}
	buf := s.sc.get(3 * s.size)
	ys, dys, dxs := buf[:s.size], buf[s.size:2*s.size], buf[2*s.size:]
	for i := range n {
		planeCopy(ys, y, s.planes, n, i, false)
		planeCopy(dys, dy, s.planes, n, i, false)
		softmaxGrad(ys, dys, dxs)
		planeCopy(dxs, dx, s.planes, n, i, true)
	}
}

func softmaxGrad(y, dy, dx []float32) {
	var dot float32
	for j, v := range y {
		dot += float32(v * dy[j])
	}
	for j, v := range y {
		dx[j] = v * (dy[j] - dot)
	}
}

// planeCopy copies sample s of a channel-major shard of n samples, planes
// planes each, from t into the sample-major vector v, or from v into t when
// toShard.
func planeCopy(v, t []float32, planes, n, s int, toShard bool) {
	hw := len(v) / planes
	for c := range planes {
		a, b := v[c*hw:(c+1)*hw], t[(c*n+s)*hw:(c*n+s+1)*hw]
		if toShard {
			copy(b, a)
		} else {
			copy(a, b)
		}
	}
}

// flatten turns a channel-major [C, H, W] shard into sample-major rows of
// C*H*W features; a flat input passes through unchanged.
type flatten struct{ size, planes int }

func newFlatten(in nn.Shape) flatten {
	f := flatten{size: in.Size()}
	if len(in) == 3 {
		f.planes = in[0]
	}
	return f
}

func (f flatten) forward(x, y []float32, n int, _ bool) {
	if f.planes == 0 {
		copy(y[:n*f.size], x)
		return
	}
	for s := range n {
		planeCopy(y[s*f.size:(s+1)*f.size], x, f.planes, n, s, false)
	}
}

func (f flatten) backward(_, _, dy, dx []float32, n int) {
	if dx == nil {
		return
	}
	if f.planes == 0 {
		copy(dx[:n*f.size], dy)
		return
	}
	for s := range n {
		planeCopy(dy[s*f.size:(s+1)*f.size], dx, f.planes, n, s, true)
	}
}

// dropout zeroes each element with probability rate in training and scales
// the survivors by 1/(1-rate) (inverted dropout), so inference is identity.
type dropout struct {
	rate float32
	size int
	mask []float32
	rng  *rand.Rand
}

func (d *dropout) forward(x, y []float32, n int, training bool) {
	if !training || d.rate == 0 {
		copy(y[:n*d.size], x)
		return
	}
	keep := 1 / (1 - d.rate)
	mask := d.mask[:n*d.size]
	for i := range mask {
		mask[i] = 0
		if d.rng.Float32() >= d.rate {
			mask[i] = keep
		}
		y[i] = x[i] * mask[i]
	}
}

func (d *dropout) backward(_, _, dy, dx []float32, n int) {
	if dx == nil {
		return
	}
	for i, m := range d.mask[:n*d.size] {
		dx[i] = dy[i] * m
	}
}
