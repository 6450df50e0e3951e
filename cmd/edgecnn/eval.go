package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"

	"github.com/spf13/cobra"

	"github.com/edgecnn/edgecnn/engine"
	"github.com/edgecnn/edgecnn/internal/atomicfile"
	"github.com/edgecnn/edgecnn/internal/progress"
	"github.com/edgecnn/edgecnn/kernels"
	"github.com/edgecnn/edgecnn/train"
)

func evalCmd() *cobra.Command {
	var (
		modelPath, data, mnistDir, confusion, logits string
		threads, limit                               int
		asJSON                                       bool
		maxMemory                                    memoryLimit
	)
	cmd := &cobra.Command{
		Use:   "eval",
		Short: "Measure a model's top-1 accuracy, per class, on a test set",
		Example: `  edgecnn eval --model lenet5.safetensors --data mnist --confusion confusion.png
  edgecnn eval --json        # the embedded LeNet-5 on the MNIST test set`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkThreads(threads); err != nil {
				return err
			}
			m, name, err := loadModel(modelPath)
			if err != nil {
				return err
			}
			e, err := engine.New(m, engine.Options{Threads: threads, MaxMemory: int64(maxMemory)})
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			set, err := loadSet("--data", data, mnistDir, false, m.Input.Channels, m.Input.Height, m.Input.Width)
			if err != nil {
				return err
			}
			if limit > 0 && limit < set.Len() {
				set = set.Head(limit)
			}
			bar := progress.New(cmd.ErrOrStderr(), "eval", set.Len())
			res, err := train.EvaluateWith(e, set, train.EvalOptions{
				Progress:   func(done int) { bar.Update(done, "") },
				KeepLogits: logits != "",
			})
			bar.Done()
			if err != nil {
				return err
			}
			if logits != "" {
				if err := writeLogits(logits, res.Logits); err != nil {
					return err
				}
			}
			if confusion != "" {
				if err := train.PlotConfusion(confusion, res); err != nil {
					return err
				}
			}
			if asJSON {
				return printEvalJSON(cmd.OutOrStdout(), name, set.Name, res)
			}
			printEval(cmd.OutOrStdout(), name, set.Name, res)
			if confusion != "" {
				fmt.Fprintf(cmd.OutOrStdout(), "confusion matrix: %s\n", confusion)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&modelPath, "model", "", "model file (default: the embedded LeNet-5)")
	f.StringVar(&data, "data", "mnist", `test data: "mnist", a CIFAR-10 folder, or DIR/<label>/*.png|jpg`)
	f.StringVar(&mnistDir, "mnist", "", "folder holding the MNIST IDX files (default: the Go module cache)")
	f.StringVar(&confusion, "confusion", "", "write the confusion matrix to this PNG file")
	f.IntVar(&threads, "threads", 0, "worker threads (default: all cores)")
	f.IntVar(&limit, "limit", 0, "evaluate the first N test images only")
	f.BoolVar(&asJSON, "json", false, "print one JSON object")
	f.StringVar(&logits, "logits", "", "write every image's logits to this file (little-endian float32), for parity checks")
	addMemoryFlag(f, &maxMemory)
	return cmd
}

// writeLogits stores logits as raw little-endian float32 values.
func writeLogits(path string, logits []float32) error {
	data := make([]byte, 0, 4*len(logits))
	for _, v := range logits {
		b := math.Float32bits(v)
		data = append(data, byte(b), byte(b>>8), byte(b>>16), byte(b>>24))
	}
	return atomicfile.WriteBytes(path, data)
}

func printEval(w io.Writer, model, data string, r *train.Result) {
	fmt.Fprintf(w, "model %s on %s: top-1 %.2f%% (%d/%d)\n", model, data, 100*r.Top1(), r.Correct, r.N)
	fmt.Fprintln(w, "per class:")
	for c, label := range r.Classes {
		if acc := r.ClassTop1(c); acc >= 0 {
			fmt.Fprintf(w, "  %-10s %6.2f%%\n", label, 100*acc)
		}
	}
}

func printEvalJSON(w io.Writer, model, data string, r *train.Result) error {
	perClass := map[string]float64{}
	for c, label := range r.Classes {
		if acc := r.ClassTop1(c); acc >= 0 {
			perClass[label] = acc
		}
	}
	return json.NewEncoder(w).Encode(map[string]any{
		"model": model, "data": data, "top1": r.Top1(), "n": r.N, "correct": r.Correct,
		"per_class": perClass, "confusion": r.Confusion, "kernel": kernels.Path(),
	})
}
