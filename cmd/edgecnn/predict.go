package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/edgecnn/edgecnn/engine"
	"github.com/edgecnn/edgecnn/internal/atomicfile"
	"github.com/edgecnn/edgecnn/internal/npy"
	"github.com/edgecnn/edgecnn/internal/safefile"
	"github.com/edgecnn/edgecnn/nn"
	"github.com/edgecnn/edgecnn/preprocess"
)

// predictBatchSize is the number of samples run through the engine at once.
const predictBatchSize = 256

// maxNPYFile bounds a --input file: a billion float32 values.
const maxNPYFile = 4 << 30

func predictCmd() *cobra.Command {
	var (
		modelPath, input, out string
		threads               int
		asJSON, draft         bool
		maxMemory             memoryLimit
	)
	cmd := &cobra.Command{
		Use:   "predict",
		Short: "Print a model's logits for a NumPy batch or for images",
		Long: `Run a float32 [N, C, H, W] batch (numpy.save of a C-order float32 array, already
normalised as the model expects) through the model and print the logits of every
sample: one line per sample with the top class and the logits, or with --json one
object {"logits": [[...], ...], "labels": [...]}, for comparing with PyTorch;
--out writes them instead as a float32 [N, classes] .npy file (np.load).

--input may also be an image (.jpg, .jpeg, .png) or a folder of them: each goes
through the model's preprocessing first (the digit path or resize and crop), as
run and eval prepare images; the lines then start with the file, and --json adds
"files" (and "found", false where the digit path found no digit).`,
		Example: `  python3 -c "import numpy as np; np.save('x.npy', x.numpy().astype(np.float32))"
  edgecnn predict --model net.safetensors --input x.npy --json
  edgecnn predict --model net.safetensors --input x.npy --out logits.npy
  edgecnn predict --model mobilenet.safetensors --input photos/ --json`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if input == "" {
				return usagef("--input is required")
			}
			if err := checkThreads(threads); err != nil {
				return err
			}
			m, name, err := loadModel(modelPath)
			if err != nil {
				return err
			}
			files, images, err := imageInputs(input)
			if err != nil {
				return fmt.Errorf("--input: %w", err)
			}
			if draft && !images {
				return usagef("--draft applies to image inputs, not to a .npy batch")
			}
			if err := checkDraft(draft, m.Input.Digit); err != nil {
				return err
			}
			var batch *npy.Array
			if !images {
				if batch, err = readBatch(input, m, name); err != nil {
					return err
				}
			}
			e, err := engine.New(m, engine.Options{Threads: threads, MaxMemory: int64(maxMemory)})
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			defer e.Close()
			var p predictions
			if images {
				p, err = predictImages(e, m, files, draft)
			} else {
				p, err = predictBatch(e, m, batch)
			}
			if err != nil {
				return fmt.Errorf("--input: %w", err)
			}
			return p.write(cmd.OutOrStdout(), m.Labels, out, asJSON)
		},
	}
	f := cmd.Flags()
	f.StringVar(&modelPath, "model", "", "model file (default: the embedded LeNet-5)")
	f.StringVar(&input, "input", "", "float32 NCHW batch as a .npy file, or an image or folder of images (required)")
	f.IntVar(&threads, "threads", 0, "worker threads (default: all cores)")
	f.BoolVar(&asJSON, "json", false, `print {"logits": [[...], ...], "labels": [...]}`)
	f.StringVar(&out, "out", "", "write the logits to this .npy file (float32, [N, classes]) instead of printing them")
	f.BoolVar(&draft, "draft", false, draftUsage)
	addMemoryFlag(f, &maxMemory)
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

// predictions are the logits of every sample of --input; for images also
// the files and whether the digit path found a digit in each.
type predictions struct {
	logits [][]float32
	files  []string
	found  []bool
}

// readBatch reads a float32 [N, C, H, W] .npy batch for model m, called
// name in messages.
func readBatch(path string, m *nn.Model, name string) (*npy.Array, error) {
	data, err := safefile.ReadFile(path, maxNPYFile)
	if err != nil {
		return nil, fmt.Errorf("--input: %w", err)
	}
	a, err := npy.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("--input: %s: %w", path, err)
	}
	shape := m.Input.Shape()
	if len(a.Shape) != 4 || !slices.Equal(a.Shape[1:], []int(shape)) {
		return nil, fmt.Errorf("--input: %s has shape %v; %s takes [N, %d, %d, %d]", path, a.Shape, name, shape[0], shape[1], shape[2])
	}
	return a, nil
}

// predictBatch runs a .npy batch, predictBatchSize samples at a time.
func predictBatch(e *engine.Engine, m *nn.Model, a *npy.Array) (predictions, error) {
	n, size, classes := a.Shape[0], m.Input.Shape().Size(), e.Classes()
	p := predictions{logits: make([][]float32, 0, n)}
	for lo := 0; lo < n; lo += predictBatchSize {
		hi := min(lo+predictBatchSize, n)
		out, err := e.InferFloat(a.Data[lo*size:hi*size], hi-lo)
		if err != nil {
			return p, err
		}
		for i := range hi - lo {
			p.logits = append(p.logits, slices.Clone(out[i*classes:(i+1)*classes]))
		}
	}
	return p, nil
}

// predictImages runs image files, each prepared by the model's
// preprocessing as run and eval prepare it (or, with draft, as run --draft
// does).
func predictImages(e *engine.Engine, m *nn.Model, files []string, draft bool) (predictions, error) {
	p := predictions{files: files}
	pre, err := preprocess.New(m.Input, preprocess.Options{Draft: draft})
	if err != nil {
		return p, err
	}
	for _, f := range files {
		data, err := preprocess.ReadFile(f)
		if err != nil {
			return p, err
		}
		res, err := pre.File(data)
		if err != nil {
			return p, fmt.Errorf("%s: %w", f, err)
		}
		out, err := e.Infer(res.Pixels, 1)
		if err != nil {
			return p, err
		}
		p.logits = append(p.logits, slices.Clone(out))
		p.found = append(p.found, res.Found)
	}
	return p, nil
}

// write prints p (one line per sample, or one JSON object) or, with out
// set, saves the logits as a float32 [N, classes] .npy file.
func (p predictions) write(w io.Writer, labels []string, out string, asJSON bool) error {
	if out != "" {
		n, classes := len(p.logits), len(labels)
		flat := &npy.Array{Shape: []int{n, classes}, Data: slices.Concat(p.logits...)}
		if err := atomicfile.Write(out, func(f io.Writer) error { return npy.Encode(f, flat) }); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
		fmt.Fprintf(w, "wrote %s (%d x %d logits)\n", out, n, classes)
		return nil
	}
	if asJSON {
		obj := map[string]any{"logits": p.logits, "labels": labels}
		if p.files != nil {
			obj["files"], obj["found"] = p.files, p.found
		}
		return json.NewEncoder(w).Encode(obj)
	}
	for i, l := range p.logits {
		switch {
		case p.files == nil:
			fmt.Fprintf(w, "%d\t%s\n", i, logitsLine(labels, l))
		case !p.found[i]:
			fmt.Fprintf(w, "%s\tno digit\n", p.files[i])
		default:
			fmt.Fprintf(w, "%s\t%s\n", p.files[i], logitsLine(labels, l))
		}
	}
	return nil
}
