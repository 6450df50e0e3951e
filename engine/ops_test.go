package engine_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/engine"
	"github.com/edgecnn/edgecnn/nn"
	"github.com/edgecnn/edgecnn/quant"
	"github.com/edgecnn/edgecnn/tools/convert"
)

// importedModel uses every layer type of nn/ops.go: the activations of
// MobileNet v3 and EfficientNet on a convolution, a squeeze-and-excitation
// gate (global pool, sigmoid, per-channel mul), an element-wise mul, LRN,
// a channel gather (a split and shuffle), and a concat of vectors.
func importedModel(t *testing.T) *nn.Model {
	in := nn.Input{Channels: 3, Height: 7, Width: 6, Mean: []float32{0.5, 0.4, 0.3}, Std: []float32{0.25, 0.2, 0.3}}
	node := func(n *nn.Node, inputs ...string) *nn.Node {
		n.Inputs = inputs
		return n
	}
	m := nn.Sequential("ops", in, []string{"a", "b", "c"},
		nn.Conv("c1", 5, 3, 1, 1),
		node(&nn.Node{Name: "sigmoid", Op: nn.OpSigmoid}, "c1"),
		node(&nn.Node{Name: "hardsigmoid", Op: nn.OpHardSigmoid, Alpha: 0.2, Beta: 0.5}, "c1"),
		node(&nn.Node{Name: "hardswish", Op: nn.OpHardSwish, Alpha: 1.0 / 6, Beta: 0.5}, "c1"),
		node(&nn.Node{Name: "silu", Op: nn.OpSiLU}, "c1"),
		node(&nn.Node{Name: "gap", Op: nn.OpAvgPool, Kernel: [2]int{7, 6}, Stride: [2]int{1, 1}}, "silu"),
		node(&nn.Node{Name: "gate", Op: nn.OpSigmoid}, "gap"),
		node(&nn.Node{Name: "se", Op: nn.OpMul}, "hardswish", "gate"),
		node(&nn.Node{Name: "square", Op: nn.OpMul}, "se", "sigmoid"),
		node(&nn.Node{Name: "lrn", Op: nn.OpLRN, Size: 4, Alpha: 0.5, Beta: 0.75, Bias: 1.5}, "square"),
		node(&nn.Node{Name: "shuffle", Op: nn.OpChannels, Channels: []int{4, 0, 3, 1, 1}}, "lrn"),
		node(nn.Flat("f1"), "shuffle"),
		node(nn.Flat("f2"), "hardsigmoid"),
		node(&nn.Node{Name: "cat", Op: nn.OpConcat}, "f1", "f2"),
		nn.FC("fc", 3))
	require.NoError(t, m.InitParams())
	rng := rand.New(rand.NewPCG(14, 3))
	for _, p := range m.Params {
		for i := range p.F32 {
			p.F32[i] = float32(rng.NormFloat64())
		}
	}
	return m
}

// outputsByName returns the engine's Outputs of m by node name.
func outputsByName(t *testing.T, m *nn.Model, pixels []uint8, n int) map[string][]float32 {
	e, err := engine.New(m, engine.Options{Threads: 1})
	require.NoError(t, err)
	defer e.Close()
	outs, err := e.Outputs(pixels, n)
	require.NoError(t, err)
	byName := map[string][]float32{}
	for i, node := range m.Nodes {
		byName[node.Name] = outs[i]
	}
	return byName
}

func noisePixels(n int, seed uint64) []uint8 {
	rng := rand.New(rand.NewPCG(seed, 2))
	px := make([]uint8, n)
	for i := range px {
		px[i] = uint8(rng.IntN(256))
	}
	return px
}

