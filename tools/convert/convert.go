// Package convert turns a float32 model into an int8 one: it runs
// calibration images through the float model, picks the quantization of
// every tensor with an observer (min/max, percentile or KL entropy),
// quantizes weights per output channel and biases to int32, and reports
// how far each layer's int8 output strays from float (SQNR).
//
// The result follows the int8 scheme of package quant and runs on the
// engine's int8 kernels. Layers named in Options.Float stay float32.
package convert

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/engine"
	"github.com/edgecnn/edgecnn/nn"
	"github.com/edgecnn/edgecnn/quant"
)

// Options control a conversion.
type Options struct {
	// Method picks activation ranges: "minmax", "percentile" or "entropy".
	Method string
	// Percentile is the percentile method's cut-off (default 99.99).
	Percentile float64
	// Float names conv2d or linear layers to keep in float32.
	Float []string
}

// LayerReport is one row of the conversion table.
type LayerReport struct {
	Name string
	Op   nn.Op
	// Float is set for layers kept in float32.
	Float bool
	// WeightMin and WeightMax are the float weight range (conv and linear).
	WeightMin, WeightMax float32
	// Quant is the layer output's int8 quantization.
	Quant quant.Params
	// SQNR compares the int8 model's output of this layer with the float
	// model's on the calibration images, in dB.
	SQNR float64
}

// batch is the number of calibration images run through the engine at once.
const batch = 100

// supported lists the layer types the int8 engine runs.
var supported = []nn.Op{nn.OpConv2D, nn.OpLinear, nn.OpMaxPool, nn.OpAvgPool, nn.OpReLU, nn.OpReLU6,
	nn.OpTanh, nn.OpFlatten, nn.OpDropout, nn.OpSoftmax, nn.OpAdd, nn.OpConcat,
	nn.OpSigmoid, nn.OpHardSigmoid, nn.OpHardSwish, nn.OpSiLU, nn.OpMul, nn.OpLRN, nn.OpChannels}

// Convert quantizes the float model m using the calibration images calib
// and returns the int8 model and the per-layer report. m is not modified.
// Batch norms are folded into their convolutions first (nn.FoldBatchNorm).
func Convert(m *nn.Model, calib *dataset.Set, opt Options) (*nn.Model, []LayerReport, error) {
	if !m.Folded() {
		var err error
		if m, err = nn.FoldBatchNorm(m); err != nil {
			return nil, nil, err
		}
	}
	if err := check(m, calib, opt); err != nil {
		return nil, nil, err
	}
	float, err := engine.New(m, engine.Options{Threads: 1})
	if err != nil {
		return nil, nil, err
	}
	defer float.Close()
	observers, err := observe(float, calib, opt)
	if err != nil {
		return nil, nil, err
	}
	q, err := quantize(m, observers, opt)
	if err != nil {
		return nil, nil, err
	}
	report, err := compare(m, q, float, calib, opt)
	if err != nil {
		return nil, nil, err
	}
	return q, report, nil
}

func check(m *nn.Model, calib *dataset.Set, opt Options) error {
	if m.Quantized() {
		return errors.New("model is already int8")
	}
	for _, n := range m.Nodes {
		if !slices.Contains(supported, n.Op) {
			return fmt.Errorf("layer %q: int8 does not support %s", n.Name, n.Op)
		}
	}
	if err := m.Validate(); err != nil {
		return err
	}
	for _, name := range opt.Float {
		n := m.Node(name)
		if n == nil {
			return fmt.Errorf("--float: no layer %q", name)
		}
		if m.Weight(n) == nil {
			return fmt.Errorf("--float: layer %q (%s) has no weights; only conv2d and linear layers can stay float", name, n.Op)
		}
	}
	if calib == nil || calib.Len() == 0 {
		return errors.New("calibration set is empty")
	}
	in := m.Input
	if calib.Channels != in.Channels || calib.Height != in.Height || calib.Width != in.Width {
		return fmt.Errorf("%s: calibration images are %dx%dx%d, the model takes %v", calib.Name, calib.Channels, calib.Height, calib.Width, in.Shape())
	}
	return nil
}

// observe runs the calibration images through the float model and feeds
// every node's output to an observer of the chosen method.
func observe(float *engine.Engine, calib *dataset.Set, opt Options) ([]quant.Observer, error) {
	observers := make([]quant.Observer, len(float.Model().Nodes))
	for i := range observers {
		o, err := newObserver(opt)
		if err != nil {
			return nil, err
		}
		observers[i] = o
	}
	err := forEachBatch(calib, func(pixels []uint8, n int) error {
		outs, err := float.Outputs(pixels, n)
		if err != nil {
			return err
		}
		for i, o := range observers {
			o.Observe(outs[i])
		}
		return nil
	})
	return observers, err
}

func newObserver(opt Options) (quant.Observer, error) {
	if opt.Method == "percentile" && opt.Percentile != 0 {
		if !(opt.Percentile >= 50 && opt.Percentile <= 100) {
			return nil, fmt.Errorf("--percentile %v outside [50, 100]", opt.Percentile)
		}
		return quant.NewPercentile(opt.Percentile), nil
	}
	o, err := quant.NewObserver(opt.Method)
	if err != nil {
		return nil, fmt.Errorf("--method: %w", err)
	}
	return o, nil
}

// forEachBatch hands the calibration images to f in batches.
func forEachBatch(calib *dataset.Set, f func(pixels []uint8, n int) error) error {
	size := calib.ImageSize()
	for lo := 0; lo < calib.Len(); lo += batch {
		hi := min(lo+batch, calib.Len())
		if err := f(calib.Images[lo*size:hi*size], hi-lo); err != nil {
			return err
		}
	}
	return nil
}

