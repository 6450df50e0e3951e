// Package convert turns a float32 model into an int8 one: it runs
// calibration images through the float model, picks the quantization of
// every tensor with an observer (min/max, percentile, KL entropy or MSE),
// quantizes weights per output channel and biases to int32 (corrected for
// the mean error the rounded weights cause on the calibration images), and
// reports how far each layer's int8 output strays from float (SQNR).
//
// The result follows the int8 scheme of package quant and runs on the
// engine's int8 kernels. Layers named in Options.Float stay float32. A model
// from quantization-aware training (package train) carries the ranges its
// activations were trained with (nn.Node.Range); they are used as they are.
package convert

import (
	"cmp"
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
	// Method picks activation ranges: "minmax" (the default, also when
	// empty), "percentile", "entropy" or "mse".
	Method string
	// Percentile is the percentile method's cut-off (default 99.99).
	Percentile float64
	// Float names conv2d or linear layers to keep in float32.
	Float []string
	// Isolated measures each layer's IsolatedSQNR. It converts and runs
	// the whole model once more per conv2d and linear layer, so it is for
	// reports a user reads (edgecnn convert), not for callers that only
	// want the int8 model.
	Isolated bool
	// NoBiasCorrection keeps every int8 bias the rounding of the float
	// one. By default the mean error that rounding a layer's weights to
	// int8 causes on the calibration images is subtracted from its bias
	// (see biascorrect.go), except in a model from quantization-aware
	// training, whose biases were trained with the rounded weights.
	NoBiasCorrection bool
	// Int8Logits keeps the output of a classifier's last linear layer
	// int8. By default that layer writes float32 logits dequantized from
	// its int32 accumulators (nn.Node.FloatOutput): one rounding less,
	// where ties and swaps of close classes are decided. Models from
	// quantization-aware training keep their int8 logits, as trained.
	Int8Logits bool
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
	// model's on the calibration images, in dB; for a layer read only by
	// an activation that is constant outside an interval (a hard-sigmoid
	// outside [-3, 3]), over that interval, the float output clamped to it.
	SQNR float64
	// IsolatedSQNR is the SQNR of this layer's output when it alone is
	// int8 and every other conv2d and linear layer float32, as TFLite's
	// quantization debugger shows it: the error the layer adds itself, not
	// the error it inherits. The layer's int8 part runs from its quantized
	// input through its weights and output to the next conv2d or linear
	// layer (the activations and pools between run int8 too). It is
	// measured on the first batch of calibration images (one pass per
	// layer; see batchSize), for int8 conv2d and linear layers when
	// Options.Isolated is set; NaN for the others.
	IsolatedSQNR float64
	// FloatOutput is set for the linear layer that writes float32 logits
	// from its int32 accumulators (Options.Int8Logits); Quant is then
	// what an int8 reader would take, and SQNR that of the float32 output.
	FloatOutput bool
	// Learned is set when the layer's output parameters come from a range
	// learned in quantization-aware training (nn.Node.Range: its own, that
	// of the activation fused into it, or its input's for layers that keep
	// their input's parameters), not from calibration.
	Learned bool
}

// maxBatch is the largest number of calibration images run through the
// engine at once.
const maxBatch = 100

// outputBudget bounds the float32 outputs of every layer that one batch of
// calibration images produces (engine.Outputs returns them all, and the
// comparison holds the float and the int8 model's at once, beside the
// engines' own activations): a full-size ResNet-50 produces 106 MB of them
// per image and DenseNet-121 175 MB, so that 64 images at once took
// 23.7 GB.
const outputBudget = 128 << 20

// batchSize returns the number of images of a batch of m: as many as fit
// in outputBudget, at least 1 and at most maxBatch. Observers and the SQNR
// sums do not depend on how the images are split, so only memory and
// speed do.
func batchSize(m *nn.Model) (int, error) {
	shapes, err := m.Shapes()
	if err != nil {
		return 0, err
	}
	var values int64
	for _, s := range shapes {
		values += int64(s.Size())
	}
	return int(max(1, min(maxBatch, outputBudget/(4*values)))), nil
}

// Convert quantizes the float model m using the calibration images calib
// and returns the int8 model and the per-layer report. m is not modified.
// Batch norms are folded into their convolutions first (nn.FoldBatchNorm).
func Convert(m *nn.Model, calib *dataset.Set, opt Options) (*nn.Model, []LayerReport, error) {
	c, err := calibrate(m, calib, opt)
	if err != nil {
		return nil, nil, err
	}
	defer c.float.Close()
	report, err := compare(c.m, c.q, c.float, calib, c.batch, opt)
	if err != nil {
		return nil, nil, err
	}
	if opt.Isolated {
		if err := isolate(c.m, c.observers, c.taps, c.float, calib, c.batch, opt, report); err != nil {
			return nil, nil, err
		}
	}
	return c.q, report, nil
}

