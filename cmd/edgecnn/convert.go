package main

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/edgecnn/edgecnn/engine"
	"github.com/edgecnn/edgecnn/nn"
	"github.com/edgecnn/edgecnn/tools/convert"
	"github.com/edgecnn/edgecnn/tools/convert/onnx"
	"github.com/edgecnn/edgecnn/train"
)

func convertCmd() *cobra.Command {
	var (
		in, out, calib, evalData, mnistDir, floatLayers string
		calibN                                          int
		seed                                            uint64
		opt                                             convert.Options
		asJSON                                          bool
	)
	cmd := &cobra.Command{
		Use:   "convert",
		Short: "Quantize a float32 model to int8 with calibration images",
		Long: `Quantize a float32 model to int8 (per-channel symmetric weights, per-tensor
asymmetric activations, int32 biases, TFLite-compatible). Activation ranges come
from --calib-n training images of --calib, picked at random with --seed. The
table shows each layer's weight range, output scale and zero point, and the SQNR
of its int8 output against float on those images. "isolated dB" is the SQNR of a
conv2d or linear layer's output when it alone is int8 and the other conv2d and
linear layers float (measured on the first 100 of those images), as TFLite's
quantization debugger shows it: the error the layer adds, apart from what it
inherits. Each int8 bias is corrected for the mean error that rounding the
layer's weights causes on the calibration images (--no-bias-correction keeps
the plain rounding). A model from 'edgecnn train --qat' carries the activation
ranges it was trained with ("learned") and keeps its trained biases; the others
are calibrated. A classifier's last linear layer writes float32 logits from
its int32 accumulators ("float32 output"; --int8-logits rounds them to int8).
The output file is written only when everything succeeded.`,
		Example: `  edgecnn convert --in lenet5.safetensors --calib mnist --out lenet5.int8.safetensors
  edgecnn convert --in lenet5.safetensors --calib mnist --method entropy --eval mnist --out lenet5.int8.safetensors
  edgecnn convert --in alexnet.safetensors --calib mnist --float conv1,fc3 --out alexnet.int8.safetensors`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if in == "" || out == "" {
				return usagef("--in and --out are required")
			}
			if calibN <= 0 {
				return usagef("--calib-n must be positive, got %d", calibN)
			}
			if floatLayers != "" {
				opt.Float = strings.Split(floatLayers, ",")
			}
			m, err := loadFloat(in)
			if err != nil {
				return fmt.Errorf("--in: %w", err)
			}
			set, err := loadSet(modelData("--calib", calib, mnistDir, true, m, 0, cmd.ErrOrStderr()))
			if err != nil {
				return err
			}
			set = set.Sample(calibN, seed)
			opt.Isolated = true // the report shows each layer's error alone
			q, report, err := convert.Convert(m, set, opt)
			if err != nil {
				return fmt.Errorf("%s: %w", in, err)
			}
			w := cmd.OutOrStdout()
			if !asJSON {
				fmt.Fprintf(w, "calibrated on %d images of %s with %s\n\n", set.Len(), set.Name, opt.Method)
				printReport(w, report)
			}
			var acc *accuracyJSON
			if evalData != "" {
				if acc, err = compareAccuracy(cmd.ErrOrStderr(), m, q, evalData, mnistDir); err != nil {
					return err
				}
				if !asJSON {
					fmt.Fprintf(w, "\ntop-1 on %s (%d images): float %.2f%%  int8 %.2f%%  (%+.2f pp)\n\n",
						acc.Data, acc.N, 100*acc.Float, 100*acc.Int8, 100*(acc.Int8-acc.Float))
				}
			}
			if err := nn.Save(out, q); err != nil {
				return err
			}
			if asJSON {
				return writeJSON(w, convertJSON{In: in, Out: out, Calibration: set.Name, Images: set.Len(),
					Method: opt.Method, Layers: convertLayers(report), Eval: acc})
			}
			fmt.Fprintf(w, "wrote %s\n", out)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&in, "in", "", "float32 model file, or an ONNX file (required)")
	f.StringVar(&out, "out", "", "int8 model file to write (required)")
	f.StringVar(&calib, "calib", "mnist", `calibration data (its training split): "mnist", a CIFAR-10 folder, or DIR/<label>/*.png|jpg`)
	f.IntVar(&calibN, "calib-n", 1000, "number of calibration images")
	f.Uint64Var(&seed, "seed", 1, "seed for picking the calibration images")
	f.StringVar(&opt.Method, "method", "minmax", "activation ranges: minmax, percentile, entropy or mse")
	f.Float64Var(&opt.Percentile, "percentile", 99.99, "percentile method: the cut-off")
	f.BoolVar(&opt.Int8Logits, "int8-logits", false, "keep the last linear layer's output int8 instead of float32 logits from its int32 accumulators")
	f.BoolVar(&opt.NoBiasCorrection, "no-bias-correction", false, "round each bias as it is, without correcting it for the int8 weights' mean error")
	f.StringVar(&floatLayers, "float", "", "comma-separated conv2d/linear layers to keep in float32")
	f.StringVar(&evalData, "eval", "", "also report float and int8 top-1 on this data's test split")
	f.StringVar(&mnistDir, "mnist", "", "folder holding the MNIST IDX files (default: the Go module cache)")
	f.BoolVar(&asJSON, "json", false, "print one JSON object: the calibration, every layer's report and the --eval accuracy")
	return cmd
}

