package main

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/edgecnn/edgecnn/internal/safefile"
	"github.com/edgecnn/edgecnn/nn"
	"github.com/edgecnn/edgecnn/tools/convert/onnx"
)

func importCmd() *cobra.Command {
	var (
		onnxPath, out, labelsPath, norm string
		digit                           bool
	)
	cmd := &cobra.Command{
		Use:   "import",
		Short: "Import a float32 model exported from PyTorch to ONNX",
		Long: `Read an ONNX model (opsets 9 to 17, e.g. from torch.onnx.export) and write it as an
edgecnn float32 model, ready for 'edgecnn convert' to int8. The input must be one
[N, C, H, W] float32 batch (N dynamic or 1) and the output one [N, classes] tensor.

ONNX does not record how images were normalised: --input-norm gives the mean and
std applied to pixel/255, as "MEAN/STD" where each side is one value or one value
per channel, e.g. 0.1307/0.3081 or 0.485,0.456,0.406/0.229,0.224,0.225 (or the
word imagenet). "MEAN,STD" with two numbers is the same as "MEAN/STD".

A model with operators edgecnn cannot run fails with one message listing every
such node; nothing is written then.`,
		Example: `  edgecnn import --onnx lenet5.onnx --out lenet5.safetensors --digit
  edgecnn import --onnx net.onnx --labels classes.txt --input-norm imagenet --out net.safetensors
  edgecnn convert --in net.safetensors --calib DIR --out net.int8.safetensors`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if onnxPath == "" || out == "" {
				return usagef("--onnx and --out are required")
			}
			opt := onnx.Options{Digit: digit}
			var err error
			if opt.Mean, opt.Std, err = parseNorm(norm); err != nil {
				return usagef("--input-norm: %v", err)
			}
			if labelsPath != "" {
				if opt.Labels, err = readLabels(labelsPath); err != nil {
					return fmt.Errorf("--labels: %w", err)
				}
			}
			m, err := onnx.Read(onnxPath, opt)
			if err != nil {
				return err
			}
			if err := nn.Save(out, m); err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if err := printModel(w, onnxPath, m); err != nil {
				return err
			}
			fmt.Fprintf(w, "\nwrote %s\n", out)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&onnxPath, "onnx", "", "ONNX model file (required)")
	f.StringVar(&out, "out", "", "model file to write (required)")
	f.StringVar(&labelsPath, "labels", "", `text file with one class label per line (default: "0", "1", ...)`)
	f.StringVar(&norm, "input-norm", "0/1", `normalisation of pixel/255: "MEAN/STD", per-channel lists allowed, or imagenet`)
	f.BoolVar(&digit, "digit", false, "camera frames get MNIST-style digit preprocessing (grayscale, inverted, centred)")
	return cmd
}

// parseNorm reads --input-norm: "MEAN/STD" with comma-separated lists on
// each side, "MEAN,STD" for two single values, or "imagenet".
func parseNorm(s string) (mean, std []float32, err error) {
	if strings.EqualFold(s, "imagenet") {
		return []float32{0.485, 0.456, 0.406}, []float32{0.229, 0.224, 0.225}, nil
	}
	var left, right string
	if l, r, ok := strings.Cut(s, "/"); ok {
		left, right = l, r
	} else if parts := strings.Split(s, ","); len(parts) == 2 {
		left, right = parts[0], parts[1]
	} else {
		return nil, nil, fmt.Errorf("%q: want MEAN/STD, e.g. 0.5/0.5 or 0.485,0.456,0.406/0.229,0.224,0.225", s)
	}
	if mean, err = floatList(left); err != nil {
		return nil, nil, fmt.Errorf("mean: %w", err)
	}
	if std, err = floatList(right); err != nil {
		return nil, nil, fmt.Errorf("std: %w", err)
	}
	for _, v := range std {
		if !(v > 0) {
			return nil, nil, fmt.Errorf("std %v must be positive", v)
		}
	}
	return mean, std, nil
}

func floatList(s string) ([]float32, error) {
	var out []float32
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 32)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", f)
		}
		out = append(out, float32(v))
	}
	return out, nil
}

// maxLabelsFile bounds a --labels file: a million labels of 16 bytes.
const maxLabelsFile = 16 << 20

// readLabels reads one label per line; blank lines are skipped.
func readLabels(path string) ([]string, error) {
	data, err := safefile.ReadFile(path, maxLabelsFile)
	if err != nil {
		return nil, err
	}
	var labels []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			labels = append(labels, l)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(labels) == 0 {
		return nil, fmt.Errorf("%s holds no labels", path)
	}
	return labels, nil
}
