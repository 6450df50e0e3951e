package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/edgecnn/edgecnn/engine"
	"github.com/edgecnn/edgecnn/internal/stats"
	"github.com/edgecnn/edgecnn/kernels"
	"github.com/edgecnn/edgecnn/nn"
)

func benchCmd() *cobra.Command {
	var (
		modelPath              string
		threads, batch, warmup int
		duration               time.Duration
		asJSON                 bool
		maxMemory              memoryLimit
	)
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Time a model: per-layer milliseconds, total, GMAC/s and the kernel path",
		Long: `Time inference of a model on random images. After --warmup untimed batches,
batches run through Infer, as an application sees it, for --time (at least 5);
bench reports their count, mean, standard deviation, minimum, median, 90th
percentile and maximum, the time to load the model and to build the engine
(checking it and packing the weights), and the process's peak resident memory.
The per-layer table comes from a profiled pass in which one worker runs the
batch and each layer splits its work across the threads.`,
		Example: `  edgecnn bench                                  # the embedded int8 LeNet-5
  edgecnn bench --model alexnet.int8.safetensors --threads 1 --batch 64 --json
  edgecnn bench --model mobilenetv2 --threads 1  # MobileNet v2 at 224x224, random weights, int8
  edgecnn bench --model resnet18-f32             # ResNet-18, random weights, float32`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if batch <= 0 {
				return usagef("--batch must be positive, got %d", batch)
			}
			if err := checkThreads(threads); err != nil {
				return err
			}
			if warmup < 0 {
				return usagef("--warmup must not be negative, got %d", warmup)
			}
			start := time.Now()
			m, name, err := loadModelOrInt8(modelPath)
			if err != nil {
				return err
			}
			loaded := time.Now()
			e, err := engine.New(m, engine.Options{Threads: threads, MaxMemory: int64(maxMemory)})
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			defer e.Close()
			built := time.Now()
			if err := e.CheckBatch(batch); err != nil {
				return fmt.Errorf("--batch: %w", err)
			}
			r, err := measure(e, batch, warmup, duration)
			if err != nil {
				return err
			}
			r.Model = name
			r.LoadMS, r.BuildMS = 1e3*loaded.Sub(start).Seconds(), 1e3*built.Sub(loaded).Seconds()
			r.PeakRSS = peakRSS()
			if asJSON {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(r)
			}
			printBench(cmd.OutOrStdout(), r)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&modelPath, "model", "", "model file, or a built-in network: "+builtinNames+" (default: the embedded int8 LeNet-5)")
	f.IntVar(&threads, "threads", 0, "worker threads (default: all cores)")
	f.IntVar(&batch, "batch", 1, "images per batch")
	f.DurationVar(&duration, "time", 2*time.Second, "how long to measure")
	f.IntVar(&warmup, "warmup", 3, "untimed batches before measuring")
	f.BoolVar(&asJSON, "json", false, "print one JSON object")
	addMemoryFlag(f, &maxMemory)
	return cmd
}

// benchResult is what bench reports; its JSON form is a stable interface.
// Times are milliseconds per batch.
type benchResult struct {
	Model   string       `json:"model"`
	Board   string       `json:"board"`
	Kernel  string       `json:"kernel"`
	Threads int          `json:"threads"`
	Batch   int          `json:"batch"`
	Warmup  int          `json:"warmup"` // untimed batches first
	Runs    int          `json:"runs"`   // timed batches
	MS      float64      `json:"ms"`     // the median
	MeanMS  float64      `json:"mean_ms"`
	StdMS   float64      `json:"std_ms"`
	MinMS   float64      `json:"min_ms"`
	P90MS   float64      `json:"p90_ms"`
	MaxMS   float64      `json:"max_ms"`
	LoadMS  float64      `json:"load_ms"`  // reading and validating the model
	BuildMS float64      `json:"build_ms"` // engine.New: planning and packing the weights
	PeakRSS int64        `json:"peak_rss_bytes"`
	GMACs   float64      `json:"gmac_per_s"` // at the median
	Layers  []benchLayer `json:"layers"`
}

type benchLayer struct {
	Name   string  `json:"name"`
	Op     nn.Op   `json:"op"`
	Format string  `json:"format"`
	MS     float64 `json:"ms"`
	GMACs  float64 `json:"gmac_per_s,omitempty"`
}

// measure runs random batches through e: warmup untimed, then timed Infer
// calls for about d (at least 5), then a profiled pass for the per-layer
// split.
func measure(e *engine.Engine, batch, warmup int, d time.Duration) (*benchResult, error) {
	in := e.Model().Input.Shape().Size()
	pixels := make([]uint8, batch*in)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range pixels {
		pixels[i] = uint8(rng.IntN(256))
	}
	for range warmup {
		if _, err := e.Infer(pixels, batch); err != nil {
			return nil, err
		}
	}
	var times []float64
	for start := time.Now(); time.Since(start) < d || len(times) < 5; {
		t := time.Now()
		if _, err := e.Infer(pixels, batch); err != nil {
			return nil, err
		}
		times = append(times, 1e3*time.Since(t).Seconds())
	}
	st := stats.Summarize(times)
	layers, err := e.Profile(pixels, batch, max(5, len(times)/10))
	if err != nil {
		return nil, err
	}
	r := &benchResult{Board: boardName(), Kernel: kernels.Path(), Threads: e.Threads(), Batch: batch,
		Warmup: warmup, Runs: st.N, MS: st.Median, MeanMS: st.Mean, StdMS: st.Std, MinMS: st.Min,
		P90MS: st.P90, MaxMS: st.Max}
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
	r.GMACs = float64(macs) / (st.Median / 1e3) / 1e9
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
	fmt.Fprintf(w, "\ntotal: %.4f ms per batch (median of %d after %d warm-up), %.0f images/s, %.1f GMAC/s\n",
		r.MS, r.Runs, r.Warmup, float64(r.Batch)/(r.MS/1e3), r.GMACs)
	fmt.Fprintf(w, "       mean %.4f  std %.4f  min %.4f  p90 %.4f  max %.4f ms\n", r.MeanMS, r.StdMS, r.MinMS, r.P90MS, r.MaxMS)
	fmt.Fprintf(w, "model load %.1f ms, engine build %.1f ms, peak resident memory %.1f MB\n",
		r.LoadMS, r.BuildMS, float64(r.PeakRSS)/1e6)
}

// peakRSS is the process's peak resident memory in bytes (VmHWM in
// /proc/self/status), or 0 where that is not available.
func peakRSS() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 0
}
