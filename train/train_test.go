package train

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/nn"
)

// mnist returns n training images and the first n test images of MNIST.
func mnist(t testing.TB, n int) (trainSet, testSet *dataset.Set) {
	t.Helper()
	dir, err := dataset.FindMNIST("")
	require.NoError(t, err)
	tr, err := dataset.LoadMNIST(dir, true)
	require.NoError(t, err)
	te, err := dataset.LoadMNIST(dir, false)
	require.NoError(t, err)
	return tr.Sample(n, 1), te.Head(n)
}

func lenet(t *testing.T, seed uint64) *nn.Model {
	t.Helper()
	labels := []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}
	m, err := nn.Build(nn.Arch{Name: "lenet5", Labels: labels,
		Input: nn.Input{Channels: 1, Height: 32, Width: 32, Mean: []float32{0}, Std: []float32{1}}})
	require.NoError(t, err)
	require.NoError(t, Init(m, seed))
	return m
}

func quickConfig() Config {
	cfg := Defaults("lenet5")
	cfg.Epochs, cfg.Threads = 2, 2
	return cfg
}

// weights returns a copy of every parameter, by name.
func weights(m *nn.Model) map[string][]float32 {
	out := map[string][]float32{}
	for name, p := range m.Params {
		out[name] = append([]float32(nil), p.F32...)
	}
	return out
}

func TestSameSeedGivesBitIdenticalWeights(t *testing.T) {
	trainSet, _ := mnist(t, 600)
	run := func() map[string][]float32 {
		tr, err := New(lenet(t, 3), quickConfig())
		require.NoError(t, err)
		require.NoError(t, tr.Run(context.Background(), trainSet, nil))
		return weights(tr.Model)
	}
	first, second := run(), run()
	require.Equal(t, first, second)
	require.NotEqual(t, weights(lenet(t, 3)), first, "training changed nothing")
}

// TestResumeContinuesBitIdentically stops a run mid-epoch (as Ctrl-C does),
// saves a checkpoint, resumes it, and expects the weights of an
// uninterrupted run.
func TestResumeContinuesBitIdentically(t *testing.T) {
	trainSet, testSet := mnist(t, 600)
	whole, err := New(lenet(t, 5), quickConfig())
	require.NoError(t, err)
	require.NoError(t, whole.Run(context.Background(), trainSet, testSet))

	ctx, cancel := context.WithCancel(context.Background())
	part, err := New(lenet(t, 5), quickConfig())
	require.NoError(t, err)
	part.OnBatch = func(p Progress) {
		if p.Epoch == 1 && p.Batch == 4 {
			cancel()
		}
	}
	require.ErrorIs(t, part.Run(ctx, trainSet, testSet), context.Canceled)
	ckpt := filepath.Join(t.TempDir(), "m.ckpt")
	require.NoError(t, part.SaveCheckpoint(ckpt))

	resumed, err := Resume(ckpt, 0)
	require.NoError(t, err)
	require.NoError(t, resumed.Run(context.Background(), trainSet, testSet))
	require.Equal(t, weights(whole.Model), weights(resumed.Model))
	require.Len(t, resumed.History(), 2)
	require.Equal(t, whole.History()[1].TestTop1, resumed.History()[1].TestTop1)
}

// TestLeNetLearnsMNIST trains briefly on a subset: a broken gradient or
// optimizer cannot reach this accuracy.
func TestLeNetLearnsMNIST(t *testing.T) {
	if testing.Short() {
		t.Skip("trains for a few seconds; runs in the full suite")
	}
	trainSet, testSet := mnist(t, 3000)
	cfg := quickConfig()
	tr, err := New(lenet(t, 1), cfg)
	require.NoError(t, err)
	require.NoError(t, tr.Run(context.Background(), trainSet, testSet.Head(1000)))
	h := tr.History()
	require.Len(t, h, 2)
	require.Less(t, h[1].Loss, h[0].Loss)
	require.Greater(t, h[1].TestTop1, 0.90, "test top-1 after 2 epochs on 3000 images")
}

