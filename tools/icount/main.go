// Command icount runs one GEMM, or one int8 inference of a whole model, a
// given number of times on a kernels path, for counting executed
// instructions under qemu-user with the icount plugin (plugin/icount.c; see
// icount.sh, which builds both and subtracts a run of one call from a run of
// three).
//
//	icount -op int8|f32 -path neon|dotprod|generic -m 512 -n 512 -k 512 -calls 3
//	icount -model lenet5|alexnet|FILE -batch 8 -input FILE -path neon -calls 3
//
// With -model it builds an engine with one thread and runs Infer on -batch
// images -calls times, calling the marker functions begin and end around
// each call, so that the plugin can cut the counts at the marks. Two more
// modes run natively, outside qemu, to prepare and to summarise:
//
//	icount -model alexnet -save FILE              write the int8 model
//	icount -model lenet5 -batch 8 -save-input FILE  write the input pixels
//	icount -model M -batch B -report ONE THREE    per-layer table from the plugin's output
//	                                              of a 1-call and a 3-call run
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"

	"github.com/edgecnn/edgecnn/kernels"
)

func main() {
	op := flag.String("op", "int8", "int8 (GemmInt8, conv layout) or f32 (Sgemm)")
	path := flag.String("path", kernels.Path(), "kernels path")
	m := flag.Int("m", 512, "rows of the weights (output channels)")
	n := flag.Int("n", 512, "columns")
	k := flag.Int("k", 512, "depth")
	calls := flag.Int("calls", 1, "number of calls")
	model := flag.String("model", "", "run a whole int8 model instead of a GEMM: lenet5 (embedded), alexnet (32x32, random weights, quantized here) or an int8 model file")
	batch := flag.Int("batch", 1, "images per Infer call (-model)")
	input := flag.String("input", "", "raw pixels of the batch, as -save-input writes them (-model; default: MNIST test images if found, else synthetic digits)")
	save := flag.String("save", "", "write the int8 model to this file and exit (-model)")
	saveInput := flag.String("save-input", "", "write the batch's input pixels to this file and exit (-model)")
	report := flag.Bool("report", false, "read the plugin's output of a 1-call and a 3-call run (two file arguments) and print the per-layer table (-model)")
	flag.Parse()
	if *model != "" {
		err := runModel(modelOptions{model: *model, path: *path, batch: *batch, calls: *calls, input: *input,
			save: *save, saveInput: *saveInput, report: *report, args: flag.Args()})
		if err != nil {
			fmt.Fprintln(os.Stderr, "icount:", err)
			os.Exit(1)
		}
		return
	}
	if err := kernels.Use(*path); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	r := rand.New(rand.NewPCG(1, 2))
	switch *op {
	case "int8":
		w := make([]int8, *m**k)
		for i := range w {
			w[i] = int8(r.IntN(255) - 127)
		}
		x := make([]int8, *k**n)
		for i := range x {
			x[i] = int8(r.IntN(256) - 128)
		}
		p := kernels.PackInt8(w, *m, *k)
		rq := &kernels.Requant{Bias: kernels.FoldZeroPoint(nil, p.RowSums(), 3),
			Multiplier: make([]int32, *m), Shift: make([]int32, *m), ZeroPoint: -5, Min: -128, Max: 127}
		for i := range *m {
			rq.Multiplier[i], rq.Shift[i] = 1<<30+int32(r.IntN(1<<30)), -int32(10+r.IntN(6))
		}
		c := make([]int8, *m**n)
		for range *calls {
			kernels.GemmInt8(p, x, *n, *n, 1, rq, c, *n, 1)
		}
	case "f32":
		a := make([]float32, *m**k)
		b := make([]float32, *k**n)
		for i := range a {
			a[i] = r.Float32() - 0.5
		}
		for i := range b {
			b[i] = r.Float32() - 0.5
		}
		c := make([]float32, *m**n)
		for range *calls {
			kernels.Sgemm(false, false, *m, *n, *k, 1, a, *k, b, *n, 0, c, *n)
		}
	default:
		fmt.Fprintln(os.Stderr, "icount: -op must be int8 or f32")
		os.Exit(2)
	}
}
