package train

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/engine"
	"github.com/edgecnn/edgecnn/kernels"
	"github.com/edgecnn/edgecnn/nn"
	"github.com/edgecnn/edgecnn/quant"
	"github.com/edgecnn/edgecnn/tools/convert"
)

// qatNet is a small MNIST network with what quantization-aware training
// must get right: batch norms to fold, a ReLU6 and a ReLU fused into their
// convolutions, a max pool, a depthwise convolution, a residual add with the
// ReLU it fuses and an average pool.
func qatNet(t *testing.T) *nn.Model {
	t.Helper()
	nobias := func(n *nn.Node) *nn.Node { n.NoBias = true; return n }
	dw := nn.Conv("dw", 16, 3, 2, 1)
	dw.Groups = 16
	add := &nn.Node{Name: "add", Op: nn.OpAdd, Inputs: []string{"r2", "b3"}}
	m := nn.Sequential("qatnet", nn.Input{Channels: 1, Height: 32, Width: 32, Mean: []float32{0}, Std: []float32{1}},
		[]string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"},
		nobias(nn.Conv("c1", 16, 3, 1, 1)), nn.BatchNorm("b1"), nn.Act("r1", nn.OpReLU6), nn.Pool("p1", nn.OpMaxPool, 2),
		nobias(dw), nn.BatchNorm("b2"), nn.Act("r2", nn.OpReLU),
		nobias(nn.Conv("pw", 16, 1, 1, 0)), nn.BatchNorm("b3"), add, nn.Act("r3", nn.OpReLU),
		nn.Pool("p2", nn.OpAvgPool, 2), nn.Conv("c2", 16, 3, 1, 1), nn.Act("r4", nn.OpReLU),
		nn.Flat("f"), nn.FC("fc", 10))
	require.NoError(t, m.InitParams())
	require.NoError(t, Init(m, 2))
	return m
}

// TestQATInt8MatchesFakeQuant trains qatNet in float, fine-tunes it
// quantization-aware, converts it with the learned ranges, and requires the
// int8 engine to compute what the fake-quantized model computed: every
// node's output on 100 test images value for value, and the classes of
// all the test images.
func TestQATInt8MatchesFakeQuant(t *testing.T) {
	if testing.Short() {
		t.Skip("four epochs and a conversion: for the full suite (TestQATIsDeterministicAndResumes races QAT on two workers)")
	}
	trainSet, testSet := mnist(t, 1500)
	cfg := Defaults("lenet5") // Adam
	cfg.Epochs, cfg.Threads, cfg.BatchSize, cfg.LR = 3, 2, 32, 5e-3
	float, err := New(qatNet(t), cfg)
	require.NoError(t, err)
	require.NoError(t, float.Run(context.Background(), trainSet, nil))

	qcfg := cfg
	qcfg.QAT, qcfg.Epochs, qcfg.LR = true, 1, cfg.LR/10
	qat, err := New(float.Model, qcfg)
	require.NoError(t, err)
	require.True(t, qat.Model.Folded())
	require.NoError(t, qat.Run(context.Background(), trainSet, nil))
	for _, n := range qat.Model.Nodes {
		owns := n.Op == nn.OpReLU || n.Op == nn.OpReLU6 || n.Name == "pw" || n.Name == "fc"
		require.Equal(t, owns, n.Range != nil, "layer %s", n.Name)
	}
	q, err := convert.Quantize(qat.Model, trainSet.Head(100), convert.Options{Method: "minmax"})
	require.NoError(t, err)
	for _, n := range q.Nodes {
		if r := qat.Model.Node(n.Name).Range; r != nil {
			require.Equal(t, r.Params(), *n.Quant, "layer %s takes its learned range", n.Name)
		}
	}
	e, err := engine.New(q, engine.Options{Threads: 2})
	require.NoError(t, err)
	defer e.Close()

	shapes, err := q.Shapes()
	require.NoError(t, err)
	r := qat.replicas[0]
	n := r.batch
	for lo := 0; lo < 100; lo += n {
		for s := range n {
			r.setInput(q.Input, testSet.Image(lo+s), s, n)
		}
		qat.qat.quantizeInput(r, n)
		r.forward(n, false)
		size := testSet.ImageSize()
		want, err := e.Outputs(testSet.Images[lo*size:(lo+n)*size], n)
		require.NoError(t, err)
		for i, node := range q.Nodes {
			if q.FusedActivation(i) >= 0 {
				continue // the int8 layer's output is its activation's, checked next
			}
			got, size := r.out(r.nodeOut[i], n), shapes[i].Size()
			sample := make([]float32, size)
			for s := range n {
				if len(shapes[i]) == 3 {
					planeCopy(sample, got, shapes[i][0], n, s, false)
				} else {
					copy(sample, got[s*size:(s+1)*size])
				}
				require.Equal(t, want[i][s*size:(s+1)*size], sample, "layer %s, image %d", node.Name, lo+s)
			}
		}
	}

	fake, err := EvaluateFakeQuant(qat.Model, testSet, 2)
	require.NoError(t, err)
	int8, err := EvaluateWith(e, testSet, EvalOptions{KeepPredictions: true})
	require.NoError(t, err)
	t.Logf("top-1 on %d images: fake-quantized %.2f%%, int8 %.2f%%", testSet.Len(), 100*fake.Top1(), 100*int8.Top1())
	require.Greater(t, fake.Top1(), 0.8, "quantization-aware training broke the model")
	require.Equal(t, fake.Predicted, int8.Predicted)
}

