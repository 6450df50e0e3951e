package engine_test

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/engine"
	"github.com/edgecnn/edgecnn/nn"
	"github.com/edgecnn/edgecnn/tools/convert"
)

// mobileBlocks returns a small int8 network with every layer the engine
// runs on HWC feature maps, quantized from random weights: a strided 3×3
// convolution, depthwise 3×3 convolutions with stride 1 and 2 and fused
// ReLU6, 1×1 convolutions, a grouped convolution, a residual add, a max
// pool with padding, a channel concat, a global average pool, a 1×1
// convolution on the 1×1 map, flatten and a fully connected layer. Its
// input is normalised per channel (ImageNet's mean and std). It returns
// the float model, the int8 one and the calibration images.
func mobileBlocks(t *testing.T) (float, quantized *nn.Model, calib *dataset.Set) {
	t.Helper()
	in := nn.Input{Channels: 3, Height: 20, Width: 18, Mean: []float32{0.485, 0.456, 0.406}, Std: []float32{0.229, 0.224, 0.225}}
	labels := []string{"a", "b", "c", "d", "e"}
	conv := func(name string, out, k, stride, pad, groups int, src string) *nn.Node {
		n := nn.Conv(name, out, k, stride, pad)
		n.Groups, n.Inputs = groups, []string{src}
		return n
	}
	node := func(n *nn.Node, src ...string) *nn.Node { n.Inputs = src; return n }
	m := nn.Sequential("mobile", in, labels,
		conv("stem", 16, 3, 2, 1, 1, nn.InputName), node(nn.Act("stem6", nn.OpReLU6), "stem"),
		conv("dw1", 16, 3, 1, 1, 16, "stem6"), node(nn.Act("dw1r", nn.OpReLU6), "dw1"),
		conv("pw1", 24, 1, 1, 0, 1, "dw1r"),
		conv("grp", 24, 3, 1, 1, 3, "pw1"),
		node(&nn.Node{Name: "res", Op: nn.OpAdd}, "pw1", "grp"),
		conv("dw2", 24, 3, 2, 1, 24, "res"), node(nn.Act("dw2r", nn.OpReLU6), "dw2"),
		node(&nn.Node{Name: "mp", Op: nn.OpMaxPool, Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Pad: [4]int{1, 1, 1, 1}}, "res"),
		node(&nn.Node{Name: "cat", Op: nn.OpConcat}, "dw2r", "mp"),
		node(&nn.Node{Name: "gap", Op: nn.OpAvgPool, Kernel: [2]int{5, 5}, Stride: [2]int{1, 1}}, "cat"),
		conv("se", 32, 1, 1, 0, 1, "gap"),
		node(nn.Flat("flat"), "se"), node(nn.FC("fc", 5), "flat"))
	return randomWeightsAndInt8(t, m, 5, 6, 16)
}

// TestHWCMatchesCHW: the layers on HWC feature maps give the same bits as
// on CHW, in int8 and in float32, whole networks and every layer's output,
// from pixels and from floats, on one and two threads.
func TestHWCMatchesCHW(t *testing.T) {
	f, q, set := mobileBlocks(t)
	t.Run("int8", func(t *testing.T) { hwcMatchesCHW(t, q, set) })
	t.Run("float32", func(t *testing.T) { hwcMatchesCHW(t, f, set) })
}

func hwcMatchesCHW(t *testing.T, q *nn.Model, set *dataset.Set) {
	n := len(set.Labels)
	floats := make([]float32, len(set.Images))
	for i, p := range set.Images {
		floats[i] = float32(p)/255 - 0.5
	}
	run := func(hwc bool, threads int) (logits, fromFloats []float32, outs [][]float32) {
		engine.UseHWC(hwc)
		defer engine.UseHWC(true)
		e, err := engine.New(q, engine.Options{Threads: threads})
		require.NoError(t, err)
		defer e.Close()
		engine.SplitSmallLayers(e)
		l, err := e.Infer(set.Images, n)
		require.NoError(t, err)
		logits = append(logits, l...)
		one, err := e.Infer(set.Image(3), 1)
		require.NoError(t, err)
		require.Equal(t, logits[15:20], one)
		l, err = e.InferFloat(floats, n)
		require.NoError(t, err)
		fromFloats = append(fromFloats, l...)
		outs, err = e.Outputs(set.Images[:3*set.ImageSize()], 3)
		require.NoError(t, err)
		return logits, fromFloats, outs
	}
	wantL, wantF, wantO := run(false, 1)
	require.Greater(t, len(distinct(wantL)), n, "the logits must depend on the image")
	for _, threads := range []int{1, 2} {
		l, f, o := run(true, threads)
		require.Equal(t, wantL, l, "%d threads", threads)
		require.Equal(t, wantF, f, "%d threads, from floats", threads)
		for i := range wantO {
			require.Equal(t, wantO[i], o[i], "%d threads: layer %s", threads, q.Nodes[i].Name)
		}
	}
}

// randomWeightsAndInt8 gives m seeded random weights and returns it, its
// int8 conversion calibrated on n random images, and those images.
func randomWeightsAndInt8(t *testing.T, m *nn.Model, seed1, seed2 uint64, n int) (float, quantized *nn.Model, calib *dataset.Set) {
	t.Helper()
	require.NoError(t, m.InitParams())
	r := rand.New(rand.NewPCG(seed1, seed2))
	for _, p := range m.Params {
		for i := range p.F32 {
			p.F32[i] = float32(r.NormFloat64() * 0.3)
		}
	}
	in := m.Input
	set := &dataset.Set{Name: "random", Channels: in.Channels, Height: in.Height, Width: in.Width, Classes: m.Labels,
		Images: make([]uint8, n*in.Shape().Size()), Labels: make([]int, n)}
	for i := range set.Images {
		set.Images[i] = uint8(r.IntN(256))
	}
	q, err := convert.Quantize(m, set, convert.Options{Method: "minmax"})
	require.NoError(t, err)
	return m, q, set
}
