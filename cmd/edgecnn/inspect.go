package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/edgecnn/edgecnn/nn"
)

func inspectCmd() *cobra.Command {
	var modelPath string
	cmd := &cobra.Command{
		Use:   "inspect",
		Short: "Show a model's layers, shapes, parameters and MACs",
		Example: `  edgecnn inspect --model lenet5.safetensors
  edgecnn inspect            # the embedded LeNet-5`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, name, err := loadModel(modelPath)
			if err != nil {
				return err
			}
			return printModel(cmd.OutOrStdout(), name, m)
		},
	}
	cmd.Flags().StringVar(&modelPath, "model", "", "model file (default: the embedded LeNet-5)")
	return cmd
}

func printModel(w io.Writer, name string, m *nn.Model) error {
	stats, err := m.Stats()
	if err != nil {
		return err
	}
	in := m.Input
	fmt.Fprintf(w, "model   %s (%s)\n", name, m.Arch)
	fmt.Fprintf(w, "input   %v, pixel/255 normalised with mean %v std %v", in.Shape(), in.Mean, in.Std)
	if in.Digit {
		fmt.Fprint(w, ", MNIST-style digit preprocessing")
	}
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

// describe is a node's type with its window, e.g. "conv2d 5x5/1".
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
	}
	return string(n.Op)
}
