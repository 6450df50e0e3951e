package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/edgecnn/edgecnn/engine"
	"github.com/edgecnn/edgecnn/internal/npy"
	"github.com/edgecnn/edgecnn/nn"
	"github.com/edgecnn/edgecnn/preprocess"
)

// predictBatch is the number of samples run through the engine at once.
const predictBatch = 256

func predictCmd() *cobra.Command {
	var (
		modelPath, input string
		threads          int
		asJSON           bool
	)
	cmd := &cobra.Command{
		Use:   "predict",
		Short: "Print a model's logits for a NumPy batch or for images",
		Long: `Run a float32 [N, C, H, W] batch (numpy.save of a C-order float32 array, already
normalised as the model expects) through the model and print the logits of every
sample: one line per sample with the top class and the logits, or with --json one
object {"logits": [[...], ...], "labels": [...]}, for comparing with PyTorch.

--input may also be an image (.jpg, .jpeg, .png) or a folder of them: each goes
through the model's preprocessing first (the digit path or resize and crop), as
run and eval prepare images; the lines then start with the file, and --json adds
"files" (and "found", false where the digit path found no digit).`,
		Example: `  python3 -c "import numpy as np; np.save('x.npy', x.numpy().astype(np.float32))"
  edgecnn predict --model net.safetensors --input x.npy --json
  edgecnn predict --model mobilenet.safetensors --input photos/ --json`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if input == "" {
				return usagef("--input is required")
			}
			m, name, err := loadModel(modelPath)
			if err != nil {
				return err
			}
			if files, ok, err := imageInputs(input); ok || err != nil {
				if err != nil {
					return fmt.Errorf("--input: %w", err)
				}
				return predictImages(cmd, m, name, files, threads, asJSON)
			}
			data, err := os.ReadFile(input)
			if err != nil {
				return fmt.Errorf("--input: %w", err)
			}
			a, err := npy.Decode(data)
			if err != nil {
				return fmt.Errorf("--input: %s: %w", input, err)
			}
			shape := m.Input.Shape()
			if len(a.Shape) != 4 || !slices.Equal(a.Shape[1:], []int(shape)) {
				return fmt.Errorf("--input: %s has shape %v; %s takes [N, %d, %d, %d]", input, a.Shape, name, shape[0], shape[1], shape[2])
			}
			e, err := engine.New(m, engine.Options{Threads: threads})
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			defer e.Close()
			n, size, classes := a.Shape[0], shape.Size(), e.Classes()
			logits := make([][]float32, 0, n)
			for lo := 0; lo < n; lo += predictBatch {
				hi := min(lo+predictBatch, n)
				out, err := e.InferFloat(a.Data[lo*size:hi*size], hi-lo)
				if err != nil {
					return fmt.Errorf("--input: %w", err)
				}
				for i := range hi - lo {
					logits = append(logits, slices.Clone(out[i*classes:(i+1)*classes]))
				}
			}
			w := cmd.OutOrStdout()
			if asJSON {
				return json.NewEncoder(w).Encode(map[string]any{"logits": logits, "labels": m.Labels})
			}
			for i, l := range logits {
				fmt.Fprintf(w, "%d\t%s\n", i, logitsLine(m.Labels, l))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&modelPath, "model", "", "model file (default: the embedded LeNet-5)")
	f.StringVar(&input, "input", "", "float32 NCHW batch as a .npy file, or an image or folder of images (required)")
	f.IntVar(&threads, "threads", 0, "worker threads (default: all cores)")
	f.BoolVar(&asJSON, "json", false, `print {"logits": [[...], ...], "labels": [...]}`)
	return cmd
}

// logitsLine is the top class and the logits, tab-separated.
func logitsLine(labels []string, l []float32) string {
	top := 0
	for c := range l {
		if l[c] > l[top] {
			top = c
		}
	}
	vals := make([]string, len(l))
	for c, v := range l {
		vals[c] = strconv.FormatFloat(float64(v), 'g', -1, 32)
	}
	return labels[top] + "\t" + strings.Join(vals, " ")
}

// imageInputs returns the image files --input names: itself if it is an
// image, or the images of a folder (sorted; not subfolders or hidden
// files). ok is false for anything else (a .npy file).
func imageInputs(path string) (files []string, ok bool, err error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, false, nil // left to the .npy reader's message
	}
	isImage := func(name string) bool {
		switch strings.ToLower(filepath.Ext(name)) {
		case ".jpg", ".jpeg", ".png":
			return !strings.HasPrefix(filepath.Base(name), ".")
		}
		return false
	}
	if !fi.IsDir() {
		return []string{path}, isImage(path), nil
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, true, err
	}
	for _, e := range entries {
		if !e.IsDir() && isImage(e.Name()) {
			files = append(files, filepath.Join(path, e.Name()))
		}
	}
	if len(files) == 0 {
		return nil, true, fmt.Errorf("%s holds no .jpg, .jpeg or .png images", path)
	}
	return files, true, nil
}

// predictImages prints the logits of image files, each prepared by the
// model's preprocessing.
func predictImages(cmd *cobra.Command, m *nn.Model, name string, files []string, threads int, asJSON bool) error {
	e, err := engine.New(m, engine.Options{Threads: threads})
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	defer e.Close()
	pre, err := preprocess.New(m.Input, preprocess.Options{})
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	logits := make([][]float32, 0, len(files))
	found := make([]bool, 0, len(files))
	w := cmd.OutOrStdout()
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("--input: %w", err)
		}
		res, err := pre.File(data)
		if err != nil {
			return fmt.Errorf("--input: %s: %w", f, err)
		}
		out, err := e.Infer(res.Pixels, 1)
		if err != nil {
			return err
		}
		logits = append(logits, slices.Clone(out))
		found = append(found, res.Found)
		if !asJSON {
			if !res.Found {
				fmt.Fprintf(w, "%s\tno digit\n", f)
				continue
			}
			fmt.Fprintf(w, "%s\t%s\n", f, logitsLine(m.Labels, out))
		}
	}
	if asJSON {
		return json.NewEncoder(w).Encode(map[string]any{"files": files, "logits": logits, "found": found, "labels": m.Labels})
	}
	return nil
}
