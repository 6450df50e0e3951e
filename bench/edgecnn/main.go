// Command edgecnn-bench times edgecnn on the shapes of bench/: square
// GEMMs, every LeNet-5 and 32x32 AlexNet layer, whole networks (LeNet-5 and
// the 32x32 AlexNet at batch 1 and 64; MobileNet v1, MobileNet v2 and
// ResNet-18 at 224x224 and batch 1 and 8), float32 and int8, and, with
// -train, one LeNet-5 training epoch on MNIST. It prints one tab-separated
// RESULT line per case, in the format that bench/xnnpack/xnnbench and
// bench/torch/torchbench.py print too, so that bench/report.py can put the
// three side by side:
//
//	RESULT <engine> <dtype> <case> <batch> <median seconds> <MACs> <samples> <threads> <median CPU seconds>
//
// and for each whole network at batch 1 one LAYER line per layer, from the
// engine's profile (median over the profiled runs):
//
//	LAYER <engine> <dtype> <case> <batch> <threads> <index> <name> <kind> <median seconds> <MACs>
//
// kind is what report.py groups layers of every engine by: conv (dense,
// k x k > 1), pwconv (dense 1x1), dwconv (depthwise), fc, add, maxpool,
// avgpool, act (an activation not fused into its producer), other.
//
// Every case is timed the same way in the three programs: warm up, pick an
// inner repeat count so that one sample lasts about 2 ms, then take samples
// until both -min samples and -budget seconds are reached (at most -max
// samples; slow cases stop earlier) and report the median per call, of the
// wall time and of the process's CPU time: on a machine shared with other
// work, the CPU time of a single-threaded case is the steadier figure.
//
// Run it through bench/run.sh; it is a developer tool, not part of CI.
package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/kernels"
	"github.com/edgecnn/edgecnn/nn"
	"github.com/edgecnn/edgecnn/train"
)

var (
	threads    = flag.Int("threads", 1, "engine threads for the whole networks (the per-layer kernels always run on one)")
	budget     = flag.Float64("budget", 0.5, "seconds of samples per case")
	minSamples = flag.Int("min", 15, "fewest samples per case (slow cases may stop at 3)")
	maxSamples = flag.Int("max", 400, "most samples per case")
	only       = flag.String("only", "gemm,layers,nets,mobile", "comma-separated groups to run: gemm, layers, nets (lenet and alexnet), mobile (mobilenetv1, mobilenetv2 and resnet18), or network names")
	dtypes     = flag.String("dtypes", "int8,f32", "comma-separated: int8, f32 (whole networks)")
	doTrain    = flag.Bool("train", false, "also time one LeNet-5 training epoch on MNIST")
	trainThr   = flag.Int("train-threads", 2, "threads for the training epoch")
	trainShift = flag.Int("train-shift", 0, "augmentation shift for the training epoch (edgecnn train's default is 2; PyTorch side uses none)")
	trainLimit = flag.Int("train-limit", 0, "train on this many images only (0: all 60000)")
	mnistDir   = flag.String("mnist", "", "MNIST folder (default: found in the Go module cache)")
	saveDir    = flag.String("save", "", "write the int8 random-weight networks it builds to this folder as NAME.int8.safetensors (for edgecnn bench)")
)

func main() {
	flag.Parse()
	if err := kernels.EnvError(); err != nil {
		fail(err)
	}
	fmt.Printf("# edgecnn kernels path %s (available: %s), GOMAXPROCS %d, %s/%s\n",
		kernels.Path(), strings.Join(kernels.Paths(), ","), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH)
	fmt.Printf("PATH\tedgecnn\t%s\n", kernels.Path())
	groups := map[string]bool{}
	for g := range strings.SplitSeq(*only, ",") {
		groups[strings.TrimSpace(g)] = true
	}
	if groups["gemm"] {
		benchGEMM(512)
	}
	if groups["layers"] {
		for _, l := range layers {
			benchLayerInt8(l)
			benchLayerF32(l)
		}
	}
	nets := selectNets(groups)
	var test *dataset.Set
	if needsMNIST(nets) || *doTrain {
		var err error
		if test, err = dataset.Load("mnist", false, dataset.Options{MNISTDir: *mnistDir}); err != nil {
			fail(err)
		}
	}
	for _, n := range nets {
		benchNet(n, test)
	}
	if *doTrain {
		benchTrain(test)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "edgecnn-bench:", err)
	os.Exit(1)
}