func sigmoid64(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// TestImportedOpsFloat checks each float32 layer against its definition
// (nn/ops.go) computed in float64 from the layer's input.
func TestImportedOpsFloat(t *testing.T) {
	m := importedModel(t)
	const n = 3
	out := outputsByName(t, m, noisePixels(n*m.Input.Shape().Size(), 5), n)
	c1, plane := out["c1"], 7*6
	check := func(name string, want func(k int) float64) {
		t.Helper()
		for k, got := range out[name] {
			w := want(k)
			require.InDelta(t, w, got, 1e-6*max(1, math.Abs(w)), "%s[%d]", name, k)
		}
	}
	check("sigmoid", func(k int) float64 { return sigmoid64(float64(c1[k])) })
	check("silu", func(k int) float64 { return float64(c1[k]) * sigmoid64(float64(c1[k])) })
	check("hardsigmoid", func(k int) float64 { return min(max(0.2*float64(c1[k])+0.5, 0), 1) })
	check("hardswish", func(k int) float64 { return float64(c1[k]) * min(max(float64(c1[k])/6+0.5, 0), 1) })
	check("se", func(k int) float64 { return float64(out["hardswish"][k]) * float64(out["gate"][k/plane]) })
	check("square", func(k int) float64 { return float64(out["se"][k]) * float64(out["sigmoid"][k]) })
	check("lrn", func(k int) float64 {
		// Size 4: channels c-1 .. c+2 (ONNX's window).
		x := out["square"]
		s, c, i := k/(5*plane), k/plane%5, k%plane
		sum := 0.0
		for ch := max(c-1, 0); ch <= min(c+2, 4); ch++ {
			v := float64(x[(s*5+ch)*plane+i])
			sum += v * v
		}
		return float64(x[k]) / math.Pow(1.5+0.5/4*sum, 0.75)
	})
	check("shuffle", func(k int) float64 {
		s, c, i := k/(5*plane), k/plane%5, k%plane
		return float64(out["lrn"][(s*5+[]int{4, 0, 3, 1, 1}[c])*plane+i])
	})
	check("cat", func(k int) float64 {
		s, j := k/(10*plane), k%(10*plane)
		if j < 5*plane {
			return float64(out["shuffle"][s*5*plane+j])
		}
		return float64(out["hardsigmoid"][s*5*plane+j-5*plane])
	})
}

// TestImportedOpsInt8 quantizes the model and checks each int8 layer,
// bit for bit, against the definition applied to its int8 inputs: the
// activations are their float function between a dequantize and a
// quantize, mul is quant.MulParams.Mul, shuffle copies, lrn runs in float.
func TestImportedOpsInt8(t *testing.T) {
	m := importedModel(t)
	const n = 4
	pixels := noisePixels(16*m.Input.Shape().Size(), 6)
	calib := &dataset.Set{Name: "random", Channels: 3, Height: 7, Width: 6, Classes: []string{"0"}, Images: pixels, Labels: make([]int, 16)}
	q, err := convert.Quantize(m, calib, convert.Options{Method: "minmax"})
	require.NoError(t, err)
	out := outputsByName(t, q, pixels[:n*m.Input.Shape().Size()], n)
	codes := func(name string) []int8 {
		p := *q.Node(name).Quant
		v := make([]int8, len(out[name]))
		quant.QuantizeSlice(v, out[name], p)
		return v
	}
	unary := func(name, from string, f func(float32) float32) {
		t.Helper()
		in, pin, pout := codes(from), *q.Node(from).Quant, *q.Node(name).Quant
		for k, got := range codes(name) {
			require.Equal(t, quant.Quantize(f(quant.Dequantize(in[k], pin)), pout), got, "%s[%d]", name, k)
		}
	}
	sig := func(x float32) float32 { return float32(sigmoid64(float64(x))) }
	unary("sigmoid", "c1", sig)
	unary("silu", "c1", func(x float32) float32 { return x * sig(x) })
	unary("hardsigmoid", "c1", func(x float32) float32 { return min(max(0.2*x+0.5, 0), 1) })
	unary("hardswish", "c1", func(x float32) float32 { return x * min(max(x/6+0.5, 0), 1) })

	plane := 7 * 6
	mul := func(name, a, b string, perChannel bool) {
		t.Helper()
		p, err := quant.NewMul(*q.Node(a).Quant, *q.Node(b).Quant, *q.Node(name).Quant)
		require.NoError(t, err)
		x, y := codes(a), codes(b)
		for k, got := range codes(name) {
			j := k
			if perChannel {
				j = k / plane
			}
			require.Equal(t, p.Mul(x[k], y[j]), got, "%s[%d]", name, k)
		}
	}
	mul("se", "hardswish", "gate", true)
	mul("square", "se", "sigmoid", false)

	// The global pool's mean has a range of its own, finer than its
	// input's: within one of its steps of the mean of the dequantized
	// inputs (engine/gap_int8_internal_test.go has the layouts and ends).
	silu, pin, pgap := codes("silu"), *q.Node("silu").Quant, *q.Node("gap").Quant
	require.Less(t, pgap.Scale, pin.Scale, "gap's step")
	for k, got := range codes("gap") {
		var mean float64
		for _, v := range silu[k*plane : (k+1)*plane] {
			mean += float64(quant.Dequantize(v, pin)) / float64(plane)
		}
		require.InDelta(t, mean, quant.Dequantize(got, pgap), float64(pgap.Scale), "gap[%d]", k)
	}

	require.Equal(t, *q.Node("lrn").Quant, *q.Node("shuffle").Quant, "a gather keeps its input's quantization")
	lrn, shuffled := codes("lrn"), codes("shuffle")
	for k, got := range shuffled {
		s, c, i := k/(5*plane), k/plane%5, k%plane
		require.Equal(t, lrn[(s*5+[]int{4, 0, 3, 1, 1}[c])*plane+i], got, "shuffle[%d]", k)
	}

	// lrn: dequantize, normalise in float, quantize; one step of slack for
	// the float64 reference's rounding against the engine's.
	x, pin, pout := codes("square"), *q.Node("square").Quant, *q.Node("lrn").Quant
	for k, got := range lrn {
		s, c, i := k/(5*plane), k/plane%5, k%plane
		sum := 0.0
		for ch := max(c-1, 0); ch <= min(c+2, 4); ch++ {
			v := float64(quant.Dequantize(x[(s*5+ch)*plane+i], pin))
			sum += v * v
		}
		want := quant.Quantize(float32(float64(quant.Dequantize(x[k], pin))/math.Pow(1.5+0.5/4*sum, 0.75)), pout)
		require.InDelta(t, want, got, 1, "lrn[%d]", k)
	}

	// The model as a whole stays close to float.
	float := outputsByName(t, m, pixels[:n*m.Input.Shape().Size()], n)
	sqnr := quant.SQNR(float["fc"], out["fc"])
	t.Logf("logit SQNR int8 against float: %.1f dB", sqnr)
	require.Greater(t, sqnr, 20.0)
	require.False(t, slices.ContainsFunc(out["fc"], func(v float32) bool { return math.IsNaN(float64(v)) }))
}
