package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/edgecnn/edgecnn/engine"
	"github.com/edgecnn/edgecnn/nn"
)

func inspectCmd() *cobra.Command {
	var (
		modelPath string
		threads   int
		maxMemory memoryLimit
		asJSON    bool
	)
	cmd := &cobra.Command{
		Use:   "inspect",
		Short: "Show a model's layers, shapes, parameters, MACs and memory",
		Long: `Inspect prints a model's input contract, labels and format, one line per layer
(shapes, parameters, multiply-accumulates, int8 parameters), and the memory an
engine running it holds: weights, activations per image and scratch per thread.
A model that needs more than --max-memory is reported and inspect exits 1, as
run, eval, bench and predict would refuse it.`,
		Example: `  edgecnn inspect --model lenet5.safetensors
  edgecnn inspect            # the embedded LeNet-5
  edgecnn inspect --model mobilenetv2-f32
  edgecnn inspect --model lenet5.int8.safetensors --json`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkThreads(threads); err != nil {
				return err
			}
			m, name, err := loadModel(modelPath)
			if err != nil {
				return err
			}
			if asJSON {
				r, err := inspectJSON(name, m)
				if err != nil {
					return err
				}
				if err := writeJSON(cmd.OutOrStdout(), r); err != nil {
					return err
				}
				return printMemory(io.Discard, name, m, threads, int64(maxMemory)) // the limit check only
			}
			if err := printModel(cmd.OutOrStdout(), name, m); err != nil {
				return err
			}
			return printMemory(cmd.OutOrStdout(), name, m, threads, int64(maxMemory))
		},
	}
	f := cmd.Flags()
	f.StringVar(&modelPath, "model", "", "model file, or a built-in network: "+builtinNames+" (default: the embedded LeNet-5)")
	f.IntVar(&threads, "threads", 0, "worker threads the memory is planned for (default: all cores)")
	f.BoolVar(&asJSON, "json", false, "print one JSON object: the model, its input, labels and every layer")
	addMemoryFlag(f, &maxMemory)
	return cmd
}

// printMemory plans an engine for m without its limit, prints what it
// would hold running one image at a time, and fails if that passes limit
// (as engine.Options.MaxMemory takes it).
func printMemory(w io.Writer, name string, m *nn.Model, threads int, limit int64) error {
	e, err := engine.New(m, engine.Options{Threads: threads, MaxMemory: -1})
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	e.Close()
	if limit == 0 {
		limit = engine.DefaultMaxMemory()
	}
	mem := e.Memory()
	fmt.Fprintf(w, "\nmemory  %s at batch 1: weights %s, activations %s per image, scratch %s per thread",
		engine.FormatBytes(mem.Total()), engine.FormatBytes(mem.Weights), engine.FormatBytes(mem.Activations), engine.FormatBytes(mem.Scratch))
	if limit <= 0 {
		fmt.Fprintln(w, " (no limit)")
		return nil
	}
	fmt.Fprintf(w, " (limit %s)\n", engine.FormatBytes(limit))
	if mem.Total() > limit {
		return fmt.Errorf("%s needs %s of memory at batch 1, over the limit of %s (--max-memory)", name, engine.FormatBytes(mem.Total()), engine.FormatBytes(limit))
	}
	return nil
}

func printModel(w io.Writer, name string, m *nn.Model) error {
	stats, err := m.Stats()
	if err != nil {
		return err
	}
	in := m.Input
	fmt.Fprintf(w, "model   %s (%s)\n", name, m.Arch)
	fmt.Fprintf(w, "input   %v, pixel/255 normalised with mean %v std %v", in.Shape(), in.Mean, in.Std)
	fmt.Fprintf(w, "; preprocessing %s", in.Describe())
	fmt.Fprintf(w, "\nlabels  %d: %s\n", len(m.Labels), strings.Join(m.Labels, " "))
	if m.Quantized() {
		fmt.Fprintf(w, "format  int8 (input scale %.4g, zero point %d)\n", m.Input.Quant.Scale, m.Input.Quant.ZeroPoint)
	} else {
		fmt.Fprintln(w, "format  float32")
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	header := "layer\top\tinput\toutput\tparams\tMACs\t"
	if m.Quantized() {
		header += "weights\tweight scales\tscale\tzero point\t"
	}
	fmt.Fprintln(tw, header)
	var params int
	var macs int64
	for _, s := range stats {
		fmt.Fprintf(tw, "%s\t%s\t%v\t%v\t%d\t%d\t", s.Node.Name, describe(s.Node), s.In, s.Out, s.Params, s.MACs)
		if m.Quantized() {
			fmt.Fprintf(tw, "%s\t%s\t%.4g\t%d\t", weightType(m, s.Node), scaleRange(m, s.Node), s.Node.Quant.Scale, s.Node.Quant.ZeroPoint)
		}
		fmt.Fprintln(tw)
		params += s.Params
		macs += s.MACs
	}
	fmt.Fprintf(tw, "total\t\t\t\t%d\t%d\t\n", params, macs)
	if err := tw.Flush(); err != nil {
		return err
	}
	return printImported(w, m)
}

// weightType is "int8" or "float32" for layers with weights, else empty.
func weightType(m *nn.Model, n *nn.Node) string {
	switch w := m.Weight(n); {
	case w == nil:
		return ""
	case w.DType == nn.I8:
		return "int8"
	}
	return "float32"
}

// scaleRange summarises the per-channel weight scales of an int8 layer.
func scaleRange(m *nn.Model, n *nn.Node) string {
	s := m.Params[n.Name+".weight_scale"]
	if s == nil {
		return ""
	}
	return fmt.Sprintf("%.3g..%.3g", slices.Min(s.F32), slices.Max(s.F32))
}

// describe is a node's type with its window, e.g. "conv2d 5x5/1", or the
// float32 output of an int8 linear layer.
func describe(n *nn.Node) string {
	switch n.Op {
	case nn.OpConv2D, nn.OpMaxPool, nn.OpAvgPool:
		s := fmt.Sprintf("%s %dx%d/%d", n.Op, n.Kernel[0], n.Kernel[1], n.Stride[0])
		switch p := n.Pad; {
		case p == [4]int{}:
		case p == [4]int{p[0], p[0], p[0], p[0]}:
			s += fmt.Sprintf(" pad %d", p[0])
		default: // top, left, bottom, right
			s += fmt.Sprintf(" pad %d,%d,%d,%d", p[0], p[1], p[2], p[3])
		}
		if n.Groups > 1 {
			s += fmt.Sprintf(" groups %d", n.Groups)
		}
		return s
	case nn.OpDropout:
		return fmt.Sprintf("dropout %.2g", n.Rate)
	case nn.OpLinear:
		if n.FloatOutput {
			return "linear, float32 output" // from its int32 accumulators
		}
	}
	return string(n.Op)
}