// result prints one RESULT line.
func result(dtype, name string, batch, threads int, t timing, macs int64) {
	fmt.Printf("RESULT\tedgecnn\t%s\t%s\t%d\t%.9g\t%d\t%d\t%d\t%.9g\n", dtype, name, batch, t.wall, macs, t.samples,
		threads, t.cpu)
}

// timing is what measure found: the median wall time of one call, the
// median process CPU time of one call (user and system, every thread), and
// the number of samples.
type timing struct {
	wall, cpu float64
	samples   int
}

// measure times calls of f.
func measure(f func()) timing {
	// Warm up: at least 3 calls and 20 ms.
	start := time.Now()
	for i := 0; i < 3 || time.Since(start) < 20*time.Millisecond; i++ {
		f()
	}
	t0 := time.Now()
	f()
	one := time.Since(t0).Seconds()
	inner := 1
	if one < 2e-3 {
		inner = int(math.Ceil(2e-3 / math.Max(one, 1e-8)))
	}
	var wall, cpu []float64
	begin := time.Now()
	for {
		t, c := time.Now(), cpuSeconds()
		for range inner {
			f()
		}
		wall = append(wall, time.Since(t).Seconds()/float64(inner))
		cpu = append(cpu, (cpuSeconds()-c)/float64(inner))
		el := time.Since(begin).Seconds()
		n := len(wall)
		if (n >= *minSamples && el >= *budget) || n >= *maxSamples || (n >= 3 && el >= 10**budget) {
			break
		}
	}
	slices.Sort(wall)
	slices.Sort(cpu)
	return timing{wall[len(wall)/2], cpu[len(cpu)/2], len(wall)}
}

// cpuSeconds is the CPU time the process has used, user and system.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		fail(err)
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// layer is one convolution, pooling or fully connected layer at batch 1.
type layer struct {
	name string
	kind string // "conv", "pool", "fc"
	// conv and pool: input C x H x W, kernel, pad, output channels.
	c, h, w, k, pad, out int
	// fc: in and out features; relu tells whether a ReLU follows.
	in   int
	relu bool
}

// layers are every layer of LeNet-5 and the 32x32 AlexNet, as bench/ times
// them in every engine.
var layers = []layer{
	{name: "lenet.conv1", kind: "conv", c: 1, h: 32, w: 32, k: 5, out: 6, relu: true},
	{name: "lenet.pool1", kind: "pool", c: 6, h: 28, w: 28, k: 2},
	{name: "lenet.conv2", kind: "conv", c: 6, h: 14, w: 14, k: 5, out: 16, relu: true},
	{name: "lenet.pool2", kind: "pool", c: 16, h: 10, w: 10, k: 2},
	{name: "lenet.fc1", kind: "fc", in: 400, out: 120, relu: true},
	{name: "lenet.fc2", kind: "fc", in: 120, out: 84, relu: true},
	{name: "lenet.fc3", kind: "fc", in: 84, out: 10},
	{name: "alexnet.conv1", kind: "conv", c: 1, h: 32, w: 32, k: 11, pad: 1, out: 96, relu: true},
	{name: "alexnet.pool1", kind: "pool", c: 96, h: 24, w: 24, k: 2},
	{name: "alexnet.conv2", kind: "conv", c: 96, h: 12, w: 12, k: 3, pad: 1, out: 256, relu: true},
	{name: "alexnet.pool2", kind: "pool", c: 256, h: 12, w: 12, k: 2},
	{name: "alexnet.conv3", kind: "conv", c: 256, h: 6, w: 6, k: 3, pad: 1, out: 384, relu: true},
	{name: "alexnet.conv4", kind: "conv", c: 384, h: 6, w: 6, k: 3, pad: 1, out: 384, relu: true},
	{name: "alexnet.conv5", kind: "conv", c: 384, h: 6, w: 6, k: 3, pad: 1, out: 256, relu: true},
	{name: "alexnet.pool5", kind: "pool", c: 256, h: 6, w: 6, k: 2},
	{name: "alexnet.fc1", kind: "fc", in: 2304, out: 4096, relu: true},
	{name: "alexnet.fc2", kind: "fc", in: 4096, out: 4096, relu: true},
	{name: "alexnet.fc3", kind: "fc", in: 4096, out: 10},
}

