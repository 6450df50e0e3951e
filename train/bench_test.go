package train

import (
	"flag"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/nn"
)

// BenchmarkStep times one training step (forward, backward, gradient sum
// and the optimizer) of each architecture's default batch on MNIST images,
// on 2 threads like `edgecnn train` on the 2-core benchmark machine, in
// float and (name suffix -qat) quantization-aware. A LeNet-5 epoch is 938
// such steps. Beside the wall time it reports the process CPU time per
// step (cpu-ms/step), which other jobs on a shared machine do not inflate;
// train/testdata/compare_step.sh runs it alternately with PyTorch.
// -step.batch sets another batch size: the PyTorch twins of GoogLeNet and
// DenseNet need over 4 GB at the default batch of 128 (edgecnn 2.3 and
// 1.9 GB).
func BenchmarkStep(b *testing.B) {
	for _, arch := range nn.Archs {
		for _, qat := range []bool{false, true} {
			name := arch
			if qat {
				name += "-qat"
			}
			b.Run(name, func(b *testing.B) { benchmarkStep(b, arch, qat) })
		}
	}
}

func benchmarkStep(b *testing.B, arch string, qat bool) {
	trainSet, _ := mnist(b, 4096)
	m, err := nn.Build(nn.Arch{Name: arch, Labels: trainSet.Classes,
		Input: nn.Input{Channels: 1, Height: 32, Width: 32, Mean: []float32{0}, Std: []float32{1}}})
	require.NoError(b, err)
	require.NoError(b, Init(m, 1))
	cfg := Defaults(arch)
	if qat {
		cfg = QATDefaults(arch)
	}
	cfg.Threads = 2
	if *stepBatch > 0 {
		cfg.BatchSize = *stepBatch
	}
	tr, err := New(m, cfg)
	require.NoError(b, err)
	// A new batch every step, as in training: the same one over and over
	// would soon be fitted, its gradients vanishing.
	order := make([]int, trainSet.Len())
	for i := range order {
		order[i] = i
	}
	next := 0
	step := func() {
		if next+cfg.BatchSize > len(order) {
			next = 0
		}
		tr.step(trainSet, order[next:next+cfg.BatchSize], cfg.LR)
		next += cfg.BatchSize
	}
	// The first step pays for touching every buffer (page faults: over a
	// second of system time for MobileNet v2); it is not timed, as
	// torch_step.py does not time its first.
	step()
	cpu := cpuTime()
	for b.Loop() {
		step()
	}
	b.ReportMetric(float64(b.N*cfg.BatchSize)/b.Elapsed().Seconds(), "img/s")
	b.ReportMetric(float64((cpuTime()-cpu).Milliseconds())/float64(b.N), "cpu-ms/step")
}

var stepBatch = flag.Int("step.batch", 0, "BenchmarkStep's batch size (0: the architecture's default)")

// cpuTime is the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
