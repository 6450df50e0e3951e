package main

import (
	"encoding/json"
	"io"
	"math"
	"slices"

	"github.com/edgecnn/edgecnn/nn"
	"github.com/edgecnn/edgecnn/quant"
	"github.com/edgecnn/edgecnn/tools/convert"
	"github.com/edgecnn/edgecnn/train"
)

// The --json forms of inspect, convert and train. Their field names are a
// stable interface: add fields, never rename them.

// writeJSON writes v as one line of JSON.
func writeJSON(w io.Writer, v any) error { return json.NewEncoder(w).Encode(v) }

// modelJSON is `inspect --json`.
type modelJSON struct {
	Model  string      `json:"model"`
	Arch   string      `json:"arch"`
	Format string      `json:"format"` // float32 or int8
	Input  inputJSON   `json:"input"`
	Labels []string    `json:"labels"`
	Layers []layerJSON `json:"layers"`
	Params int         `json:"params"`
	MACs   int64       `json:"macs"`
	// Imported says which format and graph an imported model came from
	// and which of its nodes were folded (see nn.Imported).
	Imported *nn.Imported `json:"imported,omitempty"`
}

type inputJSON struct {
	Shape []int         `json:"shape"` // channels, height, width
	Mean  []float32     `json:"mean"`
	Std   []float32     `json:"std"`
	Digit bool          `json:"digit"` // MNIST-style digit preprocessing
	Quant *quant.Params `json:"quant,omitempty"`
}

type layerJSON struct {
	Name     string        `json:"name"`
	Op       nn.Op         `json:"op"`
	Describe string        `json:"describe"` // e.g. "conv2d 5x5/1 pad 2"
	Inputs   []string      `json:"inputs"`   // the layers it reads; empty for the model input
	In       []int         `json:"input"`
	Out      []int         `json:"output"`
	Params   int           `json:"params"`
	MACs     int64         `json:"macs"`
	Weights  string        `json:"weights,omitempty"` // int8 or float32, for layers with weights
	ScaleMin float32       `json:"weight_scale_min,omitempty"`
	ScaleMax float32       `json:"weight_scale_max,omitempty"`
	Quant    *quant.Params `json:"quant,omitempty"` // the output's, in an int8 model
	// FloatOutput marks an int8 linear layer writing float32 from its
	// int32 accumulators (a classifier's logits); Quant is then what an
	// int8 reader would take.
	FloatOutput bool     `json:"float_output,omitempty"`
	From        []string `json:"from,omitempty"` // the source nodes it computes, in an imported model
}

func inspectJSON(name string, m *nn.Model) (*modelJSON, error) {
	stats, err := m.Stats()
	if err != nil {
		return nil, err
	}
	in := m.Input
	r := &modelJSON{Model: name, Arch: m.Arch, Format: "float32", Labels: m.Labels,
		Input: inputJSON{Shape: in.Shape(), Mean: in.Mean, Std: in.Std, Digit: in.Digit}, Imported: m.Imported}
	if m.Quantized() {
		r.Format, r.Input.Quant = "int8", in.Quant
	}
	for _, s := range stats {
		l := layerJSON{Name: s.Node.Name, Op: s.Node.Op, Describe: describe(s.Node), Inputs: s.Node.Inputs,
			In: s.In, Out: s.Out, Params: s.Params, MACs: s.MACs, From: s.Node.From, FloatOutput: s.Node.FloatOutput}
		if m.Quantized() {
			l.Weights, l.Quant = weightType(m, s.Node), s.Node.Quant
			if sc := m.Params[s.Node.Name+".weight_scale"]; sc != nil {
				l.ScaleMin, l.ScaleMax = slices.Min(sc.F32), slices.Max(sc.F32)
			}
		}
		r.Layers = append(r.Layers, l)
		r.Params += s.Params
		r.MACs += s.MACs
	}
	return r, nil
}

// convertJSON is `convert --json`.
type convertJSON struct {
	In          string             `json:"in"`
	Out         string             `json:"out"`
	Calibration string             `json:"calibration"` // the data set
	Images      int                `json:"images"`
	Method      string             `json:"method"`
	Layers      []convertLayerJSON `json:"layers"`
	Eval        *accuracyJSON      `json:"eval,omitempty"` // with --eval
}

type convertLayerJSON struct {
	Name      string       `json:"name"`
	Op        nn.Op        `json:"op"`
	Float     bool         `json:"float"` // kept in float32
	WeightMin float32      `json:"weight_min"`
	WeightMax float32      `json:"weight_max"`
	Quant     quant.Params `json:"quant"`
	SQNR      *float64     `json:"sqnr_db"` // null when the int8 output is exact
	// IsolatedSQNR is the SQNR with this layer alone in int8: null when
	// exact, and for layers it is not measured on (all but int8 conv2d
	// and linear layers).
	IsolatedSQNR *float64 `json:"isolated_sqnr_db"`
	Learned      bool     `json:"learned_range"` // the range came from quantization-aware training
	FloatOutput  bool     `json:"float_output"`  // writes float32 logits from its int32 accumulators
}

// accuracyJSON compares float and int8 top-1.
type accuracyJSON struct {
	Data  string  `json:"data"`
	N     int     `json:"n"`
	Float float64 `json:"float_top1"`
	Int8  float64 `json:"int8_top1"`
}

func convertLayers(report []convert.LayerReport) []convertLayerJSON {
	out := make([]convertLayerJSON, len(report))
	for i, r := range report {
		out[i] = convertLayerJSON{Name: r.Name, Op: r.Op, Float: r.Float, FloatOutput: r.FloatOutput, WeightMin: r.WeightMin, WeightMax: r.WeightMax,
			Quant: r.Quant, Learned: r.Learned}
		if !math.IsInf(r.SQNR, 1) {
			out[i].SQNR = &report[i].SQNR
		}
		if !math.IsInf(r.IsolatedSQNR, 1) && !math.IsNaN(r.IsolatedSQNR) {
			out[i].IsolatedSQNR = &report[i].IsolatedSQNR
		}
	}
	return out
}

// epochJSON is one line of `train --json`, written after every epoch.
type epochJSON struct {
	Epoch        int      `json:"epoch"`
	Epochs       int      `json:"epochs"`
	Loss         float64  `json:"loss"`
	TrainTop1    float64  `json:"train_top1"`
	TestTop1     *float64 `json:"test_top1"` // null without a test set
	TestLoss     *float64 `json:"test_loss"` // mean cross-entropy; null without a test set
	Seconds      float64  `json:"seconds"`
	ImagesPerSec float64  `json:"images_per_s"`
	LR           float64  `json:"lr"`
	Checkpoint   string   `json:"checkpoint"`
}

func epochLine(e train.EpochMetrics, epochs int, ckpt string) epochJSON {
	j := epochJSON{Epoch: e.Epoch, Epochs: epochs, Loss: e.Loss, TrainTop1: e.TrainTop1, Seconds: e.Seconds,
		ImagesPerSec: e.ImagesPerSec, LR: e.LR, Checkpoint: ckpt}
	if e.TestTop1 >= 0 {
		j.TestTop1, j.TestLoss = &e.TestTop1, &e.TestLoss
	}
	return j
}