// geom returns the kernels' geometry of a conv or pool layer.
func (l layer) geom() kernels.ConvGeom {
	if l.kind == "pool" {
		return kernels.ConvGeom{C: l.c, H: l.h, W: l.w, KH: 2, KW: 2, SH: 2, SW: 2, OutH: l.h / 2, OutW: l.w / 2}
	}
	o := l.h + 2*l.pad - l.k + 1
	return kernels.ConvGeom{C: l.c, H: l.h, W: l.w, KH: l.k, KW: l.k, SH: 1, SW: 1, PadT: l.pad, PadL: l.pad, OutH: o, OutW: o}
}

// macs returns the multiply-accumulates of the layer at batch 1 (0 for a
// pool).
func (l layer) macs() int64 {
	switch l.kind {
	case "conv":
		g := l.geom()
		return int64(l.out) * int64(l.c*l.k*l.k) * int64(g.OutH*g.OutW)
	case "fc":
		return int64(l.in) * int64(l.out)
	}
	return 0
}

var rng = rand.New(rand.NewPCG(1, 2))

func randInt8(n, lo int) []int8 {
	s := make([]int8, n)
	for i := range s {
		s[i] = int8(lo + rng.IntN(128-lo))
	}
	return s
}

func randF32(n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = rng.Float32()*2 - 1
	}
	return s
}

// requant returns a plausible epilogue for m channels of k-long dot
// products: the values do not change the time, only the clamp does.
func requant(w *kernels.PackedInt8, m int, inZP int32, relu bool) *kernels.Requant {
	bias := make([]int32, m)
	rq := &kernels.Requant{
		Multiplier: make([]int32, m), Shift: make([]int32, m),
		ZeroPoint: -5, Min: -128, Max: 127,
	}
	for i := range m {
		bias[i] = int32(rng.IntN(2001) - 1000)
		rq.Multiplier[i] = 1<<30 + int32(rng.IntN(1<<29))
		rq.Shift[i] = -int32(8 + rng.IntN(4))
	}
	rq.Bias = kernels.FoldZeroPoint(bias, w.RowSums(), inZP)
	if relu {
		rq.Min = rq.ZeroPoint
	}
	return rq
}

func benchGEMM(n int) {
	macs := int64(n) * int64(n) * int64(n)
	w := kernels.PackInt8(randInt8(n*n, -127), n, n)
	rq := requant(w, n, 0, false)
	x, c := randInt8(n*n, -128), make([]int8, n*n)
	t := measure(func() { kernels.GemmInt8(w, x, n, n, 1, rq, c, n, 1) })
	result("int8", fmt.Sprintf("gemm.%d", n), 1, 1, t, macs)

	a, b, cf := randF32(n*n), randF32(n*n), make([]float32, n*n)
	t = measure(func() { kernels.Sgemm(false, false, n, n, n, 1, a, n, b, n, 0, cf, n) })
	result("f32", fmt.Sprintf("gemm.%d", n), 1, 1, t, macs)
}

func benchLayerInt8(l layer) {
	var f func()
	switch l.kind {
	case "conv":
		g := l.geom()
		k := l.c * l.k * l.k
		w := kernels.PackInt8(randInt8(l.out*k, -127), l.out, k)
		const inZP = -128
		rq := requant(w, l.out, inZP, l.relu)
		src, dst := randInt8(l.c*l.h*l.w, -128), make([]int8, l.out*g.OutH*g.OutW)
		col := make([]int8, k*g.OutH*g.OutW)
		f = func() { kernels.ConvInt8(src, dst, w, rq, g, col, inZP) }
	case "pool":
		g := l.geom()
		src, dst := randInt8(l.c*l.h*l.w, -128), make([]int8, l.c*g.OutH*g.OutW)
		f = func() { kernels.MaxPoolInt8(src, dst, g) }
	case "fc":
		w := kernels.PackInt8(randInt8(l.out*l.in, -127), l.out, l.in)
		rq := requant(w, l.out, -128, l.relu)
		x, y := randInt8(l.in, -128), make([]int8, l.out)
		// One sample: X is in x 1, C is out x 1 ([batch][features]).
		f = func() { kernels.GemmInt8(w, x, 1, 1, l.in, rq, y, 1, l.out) }
	}
	result("int8", l.name, 1, 1, measure(f), l.macs())
}

