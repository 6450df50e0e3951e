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

// residualBlocks returns a small ResNet- and MobileNet-shaped network with
// activations after residual adds (ReLU, as ResNet, and ReLU6) and after
// convolutions, quantized from random weights, and its calibration images.
func residualBlocks(t *testing.T) (float, quantized *nn.Model, calib *dataset.Set) {
	t.Helper()
	in := nn.Input{Channels: 3, Height: 12, Width: 10, Mean: []float32{0.5, 0.5, 0.5}, Std: []float32{0.25, 0.25, 0.25}}
	labels := []string{"a", "b", "c"}
	conv := func(name string, out, k, pad, groups int, src string) *nn.Node {
		n := nn.Conv(name, out, k, 1, pad)
		n.Groups, n.Inputs = groups, []string{src}
		return n
	}
	node := func(n *nn.Node, src ...string) *nn.Node { n.Inputs = src; return n }
	add := func(name string, a, b string) *nn.Node { return node(&nn.Node{Name: name, Op: nn.OpAdd}, a, b) }
	m := nn.Sequential("residual", in, labels,
		conv("stem", 16, 3, 1, 1, nn.InputName), node(nn.Act("stem_r", nn.OpReLU), "stem"),
		conv("c1", 16, 3, 1, 1, "stem_r"), node(nn.Act("c1_r", nn.OpReLU), "c1"),
		conv("c2", 16, 3, 1, 1, "c1_r"),
		add("add1", "c2", "stem_r"), node(nn.Act("add1_r", nn.OpReLU), "add1"),
		conv("dw", 16, 3, 1, 16, "add1_r"),
		add("add2", "dw", "add1_r"), node(nn.Act("add2_r", nn.OpReLU6), "add2"),
		node(&nn.Node{Name: "gap", Op: nn.OpAvgPool, Kernel: [2]int{12, 10}, Stride: [2]int{1, 1}}, "add2_r"),
		node(nn.Flat("flat"), "gap"), node(nn.FC("fc", 3), "flat"))
	require.NoError(t, m.InitParams())
	r := rand.New(rand.NewPCG(7, 8))
	for _, p := range m.Params {
		for i := range p.F32 {
			p.F32[i] = float32(r.NormFloat64() * 0.3)
		}
	}
	const n = 8
	set := &dataset.Set{Name: "random", Channels: 3, Height: 12, Width: 10, Classes: labels,
		Images: make([]uint8, n*in.Shape().Size()), Labels: make([]int, n)}
	for i := range set.Images {
		set.Images[i] = uint8(r.IntN(256))
	}
	q, _, err := convert.Convert(m, set, convert.Options{Method: "minmax"})
	require.NoError(t, err)
	return m, q, set
}

// TestFusedActivationsMatchLayers: a ReLU or ReLU6 folded into the
// residual add (and the convolution) before it gives the same bits as the
// activation run as its own layer, in int8 and float32, logits and every
// layer's output, on one and two threads; and the adds' activations do
// fold.
func TestFusedActivationsMatchLayers(t *testing.T) {
	f, q, set := residualBlocks(t)
	for _, m := range []*nn.Model{q, f} {
		t.Run(m.Nodes[0].Name+map[bool]string{true: "-int8", false: "-float32"}[m.Quantized()], func(t *testing.T) {
			n := len(set.Labels)
			run := func(fuse bool, threads int) (logits []float32, outs [][]float32, fused map[string]bool) {
				engine.FuseActivations(fuse)
				defer engine.FuseActivations(true)
				e, err := engine.New(m, engine.Options{Threads: threads})
				require.NoError(t, err)
				defer e.Close()
				engine.SplitSmallLayers(e)
				logits, err = e.Infer(set.Images, n)
				require.NoError(t, err)
				outs, err = e.Outputs(set.Images[:2*set.ImageSize()], 2)
				require.NoError(t, err)
				prof, err := e.Profile(set.Images[:set.ImageSize()], 1, 1)
				require.NoError(t, err)
				fused = map[string]bool{}
				for _, l := range prof {
					fused[l.Name] = l.Fused
				}
				return logits, outs, fused
			}
			wantL, wantO, unfused := run(false, 1)
			require.False(t, unfused["add1_r"])
			for _, threads := range []int{1, 2} {
				l, o, fused := run(true, threads)
				require.True(t, fused["add1_r"] && fused["add2_r"] && fused["c1_r"], "%v", fused)
				require.Equal(t, wantL, l, "%d threads", threads)
				for i := range wantO {
					if next := i + 1; next < len(m.Nodes) && fused[m.Nodes[next].Name] {
						// The layer holds its activation's output.
						require.Equal(t, wantO[next], o[i], "%d threads: layer %s", threads, m.Nodes[i].Name)
						continue
					}
					require.Equal(t, wantO[i], o[i], "%d threads: layer %s", threads, m.Nodes[i].Name)
				}
			}
		})
	}
}
