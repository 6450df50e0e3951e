package engine

import (
	"fmt"
	"math"

	"github.com/edgecnn/edgecnn/kernels"
	"github.com/edgecnn/edgecnn/nn"
	"github.com/edgecnn/edgecnn/quant"
)

// The layers of networks imported from PyTorch (nn/ops.go defines them), in
// float32 and int8. In int8, the element-wise activations are lookup
// tables (exact for any activation and quantizations), mul is
// quant.MulParams's exact fixed-point product, channels copies whole
// planes (the quantization does not change), and lrn runs in float
// between a dequantize and a quantize.

// importedOps lists the layer types of this file.
var importedOps = map[nn.Op]bool{nn.OpSigmoid: true, nn.OpHardSigmoid: true, nn.OpHardSwish: true, nn.OpSiLU: true,
	nn.OpLeakyReLU: true, nn.OpELU: true, nn.OpErf: true,
	nn.OpMul: true, nn.OpLRN: true, nn.OpChannels: true}

// newImportedLayer binds node n of a type in importedOps, in int8 when its
// (first) input is.
func newImportedLayer(n *nn.Node, ins []nn.Shape, out nn.Shape, inputs []edge, outInfo tensorInfo) (layer, error) {
	in, quantized := ins[0], inputs[0].in.int8
	inQ := inputs[0].in.quant
	switch n.Op {
	case nn.OpSigmoid, nn.OpHardSigmoid, nn.OpHardSwish, nn.OpSiLU, nn.OpLeakyReLU, nn.OpELU, nn.OpErf:
		u := unary{op: n.Op, alpha: n.Alpha, beta: n.Beta}
		if quantized {
			return newLookup(u.apply, inQ, outInfo.quant, out.Size()), nil
		}
		return &unaryF32{unary: u, size: out.Size()}, nil
	case nn.OpMul:
		m := mulShape{size: in.Size(), plane: in.Size()}
		if nn.PerChannel(in, ins[1]) {
			m.plane = in[1] * in[2]
		}
		if !quantized {
			return &mulF32{mulShape: m}, nil
		}
		p, err := quant.NewMul(inQ, inputs[1].in.quant, outInfo.quant)
		if err != nil {
			return nil, err
		}
		return &mulInt8{mulShape: m, p: p}, nil
	case nn.OpLRN:
		l := &lrnF32{channels: in[0], plane: in[1] * in[2], size: n.Size, alpha: n.Alpha, beta: n.Beta, bias: n.Bias}
		if quantized {
			return &lrnInt8{lrn: l, in: inQ, out: outInfo.quant}, nil
		}
		return l, nil
	case nn.OpChannels:
		c := channels{list: n.Channels, plane: 1, inSize: in.Size(), outSize: out.Size()}
		if len(in) == 3 {
			c.plane = in[1] * in[2]
		}
		if quantized {
			if inQ != outInfo.quant {
				return nil, fmt.Errorf("int8 %s must keep its input's quantization %+v, has %+v", n.Op, inQ, outInfo.quant)
			}
			return channelsInt8{c}, nil
		}
		return channelsF32{c}, nil
	}
	return nil, fmt.Errorf("unsupported layer type %s", n.Op)
}

// unary is an element-wise activation of nn/ops.go.
type unary struct {
	op          nn.Op
	alpha, beta float32
}

// apply sets y[i] to the activation of x[i] (y may alias x). Each result
// is rounded as PyTorch's graph rounds it: silu and hardswish multiply x
// by the float32 sigmoid or hardsigmoid.
func (u unary) apply(y, x []float32) {
	switch u.op {
	case nn.OpSigmoid:
		for i, v := range x {
			y[i] = sigmoid(v)
		}
	case nn.OpSiLU:
		for i, v := range x {
			y[i] = v * sigmoid(v)
		}
	case nn.OpHardSigmoid:
		for i, v := range x {
			y[i] = min(max(float32(u.alpha*v)+u.beta, 0), 1)
		}
	case nn.OpHardSwish:
		for i, v := range x {
			y[i] = v * min(max(float32(u.alpha*v)+u.beta, 0), 1)
		}
	case nn.OpLeakyReLU:
		for i, v := range x {
			if v < 0 {
				v *= u.alpha
			}
			y[i] = v
		}
	case nn.OpELU:
		for i, v := range x {
			if v <= 0 {
				v = u.alpha * float32(math.Expm1(float64(v)))
			}
			y[i] = v
		}
	case nn.OpErf:
		for i, v := range x {
			y[i] = float32(math.Erf(float64(v)))
		}
	}
}

func sigmoid(x float32) float32 { return float32(1 / (1 + math.Exp(-float64(x)))) }

type unaryF32 struct {
	unary
	size int
}

