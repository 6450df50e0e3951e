package convert

import (
	"math"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/engine"
	"github.com/edgecnn/edgecnn/models"
	"github.com/edgecnn/edgecnn/nn"
	"github.com/edgecnn/edgecnn/quant"
	"github.com/edgecnn/edgecnn/train"
)

func mnist(t *testing.T, train bool) *dataset.Set {
	t.Helper()
	dir, err := dataset.FindMNIST("")
	require.NoError(t, err)
	s, err := dataset.LoadMNIST(dir, train)
	require.NoError(t, err)
	return s
}

func lenet5(t *testing.T) *nn.Model {
	t.Helper()
	m, err := nn.Decode(models.LeNet5())
	require.NoError(t, err)
	return m
}

func convertLeNet5(t *testing.T, method string) (*nn.Model, []LayerReport) {
	t.Helper()
	q, report, err := Convert(lenet5(t), mnist(t, true).Sample(1000, 1), Options{Method: method})
	require.NoError(t, err)
	return q, report
}

func top1(t *testing.T, m *nn.Model, s *dataset.Set) float64 {
	t.Helper()
	e, err := engine.New(m, engine.Options{})
	require.NoError(t, err)
	r, err := train.EvaluateWith(e, s, train.EvalOptions{})
	require.NoError(t, err)
	return r.Top1()
}

// TestLeNet5Int8KeepsAccuracy is the converter's guarantee on the committed
// float model: min/max calibration on 1000 training images loses at most
// 0.2 percentage points of top-1 on the 10k test set, every layer keeps an
// SQNR of at least 30 dB, and converting twice gives the same file.
func TestLeNet5Int8KeepsAccuracy(t *testing.T) {
	q, report := convertLeNet5(t, "minmax")
	test := mnist(t, false)
	float, quantized := top1(t, lenet5(t), test), top1(t, q, test)
	t.Logf("top-1 float %.2f%% int8 %.2f%%", 100*float, 100*quantized)
	require.GreaterOrEqual(t, quantized, float-0.002)
	for _, r := range report {
		require.GreaterOrEqualf(t, r.SQNR, 30.0, "layer %s", r.Name)
	}

	// Again with int8 logits, as the embedded model was converted: the
	// same model but for the last layer's float output.
	last := q.Nodes[len(q.Nodes)-1]
	require.True(t, last.FloatOutput, "the classifier writes float32 logits by default")
	again, _, err := Convert(lenet5(t), mnist(t, true).Sample(1000, 1), Options{Method: "minmax", Int8Logits: true})
	require.NoError(t, err)
	int8Logits, err := nn.Encode(again)
	require.NoError(t, err)
	require.Equal(t, models.LeNet5Int8(), int8Logits, "the embedded int8 LeNet-5 is stale: regenerate it with edgecnn convert --int8-logits")
	again.Nodes[len(again.Nodes)-1].FloatOutput = true
	first, err := nn.Encode(q)
	require.NoError(t, err)
	second, err := nn.Encode(again)
	require.NoError(t, err)
	require.Equal(t, first, second, "conversion is not deterministic")
}

func TestEveryMethodKeepsAccuracy(t *testing.T) {
	test := mnist(t, false).Head(2000)
	float := top1(t, lenet5(t), test)
	for _, method := range []string{"percentile", "entropy"} {
		q, _ := convertLeNet5(t, method)
		require.GreaterOrEqualf(t, top1(t, q, test), float-0.005, "method %s", method)
	}
}