// quantize builds the int8 model from the float one and the observed ranges.
func quantize(m *nn.Model, observers []quant.Observer, opt Options) (*nn.Model, error) {
	q := &nn.Model{Arch: m.Arch, Input: m.Input, Labels: m.Labels, Params: map[string]*nn.Tensor{}, Imported: m.Imported}
	q.Input.Quant = inputParams(m.Input)
	params := map[string]*quant.Params{nn.InputName: q.Input.Quant}
	for i, n := range m.Nodes {
		c := *n
		c.Inputs = slices.Clone(n.Inputs)
		in := params[n.Inputs[0]]
		switch n.Op {
		case nn.OpMaxPool, nn.OpAvgPool, nn.OpFlatten, nn.OpDropout, nn.OpChannels:
			// These move values without changing them: same quantization.
			c.Quant = in
		default:
			p := chooseParams(observers[i])
			if next := fusedActivation(m, i); next >= 0 {
				// The engine fuses this activation into the layer's
				// epilogue, so the layer takes the activation's range.
				p = chooseParams(observers[next])
			}
			c.Quant = &p
		}
		params[n.Name] = c.Quant
		q.Nodes = append(q.Nodes, &c)
		if w := m.Weight(n); w != nil {
			if slices.Contains(opt.Float, n.Name) {
				q.Params[n.Name+".weight"], q.Params[n.Name+".bias"] = w, m.Bias(n)
				continue
			}
			qw, scales := quant.QuantizeWeights(w.F32, w.Shape[0])
			q.Params[n.Name+".weight"] = &nn.Tensor{DType: nn.I8, Shape: w.Shape, I8: qw}
			q.Params[n.Name+".weight_scale"] = &nn.Tensor{DType: nn.F32, Shape: []int{len(scales)}, F32: scales}
			q.Params[n.Name+".bias"] = &nn.Tensor{DType: nn.I32, Shape: m.Bias(n).Shape,
				I32: quant.QuantizeBias(m.Bias(n).F32, in.Scale, scales)}
		}
	}
	return q, q.Validate()
}

// fusedActivation returns the index of the ReLU or ReLU6 that follows node
// i and is the only reader of its output, when node i is a conv or linear
// layer; -1 otherwise.
func fusedActivation(m *nn.Model, i int) int {
	n := m.Nodes[i]
	if (n.Op != nn.OpConv2D && n.Op != nn.OpLinear) || i+1 >= len(m.Nodes) {
		return -1
	}
	next := m.Nodes[i+1]
	if (next.Op != nn.OpReLU && next.Op != nn.OpReLU6) || next.Inputs[0] != n.Name {
		return -1
	}
	for _, other := range m.Nodes {
		if other != next && slices.Contains(other.Inputs, n.Name) {
			return -1
		}
	}
	return i + 1
}

func chooseParams(o quant.Observer) quant.Params {
	lo, hi := o.Range()
	return quant.ChooseParams(lo, hi)
}

// inputParams quantizes the normalised input so that 8-bit pixels map to
// int8 by q = p - 128, with no float round trip: scale 1/(255 std) and zero
// point 255 mean - 128. That needs one normalisation for all channels with
// 255 mean a whole number; otherwise the range of the normalised pixels is
// used and the engine quantizes through float.
func inputParams(in nn.Input) *quant.Params {
	same := true
	for c := range in.Channels {
		same = same && in.Mean[c] == in.Mean[0] && in.Std[c] == in.Std[0]
	}
	zp := 255*float64(in.Mean[0]) - 128
	if same && zp == math.Round(zp) && zp >= -128 && zp <= 127 {
		return &quant.Params{Scale: float32(1 / (255 * float64(in.Std[0]))), ZeroPoint: int32(zp)}
	}
	lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
	for c := range in.Channels {
		lo = min(lo, -in.Mean[c]/in.Std[c])
		hi = max(hi, (1-in.Mean[c])/in.Std[c])
	}
	p := quant.ChooseParams(lo, hi)
	return &p
}

// compare runs the calibration images through both models and reports
// every layer's SQNR.
func compare(m, q *nn.Model, float *engine.Engine, calib *dataset.Set, opt Options) ([]LayerReport, error) {
	quantized, err := engine.New(q, engine.Options{Threads: 1})
	if err != nil {
		return nil, err
	}
	defer quantized.Close()
	signal := make([]float64, len(m.Nodes))
	noise := make([]float64, len(m.Nodes))
	err = forEachBatch(calib, func(pixels []uint8, n int) error {
		ref, err := float.Outputs(pixels, n)
		if err != nil {
			return err
		}
		got, err := quantized.Outputs(pixels, n)
		if err != nil {
			return err
		}
		for i := range ref {
			r := ref[i]
			if next := fusedActivation(m, i); next >= 0 {
				r = ref[next] // the int8 layer's output is after its activation
			}
			for j, v := range r {
				d := float64(v) - float64(got[i][j])
				signal[i] += float64(v) * float64(v)
				noise[i] += d * d
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	report := make([]LayerReport, len(m.Nodes))
	for i, n := range q.Nodes {
		r := LayerReport{Name: n.Name, Op: n.Op, Quant: *n.Quant, SQNR: sqnr(signal[i], noise[i]),
			Float: slices.Contains(opt.Float, n.Name)}
		if w := m.Weight(m.Nodes[i]); w != nil {
			r.WeightMin, r.WeightMax = slices.Min(w.F32), slices.Max(w.F32)
		}
		report[i] = r
	}
	return report, nil
}

func sqnr(signal, noise float64) float64 {
	if noise == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(signal/noise)
}