func (u *unaryF32) scratch(int) (int, int) { return 0, 0 }

func (u *unaryF32) forward(xs []buffer, y buffer, n int, _ *scratch) {
	u.apply(y.f[:n*u.size], xs[0].f[:n*u.size])
}

// mulShape is the geometry of a mul: size values per sample, in planes of
// plane values that share the second input's value (plane == size when
// the two inputs have one shape).
type mulShape struct{ size, plane int }

// perChannel reports whether the second input has one value per plane.
func (m mulShape) perChannel() bool { return m.plane != m.size }

type mulF32 struct{ mulShape }

func (m *mulF32) scratch(int) (int, int) { return 0, 0 }

func (m *mulF32) forward(xs []buffer, y buffer, n int, _ *scratch) {
	a, b, out := xs[0].f[:n*m.size], xs[1].f, y.f[:n*m.size]
	if !m.perChannel() {
		for i := range out {
			out[i] = a[i] * b[i]
		}
		return
	}
	for p := range n * m.size / m.plane {
		g := b[p]
		for i, v := range a[p*m.plane : (p+1)*m.plane] {
			out[p*m.plane+i] = v * g
		}
	}
}

type mulInt8 struct {
	mulShape
	p quant.MulParams
}

func (m *mulInt8) scratch(int) (int, int) { return 0, 0 }

func (m *mulInt8) forward(xs []buffer, y buffer, n int, _ *scratch) {
	a, b, out := xs[0].q[:n*m.size], xs[1].q, y.q[:n*m.size]
	if m.perChannel() {
		kernels.MulChannelsInt8(out, a, b[:n*m.size/m.plane], m.plane, &m.p)
	} else {
		kernels.MulInt8(out, a, b[:n*m.size], &m.p)
	}
}

// lrnF32 is ONNX's LRN: each value divided by (bias + alpha/size * the
// sum of squares over a window of size channels)^beta.
type lrnF32 struct {
	channels, plane   int
	size              int
	alpha, beta, bias float32
}

func (l *lrnF32) scratch(int) (int, int) { return 0, 0 }

func (l *lrnF32) forward(xs []buffer, y buffer, n int, _ *scratch) {
	per := l.channels * l.plane
	for s := range n {
		l.sample(y.f[s*per:(s+1)*per], xs[0].f[s*per:(s+1)*per])
	}
}

// sample normalises one sample x into y (which must not alias x).
func (l *lrnF32) sample(y, x []float32) {
	lo, hi := (l.size-1)/2, l.size/2
	scale := float64(l.alpha) / float64(l.size)
	for c := range l.channels {
		c0, c1 := max(c-lo, 0), min(c+hi, l.channels-1)
		for i := range l.plane {
			var sum float64
			for k := c0; k <= c1; k++ {
				v := float64(x[k*l.plane+i])
				sum += float64(v * v)
			}
			y[c*l.plane+i] = float32(float64(x[c*l.plane+i]) / math.Pow(float64(l.bias)+float64(scale*sum), float64(l.beta)))
		}
	}
}

// lrnInt8 runs lrn in float32 on the dequantized input.
type lrnInt8 struct {
	lrn     *lrnF32
	in, out quant.Params
}

func (l *lrnInt8) scratch(int) (int, int) { return 2 * l.lrn.channels * l.lrn.plane, 0 }

func (l *lrnInt8) forward(xs []buffer, y buffer, n int, sc *scratch) {
	per := l.lrn.channels * l.lrn.plane
	x, r := sc.f[:per], sc.f[per:2*per]
	for s := range n {
		quant.DequantizeSlice(x, xs[0].q[s*per:(s+1)*per], l.in)
		l.lrn.sample(r, x)
		quant.QuantizeSlice(y.q[s*per:(s+1)*per], r, l.out)
	}
}

// channels copies whole planes (or single features): output plane k of a
// sample is input plane list[k].
type channels struct {
	list            []int
	plane           int
	inSize, outSize int
}

func (c channels) scratch(int) (int, int) { return 0, 0 }

func copyChannels[T float32 | int8](c channels, y, x []T, n int) {
	for s := range n {
		src, dst := x[s*c.inSize:(s+1)*c.inSize], y[s*c.outSize:(s+1)*c.outSize]
		for k, from := range c.list {
			copy(dst[k*c.plane:(k+1)*c.plane], src[from*c.plane:(from+1)*c.plane])
		}
	}
}

type channelsF32 struct{ channels }

func (c channelsF32) forward(xs []buffer, y buffer, n int, _ *scratch) {
	copyChannels(c.channels, y.f, xs[0].f, n)
}

type channelsInt8 struct{ channels }

func (c channelsInt8) forward(xs []buffer, y buffer, n int, _ *scratch) {
	copyChannels(c.channels, y.q, xs[0].q, n)
}
