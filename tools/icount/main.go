// Command icount runs one GEMM, or one inference of a whole int8 model, a
// given number of times on a kernels path, calling the marker functions
// begin and end around each call, for counting executed instructions under
// qemu-user with the icount plugin (plugin/icount.c); and it reads what the
// plugin wrote into a report with an llvm-mca cycle estimate. icount.sh
// builds both and runs them.
//
//	icount -op int8|f32 -path neon|dotprod|generic -m 512 -n 512 -k 512 -calls 3
//	icount -model NAME|FILE -batch 8 -input FILE -path neon -calls 3
//
// NAME is lenet5 (the embedded model), alexnet (the 32x32 AlexNet with
// random weights, calibrated on MNIST digits) or a network of
// internal/randmodel (mobilenetv1, mobilenetv2, resnet18). Modes that run
// on the host, outside qemu, to prepare and to summarise:
//
//	icount -model NAME -save FILE                  write the int8 model
//	icount -model M -batch 8 -save-input FILE      write the input pixels
//	icount -report -plugin OUT -hist HIST -exe BIN [-model M] [-objects LISTING] [-macs N] [-cycles a72,a76] [-group NAME=RE ...]
//
// -report reads the plugin's output and histogram of a run of BIN (and of
// the libraries LISTING names, as bench/xnnpack's counting mode prints
// them): instructions per image, cycles per image on each core model, and
// their split by group of functions, by layer and by function. With -model
// the layers are the model's, else those LISTING names, else the marks'.
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"

	"github.com/edgecnn/edgecnn/kernels"
)

// groupFlags collects repeated -group flags.
type groupFlags []group

func (g *groupFlags) String() string { return fmt.Sprint(len(*g)) }

func (g *groupFlags) Set(s string) error {
	v, err := parseGroup(s)
	if err == nil {
		*g = append(*g, v)
	}
	return err
}

func main() {
	op := flag.String("op", "int8", "int8 (GemmInt8, conv layout) or f32 (Sgemm)")
	path := flag.String("path", kernels.Path(), "kernels path")
	m := flag.Int("m", 512, "rows of the weights (output channels)")
	n := flag.Int("n", 512, "columns")
	k := flag.Int("k", 512, "depth")
	calls := flag.Int("calls", 1, "number of calls")
	model := flag.String("model", "", "run a whole int8 model instead of a GEMM: lenet5 (embedded), alexnet, mobilenetv1, mobilenetv2, resnet18 (random weights, quantized here) or an int8 model file")
	batch := flag.Int("batch", 1, "images per call (-model, -report)")
	input := flag.String("input", "", "raw pixels of the batch, as -save-input writes them (-model; default: MNIST test images or synthetic digits for 1x32x32 models, random pixels for others)")
	save := flag.String("save", "", "write the int8 model to this file and exit (-model)")
	saveInput := flag.String("save-input", "", "write the batch's input pixels to this file and exit (-model)")
	report := flag.Bool("report", false, "print the report of a counted run (see -plugin, -hist, -exe)")
	pluginOut := flag.String("plugin", "", "the plugin's output (qemu's stderr) (-report)")
	hist := flag.String("hist", "", "the plugin's histogram file (-report)")
	exe := flag.String("exe", "", "the program that ran under qemu (-report)")
	objects := flag.String("objects", "", "its listing of loaded objects and layers, for a program with shared libraries (-report)")
	prefix := flag.String("prefix", "/usr/aarch64-linux-gnu", "qemu's -L: where the guest's system libraries are (-report)")
	cycles := flag.String("cycles", "", "comma-separated core models for the llvm-mca cycle estimate: a72, a76 (-report)")
	top := flag.Int("top", 12, "functions to list (-report)")
	macs := flag.Int64("macs", 0, "multiply-accumulates per image, for a run without layers (-report)")
	unit := flag.String("unit", "image", "what the counts are per, in the report's words (-report)")
	var groups groupFlags
	flag.Var(&groups, "group", "NAME=REGEXP: a column of the functions matching REGEXP (repeatable; -report)")
	flag.Parse()

	if *report {
		opt := reportOptions{plugin: *pluginOut, hist: *hist, exe: *exe, objects: *objects, prefix: *prefix,
			batch: *batch, groups: groups, top: *top, macs: *macs, unit: *unit}
		err := func() error {
			if opt.plugin == "" || opt.hist == "" || opt.exe == "" || opt.batch < 1 {
				return fmt.Errorf("-report needs -plugin, -hist, -exe and a positive -batch")
			}
			for c := range strings.SplitSeq(*cycles, ",") {
				if c == "" {
					continue
				}
				core, ok := coreModels[c]
				if !ok {
					return fmt.Errorf("-cycles: no core model %q (have a72, a76)", c)
				}
				opt.cores = append(opt.cores, core)
			}
			var err error
			switch {
			case *model != "":
				opt.layers, err = modelLayers(*model)
			case opt.objects != "":
				opt.layers, err = layerLines(opt.objects, opt.batch)
			}
			if err != nil {
				return err
			}
			return printRegionReport(os.Stdout, opt)
		}()
		if err != nil {
			fmt.Fprintln(os.Stderr, "icount:", err)
			os.Exit(1)
		}
		return
	}
	if *model != "" {
		err := runModel(modelOptions{model: *model, path: *path, batch: *batch, calls: *calls, input: *input,
			save: *save, saveInput: *saveInput})
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
			begin()
			kernels.GemmInt8(p, x, *n, *n, 1, rq, c, *n, 1)
			end()
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
			begin()
			kernels.Sgemm(false, false, *m, *n, *k, 1, a, *k, b, *n, 0, c, *n)
			end()
		}
	default:
		fmt.Fprintln(os.Stderr, "icount: -op must be int8 or f32")
		os.Exit(2)
	}
}