// TestInt8LogitsStayWithinBound checks every int8 logit of 1000 test images
// against a bound derived from the output scale s of the last layer and
// that layer's own quantization. For logit o with float inputs a_k, weights
// w_ok and bias b_o, and their int8 counterparts (dequantized) â_k, ŵ_ok, b̂_o:
//
//	|ẑ_o - clamp(z_o)| <= s + Σ_k |ŵ_ok| |â_k - a_k| + Σ_k |ŵ_ok - w_ok| |a_k| + |b̂_o - b_o|
//
// One step s covers the requantization (the result is one of the two int8
// values next to the exact one); the sums are what the layer makes of the
// error of its input and of its own weight and bias rounding; clamp is to
// the range the output scale represents, [s(-128-zp), s(127-zp)]. Typical
// errors are far smaller: about 0.5 s RMS. Argmax must also agree on at
// least 99.5% of the images.
func TestInt8LogitsStayWithinBound(t *testing.T) {
	m := lenet5(t)
	q, err := nn.Decode(models.LeNet5Int8())
	require.NoError(t, err)
	images := mnist(t, false).Head(1000)
	float, err := engine.New(m, engine.Options{Threads: 1})
	require.NoError(t, err)
	quantized, err := engine.New(q, engine.Options{Threads: 1})
	require.NoError(t, err)
	ref, err := float.Outputs(images.Images, images.Len())
	require.NoError(t, err)
	got, err := quantized.Outputs(images.Images, images.Len())
	require.NoError(t, err)

	last := len(m.Nodes) - 1
	fc := q.Nodes[last]
	out := *fc.Quant
	lo, hi := out.Scale*float32(-128-out.ZeroPoint), out.Scale*float32(127-out.ZeroPoint)
	in := *q.Nodes[last-1].Quant
	w, b := m.Weight(m.Nodes[last]).F32, m.Bias(m.Nodes[last]).F32
	qw, qb, scales := q.Weight(fc).I8, q.Bias(fc).I32, q.Params[fc.Name+".weight_scale"].F32
	classes, k := fc.Out, len(w)/fc.Out

	agree := 0
	for s := range images.Len() {
		a, â := ref[last-1][s*k:(s+1)*k], got[last-1][s*k:(s+1)*k]
		z, ẑ := ref[last][s*classes:(s+1)*classes], got[last][s*classes:(s+1)*classes]
		for o := range classes {
			bound := float64(out.Scale)
			for j := range k {
				ŵ := float64(qw[o*k+j]) * float64(scales[o])
				bound += math.Abs(ŵ)*math.Abs(float64(â[j]-a[j])) + math.Abs(ŵ-float64(w[o*k+j]))*math.Abs(float64(a[j]))
			}
			bound += math.Abs(float64(qb[o])*float64(in.Scale)*float64(scales[o]) - float64(b[o]))
			clamped := min(max(z[o], lo), hi)
			require.LessOrEqualf(t, math.Abs(float64(ẑ[o]-clamped)), bound, "image %d logit %d", s, o)
		}
		if argmax(z) == argmax(ẑ) {
			agree++
		}
	}
	require.GreaterOrEqual(t, float64(agree)/float64(images.Len()), 0.995)
}

func argmax(xs []float32) int {
	best := 0
	for i, v := range xs {
		if v > xs[best] {
			best = i
		}
	}
	return best
}

func TestKeepLayersInFloat(t *testing.T) {
	m := lenet5(t)
	q, report, err := Convert(m, mnist(t, true).Sample(300, 2), Options{Method: "minmax", Float: []string{"conv1", "fc3"}})
	require.NoError(t, err)
	require.Equal(t, nn.F32, q.Weight(q.Node("conv1")).DType)
	require.Equal(t, nn.I8, q.Weight(q.Node("conv2")).DType)
	require.Equal(t, nn.F32, q.Weight(q.Node("fc3")).DType)
	require.True(t, report[0].Float)
	test := mnist(t, false).Head(2000)
	require.GreaterOrEqual(t, top1(t, q, test), top1(t, m, test)-0.005)
}

