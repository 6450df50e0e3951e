package engine

import (
	"math"

	"github.com/edgecnn/edgecnn/kernels"
	"github.com/edgecnn/edgecnn/nn"
	"github.com/edgecnn/edgecnn/quant"
)

// newMerge binds an add or concat node: in int8 when its (first) input is.
func newMerge(n *nn.Node, ins []nn.Shape, out nn.Shape, inputs []edge, outInfo tensorInfo) (layer, error) {
	sizes := make([]int, len(ins))
	for k, s := range ins {
		sizes[k] = s.Size()
	}
	quantized := inputs[0].in.int8
	switch {
	case n.Op == nn.OpAdd && quantized:
		return newAddInt8(inputs[0].in.quant, inputs[1].in.quant, outInfo.quant, out.Size()), nil
	case n.Op == nn.OpAdd:
		return addF32{size: out.Size()}, nil
	case quantized:
		c := newConcatInt8(inputs, outInfo.quant, sizes)
		if inputs[0].in.hwc && spatial(out) {
			c.pixels = out[1] * out[2]
		}
		return c, nil
	}
	return concatF32{sizes: sizes, size: out.Size()}, nil
}

type addF32 struct{ size int }

func (a addF32) scratch(int) (int, int) { return 0, 0 }

func (a addF32) forward(x []buffer, y buffer, n int, _ *scratch) {
	p, q, out := x[0].f[:n*a.size], x[1].f[:n*a.size], y.f[:n*a.size]
	for i := range out {
		out[i] = p[i] + q[i]
	}
}

// concatF32 joins each sample's inputs along channels: in CHW order that
// is the inputs' blocks one after the other.
type concatF32 struct {
	sizes []int // per input, elements per sample
	size  int
}

func (c concatF32) scratch(int) (int, int) { return 0, 0 }

func (c concatF32) forward(x []buffer, y buffer, n int, _ *scratch) {
	for s := range n {
		at := s * c.size
		for k, size := range c.sizes {
			at += copy(y.f[at:], x[k].f[s*size:(s+1)*size])
		}
	}
}

type addInt8 struct {
	p    kernels.AddParams
	size int
}

// newAddInt8 prepares TFLite's int8 addition: both inputs scaled to twice
// the larger input scale, with AddLeftShift bits of headroom.
func newAddInt8(a, b, out quant.Params, size int) *addInt8 {
	twiceMax := 2 * math.Max(float64(a.Scale), float64(b.Scale))
	l := &addInt8{size: size, p: kernels.AddParams{
		InZeroPoint:  [2]int32{a.ZeroPoint, b.ZeroPoint},
		OutZeroPoint: out.ZeroPoint, Min: -128, Max: 127,
	}}
	for k, in := range []quant.Params{a, b} {
		m, s := quant.QuantizeMultiplier(float64(in.Scale) / twiceMax)
		l.p.InMultiplier[k], l.p.InShift[k] = m, int32(s)
	}
	m, s := quant.QuantizeMultiplier(twiceMax / (float64(int64(1)<<kernels.AddLeftShift) * float64(out.Scale)))
	l.p.OutMultiplier, l.p.OutShift = m, int32(s)
	return l
}

func (a *addInt8) scratch(int) (int, int) { return 0, 0 }

func (a *addInt8) forward(x []buffer, y buffer, n int, _ *scratch) {
	kernels.AddInt8(y.q[:n*a.size], x[0].q[:n*a.size], x[1].q[:n*a.size], &a.p)
}

// concatInt8 copies inputs quantized like the output and requantizes the
// others. On HWC images (pixels > 0) each pixel's channels are the
// inputs' channels of that pixel one after the other.
type concatInt8 struct {
	sizes  []int
	size   int
	moves  []requantization
	pixels int
}

type requantization struct {
	same                     bool
	inZP, mult, shift, outZP int32
}

func newConcatInt8(inputs []edge, out quant.Params, sizes []int) *concatInt8 {
	c := &concatInt8{sizes: sizes}
	for k, in := range inputs {
		c.size += sizes[k]
		r := requantization{same: in.in.quant == out, inZP: in.in.quant.ZeroPoint, outZP: out.ZeroPoint}
		if !r.same {
			m, s := quant.QuantizeMultiplier(float64(in.in.quant.Scale) / float64(out.Scale))
			r.mult, r.shift = m, int32(s)
		}
		c.moves = append(c.moves, r)
	}
	return c
}

func (c *concatInt8) scratch(int) (int, int) { return 0, 0 }

func (c *concatInt8) forward(x []buffer, y buffer, n int, _ *scratch) {
	runs, pixels := 1, 1 // runs of channels per sample, and their stride
	if c.pixels > 0 {
		runs, pixels = c.pixels, c.pixels
	}
	for s := range n {
		at := s * c.size
		for p := range runs {
			for k, size := range c.sizes {
				run := size / pixels
				src, dst := x[k].q[s*size+p*run:][:run], y.q[at:at+run]
				if r := c.moves[k]; r.same {
					copy(dst, src)
				} else {
					kernels.RequantizeInt8(dst, src, r.inZP, r.mult, r.shift, r.outZP)
				}
				at += run
			}
		}
	}
}
