package train

import (
	"math/rand/v2"

	"github.com/edgecnn/edgecnn/engine"
	"github.com/edgecnn/edgecnn/kernels"
	"github.com/edgecnn/edgecnn/nn"
)

// layer is the training-time form of one node: a forward pass over a batch of
// n samples and the matching backward pass. x and y are the node's input and
// output (n samples each, row-major per sample), dy the loss gradient with
// respect to y. backward writes dx (nil when nobody needs it) and adds the
// parameter gradients of this batch to the layer's gradient buffers.
type layer interface {
	forward(x, y []float32, n int, training bool)
	backward(x, y, dy, dx []float32, n int)
}

// param is one trainable tensor as a worker sees it: the shared values and
// the worker's own gradient accumulator.
type param struct {
	name string
	w    []float32
	grad []float32
}

// conv is a 2-D convolution computed per sample as im2col + GEMM, one GEMM
// per group: out[g] (OCg x P) = W[g] (OCg x Kg) * col[g] (Kg x P).
type conv struct {
	g               kernels.ConvGeom
	out, groups     int
	w, b            *param
	col, dcol       []float32
	inSize, outSize int
}

func newConv(n *nn.Node, in, out nn.Shape, w, b *param) *conv {
	g := engine.Geometry(n, in, out)
	colSize := g.C * g.KH * g.KW * g.OutH * g.OutW
	return &conv{g: g, out: n.Out, groups: n.Groups, w: w, b: b,
		col: make([]float32, colSize), dcol: make([]float32, colSize),
		inSize: in.Size(), outSize: out.Size()}
}

// dims returns the per-group GEMM sizes: output channels, reduction length
// and output pixels.
func (c *conv) dims() (ocg, kg, p int) {
	return c.out / c.groups, c.g.C / c.groups * c.g.KH * c.g.KW, c.g.OutH * c.g.OutW
}

func (c *conv) forward(x, y []float32, n int, _ bool) {
	for s := range n {
		kernels.ConvF32(x[s*c.inSize:(s+1)*c.inSize], y[s*c.outSize:(s+1)*c.outSize], c.w.w, c.b.w, c.g, c.groups, c.col)
	}
}

func (c *conv) backward(x, _, dy, dx []float32, n int) {
	ocg, kg, p := c.dims()
	for s := range n {
		kernels.Im2col(x[s*c.inSize:(s+1)*c.inSize], c.g, c.col)
		dys := dy[s*c.outSize : (s+1)*c.outSize]
		for g := range c.groups {
			// dW[g] += dY[g] (OCg x P) * col[g]^T (P x Kg)
			kernels.Sgemm(false, true, ocg, kg, p, 1, dys[g*ocg*p:], p, c.col[g*kg*p:], p, 1, c.w.grad[g*ocg*kg:], kg)
		}
		for o := range c.out {
			c.b.grad[o] += sum(dys[o*p : (o+1)*p])
		}
		if dx == nil {
			continue
		}
		for g := range c.groups {
			// dcol[g] = W[g]^T (Kg x OCg) * dY[g] (OCg x P)
			kernels.Sgemm(true, false, kg, p, ocg, 1, c.w.w[g*ocg*kg:], kg, dys[g*ocg*p:], p, 0, c.dcol[g*kg*p:], p)
		}
		dxs := dx[s*c.inSize : (s+1)*c.inSize]
		clear(dxs)
		kernels.Col2im(c.dcol, c.g, dxs)
	}
}

// linear is y = x W^T + b over the whole batch as one GEMM.
type linear struct {
	in, out int
	w, b    *param
}

func (l *linear) forward(x, y []float32, n int, _ bool) {
	kernels.Sgemm(false, true, n, l.out, l.in, 1, x, l.in, l.w.w, l.in, 0, y, l.out)
	for s := range n {
		row := y[s*l.out : (s+1)*l.out]
		for o, b := range l.b.w {
			row[o] += b
		}
	}
}

func (l *linear) backward(x, _, dy, dx []float32, n int) {
	// dW += dY^T (out x n) * X (n x in)
	kernels.Sgemm(true, false, l.out, l.in, n, 1, dy, l.out, x, l.in, 1, l.w.grad, l.in)
	for s := range n {
		for o, d := range dy[s*l.out : (s+1)*l.out] {
			l.b.grad[o] += d
		}
	}
	if dx != nil {
		// dX = dY (n x out) * W (out x in)
		kernels.Sgemm(false, false, n, l.in, l.out, 1, dy, l.out, l.w.w, l.in, 0, dx, l.in)
	}
}

