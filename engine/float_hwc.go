package engine

import (
	"math"

	"github.com/edgecnn/edgecnn/kernels"
	"github.com/edgecnn/edgecnn/nn"
	"github.com/edgecnn/edgecnn/quant"
)

// convF32HWC is a float32 convolution on HWC images: a depthwise one
// (kernels.DepthwiseConvF32) or any other (kernels.ConvF32HWC: one
// SgemmPacked per group of the image or its unfolding, by weights packed
// at load), with the bias and a fused ReLU or ReLU6 as the clamp. When a
// batch leaves threads idle, the output rows are split across them.
type convF32HWC struct {
	g               kernels.ConvGeom
	dw              *kernels.PackedDepthwiseF32 // depthwise, or
	w               []*kernels.PackedF32        // per group
	b               []float32
	lo, hi          float32
	inSize, outSize int
	// The image being split across threads, set only while one worker
	// runs alone.
	src, dst, col []float32
}

func newConvF32HWC(m *nn.Model, n *nn.Node, g kernels.ConvGeom) *convF32HWC {
	w := m.Weight(n).F32
	c := &convF32HWC{g: g, b: m.Bias(n).F32, lo: float32(math.Inf(-1)), hi: float32(math.Inf(1)),
		inSize: g.C * g.H * g.W, outSize: n.Out * g.OutH * g.OutW}
	if n.Groups == g.C && n.Out == g.C {
		c.dw = kernels.PackDepthwiseF32(w, g.C, g.KH, g.KW)
	} else {
		c.w = kernels.PackConvF32HWC(w, n.Out, g.C/n.Groups, g.KH, g.KW, n.Groups)
	}
	return c
}

func (c *convF32HWC) scratch(int) (int, int) {
	g := c.g
	if c.dw != nil || g.KH == 1 && g.KW == 1 && g.SH == 1 && g.SW == 1 && g.PadT == 0 && g.PadL == 0 && g.OutH == g.H && g.OutW == g.W {
		return 0, 0
	}
	return g.C * g.KH * g.KW * g.OutH * g.OutW, 0
}

func (c *convF32HWC) weightBytes() int64 {
	if c.dw != nil {
		return int64(c.dw.Bytes())
	}
	var n int64
	for _, w := range c.w {
		n += int64(w.Bytes())
	}
	return n
}

// fuse makes a ReLU or ReLU6 the clamp of the epilogue.
func (c *convF32HWC) fuse(act nn.Op, _ quant.Params) {
	c.lo = 0
	if act == nn.OpReLU6 {
		c.hi = 6
	}
}

func (c *convF32HWC) forward(xs []buffer, y buffer, n int, sc *scratch) {
	for s := range n {
		src, dst := xs[0].f[s*c.inSize:(s+1)*c.inSize], y.f[s*c.outSize:(s+1)*c.outSize]
		if sc.parts == 1 {
			c.rows(src, dst, sc.f, 0, c.g.OutH)
			continue
		}
		c.src, c.dst, c.col = src, dst, sc.f
		macs := c.outSize / c.g.OutH * c.g.KH * c.g.KW
		if c.dw == nil {
			macs *= c.g.C / len(c.w)
		}
		sc.pool.splitWork(c, c.g.OutH, sc.parts, macs)
		c.src, c.dst, c.col = nil, nil, nil
	}
}

// run computes output rows [lo, hi) of the current image.
func (c *convF32HWC) run(_, lo, hi int) { c.rows(c.src, c.dst, c.col, lo, hi) }

// rows computes output rows [lo, hi) of src into dst.
func (c *convF32HWC) rows(src, dst, col []float32, lo, hi int) {
	if c.dw != nil {
		kernels.DepthwiseConvF32Rows(src, dst, c.dw, c.b, c.g, c.lo, c.hi, lo, hi)
		return
	}
	kernels.ConvF32HWC(src, dst, c.w, c.b, c.g, col, c.lo, c.hi, lo, hi)
}
