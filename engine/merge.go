package engine

import (
	"fmt"
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
		return newAddInt8(inputs[0].in.quant, inputs[1].in.quant, outInfo.quant, out.Size())
	case n.Op == nn.OpAdd:
		return &addF32{size: out.Size(), lo: float32(math.Inf(-1)), hi: float32(math.Inf(1))}, nil
	case quantized:
		c, err := newConcatInt8(inputs, outInfo.quant, sizes)
		if err != nil {
			return nil, err
		}
		if inputs[0].in.hwc && spatial(out) {
			c.pixels = out[1] * out[2]
		}
		return c, nil
	}
	c := concatF32{sizes: sizes, size: out.Size()}
	if inputs[0].in.hwc && spatial(out) {
		c.pixels = out[1] * out[2]
	}
	return c, nil
}

// addF32 is the float32 residual add, clamped to [lo, hi] (a fused ReLU
// or ReLU6; infinities otherwise).
type addF32 struct {
	size   int
	lo, hi float32
}

func (a *addF32) scratch(int) (int, int) { return 0, 0 }

// fuse makes a ReLU or ReLU6 the clamp of the sum.
func (a *addF32) fuse(act nn.Op, _ quant.Params) {
	a.lo = 0
	if act == nn.OpReLU6 {
		a.hi = 6
	}
}

func (a *addF32) forward(x []buffer, y buffer, n int, _ *scratch) {
	kernels.AddF32(y.f[:n*a.size], x[0].f[:n*a.size], x[1].f[:n*a.size], a.lo, a.hi)
}

// concatF32 joins each sample's inputs along channels: in CHW order that
// is the inputs' blocks one after the other, on HWC images (pixels > 0)
// each pixel's channels of the inputs one after the other.
type concatF32 struct {
	sizes  []int // per input, elements per sample
	size   int
	pixels int
}

func (c concatF32) scratch(int) (int, int) { return 0, 0 }

func (c concatF32) forward(x []buffer, y buffer, n int, _ *scratch) {
	runs := max(c.pixels, 1)
	for s := range n {
		at := s * c.size
		for p := range runs {
			for k, size := range c.sizes {
				run := size / runs
				at += copy(y.f[at:at+run], x[k].f[s*size+p*run:])
			}
		}
	}
}

type addInt8 struct {
	p    kernels.AddParams
	size int
}

// newAddInt8 prepares TFLite's int8 addition (quant.AddFactors). It fails
// when the scales put a multiplier out of range.
func newAddInt8(a, b, out quant.Params, size int) (*addInt8, error) {
	l := &addInt8{size: size, p: kernels.AddParams{
		InZeroPoint:  [2]int32{a.ZeroPoint, b.ZeroPoint},
		OutZeroPoint: out.ZeroPoint, Min: -128, Max: 127,
	}}
	in, sum := quant.AddFactors(a, b, out)
	for k, f := range in {
		m, s, err := multiplier(f)
		if err != nil {
			return nil, fmt.Errorf("input %d: %w", k, err)
		}
		l.p.InMultiplier[k], l.p.InShift[k] = m, s
	}
	m, s, err := multiplier(sum)
	if err != nil {
		return nil, fmt.Errorf("output scale %g: %w", out.Scale, err)
	}
	l.p.OutMultiplier, l.p.OutShift = m, s
	return l, nil
}

// multiplier is quant.QuantizeMultiplier with the shift as the kernels
// take it, or the reason the factor cannot be represented.
func multiplier(real float64) (int32, int32, error) {
	if err := quant.CheckMultiplier(real); err != nil {
		return 0, 0, err
	}
	m, s := quant.QuantizeMultiplier(real)
	return m, int32(s), nil
}

func (a *addInt8) scratch(int) (int, int) { return 0, 0 }

// fuse makes a ReLU or ReLU6 the clamp of the sum (the activation keeps
// the add's quantization: fusable checks it).
func (a *addInt8) fuse(act nn.Op, out quant.Params) { a.p.Min, a.p.Max = activationRange(act, out) }

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

func newConcatInt8(inputs []edge, out quant.Params, sizes []int) (*concatInt8, error) {
	c := &concatInt8{sizes: sizes}
	for k, in := range inputs {
		c.size += sizes[k]
		r := requantization{same: in.in.quant == out, inZP: in.in.quant.ZeroPoint, outZP: out.ZeroPoint}
		if !r.same {
			var err error
			if r.mult, r.shift, err = multiplier(quant.RescaleFactor(in.in.quant, out)); err != nil {
				return nil, fmt.Errorf("input %d: %w", k, err)
			}
		}
		c.moves = append(c.moves, r)
	}
	return c, nil
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