// loadFloat reads a float model: a model file, or an ONNX file (with the
// defaults of `edgecnn import`: labels 0..N-1, pixels scaled to [0, 1]).
func loadFloat(path string) (*nn.Model, error) {
	if strings.HasSuffix(strings.ToLower(path), ".onnx") {
		return onnx.Read(path, onnx.Options{})
	}
	return nn.Load(path)
}

func printReport(w io.Writer, report []convert.LayerReport) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "layer\top\tweights\trange\tscale\tzero point\tSQNR dB\tisolated dB\t")
	for _, r := range report {
		weights := ""
		if r.WeightMin != 0 || r.WeightMax != 0 {
			weights = fmt.Sprintf("[%.3g, %.3g]", r.WeightMin, r.WeightMax)
		}
		if r.Float {
			weights += " float32"
		}
		source := "calibrated"
		switch {
		case r.FloatOutput:
			source = "float32 output"
		case r.Learned:
			source = "learned"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.4g\t%d\t%s\t%s\t\n", r.Name, r.Op, weights, source, r.Quant.Scale, r.Quant.ZeroPoint,
			decibels(r.SQNR), decibels(r.IsolatedSQNR))
	}
	tw.Flush()
}

// decibels formats an SQNR: "exact" for no error, "-" when not measured.
func decibels(db float64) string {
	switch {
	case math.IsInf(db, 1):
		return "exact"
	case math.IsNaN(db):
		return "-"
	}
	return fmt.Sprintf("%.1f", db)
}

// compareAccuracy measures float and int8 top-1 on the test split of data;
// notes on reading the data go to log.
func compareAccuracy(log io.Writer, float, q *nn.Model, data, mnistDir string) (*accuracyJSON, error) {
	set, err := loadSet(modelData("--eval", data, mnistDir, false, float, 0, log))
	if err != nil {
		return nil, err
	}
	var top1 [2]float64
	for i, m := range []*nn.Model{float, q} {
		e, err := engine.New(m, engine.Options{})
		if err != nil {
			return nil, err
		}
		res, err := train.EvaluateWith(e, set, train.EvalOptions{})
		e.Close()
		if err != nil {
			return nil, err
		}
		top1[i] = res.Top1()
	}
	return &accuracyJSON{Data: set.Name, N: set.Len(), Float: top1[0], Int8: top1[1]}, nil
}