// Quantize returns the int8 model of Convert without its report: it runs
// the calibration images through the float model once, where Convert runs
// them through the int8 model too (and, with Options.Isolated, its first
// batch again once per conv2d and linear layer). For callers that do not
// read the report: tests, benchmarks.
func Quantize(m *nn.Model, calib *dataset.Set, opt Options) (*nn.Model, error) {
	c, err := calibrate(m, calib, opt)
	if err != nil {
		return nil, err
	}
	c.float.Close()
	return c.q, nil
}

// calibration is the work Convert and Quantize share.
type calibration struct {
	m         *nn.Model      // the float model, batch norms folded
	float     *engine.Engine // running m
	batch     int            // images per run (batchSize)
	observers []quant.Observer
	taps      *tapMeans // nil with Options.NoBiasCorrection
	q         *nn.Model // the int8 model
}

// calibrate checks m and the options, observes every layer's output on
// the calibration images and quantizes m. The caller closes the float
// engine.
func calibrate(m *nn.Model, calib *dataset.Set, opt Options) (*calibration, error) {
	if !m.Folded() {
		var err error
		if m, err = nn.FoldBatchNorm(m); err != nil {
			return nil, err
		}
	}
	if err := check(m, calib, opt); err != nil {
		return nil, err
	}
	batch, err := batchSize(m)
	if err != nil {
		return nil, err
	}
	float, err := engine.New(m, engine.Options{Threads: 1})
	if err != nil {
		return nil, err
	}
	c := &calibration{m: m, float: float, batch: batch}
	// Quantization-aware training rounds the weights as conversion does
	// and trains the biases with them: such a model (one with learned
	// ranges) is the int8 model already, and stays it.
	if !opt.NoBiasCorrection && !learnedRanges(m) {
		if c.taps, err = newTapMeans(m, opt.Float); err != nil {
			float.Close()
			return nil, err
		}
	}
	if c.observers, err = observe(float, calib, batch, c.taps, opt); err == nil {
		c.q, err = quantize(m, c.observers, c.taps, opt)
	}
	if err != nil {
		float.Close()
		return nil, err
	}
	return c, nil
}

