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
		onnxPath, out, labelsPath, norm, preset string
		digit, bgr                              bool
		resize                                  int
	)
	cmd := &cobra.Command{
		Use:   "import",
		Short: "Import a float32 model exported from PyTorch to ONNX",
		Long: `Read an ONNX model (opsets 9 to 17, e.g. from torch.onnx.export) and write it as an
edgecnn float32 model, ready for 'edgecnn convert' to int8. The input must be one
[N, C, H, W] float32 batch (N dynamic or 1) and the output one [N, classes] tensor.

ONNX does not record how images were prepared; the flags store it in the model
(its input contract), and eval, convert and run follow it:

  --preset imagenet  torchvision's ImageNet recipe: resize the shorter side to 256
                     (antialiased bilinear), centre crop to the model's input (224),
                     RGB, mean 0.485,0.456,0.406 and std 0.229,0.224,0.225
  --input-norm       the mean and std applied to pixel/255, as "MEAN/STD" where
                     each side is one value or one per channel, e.g. 0.1307/0.3081
                     or 0.5/0.5 (pixels to [-1, 1]); "MEAN,STD" with two numbers is
                     the same; the word imagenet is the ImageNet values
  --resize S         resize the shorter side to S before the centre crop (default:
                     scale the image just to cover the input)
  --bgr              channels in blue, green, red order (Caffe, OpenCV models)
  --digit            MNIST-style digit preprocessing for photos of digits

A 3-channel model imported without a normalisation draws a warning: most
PyTorch models expect normalised input.

A model with operators edgecnn cannot run fails with one message listing every
such node; nothing is written then.`,
		Example: `  edgecnn import --onnx lenet5.onnx --out lenet5.safetensors --digit
  edgecnn import --onnx mobilenet_v2.onnx --preset imagenet --labels labels.txt --out mobilenet.safetensors
  edgecnn import --onnx net.onnx --labels classes.txt --input-norm 0.5/0.5 --resize 160 --out net.safetensors
  edgecnn convert --in net.safetensors --calib DIR --out net.int8.safetensors`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if onnxPath == "" || out == "" {
				return usagef("--onnx and --out are required")
			}
			flags := cmd.Flags()
			opt := onnx.Options{Digit: digit}
			var err error
			switch preset {
			case "":
			case "imagenet":
				if flags.Changed("input-norm") || flags.Changed("resize") || digit {
					return usagef("--preset imagenet sets the normalisation and resize: drop --input-norm, --resize and --digit")
				}
				norm, resize = "imagenet", 256
			default:
				return usagef("--preset %q: the preset known is imagenet", preset)
			}
			if resize < 0 {
				return usagef("--resize %d: want a positive size", resize)
			}
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
			m.Input.Resize, m.Input.BGR = resize, bgr
			if err := m.Input.Validate(); err != nil {
				return usagef("%s: %v", onnxPath, err)
			}
			if m.Input.Channels == 3 && preset == "" && !flags.Changed("input-norm") {
				fmt.Fprintf(cmd.ErrOrStderr(), "edgecnn import: warning: no normalisation given for a 3-channel model: pixels are scaled to [0, 1]. "+
					"Most PyTorch models expect --preset imagenet (or --input-norm MEAN/STD)\n")
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
	f.StringVar(&preset, "preset", "", "preprocessing of a known family: imagenet (resize 256, centre crop, ImageNet mean/std)")
	f.IntVar(&resize, "resize", 0, "resize the shorter side of images to this before the centre crop (default: just cover the input)")
	f.BoolVar(&bgr, "bgr", false, "the model takes channels in BGR order")
	return cmd
}

// parseNorm reads --input-norm: "MEAN/STD" with comma-separated lists on
// each side, "MEAN,STD" for two single values, or "imagenet".
func parseNorm(s string) (mean, std []float32, err error) {
	if strings.EqualFold(s, "imagenet") {
		return nn.ImageNet.Mean, nn.ImageNet.Std, nil
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
