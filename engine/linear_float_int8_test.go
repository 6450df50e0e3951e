package engine_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/engine"
	"github.com/edgecnn/edgecnn/models"
	"github.com/edgecnn/edgecnn/nn"
	"github.com/edgecnn/edgecnn/quant"
)

// TestInt8FloatLogits runs the embedded int8 LeNet-5 with its last linear
// layer writing float32 (nn.Node.FloatOutput) on real digits: each logit is
// its int32 accumulator, computed here from the layer's int8 input, times
// its channel's scale (quant.DequantizeAccumulator), bit for bit, on one
// and two threads, one image at a time (the logits split across the
// threads) or in a batch; it lies within half
// an int8 step of the int8 logits; and inference allocates nothing.
func TestInt8FloatLogits(t *testing.T) {
	q, err := nn.Decode(models.LeNet5Int8())
	require.NoError(t, err)
	f, err := nn.Decode(models.LeNet5Int8())
	require.NoError(t, err)
	last := f.Nodes[len(f.Nodes)-1]
	require.Equal(t, nn.OpLinear, last.Op)
	last.FloatOutput = true
	require.NoError(t, f.Validate())

	test := mnistTest(t)
	const n = 16
	pixels := test.Images[:n*test.ImageSize()]

	ref, err := engine.New(q, engine.Options{Threads: 1})
	require.NoError(t, err)
	defer ref.Close()
	outs, err := ref.Outputs(pixels, n)
	require.NoError(t, err)
	rounded := outs[len(outs)-1]
	src := f.Nodes[len(f.Nodes)-2]
	require.Equal(t, src.Name, last.Inputs[0])
	inQ := *src.Quant
	x := outs[len(outs)-2] // the last layer's input, dequantized
	w, b, ws := f.Weight(last), f.Bias(last).I32, f.Params[last.Name+".weight_scale"].F32
	classes, k := w.Shape[0], w.Shape[1]
	want := make([]float32, n*classes)
	for s := range n {
		for c := range classes {
			acc := int64(b[c])
			for p := range k {
				xq := int64(quant.Quantize(x[s*k+p], inQ)) - int64(inQ.ZeroPoint)
				acc += int64(w.I8[c*k+p]) * xq
			}
			want[s*classes+c] = quant.DequantizeAccumulator(int32(acc), quant.AccumulatorScale(inQ.Scale, ws[c]))
			require.InDelta(t, rounded[s*classes+c], want[s*classes+c], float64(last.Quant.Scale)/2*1.001)
		}
	}

	for _, threads := range []int{1, 2} {
		e, err := engine.New(f, engine.Options{Threads: threads})
		require.NoError(t, err)
		engine.SplitSmallLayers(e) // one image's 10 logits split across the threads
		got, err := e.Infer(pixels, n)
		require.NoError(t, err)
		require.Equal(t, want, got, "%d threads, batch %d", threads, n)
		one, err := e.Infer(test.Image(3), 1)
		require.NoError(t, err)
		require.Equal(t, want[3*classes:4*classes], one, "%d threads, one image", threads)
		if !engine.RaceEnabled {
			require.Zero(t, testing.AllocsPerRun(5, func() { e.Infer(pixels, n) }))
		}
		e.Close()
	}
}

// mnistTest returns MNIST's test digits.
func mnistTest(t *testing.T) *dataset.Set {
	t.Helper()
	dir, err := dataset.FindMNIST("")
	require.NoError(t, err)
	test, err := dataset.LoadMNIST(dir, false)
	require.NoError(t, err)
	return test
}
