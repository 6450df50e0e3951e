package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/edgecnn/edgecnn/engine"
	"github.com/edgecnn/edgecnn/kernels"
	"github.com/edgecnn/edgecnn/nn"
)

func benchCmd() *cobra.Command {
	var (
		modelPath      string
		threads, batch int
		duration       time.Duration
		asJSON         bool
		maxMemory      memoryLimit
	)
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Time a model: per-layer milliseconds, total, GMAC/s and the kernel path",
		Long: `Time inference of a model on random images. The total is the median time of
one batch through Infer, as an application sees it; the per-layer table comes
from a profiled pass in which one worker runs the batch and each layer splits
its work across the threads.`,
		Example: `  edgecnn bench                                  # the embedded int8 LeNet-5
  edgecnn bench --model alexnet.int8.safetensors --threads 1 --batch 64 --json`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if batch <= 0 {
				return usagef("--batch must be positive, got %d", batch)
			}
			if err := checkThreads(threads); err != nil {
				return err
			}
			m, name, err := loadModelOrInt8(modelPath)
			if err != nil {
				return err
			}
			e, err := engine.New(m, engine.Options{Threads: threads, MaxMemory: int64(maxMemory)})
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			defer e.Close()
			if err := e.CheckBatch(batch); err != nil {
				return fmt.Errorf("--batch: %w", err)
			}
			r, err := measure(e, batch, duration)
			if err != nil {
				return err
			}
			r.Model = name
			if asJSON {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(r)
			}
			printBench(cmd.OutOrStdout(), r)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&modelPath, "model", "", "model file (default: the embedded int8 LeNet-5)")
	f.IntVar(&threads, "threads", 0, "worker threads (default: all cores)")
	f.IntVar(&batch, "batch", 1, "images per batch")
	f.DurationVar(&duration, "time", 2*time.Second, "how long to measure")
	f.BoolVar(&asJSON, "json", false, "print one JSON object")
	addMemoryFlag(f, &maxMemory)
	return cmd
}

// benchResult is what bench reports; its JSON form is a stable interface.
type benchResult struct {
	Model   string       `json:"model"`
	Board   string       `json:"board"`
	Kernel  string       `json:"kernel"`
	Threads int          `json:"threads"`
	Batch   int          `json:"batch"`
	Runs    int          `json:"runs"`
	MS      float64      `json:"ms"` // median milliseconds per batch
	GMACs   float64      `json:"gmac_per_s"`
	Layers  []benchLayer `json:"layers"`
}

type benchLayer struct {
	Name   string  `json:"name"`
	Op     nn.Op   `json:"op"`
	Format string  `json:"format"`
	MS     float64 `json:"ms"`
	GMACs  float64 `json:"gmac_per_s,omitempty"`
}

// measure runs random batches through e for about d: a warm-up, the timed
// Infer calls, then a profiled pass for the per-layer split.
func measure(e *engine.Engine, batch int, d time.Duration) (*benchResult, error) {
	in := e.Model().Input.Shape().Size()
	pixels := make([]uint8, batch*in)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range pixels {
		pixels[i] = uint8(rng.IntN(256))
	}
	if _, err := e.Infer(pixels, batch); err != nil {
		return nil, err
	}
	var times []float64
	for start := time.Now(); time.Since(start) < d || len(times) < 5; {
		t := time.Now()
		e.Infer(pixels, batch)
		times = append(times, time.Since(t).Seconds())
	}
	slices.Sort(times)
	median := times[len(times)/2]
	layers, err := e.Profile(pixels, batch, max(5, len(times)/10))
	if err != nil {
		return nil, err
	}
	r := &benchResult{Board: boardName(), Kernel: kernels.Path(), Threads: e.Threads(), Batch: batch,
		Runs: len(times), MS: 1e3 * median}
	var macs int64
	for _, l := range layers {
		macs += l.MACs
		format := "float32"
		if l.Int8 {
			format = "int8"
		}
		if l.Fused {
			format = "fused"
		}
		bl := benchLayer{Name: l.Name, Op: l.Op, Format: format, MS: 1e3 * l.Seconds}
		if l.MACs > 0 && l.Seconds > 0 {
			bl.GMACs = float64(l.MACs) / l.Seconds / 1e9
		}
		r.Layers = append(r.Layers, bl)
	}
	r.GMACs = float64(macs) / median / 1e9
	return r, nil
}

func printBench(w io.Writer, r *benchResult) {
	fmt.Fprintf(w, "model %s, batch %d, %d threads, kernels %s, on %s\n\n", r.Model, r.Batch, r.Threads, r.Kernel, r.Board)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "layer\top\tformat\tms\tGMAC/s\t")
	var profiled float64
	for _, l := range r.Layers {
		rate := ""
		if l.GMACs > 0 {
			rate = fmt.Sprintf("%.1f", l.GMACs)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.4f\t%s\t\n", l.Name, l.Op, l.Format, l.MS, rate)
		profiled += l.MS
	}
	fmt.Fprintf(tw, "sum\t\t\t%.4f\t\t\n", profiled)
	tw.Flush()
	fmt.Fprintf(w, "\ntotal: %.4f ms per batch (median of %d), %.0f images/s, %.1f GMAC/s\n",
		r.MS, r.Runs, float64(r.Batch)/(r.MS/1e3), r.GMACs)
}
