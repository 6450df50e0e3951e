package engine

import (
	"slices"

	"github.com/edgecnn/edgecnn/kernels"
	"github.com/edgecnn/edgecnn/nn"
)

// The layout of feature maps. A model describes every tensor as [C, H, W]
// (CHW, PyTorch's order), and the engine stores it so by default; but the
// convolutions run on HWC ([H][W][C], channels innermost), where a
// depthwise convolution keeps channels in vector lanes and a 1×1
// convolution is a GEMM reading its input and writing its output in place
// (BENCHMARKS.md, "The activation layout", has the measurements behind
// the choice). So the planner records per tensor whether it is stored
// HWC, each layer type says what it reads (readsHWC), and where a
// producer's layout differs from what its consumer reads the tensor is
// transposed on the way, as a tensor is (de)quantized where int8 and
// float32 layers meet. Layers that only care about elements (activations,
// add) and the pools take either layout and keep it; flatten, fully
// connected layers and any layer type without an HWC implementation read
// CHW. The model file does not change: weights are
// reordered when they are packed.

// hwcLayouts can be cleared by tests to run every layer on CHW, the
// reference for the HWC results.
var hwcLayouts = true

// readsHWC reports whether node n, running in int8 when int8 is set,
// reads its inputs in HWC, given the first input's shape, whether it
// arrives in HWC, and n's output shape.
func readsHWC(n *nn.Node, int8 bool, first nn.Shape, firstHWC bool, out nn.Shape) bool {
	if !hwcLayouts {
		return false
	}
	switch n.Op {
	case nn.OpConv2D:
		if !int8 {
			return floatHWC(first)
		}
		// A single-channel image is the same bytes in both layouts, and
		// the CHW kernels' direct path reads it in place, where the HWC
		// one would unfold one byte per window tap. An image with few
		// channels that arrives CHW stays so when the direct path takes
		// the convolution (LeNet-5's conv2): the HWC unfolding would copy
		// C*KW bytes per window row, after a transpose.
		if !firstHWC && first[0] < fewChannels && kernels.ConvInt8Direct(Geometry(n, first, out), n.Out, n.Groups) {
			return false
		}
		return first[0] > 1
	case nn.OpMaxPool, nn.OpAvgPool, nn.OpReLU, nn.OpReLU6, nn.OpTanh, nn.OpDropout, nn.OpAdd, nn.OpConcat:
		return firstHWC
	}
	return false
}

// floatHWC reports whether a float32 convolution on input shape in
// reads HWC: whenever the image has more than one channel (a single
// channel is the same bytes in both layouts, and the CHW GEMM fills its
// tiles better for LeNet-5's conv1 than the 16-channel panels of the HWC
// kernel). Either layout gives the same bits: every float32 convolution
// sums its window in the order of kernels' rule (c, kh, kw), on CHW
// (kernels.ConvF32) as on HWC (kernels.ConvF32HWC), the order the
// trainer's unfolding sums in too. On HWC the direct AVX2 kernel is as
// fast as or faster than the CHW GEMM on every shape measured, stems
// included (BENCHMARKS.md, "float32 convolutions on HWC").
func floatHWC(in nn.Shape) bool { return in[0] > 1 }

// writesHWC reports whether node n writes its output in HWC when it reads
// its inputs so (inHWC).
func writesHWC(n *nn.Node, inHWC bool) bool {
	if n.Op == nn.OpFlatten {
		return false
	}
	return inHWC
}

// fewChannels is the channel count below which an int8 convolution on a
// CHW image may stay CHW (readsHWC).
const fewChannels = 16

// inputHWC reports whether a model's input is best stored HWC: when every
// layer that reads it is a convolution that reads HWC, the pixels are laid
// out so once as they are loaded. shapes are the nodes' output shapes.
func inputHWC(m *nn.Model, shapes []nn.Shape) bool {
	in := m.Input.Shape()
	if !hwcLayouts || !spatial(in) {
		return false
	}
	for i, n := range m.Nodes {
		if !slices.Contains(n.Inputs, nn.InputName) {
			continue
		}
		w := m.Weight(n)
		if n.Op != nn.OpConv2D || w == nil || !readsHWC(n, w.DType == nn.I8, in, false, shapes[i]) {
			return false
		}
	}
	return true
}

// spatial reports whether a tensor of shape s has a layout at all: a
// feature map with more than one pixel and more than one channel (on a
// 1×1 map, a single channel, or a vector, CHW and HWC are the same bytes).
func spatial(s nn.Shape) bool { return len(s) == 3 && s[0] > 1 && s[1]*s[2] > 1 }

// sameLayout reports whether tensors a and b of one shape hold their
// elements in the same order.
func sameLayout(a, b tensorInfo) bool { return a.hwc == b.hwc || !spatial(a.shape) }

// toLayout stores n samples of src, a tensor of shape s in layout from,
// into dst in the other layout: CHW to HWC transposes each sample's
// C×(H*W) matrix, HWC to CHW its (H*W)×C one.
func toLayout(dst, src buffer, s nn.Shape, fromHWC bool, n int) {
	c, hw := s[0], s[1]*s[2]
	rows, cols := c, hw
	if fromHWC {
		rows, cols = hw, c
	}
	size := c * hw
	for i := range n {
		if src.q != nil {
			kernels.TransposeInt8(dst.q[i*size:], rows, src.q[i*size:], cols, rows, cols)
			continue
		}
		kernels.TransposeF32(dst.f[i*size:], rows, src.f[i*size:], cols, rows, cols)
	}
}
