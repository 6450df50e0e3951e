package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/edgecnn/edgecnn/engine"
	"github.com/edgecnn/edgecnn/internal/atomicfile"
	"github.com/edgecnn/edgecnn/internal/npy"
	"github.com/edgecnn/edgecnn/internal/safefile"
)

// predictBatch is the number of samples run through the engine at once.
const predictBatch = 256

// maxNPYFile bounds a --input file: a billion float32 values.
const maxNPYFile = 4 << 30

func predictCmd() *cobra.Command {
	var (
		modelPath, input, out string
		threads               int
		asJSON                bool
		maxMemory             memoryLimit
	)
	cmd := &cobra.Command{
		Use:   "predict",
		Short: "Print a model's logits for a batch stored as a NumPy .npy file",
		Long: `Run a float32 [N, C, H, W] batch (numpy.save of a C-order float32 array, already
normalised as the model expects) through the model and print the logits of every
sample: one line per sample with the top class and the logits, or with --json one
object {"logits": [[...], ...], "labels": [...]}, for comparing with PyTorch;
--out writes them instead as a float32 [N, classes] .npy file (np.load).`,
		Example: `  python3 -c "import numpy as np; np.save('x.npy', x.numpy().astype(np.float32))"
  edgecnn predict --model net.safetensors --input x.npy --json
  edgecnn predict --model net.safetensors --input x.npy --out logits.npy`,
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
			data, err := safefile.ReadFile(input, maxNPYFile)
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
			e, err := engine.New(m, engine.Options{Threads: threads, MaxMemory: int64(maxMemory)})
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
			if out != "" {
				flat := &npy.Array{Shape: []int{n, classes}, Data: slices.Concat(logits...)}
				if err := atomicfile.Write(out, func(f io.Writer) error { return npy.Encode(f, flat) }); err != nil {
					return fmt.Errorf("--out: %w", err)
				}
				fmt.Fprintf(w, "wrote %s (%d x %d logits)\n", out, n, classes)
				return nil
			}
			if asJSON {
				return json.NewEncoder(w).Encode(map[string]any{"logits": logits, "labels": m.Labels})
			}
			for i, l := range logits {
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
				fmt.Fprintf(w, "%d\t%s\t%s\n", i, m.Labels[top], strings.Join(vals, " "))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&modelPath, "model", "", "model file (default: the embedded LeNet-5)")
	f.StringVar(&input, "input", "", "float32 NCHW batch as a .npy file (required)")
	f.IntVar(&threads, "threads", 0, "worker threads (default: all cores)")
	f.BoolVar(&asJSON, "json", false, `print {"logits": [[...], ...], "labels": [...]}`)
	f.StringVar(&out, "out", "", "write the logits to this .npy file (float32, [N, classes]) instead of printing them")
	addMemoryFlag(f, &maxMemory)
	return cmd
}
