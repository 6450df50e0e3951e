package convert

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/engine"
	"github.com/edgecnn/edgecnn/models"
	"github.com/edgecnn/edgecnn/nn"
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

	again, _ := convertLeNet5(t, "minmax")
	first, err := nn.Encode(q)
	require.NoError(t, err)
	second, err := nn.Encode(again)
	require.NoError(t, err)
	require.Equal(t, first, second, "conversion is not deterministic")
	require.Equal(t, models.LeNet5Int8(), first, "the embedded int8 LeNet-5 is stale: regenerate it with edgecnn convert")
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