func check(m *nn.Model, calib *dataset.Set, opt Options) error {
	if m.Quantized() {
		return errors.New("model is already int8")
	}
	for _, n := range m.Nodes {
		if !engine.RunsInt8(n.Op) {
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

// observe runs the calibration images through the float model, batch at a
// time, and feeds every node's output to an observer of the chosen method,
// and the inputs of the conv2d and linear layers to taps unless it is nil.
func observe(float *engine.Engine, calib *dataset.Set, batch int, taps *tapMeans, opt Options) ([]quant.Observer, error) {
	observers := make([]quant.Observer, len(float.Model().Nodes))
	for i := range observers {
		o, err := newObserver(opt)
		if err != nil {
			return nil, err
		}
		observers[i] = o
	}
	err := forEachBatch(calib, batch, func(pixels []uint8, n int) error {
		outs, err := float.Outputs(pixels, n)
		if err != nil {
			return err
		}
		for i, o := range observers {
			o.Observe(outs[i])
		}
		if taps != nil {
			in := float.Model().Input
			x := make([]float32, len(pixels))
			size := len(pixels) / n
			for s := range n {
				in.Normalize(x[s*size:(s+1)*size], pixels[s*size:(s+1)*size])
			}
			taps.observe(append(outs, x), n)
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
	o, err := quant.NewObserver(cmp.Or(opt.Method, "minmax"))
	if err != nil {
		return nil, fmt.Errorf("--method: %w", err)
	}
	return o, nil
}

// forEachBatch hands the calibration images to f, batch at a time.
func forEachBatch(calib *dataset.Set, batch int, f func(pixels []uint8, n int) error) error {
	size := calib.ImageSize()
	for lo := 0; lo < calib.Len(); lo += batch {
		hi := min(lo+batch, calib.Len())
		if err := f(calib.Images[lo*size:hi*size], hi-lo); err != nil {
			return err
		}
	}
	return nil
}

// quantize builds the int8 model from the float one and the observed
// ranges, with biases corrected by taps unless it is nil.
func quantize(m *nn.Model, observers []quant.Observer, taps *tapMeans, opt Options) (*nn.Model, error) {
	q := &nn.Model{Arch: m.Arch, Input: m.Input, Labels: m.Labels, Params: map[string]*nn.Tensor{}, Imported: m.Imported}
	inParams := m.Input.QuantParams()
	q.Input.Quant = &inParams
	params := map[string]*quant.Params{nn.InputName: q.Input.Quant}
	readers := map[string][]*nn.Node{}
	index := map[string]int{}
	for i, n := range m.Nodes {
		index[n.Name] = i
		for _, in := range n.Inputs {
			readers[in] = append(readers[in], n)
		}
	}
	keeps, err := keepsParams(m)
	if err != nil {
		return nil, err
	}
	observers = chainConcats(m, observers, index, keeps)
	for i, n := range m.Nodes {
		c := *n
		c.Inputs = slices.Clone(n.Inputs)
		c.Range = nil // the int8 model carries Quant instead
		in := params[n.Inputs[0]]
		if keeps[i] {
			// These move values without changing them: same quantization.
			c.Quant = in
		} else {
			src := i
			if next := m.FusedActivation(i); next >= 0 {
				// The engine fuses this activation into the layer's
				// epilogue, so the layer takes the activation's range.
				src = next
			}
			p := outputParams(m, observers, readers, concatenatedAs(m, readers, index, src))
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
			bias := m.Bias(n).F32
			if taps != nil {
				bias = taps.corrected(i, qw, scales)
			}
			q.Params[n.Name+".weight"] = &nn.Tensor{DType: nn.I8, Shape: w.Shape, I8: qw}
			q.Params[n.Name+".weight_scale"] = &nn.Tensor{DType: nn.F32, Shape: []int{len(scales)}, F32: scales}
			q.Params[n.Name+".bias"] = &nn.Tensor{DType: nn.I32, Shape: m.Bias(n).Shape,
				I32: quant.QuantizeBias(bias, in.Scale, scales)}
		}
	}
	if i := logitsLayer(m, opt); i >= 0 {
		q.Nodes[i].FloatOutput = true
	}
	return q, q.Validate()
}

// learnedRanges reports whether m comes from quantization-aware training:
// some node carries the range training quantized it with.
func learnedRanges(m *nn.Model) bool {
	return slices.ContainsFunc(m.Nodes, func(n *nn.Node) bool { return n.Range != nil })
}

// logitsLayer returns the index of the layer of m that writes float32
// logits from its int32 accumulators in the int8 model, or -1: the last
// layer with weights, when it is an int8 linear layer and the nodes after
// it form a chain from it (a softmax, a flatten), unless Options.Int8Logits
// is set or m has learned ranges.
func logitsLayer(m *nn.Model, opt Options) int {
	if opt.Int8Logits || learnedRanges(m) {
		return -1
	}
	for i := len(m.Nodes) - 1; i >= 0; i-- {
		n := m.Nodes[i]
		switch {
		case m.Weight(n) != nil && n.Op == nn.OpLinear && !slices.Contains(opt.Float, n.Name):
			return i
		case m.Weight(n) != nil, i == 0, len(n.Inputs) != 1, n.Inputs[0] != m.Nodes[i-1].Name:
			return -1
		}
	}
	return -1
}

// keepsParams reports for every node of m whether its int8 output takes
// its input's parameters: the layers of nn.KeepsQuant, except the global
// average pools, which take a range of their own (the engine requantizes
// a map's mean to its finer step) unless the model has learned ranges,
// whose training rounded them at their input's.
func keepsParams(m *nn.Model) ([]bool, error) {
	shapes, err := m.Shapes()
	if err != nil {
		return nil, err
	}
	qat := learnedRanges(m)
	index := map[string]int{}
	keeps := make([]bool, len(m.Nodes))
	for i, n := range m.Nodes {
		index[n.Name] = i
		in := m.Input.Shape()
		if j, ok := index[n.Inputs[0]]; ok {
			in = shapes[j]
		}
		keeps[i] = nn.KeepsQuant(n.Op) && (qat || n.Op != nn.OpAvgPool || !nn.GlobalPool(n, in))
	}
	return keeps, nil
}

// concatenatedAs returns the concat whose int8 parameters node i's output
// takes, or i. When a concat is the only reader of a tensor (as of the
// branches of an inception block), the tensor takes the concat's
// parameters and the concat copies it: one rounding at the concat's step
// has less error than a rounding at the tensor's own, finer step followed
// by a requantization to the concat's. Through concats of concats, the
// last. Learned ranges (quantization-aware training) are kept as trained.
func concatenatedAs(m *nn.Model, readers map[string][]*nn.Node, index map[string]int, i int) int {
	for m.Nodes[i].Range == nil {
		r := readers[m.Nodes[i].Name]
		if len(r) != 1 || r[0].Op != nn.OpConcat || r[0].Range != nil {
			break
		}
		i = index[r[0].Name]
	}
	return i
}

// chainConcats returns observers with the range of every concat that
// reads another concat's output through layers that keep their input's
// int8 parameters (channel splits and shuffles, pools, flatten) replaced by
// the union of the ranges of all the concats so linked. ShuffleNet v2
// passes half of each unit's channels on this way: with one set of
// parameters the concats copy them, where each would requantize them to
// its own (13 times in a row in ShuffleNet v2's three stages). Concats
// with learned ranges (quantization-aware training) keep them.
func chainConcats(m *nn.Model, observers []quant.Observer, index map[string]int, keeps []bool) []quant.Observer {
	root := make([]int, len(m.Nodes)) // union-find over the concats
	for i := range root {
		root[i] = i
	}
	find := func(i int) int {
		for root[i] != i {
			root[i] = root[root[i]]
			i = root[i]
		}
		return i
	}
	linked := false
	for b, n := range m.Nodes {
		if n.Op != nn.OpConcat || n.Range != nil {
			continue
		}
		for _, name := range n.Inputs {
			a, ok := index[name]
			for ok && keeps[a] {
				a, ok = index[m.Nodes[a].Inputs[0]]
			}
			if ok && m.Nodes[a].Op == nn.OpConcat && m.Nodes[a].Range == nil {
				root[find(a)] = find(b)
				linked = true
			}
		}
	}
	if !linked {
		return observers
	}
	union := map[int]*sharedRange{} // by root: the range of its concats
	for i, n := range m.Nodes {
		if n.Op != nn.OpConcat || n.Range != nil {
			continue
		}
		lo, hi := observers[i].Range()
		if u, ok := union[find(i)]; ok {
			u.lo, u.hi = min(u.lo, lo), max(u.hi, hi)
		} else {
			union[find(i)] = &sharedRange{lo, hi}
		}
	}
	out := slices.Clone(observers)
	for i, n := range m.Nodes {
		if n.Op == nn.OpConcat && n.Range == nil {
			out[i] = union[find(i)]
		}
	}
	return out
}

// sharedRange is the Observer of a range already chosen.
type sharedRange struct{ lo, hi float32 }

func (r *sharedRange) Observe([]float32)         {}
func (r *sharedRange) Range() (min, max float32) { return r.lo, r.hi }

// outputParams returns the int8 parameters of node i's output: those of
// the range quantization-aware training gave it, if any, else those of its
// observer's range. When the output's only reader (readers lists the
// nodes that read each tensor) is an activation that is constant outside
// an interval (nn.Node.Saturation: hard-swish below -3, hard-sigmoid
// outside [-3, 3]), the observed range is cut to it: int8 steps spent
// beyond it change no output, and the quantization that runs into them
// clamps the values to its ends.
func outputParams(m *nn.Model, observers []quant.Observer, readers map[string][]*nn.Node, i int) quant.Params {
	n := m.Nodes[i]
	if r := n.Range; r != nil {
		return r.Params()
	}
	lo, hi := observers[i].Range()
	if r := readers[n.Name]; len(r) == 1 && len(r[0].Inputs) == 1 {
		if a, b, ok := r[0].Saturation(); ok && lo < hi {
			lo, hi = min(max(lo, a), b), max(min(hi, b), a)
		}
	}
	return quant.ChooseParams(lo, hi)
}

// compare runs the calibration images through both models and reports
// every layer's SQNR.
func compare(m, q *nn.Model, float *engine.Engine, calib *dataset.Set, batch int, opt Options) ([]LayerReport, error) {
	quantized, err := engine.New(q, engine.Options{Threads: 1})
	if err != nil {
		return nil, err
	}
	defer quantized.Close()
	db, err := layerSQNRs(m, float, quantized, calib, batch)
	if err != nil {
		return nil, err
	}
	report := make([]LayerReport, len(m.Nodes))
	learned := map[string]bool{} // by node: whether its output parameters come from a learned range
	for i, n := range q.Nodes {
		switch src := m.Nodes[i]; {
		case nn.KeepsQuant(n.Op):
			learned[n.Name] = learned[n.Inputs[0]]
		case m.FusedActivation(i) >= 0:
			learned[n.Name] = m.Nodes[i+1].Range != nil
		default:
			learned[n.Name] = src.Range != nil
		}
		r := LayerReport{Name: n.Name, Op: n.Op, Quant: *n.Quant, SQNR: db[i], IsolatedSQNR: math.NaN(),
			Float: slices.Contains(opt.Float, n.Name), FloatOutput: n.FloatOutput, Learned: learned[n.Name]}
		if w := m.Weight(m.Nodes[i]); w != nil {
			r.WeightMin, r.WeightMax = slices.Min(w.F32), slices.Max(w.F32)
		}
		report[i] = r
	}
	return report, nil
}

// layerSQNRs runs the images through the float model m and the engine
// test (a conversion of m), batch at a time, and returns the SQNR of every
// node's output.
func layerSQNRs(m *nn.Model, float, test *engine.Engine, images *dataset.Set, batch int) ([]float64, error) {
	signal := make([]float64, len(m.Nodes))
	noise := make([]float64, len(m.Nodes))
	cuts := saturations(m)
	err := forEachBatch(images, batch, func(pixels []uint8, n int) error {
		ref, err := float.Outputs(pixels, n)
		if err != nil {
			return err
		}
		got, err := test.Outputs(pixels, n)
		if err != nil {
			return err
		}
		for i := range ref {
			addError(m, ref, got, i, cuts[i], &signal[i], &noise[i])
		}
		return nil
	})
	db := make([]float64, len(m.Nodes))
	for i := range db {
		db[i] = sqnr(signal[i], noise[i])
	}
	return db, err
}

// addError adds the energy of node i's float output ref[i] to signal and
// that of its difference from got[i] to noise. The float side of a conv
// or linear layer is read after the activation fused into its int8 form,
// and clamped to cut, the interval outside which the activation reading it
// is constant (saturations).
func addError(m *nn.Model, ref, got [][]float32, i int, cut [2]float32, signal, noise *float64) {
	r := ref[i]
	if next := m.FusedActivation(i); next >= 0 {
		r = ref[next] // the int8 layer's output is after its activation
	}
	for j, v := range r {
		v = min(max(v, cut[0]), cut[1])
		d := float64(v) - float64(got[i][j])
		*signal += float64(float64(v) * float64(v))
		*noise += float64(d * d)
	}
}

// isolate sets the IsolatedSQNR of every int8 conv2d and linear layer of
// report: it converts m again with every other such layer kept float32 and
// measures the layer's output on the first batch of calib, whose float
// outputs it computes once.
func isolate(m *nn.Model, observers []quant.Observer, taps *tapMeans, float *engine.Engine, calib *dataset.Set, batch int, opt Options, report []LayerReport) error {
	n := min(batch, calib.Len())
	pixels := calib.Images[:n*calib.ImageSize()]
	ref, err := float.Outputs(pixels, n)
	if err != nil {
		return err
	}
	cuts := saturations(m)
	var weighted []string
	for _, node := range m.Nodes {
		if m.Weight(node) != nil {
			weighted = append(weighted, node.Name)
		}
	}
	for i, node := range m.Nodes {
		if m.Weight(node) == nil || slices.Contains(opt.Float, node.Name) {
			continue
		}
		alone := opt
		alone.Float = slices.DeleteFunc(slices.Clone(weighted), func(name string) bool { return name == node.Name })
		q, err := quantize(m, observers, taps, alone)
		if err != nil {
			return err
		}
		e, err := engine.New(q, engine.Options{Threads: 1})
		if err != nil {
			return err
		}
		got, err := e.Outputs(pixels, n)
		e.Close()
		if err != nil {
			return fmt.Errorf("layer %q alone in int8: %w", node.Name, err)
		}
		var signal, noise float64
		addError(m, ref, got, i, cuts[i], &signal, &noise)
		report[i].IsolatedSQNR = sqnr(signal, noise)
	}
	return nil
}

// saturations returns for every node of m the interval its output is
// compared over: where its only reader is an activation constant outside
// an interval (nn.Node.Saturation), that interval, over which the int8
// output is quantized (outputParams) and beyond which no value changes
// what follows; else all the reals. The report then shows the error that
// reaches the activation: a hard-sigmoid's input clamped to [-3, 3] by
// its int8 range is no error.
func saturations(m *nn.Model) [][2]float32 {
	readers := map[string][]*nn.Node{}
	for _, n := range m.Nodes {
		for _, in := range n.Inputs {
			readers[in] = append(readers[in], n)
		}
	}
	inf := float32(math.Inf(1))
	cuts := make([][2]float32, len(m.Nodes))
	for i, n := range m.Nodes {
		cuts[i] = [2]float32{-inf, inf}
		if r := readers[n.Name]; len(r) == 1 && len(r[0].Inputs) == 1 {
			if lo, hi, ok := r[0].Saturation(); ok {
				cuts[i] = [2]float32{lo, hi}
			}
		}
	}
	return cuts
}

func sqnr(signal, noise float64) float64 {
	if noise == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(signal/noise)
}