func benchLayerF32(l layer) {
	inf := float32(math.Inf(1))
	lo := -inf
	if l.relu {
		lo = 0
	}
	var f func()
	switch l.kind {
	case "conv":
		g := l.geom()
		k := l.c * l.k * l.k
		w, b := randF32(l.out*k), randF32(l.out)
		src, dst := randF32(l.c*l.h*l.w), make([]float32, l.out*g.OutH*g.OutW)
		col := make([]float32, k*g.OutH*g.OutW)
		p := g.OutH * g.OutW
		f = func() {
			// The engine's float convolution: im2col, GEMM, bias; the
			// ReLU is a clamp over the same output.
			kernels.ConvF32(src, dst, w, b, g, 1, col)
			if l.relu {
				kernels.BiasClampF32(dst, l.out, p, p, nil, lo, inf)
			}
		}
	case "pool":
		g := l.geom()
		src, dst := randF32(l.c*l.h*l.w), make([]float32, l.c*g.OutH*g.OutW)
		f = func() { kernels.MaxPoolF32(src, dst, g) }
	case "fc":
		w, b := randF32(l.out*l.in), randF32(l.out)
		x, y := randF32(l.in), make([]float32, l.out)
		f = func() {
			kernels.Sgemm(false, true, 1, l.out, l.in, 1, x, l.in, w, l.in, 0, y, l.out)
			kernels.BiasClampColsF32(y, 1, l.out, l.out, b, lo, inf)
		}
	}
	result("f32", l.name, 1, 1, measure(f), l.macs())
}

// benchTrain times one LeNet-5 epoch on the MNIST training set with
// `edgecnn train`'s defaults (batch 64, Adam, cosine), on -train-threads
// threads; it reports the wall time of the training steps.
func benchTrain(test *dataset.Set) {
	trainSet, err := dataset.Load("mnist", true, dataset.Options{MNISTDir: *mnistDir})
	if err != nil {
		fail(err)
	}
	// The input of `edgecnn train` on MNIST: pixels/255, MNIST-style digits.
	in := nn.Input{Channels: 1, Height: 32, Width: 32, Mean: []float32{0}, Std: []float32{1}, Digit: true}
	m, err := nn.Build(nn.Arch{Name: "lenet5", Input: in, Labels: test.Classes})
	if err != nil {
		fail(err)
	}
	if err := train.Init(m, 1); err != nil {
		fail(err)
	}
	cfg := train.Defaults("lenet5")
	cfg.Epochs, cfg.Threads, cfg.Shift, cfg.Limit = 1, *trainThr, *trainShift, *trainLimit
	t, err := train.New(m, cfg)
	if err != nil {
		fail(err)
	}
	cpu0 := cpuSeconds()
	if err := t.Run(context.Background(), trainSet, nil); err != nil {
		fail(err)
	}
	h := t.History()[0]
	images := trainSet.Len()
	if cfg.Limit > 0 {
		images = min(images, cfg.Limit)
	}
	fmt.Printf("# edgecnn train epoch: %d images, %d threads, shift %d, loss %.4f, train top-1 %.4f, %.0f images/s\n",
		images, cfg.Threads, cfg.Shift, h.Loss, h.TrainTop1, h.ImagesPerSec)
	result("f32", fmt.Sprintf("lenet.train_epoch.t%d", cfg.Threads), cfg.BatchSize, cfg.Threads,
		timing{wall: h.Seconds, cpu: cpuSeconds() - cpu0, samples: 1}, 0)
}