// TestQATIsDeterministicAndResumes: the ranges and weights of a
// quantization-aware run are bit-identical for a seed, also across a
// checkpoint.
func TestQATIsDeterministicAndResumes(t *testing.T) {
	trainSet, _ := mnist(t, 400)
	cfg := Defaults("resnet20")
	cfg.Epochs, cfg.Threads, cfg.BatchSize, cfg.QAT, cfg.LR = 2, 2, 64, true, 0.01
	whole, err := New(qatNet(t), cfg)
	require.NoError(t, err)
	require.NoError(t, whole.Run(context.Background(), trainSet, nil))

	ctx, cancel := context.WithCancel(context.Background())
	part, err := New(qatNet(t), cfg)
	require.NoError(t, err)
	part.OnBatch = func(p Progress) {
		if p.Epoch == 1 && p.Batch == 3 {
			cancel()
		}
	}
	require.ErrorIs(t, part.Run(ctx, trainSet, nil), context.Canceled)
	path := filepath.Join(t.TempDir(), "qat.ckpt")
	require.NoError(t, part.SaveCheckpoint(path))
	resumed, err := Resume(path, 0)
	require.NoError(t, err)
	require.True(t, resumed.Cfg.QAT)
	require.NoError(t, resumed.Run(context.Background(), trainSet, nil))
	require.Equal(t, weights(whole.Model), weights(resumed.Model))
	for i, n := range whole.Model.Nodes {
		require.Equal(t, n.Range, resumed.Model.Nodes[i].Range, "layer %s", n.Name)
	}
}

// TestFakeQuantPassesGradientInsideRange checks the straight-through
// estimator: the forward pass rounds to the grid, the backward pass copies
// the gradient where the input was inside the grid's range and zeroes it
// where the clamp cut the input off.
func TestFakeQuantPassesGradientInsideRange(t *testing.T) {
	owner := &nn.Node{Name: "x", Range: &nn.Range{Min: -1, Max: 1}}
	f := &fakeQuant{owner: owner, size: 4, inside: make([]bool, 4)}
	x := []float32{-2, -0.3, 0.7, 1.5}
	y := make([]float32, 4)
	f.forward(x, y, 1, false)
	p := owner.Range.Params()
	for i, v := range x {
		require.Equal(t, quant.Dequantize(quant.Quantize(v, p), p), y[i])
	}
	dx := make([]float32, 4)
	f.backward(x, y, []float32{1, 2, 3, 4}, dx, 1)
	require.Equal(t, []float32{0, 2, 3, 0}, dx)

	// A fused ReLU6 before its layer's input has a range (the first
	// step): the activation is applied, and its clamp stops the gradient.
	owner.Range = &nn.Range{Min: 0, Max: 6}
	f.act = quant.ReLU6
	x = []float32{-2, 0.5, 5.9, 7}
	f.forward(x, y, 1, false)
	p = owner.Range.Params()
	require.Equal(t, []float32{0, quant.Dequantize(quant.Quantize(0.5, p), p), quant.Dequantize(quant.Quantize(5.9, p), p), 6}, y)
	f.backward(x, y, []float32{1, 2, 3, 4}, dx, 1)
	require.Equal(t, []float32{0, 2, 3, 0}, dx)
}

// TestMeanCodesRoundsLikeTheInt8AveragePool compares the fake-quantized
// average pool with kernels.AvgPoolInt8 on random codes, ties included.
func TestMeanCodesRoundsLikeTheInt8AveragePool(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, p := range []quant.Params{{Scale: 0.05, ZeroPoint: -128}, {Scale: 0.013, ZeroPoint: 7}, {Scale: 0.2, ZeroPoint: 127}} {
		const c, side, k = 16, 8, 2
		codes := make([]int8, c*side*side)
		real := make([]float32, len(codes))
		for i := range codes {
			codes[i] = int8(rng.IntN(256) - 128)
			real[i] = quant.Dequantize(codes[i], p)
		}
		g := kernels.ConvGeom{C: c, H: side, W: side, KH: k, KW: k, SH: k, SW: k, OutH: side / k, OutW: side / k}
		want := make([]int8, c*g.OutH*g.OutW)
		kernels.AvgPoolInt8(codes, want, g)
		mean := make([]float32, len(want))
		kernels.AvgPoolF32(real, mean, g)
		got := make([]float32, len(want))
		meanCodes(got, mean, p, k*k)
		for i := range want {
			require.Equal(t, quant.Dequantize(want[i], p), got[i], "params %+v, output %d", p, i)
		}
	}
}