func TestRejectsMismatchedData(t *testing.T) {
	trainSet, _ := mnist(t, 10)
	m := lenet(t, 1)
	m.Labels = m.Labels[:9]
	m.Nodes[len(m.Nodes)-1].Out = 9
	require.NoError(t, m.InitParams())
	tr, err := New(m, quickConfig())
	require.NoError(t, err)
	require.ErrorContains(t, tr.Run(context.Background(), trainSet, nil), "10 classes, the model predicts 9")
}

// smallGraph is a network with every graph-only layer the survey's
// architectures use (batch norm, depthwise convolution, a residual add, a
// concat, global average pooling), small enough to train in a test.
func smallGraph(t *testing.T) *nn.Model {
	t.Helper()
	in := nn.Input{Channels: 1, Height: 32, Width: 32, Mean: []float32{0.13}, Std: []float32{0.3}}
	node := func(n *nn.Node, inputs ...string) *nn.Node { n.Inputs = inputs; return n }
	dw := nn.Conv("dw", 8, 3, 1, 1)
	dw.Groups, dw.NoBias = 8, true
	m := nn.Sequential("small", in, []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"},
		nn.Conv("c1", 8, 3, 2, 1), nn.BatchNorm("b1"), nn.Act("r1", nn.OpReLU),
		dw, nn.BatchNorm("b2"), nn.Act("r2", nn.OpReLU6),
		node(&nn.Node{Name: "add", Op: nn.OpAdd}, "r1", "r2"),
		nn.Conv("c2", 8, 3, 2, 1), nn.BatchNorm("b3"), nn.Act("r3", nn.OpReLU),
		node(nn.Pool("p", nn.OpMaxPool, 2), "add"),
		node(&nn.Node{Name: "cat", Op: nn.OpConcat}, "r3", "p"),
		nn.Pool("avg", nn.OpAvgPool, 2),
		nn.Flat("f"), nn.FC("fc", 10))
	require.NoError(t, Init(m, 2))
	return m
}

func graphConfig() Config {
	cfg := Defaults("resnet20")
	cfg.Epochs, cfg.Threads, cfg.BatchSize, cfg.Optimizer, cfg.LR = 3, 2, 32, "adam", 0.01
	return cfg
}

// TestGraphNetworkResumesBitIdentically: with batch norms (whose running
// statistics the checkpoint keeps), branches and joins, a run stopped and
// resumed ends with the weights of an uninterrupted run of the same seed
// (which a trainer whose runs differ from each other would miss, so no
// third run checks that separately).
func TestGraphNetworkResumesBitIdentically(t *testing.T) {
	trainSet, testSet := mnist(t, 1280)
	whole, err := New(smallGraph(t), graphConfig())
	require.NoError(t, err)
	require.NoError(t, whole.Run(context.Background(), trainSet, testSet))
	require.NotEqual(t, float32(1), whole.Model.Params["b1.running_var"].F32[0], "running statistics updated")

	ctx, cancel := context.WithCancel(context.Background())
	part, err := New(smallGraph(t), graphConfig())
	require.NoError(t, err)
	part.OnBatch = func(p Progress) {
		if p.Epoch == 1 && p.Batch == 7 {
			cancel()
		}
	}
	require.ErrorIs(t, part.Run(ctx, trainSet, testSet), context.Canceled)
	ckpt := filepath.Join(t.TempDir(), "m.ckpt")
	require.NoError(t, part.SaveCheckpoint(ckpt))
	resumed, err := Resume(ckpt, 0)
	require.NoError(t, err)
	require.NoError(t, resumed.Run(context.Background(), trainSet, testSet))
	require.Equal(t, weights(whole.Model), weights(resumed.Model))
	require.Greater(t, whole.History()[2].TestTop1, 0.6, "test top-1 after 3 epochs on 1280 images")
}