func TestRejectsBadInput(t *testing.T) {
	calib := mnist(t, true).Head(50)
	opt := Options{Method: "minmax"}
	already, err := nn.Decode(models.LeNet5Int8())
	require.NoError(t, err)

	nan := lenet5(t)
	w := append([]float32(nil), nan.Params["conv2.weight"].F32...)
	w[3] = float32(math.NaN())
	nan.Params["conv2.weight"] = &nn.Tensor{DType: nn.F32, Shape: nan.Params["conv2.weight"].Shape, F32: w}

	unsupported := lenet5(t)
	unsupported.Nodes[1].Op = "gelu"

	rgb := &dataset.Set{Name: "rgb", Channels: 3, Height: 32, Width: 32, Images: make([]uint8, 3*1024), Labels: []int{0}, Classes: calib.Classes}

	tests := []struct {
		name  string
		model *nn.Model
		calib *dataset.Set
		opt   Options
		want  string
	}{
		{"empty calibration set", lenet5(t), calib.Head(0), opt, "calibration set is empty"},
		{"shape mismatch", lenet5(t), rgb, opt, "rgb: calibration images are 3x32x32, the model takes 1x32x32"},
		{"unsupported layer", unsupported, calib, opt, `layer "act1": int8 does not support gelu`},
		{"already int8", already, calib, opt, "model is already int8"},
		{"NaN weight", nan, calib, opt, `layer "conv2": parameter conv2.weight: element 3 is NaN`},
		{"unknown method", lenet5(t), calib, Options{Method: "mean"}, "--method"},
		{"float layer without weights", lenet5(t), calib, Options{Method: "minmax", Float: []string{"pool1"}}, `--float: layer "pool1" (maxpool) has no weights`},
		{"unknown float layer", lenet5(t), calib, Options{Method: "minmax", Float: []string{"conv9"}}, `--float: no layer "conv9"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Convert(tt.model, tt.calib, tt.opt)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

// TestIsolatedSQNR: every int8 conv and linear layer of LeNet-5 gets the
// SQNR of its output with only itself in int8; it is measured for no other
// layer, and the last layer, which in the int8 model inherits the error of
// all before it, has less error alone.
func TestIsolatedSQNR(t *testing.T) {
	_, report, err := Convert(lenet5(t), mnist(t, true).Sample(1000, 1), Options{Method: "minmax", Isolated: true})
	require.NoError(t, err)
	last := -1
	for i, r := range report {
		if r.Op == nn.OpConv2D || r.Op == nn.OpLinear {
			require.False(t, math.IsNaN(r.IsolatedSQNR), "layer %s", r.Name)
			require.Greater(t, r.IsolatedSQNR, 25.0, "layer %s", r.Name)
			last = i
		} else {
			require.True(t, math.IsNaN(r.IsolatedSQNR), "layer %s", r.Name)
		}
		require.False(t, r.Learned)
	}
	require.Greater(t, report[last].IsolatedSQNR, report[last].SQNR)
	t.Logf("%s: SQNR %.1f dB, alone %.1f dB", report[last].Name, report[last].SQNR, report[last].IsolatedSQNR)

	// A layer kept float has no isolated error either.
	_, report, err = Convert(lenet5(t), mnist(t, true).Sample(200, 1), Options{Method: "minmax", Float: []string{"fc3"}, Isolated: true})
	require.NoError(t, err)
	require.True(t, math.IsNaN(report[last].IsolatedSQNR))

	// Without Options.Isolated nothing is measured.
	_, report = convertLeNet5(t, "minmax")
	require.True(t, math.IsNaN(report[last].IsolatedSQNR))
}

// TestQuantizeIsConvertsModel: Quantize returns the model Convert does,
// and fails as it does.
func TestQuantizeIsConvertsModel(t *testing.T) {
	calib := mnist(t, true).Sample(200, 1)
	opt := Options{Method: "entropy", Float: []string{"fc3"}}
	want, _, err := Convert(lenet5(t), calib, opt)
	require.NoError(t, err)
	got, err := Quantize(lenet5(t), calib, opt)
	require.NoError(t, err)
	require.Equal(t, want, got)
	_, err = Quantize(lenet5(t), calib.Head(0), opt)
	require.ErrorContains(t, err, "calibration set is empty")
}

// TestBatchesAreBoundedByMemory: a network whose layers' outputs for one
// image exceed the budget is calibrated one image at a time, a small one
// maxBatch at a time; and how the images are split changes neither the
// observed ranges (every method) nor, beyond float rounding, the SQNRs.
func TestBatchesAreBoundedByMemory(t *testing.T) {
	wide := &nn.Model{Input: nn.Input{Channels: 3, Height: 512, Width: 512, Mean: []float32{0, 0, 0}, Std: []float32{1, 1, 1}},
		Nodes: []*nn.Node{{Name: "conv", Op: nn.OpConv2D, Inputs: []string{nn.InputName}, Out: 160,
			Kernel: [2]int{3, 3}, Stride: [2]int{1, 1}, Pad: [4]int{1, 1, 1, 1}, Groups: 1}}}
	b, err := batchSize(wide)
	require.NoError(t, err)
	require.Equal(t, 1, b, "160x512x512 float32 outputs are 160 MiB per image")
	m := lenet5(t)
	b, err = batchSize(m)
	require.NoError(t, err)
	require.Equal(t, maxBatch, b)

	calib := mnist(t, true).Sample(24, 3)
	float, err := engine.New(m, engine.Options{Threads: 1})
	require.NoError(t, err)
	defer float.Close()
	for _, method := range []string{"minmax", "percentile", "entropy"} {
		opt := Options{Method: method}
		whole, err := observe(float, calib, maxBatch, nil, opt)
		require.NoError(t, err)
		split, err := observe(float, calib, 5, nil, opt)
		require.NoError(t, err)
		for i := range whole {
			lo, hi := whole[i].Range()
			slo, shi := split[i].Range()
			require.Equal(t, [2]float32{lo, hi}, [2]float32{slo, shi}, "%s: layer %s", method, m.Nodes[i].Name)
		}
	}
	q, err := Quantize(m, calib, Options{Method: "minmax"})
	require.NoError(t, err)
	quantized, err := engine.New(q, engine.Options{Threads: 1})
	require.NoError(t, err)
	defer quantized.Close()
	whole, err := layerSQNRs(m, float, quantized, calib, maxBatch)
	require.NoError(t, err)
	split, err := layerSQNRs(m, float, quantized, calib, 1)
	require.NoError(t, err)
	require.InDeltaSlice(t, whole, split, 1e-9)
}

// TestSaturatedRanges: a tensor whose only reader is a hard-sigmoid is
// quantized over [-3, 3] at most, however far calibration saw it go; read
// also by another layer, or by a sigmoid (never constant), it keeps its
// whole observed range.
func TestSaturatedRanges(t *testing.T) {
	build := func(gate nn.Op, twice bool) *nn.Model {
		in := nn.Input{Channels: 1, Height: 8, Width: 8, Mean: []float32{0}, Std: []float32{1}}
		layers := []*nn.Node{
			{Name: "c", Op: nn.OpConv2D, Out: 4, Kernel: [2]int{3, 3}, Stride: [2]int{1, 1}, Pad: [4]int{1, 1, 1, 1}, Groups: 1},
			{Name: "g", Op: gate, Alpha: 1.0 / 6, Beta: 0.5},
		}
		if twice {
			layers = append(layers, &nn.Node{Name: "g2", Op: gate, Alpha: 1.0 / 6, Beta: 0.5, Inputs: []string{"c"}},
				&nn.Node{Name: "sum", Op: nn.OpAdd, Inputs: []string{"g", "g2"}})
		}
		layers = append(layers, &nn.Node{Name: "flat", Op: nn.OpFlatten}, &nn.Node{Name: "fc", Op: nn.OpLinear, Out: 3})
		m := nn.Sequential("gate", in, []string{"a", "b", "c"}, layers...)
		require.NoError(t, train.Init(m, 7))
		for i := range m.Params["c.weight"].F32 {
			m.Params["c.weight"].F32[i] *= 20 // conv outputs well beyond [-3, 3]
		}
		return m
	}
	calib := &dataset.Set{Name: "noise", Channels: 1, Height: 8, Width: 8, Classes: []string{"a", "b", "c"},
		Images: make([]uint8, 16*64), Labels: make([]int, 16)}
	for i := range calib.Images {
		calib.Images[i] = uint8(i * 97 % 251)
	}
	for _, c := range []struct {
		gate   nn.Op
		twice  bool
		narrow bool
	}{{nn.OpHardSigmoid, false, true}, {nn.OpHardSigmoid, true, false}, {nn.OpSigmoid, false, false}} {
		q, report, err := Convert(build(c.gate, c.twice), calib, Options{Method: "minmax"})
		require.NoError(t, err)
		p := *q.Node("c").Quant
		lo, hi := quant.Dequantize(-128, p), quant.Dequantize(127, p)
		if c.narrow {
			require.InDelta(t, -3, lo, float64(p.Scale), "%s", c.gate)
			require.InDelta(t, 3, hi, float64(p.Scale), "%s", c.gate)
			require.Greater(t, report[1].SQNR, 35.0, "the gate's output")
			// The conv's output is compared where the gate reads it: the
			// values its int8 range clamps to [-3, 3] are no error.
			require.Greater(t, report[0].SQNR, 35.0, "the conv's output")
		} else {
			require.True(t, lo < -4 || hi > 4, "%s read twice %v: [%v, %v] cut", c.gate, c.twice, lo, hi)
		}
	}
}

// TestConcatInputsTakeItsParameters: a tensor read only by a concat (a
// fused ReLU's output included) is quantized with the concat's parameters,
// so that the concat copies it; one read by another layer too keeps its
// own.
func TestConcatInputsTakeItsParameters(t *testing.T) {
	in := nn.Input{Channels: 1, Height: 8, Width: 8, Mean: []float32{0}, Std: []float32{1}}
	conv := func(name string, out int, inputs ...string) *nn.Node {
		return &nn.Node{Name: name, Op: nn.OpConv2D, Out: out, Kernel: [2]int{3, 3}, Stride: [2]int{1, 1},
			Pad: [4]int{1, 1, 1, 1}, Groups: 1, Inputs: inputs}
	}
	m := nn.Sequential("branches", in, []string{"a", "b"},
		conv("a", 3, nn.InputName), &nn.Node{Name: "a_relu", Op: nn.OpReLU},
		conv("b", 2, nn.InputName),
		conv("c", 2, nn.InputName),
		&nn.Node{Name: "cat", Op: nn.OpConcat, Inputs: []string{"a_relu", "b", "c"}},
		&nn.Node{Name: "sum", Op: nn.OpAdd, Inputs: []string{"c", "c"}},
		&nn.Node{Name: "flat", Op: nn.OpFlatten, Inputs: []string{"cat"}},
		&nn.Node{Name: "flat2", Op: nn.OpFlatten, Inputs: []string{"sum"}},
		&nn.Node{Name: "both", Op: nn.OpConcat, Inputs: []string{"flat", "flat2"}},
		&nn.Node{Name: "fc", Op: nn.OpLinear, Out: 2})
	require.NoError(t, train.Init(m, 3))
	calib := &dataset.Set{Name: "noise", Channels: 1, Height: 8, Width: 8, Classes: []string{"a", "b"},
		Images: make([]uint8, 16*64), Labels: make([]int, 16)}
	for i := range calib.Images {
		calib.Images[i] = uint8(i * 89 % 253)
	}
	q, _, err := Convert(m, calib, Options{Method: "minmax"})
	require.NoError(t, err)
	cat := *q.Node("cat").Quant
	for _, name := range []string{"a", "a_relu", "b"} {
		require.Equal(t, cat, *q.Node(name).Quant, "%s, read only by the concat", name)
	}
	require.NotEqual(t, cat, *q.Node("c").Quant, "c, read by the add too")
}

// TestBiasCorrection: each int8 bias is the float bias minus the mean over
// the calibration images of what rounding the layer's weights changes in
// its output (ΔW·x, borders, stride and groups included), measured here by
// running the float model with the layer's weights replaced by ΔW and its
// bias by 0; with NoBiasCorrection the biases are the float ones rounded.
// The correction makes the int8 layers' mean error per channel smaller.
func TestBiasCorrection(t *testing.T) {
	in := nn.Input{Channels: 1, Height: 9, Width: 9, Mean: []float32{0}, Std: []float32{1}}
	m := nn.Sequential("bias", in, []string{"a", "b", "c"},
		&nn.Node{Name: "conv", Op: nn.OpConv2D, Out: 4, Kernel: [2]int{3, 3}, Stride: [2]int{1, 1}, Pad: [4]int{1, 1, 1, 1}, Groups: 1},
		&nn.Node{Name: "gate", Op: nn.OpSigmoid}, // inputs of a positive mean
		&nn.Node{Name: "dw", Op: nn.OpConv2D, Out: 4, Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Pad: [4]int{1, 1, 0, 0}, Groups: 4},
		&nn.Node{Name: "flat", Op: nn.OpFlatten},
		&nn.Node{Name: "fc", Op: nn.OpLinear, Out: 3})
	require.NoError(t, train.Init(m, 5))
	calib := &dataset.Set{Name: "noise", Channels: 1, Height: 9, Width: 9, Classes: []string{"a", "b", "c"},
		Images: make([]uint8, 12*81), Labels: make([]int, 12)}
	for i := range calib.Images {
		calib.Images[i] = uint8(128 + i*67%127)
	}
	plain, err := Quantize(m, calib, Options{Method: "minmax", NoBiasCorrection: true})
	require.NoError(t, err)
	corrected, err := Quantize(m, calib, Options{Method: "minmax"})
	require.NoError(t, err)
	moved := 0
	for _, name := range []string{"conv", "dw", "fc"} {
		n := m.Node(name)
		w := m.Weight(n)
		q, scales := quant.QuantizeWeights(w.F32, w.Shape[0])
		require.Equal(t, quant.QuantizeBias(m.Bias(n).F32, inScale(plain, n), scales), plain.Params[name+".bias"].I32, name)
		// The float model with ΔW as the layer's weights and no bias.
		delta := *m
		delta.Params = map[string]*nn.Tensor{}
		for k, v := range m.Params {
			delta.Params[k] = v
		}
		dw := make([]float32, len(q))
		per := len(q) / len(scales)
		for k, v := range q {
			dw[k] = float32(v)*scales[k/per] - w.F32[k]
		}
		delta.Params[name+".weight"] = &nn.Tensor{DType: nn.F32, Shape: w.Shape, F32: dw}
		delta.Params[name+".bias"] = &nn.Tensor{DType: nn.F32, Shape: m.Bias(n).Shape, F32: make([]float32, w.Shape[0])}
		mean := channelMeans(t, &delta, calib, name)
		for o, e := range mean {
			want := float64(m.Bias(n).F32[o]) - e
			step := float64(inScale(corrected, n)) * float64(scales[o])
			got := float64(corrected.Params[name+".bias"].I32[o]) * step
			require.InDelta(t, want, got, step, "%s channel %d: mean error %g", name, o, e)
			if corrected.Params[name+".bias"].I32[o] != plain.Params[name+".bias"].I32[o] {
				moved++
			}
		}
	}
	require.Greater(t, moved, 4, "biases the correction changed")
	// The int8 model's mean error per channel of the last conv shrinks.
	want := channelMeans(t, m, calib, "dw")
	var before, after float64
	for o, v := range channelMeans(t, plain, calib, "dw") {
		before += math.Abs(v - want[o])
	}
	for o, v := range channelMeans(t, corrected, calib, "dw") {
		after += math.Abs(v - want[o])
	}
	require.Less(t, after, before, "mean error of dw over its channels")
}

// inScale returns the int8 scale of node n's input in the int8 model q.
func inScale(q *nn.Model, n *nn.Node) float32 {
	if n.Inputs[0] == nn.InputName {
		return q.Input.Quant.Scale
	}
	return q.Node(n.Inputs[0]).Quant.Scale
}

// channelMeans returns the mean over the images of set of each output
// channel (or feature) of node name of model m.
func channelMeans(t *testing.T, m *nn.Model, set *dataset.Set, name string) []float64 {
	t.Helper()
	out, ok := nodeOutputs(t, m, set)[name]
	require.True(t, ok, "no node %q", name)
	shapes, err := m.Shapes()
	require.NoError(t, err)
	shape := shapes[slices.IndexFunc(m.Nodes, func(n *nn.Node) bool { return n.Name == name })]
	c := shape[0]
	plane := shape.Size() / c
	mean := make([]float64, c)
	for k, v := range out {
		mean[k/plane%c] += float64(v) / float64(len(out)/c)
	}
	return mean
}

// TestChainedConcatsShareParameters: a concat that reads another's output
// through a channel split (as ShuffleNet v2 passes half of each unit on)
// takes the same parameters, covering both concats' ranges, and copies
// those channels exactly; concats linked by a convolution instead keep
// their own.
func TestChainedConcatsShareParameters(t *testing.T) {
	in := nn.Input{Channels: 1, Height: 8, Width: 8, Mean: []float32{0}, Std: []float32{1}}
	conv := func(name string, out int, inputs ...string) *nn.Node {
		return &nn.Node{Name: name, Op: nn.OpConv2D, Out: out, Kernel: [2]int{3, 3}, Stride: [2]int{1, 1},
			Pad: [4]int{1, 1, 1, 1}, Groups: 1, Inputs: inputs}
	}
	build := func(split bool) *nn.Model {
		half := &nn.Node{Name: "half", Op: nn.OpChannels, Channels: []int{3, 1}, Inputs: []string{"c1"}}
		if !split {
			half = conv("half", 2, "c1")
		}
		m := nn.Sequential("shuffle", in, []string{"a", "b"},
			conv("a", 2, nn.InputName), &nn.Node{Name: "a_relu", Op: nn.OpReLU},
			conv("b", 2, nn.InputName),
			&nn.Node{Name: "c1", Op: nn.OpConcat, Inputs: []string{"a_relu", "b"}},
			half,
			conv("d", 2, "c1"),
			&nn.Node{Name: "c2", Op: nn.OpConcat, Inputs: []string{"half", "d"}},
			conv("e", 2, nn.InputName),
			&nn.Node{Name: "c3", Op: nn.OpConcat, Inputs: []string{"e", "c2"}},
			&nn.Node{Name: "flat", Op: nn.OpFlatten},
			&nn.Node{Name: "fc", Op: nn.OpLinear, Out: 2})
		require.NoError(t, train.Init(m, 3))
		for i := range m.Params["d.weight"].F32 {
			m.Params["d.weight"].F32[i] *= 10 // c2's range well beyond c1's
		}
		return m
	}
	calib := &dataset.Set{Name: "noise", Channels: 1, Height: 8, Width: 8, Classes: []string{"a", "b"},
		Images: make([]uint8, 16*64), Labels: make([]int, 16)}
	for i := range calib.Images {
		calib.Images[i] = uint8(i * 89 % 253)
	}
	m := build(true)
	q, err := Quantize(m, calib, Options{Method: "minmax"})
	require.NoError(t, err)
	c1 := *q.Node("c1").Quant
	require.Equal(t, c1, *q.Node("c2").Quant, "c2 reads c1's channels")
	require.Equal(t, c1, *q.Node("c3").Quant, "c3 reads c2")
	require.Equal(t, c1, *q.Node("half").Quant)

	// The parameters cover c1's and c2's float ranges, and c2 holds c1's
	// int8 channels 3 and 1 as they are.
	float := nodeOutputs(t, m, calib)
	lo, hi := float32(0), float32(0)
	for _, name := range []string{"c1", "c2", "c3"} {
		lo, hi = min(lo, slices.Min(float[name])), max(hi, slices.Max(float[name]))
	}
	require.Equal(t, quant.ChooseParams(lo, hi), c1, "the union of the concats' ranges")
	int8 := nodeOutputs(t, q, calib)
	plane := 8 * 8
	for s := range calib.Len() {
		for k, c := range []int{3, 1} {
			got := int8["c2"][(s*4+k)*plane : (s*4+k+1)*plane]
			require.Equal(t, int8["c1"][(s*4+c)*plane:(s*4+c+1)*plane], got, "image %d, c1's channel %d in c2", s, c)
		}
	}

	q, err = Quantize(build(false), calib, Options{Method: "minmax"})
	require.NoError(t, err)
	require.NotEqual(t, *q.Node("c1").Quant, *q.Node("c2").Quant, "linked by a convolution")
}

// nodeOutputs returns every node's output of model m on the images of set
// (dequantized for an int8 model), by name.
func nodeOutputs(t *testing.T, m *nn.Model, set *dataset.Set) map[string][]float32 {
	t.Helper()
	e, err := engine.New(m, engine.Options{Threads: 1})
	require.NoError(t, err)
	defer e.Close()
	outs, err := e.Outputs(set.Images, set.Len())
	require.NoError(t, err)
	byName := map[string][]float32{}
	for i, n := range m.Nodes {
		byName[n.Name] = outs[i]
	}
	return byName
}

// TestClassifierWritesFloatLogits: by default the last linear layer of a
// chain to the output writes float32 logits from its int32 accumulators,
// which lie closer to float's than the int8 ones; Int8Logits, keeping the
// layer float32, or a graph that does not end in a linear layer's chain
// leave every output int8.
func TestClassifierWritesFloatLogits(t *testing.T) {
	build := func(tail ...*nn.Node) *nn.Model {
		in := nn.Input{Channels: 1, Height: 8, Width: 8, Mean: []float32{0}, Std: []float32{1}}
		layers := append([]*nn.Node{
			{Name: "c", Op: nn.OpConv2D, Out: 4, Kernel: [2]int{3, 3}, Stride: [2]int{1, 1}, Pad: [4]int{1, 1, 1, 1}, Groups: 1},
			{Name: "r", Op: nn.OpReLU},
			{Name: "flat", Op: nn.OpFlatten},
		}, tail...)
		m := nn.Sequential("logits", in, []string{"a", "b", "c"}, layers...)
		require.NoError(t, train.Init(m, 3))
		return m
	}
	calib := &dataset.Set{Name: "noise", Channels: 1, Height: 8, Width: 8, Classes: []string{"a", "b", "c"},
		Images: make([]uint8, 32*64), Labels: make([]int, 32)}
	for i := range calib.Images {
		calib.Images[i] = uint8(i * 89 % 253)
	}
	floatOutputs := func(q *nn.Model) (names []string) {
		for _, n := range q.Nodes {
			if n.FloatOutput {
				names = append(names, n.Name)
			}
		}
		return names
	}
	fc := func(name string) *nn.Node { return &nn.Node{Name: name, Op: nn.OpLinear, Out: 3} }
	m := build(fc("fc"), &nn.Node{Name: "p", Op: nn.OpSoftmax})
	q, report, err := Convert(m, calib, Options{})
	require.NoError(t, err)
	require.Equal(t, []string{"fc"}, floatOutputs(q))
	require.True(t, report[3].FloatOutput)
	int8Logits, err := Quantize(m, calib, Options{Int8Logits: true})
	require.NoError(t, err)
	require.Empty(t, floatOutputs(int8Logits))
	want, got, rounded := logits(t, m, calib), logits(t, q, calib), logits(t, int8Logits, calib)
	require.Greater(t, quant.SQNR(want, got), quant.SQNR(want, rounded))

	kept, err := Quantize(m, calib, Options{Float: []string{"fc"}})
	require.NoError(t, err)
	require.Empty(t, floatOutputs(kept))
	// Two linear layers summed: the output is not a chain from the last.
	sum := build(fc("fc1"), &nn.Node{Name: "fc2", Op: nn.OpLinear, Out: 3, Inputs: []string{"flat"}},
		&nn.Node{Name: "sum", Op: nn.OpAdd, Inputs: []string{"fc1", "fc2"}})
	q, err = Quantize(sum, calib, Options{})
	require.NoError(t, err)
	require.Empty(t, floatOutputs(q))
}

// logits runs m on the images of set.
func logits(t *testing.T, m *nn.Model, set *dataset.Set) []float32 {
	t.Helper()
	e, err := engine.New(m, engine.Options{Threads: 1})
	require.NoError(t, err)
	defer e.Close()
	out, err := e.Infer(set.Images, set.Len())
	require.NoError(t, err)
	return slices.Clone(out)
}
