package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/engine"
	"github.com/edgecnn/edgecnn/internal/atomicfile"
	"github.com/edgecnn/edgecnn/internal/progress"
	"github.com/edgecnn/edgecnn/kernels"
	"github.com/edgecnn/edgecnn/nn"
	"github.com/edgecnn/edgecnn/train"
)

func evalCmd() *cobra.Command {
	var (
		modelPath, data, mnistDir, confusion, logits, saveInputs string
		threads, limit, top                                      int
		asJSON                                                   bool
		maxMemory                                                memoryLimit
	)
	cmd := &cobra.Command{
		Use:   "eval",
		Short: "Measure a model's top-1 accuracy, per class, on a test set",
		Long: `Eval classifies a labelled test set and reports top-1 (and with --top K,
top-K) accuracy, per class, and optionally the confusion matrix.

--data is "mnist", a CIFAR-10 folder, or a folder of images DIR/<label>/*.png|jpg
(DIR/test/<label>/... if it has a train/test split). Folders are matched to the
model's labels by name, and every image goes through the model's preprocessing
(the digit path of a digit model, resize and crop otherwise) exactly as
'edgecnn run' prepares frames, so both give the same label for the same file.
For folders, the misclassified files are listed; --save-inputs writes what the
model saw of each image.`,
		Example: `  edgecnn eval --model lenet5.safetensors --data mnist --confusion confusion.png
  edgecnn eval --model models/lenet5.int8.safetensors --data photos/   # photos/<digit>/*.jpg
  edgecnn eval --model mobilenet.int8.safetensors --data val/ --top 5
  edgecnn eval --json        # the embedded LeNet-5 on the MNIST test set`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkThreads(threads); err != nil {
				return err
			}
			if top < 1 || limit < 0 {
				return usagef("--top must be at least 1 and --limit not negative, got %d and %d", top, limit)
			}
			m, name, err := loadModel(modelPath)
			if err != nil {
				return err
			}
			e, err := engine.New(m, engine.Options{Threads: threads, MaxMemory: int64(maxMemory)})
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			if limit < 0 {
				return usagef("--limit must not be negative, got %d", limit)
			}
			req := modelData("--data", data, mnistDir, false, m, threads, cmd.ErrOrStderr())
			req.limit = limit
			set, err := loadSet(req)
			if err != nil {
				return err
			}
			if saveInputs != "" {
				if err := saveSetInputs(saveInputs, set, m.Input); err != nil {
					return err
				}
			}
			bar := progress.New(cmd.ErrOrStderr(), "eval", set.Len())
			res, err := train.EvaluateWith(e, set, train.EvalOptions{
				Progress:        func(done int) { bar.Update(done, "") },
				KeepLogits:      logits != "",
				KeepPredictions: true,
				TopK:            top,
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
				return printEvalJSON(cmd.OutOrStdout(), name, set, res)
			}
			printEval(cmd.OutOrStdout(), name, m.Input, set, res)
			if saveInputs != "" {
				fmt.Fprintf(cmd.OutOrStdout(), "model inputs: %s\n", saveInputs)
			}
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
	f.IntVar(&top, "top", 1, "also report top-K accuracy (e.g. 5)")
	f.StringVar(&saveInputs, "save-inputs", "", "write each image as the model saw it to this folder (PNG), to debug preprocessing")
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

func printEval(w io.Writer, model string, in nn.Input, s *dataset.Set, r *train.Result) {
	fmt.Fprintf(w, "model %s on %s: top-1 %.2f%% (%d/%d)", model, s.Name, 100*r.Top1(), r.Correct, r.N)
	if r.TopK > 1 {
		fmt.Fprintf(w, "  top-%d %.2f%% (%d/%d)", r.TopK, 100*r.TopKAccuracy(), r.CorrectK, r.N)
	}
	fmt.Fprintln(w)
	if s.Files != nil {
		fmt.Fprintf(w, "preprocessing: %s\n", in.Describe())
	}
	if r.NotFound > 0 {
		fmt.Fprintf(w, "no digit found in %d images (counted as wrong)\n", r.NotFound)
	}
	fmt.Fprintln(w, "per class:")
	for c, label := range r.Classes {
		if acc := r.ClassTop1(c); acc >= 0 {
			fmt.Fprintf(w, "  %-10s %6.2f%%\n", label, 100*acc)
		}
	}
	if s.Files == nil {
		return
	}
	const shown = 20
	var wrong []int
	for i, p := range r.Predicted {
		if p != s.Labels[i] {
			wrong = append(wrong, i)
		}
	}
	if len(wrong) == 0 {
		return
	}
	fmt.Fprintf(w, "misclassified (%d):\n", len(wrong))
	for _, i := range wrong[:min(shown, len(wrong))] {
		fmt.Fprintf(w, "  %s: %s\n", s.Files[i], predictedName(r, i))
	}
	if len(wrong) > shown {
		fmt.Fprintf(w, "  ... and %d more (--json lists every image)\n", len(wrong)-shown)
	}
}

// predictedName is the label image i was given, or "no digit".
func predictedName(r *train.Result, i int) string {
	if p := r.Predicted[i]; p >= 0 {
		return r.Classes[p]
	}
	return "no digit"
}

// evalImage is one image of a folder in eval's JSON.
type evalImage struct {
	File      string `json:"file"`
	Label     string `json:"label"`
	Predicted string `json:"predicted"`
}

func printEvalJSON(w io.Writer, model string, s *dataset.Set, r *train.Result) error {
	perClass := map[string]float64{}
	for c, label := range r.Classes {
		if acc := r.ClassTop1(c); acc >= 0 {
			perClass[label] = acc
		}
	}
	out := map[string]any{
		"model": model, "data": s.Name, "top1": r.Top1(), "n": r.N, "correct": r.Correct,
		"per_class": perClass, "confusion": r.Confusion, "kernel": kernels.Path(),
	}
	if r.TopK > 1 {
		out[fmt.Sprintf("top%d", r.TopK)] = r.TopKAccuracy()
	}
	if r.NotFound > 0 || s.Found != nil {
		out["not_found"] = r.NotFound
	}
	if s.Files != nil {
		images := make([]evalImage, len(r.Predicted))
		for i := range images {
			images[i] = evalImage{File: s.Files[i], Label: r.Classes[s.Labels[i]], Predicted: predictedName(r, i)}
		}
		out["images"] = images
	}
	return json.NewEncoder(w).Encode(out)
}

// saveSetInputs writes every image of s, as the model sees it, to
// dir/NNNNNN_<label>.png (named after the file for folders).
func saveSetInputs(dir string, s *dataset.Set, in nn.Input) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--save-inputs: %w", err)
	}
	for i := range s.Len() {
		name := fmt.Sprintf("%06d_%s.png", i, s.Classes[s.Labels[i]])
		if s.Files != nil {
			name = fmt.Sprintf("%06d_%s_%s.png", i, s.Classes[s.Labels[i]], trimExt(filepath.Base(s.Files[i])))
		}
		if err := writeInputPNG(filepath.Join(dir, safeName(name)), s.Image(i), in); err != nil {
			return fmt.Errorf("--save-inputs: %w", err)
		}
	}
	return nil
}