// pool is max or average pooling per sample. The max backward recomputes
// which input won each window instead of storing indices: the first input
// equal to the output, the same cell the forward pass chose.
type pool struct {
	g               kernels.ConvGeom
	max             bool
	inSize, outSize int
}

func newPool(n *nn.Node, in, out nn.Shape) *pool {
	g := engine.Geometry(n, in, out)
	return &pool{g: g, max: n.Op == nn.OpMaxPool, inSize: in.Size(), outSize: out.Size()}
}

func (p *pool) forward(x, y []float32, n int, _ bool) {
	for s := range n {
		xs, ys := x[s*p.inSize:(s+1)*p.inSize], y[s*p.outSize:(s+1)*p.outSize]
		if p.max {
			kernels.MaxPoolF32(xs, ys, p.g)
		} else {
			kernels.AvgPoolF32(xs, ys, p.g)
		}
	}
}

func (p *pool) backward(x, y, dy, dx []float32, n int) {
	if dx == nil {
		return
	}
	g := p.g
	clear(dx[:n*p.inSize])
	for s := range n {
		xs, dxs := x[s*p.inSize:(s+1)*p.inSize], dx[s*p.inSize:(s+1)*p.inSize]
		for c := range g.C {
			for oy := range g.OutH {
				for ox := range g.OutW {
					o := s*p.outSize + (c*g.OutH+oy)*g.OutW + ox
					y0, x0 := oy*g.SH-g.PadT, ox*g.SW-g.PadL
					y1, x1 := min(y0+g.KH, g.H), min(x0+g.KW, g.W)
					y0, x0 = max(y0, 0), max(x0, 0)
					if p.max {
						p.routeMax(xs, dxs, c, y0, y1, x0, x1, y[o], dy[o])
						continue
					}
					share := dy[o] / float32((y1-y0)*(x1-x0))
					for iy := y0; iy < y1; iy++ {
						for ix := x0; ix < x1; ix++ {
							dxs[(c*g.H+iy)*g.W+ix] += share
						}
					}
				}
			}
		}
	}
}

// routeMax sends the gradient of one max-pool output to the input that won.
func (p *pool) routeMax(xs, dxs []float32, c, y0, y1, x0, x1 int, yv, d float32) {
	g := p.g
	for iy := y0; iy < y1; iy++ {
		for ix := x0; ix < x1; ix++ {
			if i := (c*g.H+iy)*g.W + ix; xs[i] == yv {
				dxs[i] += d
				return
			}
		}
	}
}

// activation is an element-wise nonlinearity whose derivative is a function
// of its output.
type activation struct {
	op   nn.Op
	size int
}

func (a *activation) forward(x, y []float32, n int, _ bool) {
	engine.Activate(a.op, y[:n*a.size], x[:n*a.size])
}

func (a *activation) backward(_, y, dy, dx []float32, n int) {
	if dx == nil {
		return
	}
	y, dy, dx = y[:n*a.size], dy[:n*a.size], dx[:n*a.size]
	switch a.op {
	case nn.OpReLU:
		for i, v := range y {
			dx[i] = dy[i] * step(v > 0)
		}
	case nn.OpReLU6:
		for i, v := range y {
			dx[i] = dy[i] * step(v > 0 && v < 6)
		}
	case nn.OpTanh:
		for i, v := range y {
			dx[i] = dy[i] * (1 - v*v)
		}
	}
}

// softmax normalises each sample's vector; its backward is the full Jacobian
// product dx = y * (dy - <dy, y>).
type softmax struct{ size int }

func (s *softmax) forward(x, y []float32, n int, _ bool) {
	for i := range n {
		engine.Softmax(y[i*s.size:(i+1)*s.size], x[i*s.size:(i+1)*s.size])
	}
}

func (s *softmax) backward(_, y, dy, dx []float32, n int) {
	if dx == nil {
		return
	}
	for i := range n {
		ys, dys, dxs := y[i*s.size:(i+1)*s.size], dy[i*s.size:(i+1)*s.size], dx[i*s.size:(i+1)*s.size]
		var dot float32
		for j, v := range ys {
			dot += v * dys[j]
		}
		for j, v := range ys {
			dxs[j] = v * (dys[j] - dot)
		}
	}
}

// identity serves flatten (the memory layout does not change) and dropout at
// inference.
type identity struct{ size int }

func (c identity) forward(x, y []float32, n int, _ bool) { copy(y[:n*c.size], x) }
func (c identity) backward(_, _, dy, dx []float32, n int) {
	if dx != nil {
		copy(dx[:n*c.size], dy)
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

func sum(xs []float32) float32 {
	var s float32
	for _, v := range xs {
		s += v
	}
	return s
}

func step(b bool) float32 {
	if b {
		return 1
	}
	return 0
}
