package engine_test

import (
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/engine"
	"github.com/edgecnn/edgecnn/internal/randmodel"
	"github.com/edgecnn/edgecnn/kernels"
	"github.com/edgecnn/edgecnn/models"
	"github.com/edgecnn/edgecnn/nn"
	"github.com/edgecnn/edgecnn/tools/convert"
)

// TestInt8LeNet5 runs the embedded int8 LeNet-5 on real digits: one image
// at a time, in a batch, on one or two threads, the logits are the same
// bits, the model gets them right, and steady-state inference allocates
// nothing.
func TestInt8LeNet5(t *testing.T) {
	m, err := nn.Decode(models.LeNet5Int8())
	require.NoError(t, err)
	test := mnistTest(t)
	const n = 64
	pixels := test.Images[:n*test.ImageSize()]

	one, err := engine.New(m, engine.Options{Threads: 1})
	require.NoError(t, err)
	var alone []float32
	correct := 0
	for s := range n {
		logits, err := one.Infer(test.Image(s), 1)
		require.NoError(t, err)
		alone = append(alone, logits...)
		best := 0
		for c, v := range logits {
			if v > logits[best] {
				best = c
			}
		}
		if best == test.Labels[s] {
			correct++
		}
	}
	require.GreaterOrEqual(t, correct, n-1)

	two, err := engine.New(m, engine.Options{Threads: 2})
	require.NoError(t, err)
	defer two.Close()
	engine.SplitSmallLayers(two)
	batched, err := two.Infer(pixels, n)
	require.NoError(t, err)
	require.Equal(t, alone, batched)
	single, err := two.Infer(test.Image(0), 1)
	require.NoError(t, err)
	require.Equal(t, alone[:10], single)

	if !engine.RaceEnabled {
		require.Zero(t, testing.AllocsPerRun(10, func() { one.Infer(test.Image(0), 1) }))
		require.Zero(t, testing.AllocsPerRun(10, func() { two.Infer(pixels, n) }))
		require.Zero(t, testing.AllocsPerRun(10, func() { two.Infer(test.Image(0), 1) }))
	}
}

// TestInt8SplitLayersMatchOneThread quantizes a model with a fully
// connected layer large enough to be packed in one block per thread and
// checks that splitting its convolutions' rows and its blocks across
// threads gives the same bits as one thread, for batches smaller and larger
// than the thread count.
func TestInt8SplitLayersMatchOneThread(t *testing.T) {
	in := nn.Input{Channels: 1, Height: 16, Width: 16, Mean: []float32{0.5}, Std: []float32{0.25}}
	labels := randmodel.Digits
	m := nn.Sequential("test", in, labels,
		nn.Conv("c1", 8, 3, 1, 1), nn.Act("r1", nn.OpReLU),
		&nn.Node{Name: "p1", Op: nn.OpMaxPool, Kernel: [2]int{2, 2}, Stride: [2]int{2, 2}},
		nn.Conv("c2", 16, 3, 1, 0), nn.Act("r2", nn.OpReLU),
		nn.Flat("f"), nn.FC("l1", 4000), nn.Act("r3", nn.OpReLU), nn.FC("l2", 10))
	require.NoError(t, m.InitParams())
	const n = 15 // batches of 1, 2 and 5 below and above the 3 threads
	rng := rand.New(rand.NewPCG(3, 4))
	for _, p := range m.Params {
		for i := range p.F32 {
			p.F32[i] = float32(rng.NormFloat64() * 0.1)
		}
	}
	set := &dataset.Set{Name: "random", Channels: 1, Height: 16, Width: 16, Classes: labels,
		Images: make([]uint8, n*in.Shape().Size()), Labels: make([]int, n)}
	for i := range set.Images {
		set.Images[i] = uint8(rng.IntN(256))
	}
	q, err := convert.Quantize(m, set, convert.Options{Method: "minmax"})
	require.NoError(t, err)

	one, err := engine.New(q, engine.Options{Threads: 1})
	require.NoError(t, err)
	defer one.Close()
	want, err := one.Infer(set.Images, n)
	require.NoError(t, err)
	want = slices.Clone(want)
	require.Greater(t, len(distinct(want)), n, "the logits must depend on the image")
	three, err := engine.New(q, engine.Options{Threads: 3})
	require.NoError(t, err)
	defer three.Close()
	engine.SplitSmallLayers(three)
	for _, batch := range []int{1, 2, 5} {
		for s := 0; s+batch <= n; s += batch {
			got, err := three.Infer(set.Images[s*set.ImageSize():(s+batch)*set.ImageSize()], batch)
			require.NoError(t, err)
			require.Equal(t, want[s*10:(s+batch)*10], got, "batch %d from image %d", batch, s)
		}
	}
	if !engine.RaceEnabled {
		require.Zero(t, testing.AllocsPerRun(10, func() { three.Infer(set.Image(0), 1) }))
	}
}

func distinct(v []float32) map[float32]bool {
	seen := map[float32]bool{}
	for _, x := range v {
		seen[x] = true
	}
	return seen
}

// TestInt8AlexNetAllocatesNothing: steady-state int8 inference of the 32x32
// AlexNet, quantized from random weights, allocates nothing, at batch 1 on
// one thread and split across two, and at a batch that gives each thread
// its own images.
func TestInt8AlexNetAllocatesNothing(t *testing.T) {
	if engine.RaceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	if runtime.GOARCH != "amd64" && kernels.Path() == "generic" {
		// Two minutes under qemu; the generic kernels it would run are the
		// purego build's, which CI tests on amd64.
		t.Skip("the generic kernels are tested with -tags purego on amd64")
	}
	if runtime.GOARCH != "amd64" && testing.Short() {
		// Quantizing the 29.6M-parameter network is over a minute of CPU
		// under qemu. On this arch's kernels, TestInt8LeNet5 (one and two
		// threads) and TestInt8SplitLayersMatchOneThread (three threads, a
		// fully connected layer split into blocks) check the same property.
		t.Skip("-short: a minute under qemu; the smaller networks' allocation checks cover these kernels")
	}
	digits := mnistTest(t)
	_, q, err := randmodel.AlexNet(digits.Head(1))
	require.NoError(t, err)
	for _, threads := range []int{1, 2} {
		e, err := engine.New(q, engine.Options{Threads: threads})
		require.NoError(t, err)
		for _, n := range []int{1, 2} {
			pixels := digits.Images[:n*digits.ImageSize()]
			_, err := e.Infer(pixels, n)
			require.NoError(t, err)
			// Ten runs, for the reason TestMobileNetAndResNetAllocateNothing
			// gives.
			require.Zero(t, testing.AllocsPerRun(10, func() { e.Infer(pixels, n) }), "threads %d, batch %d", threads, n)
		}
		e.Close()
	}
}

// TestMobileNetAndResNetAllocateNothing: steady-state inference of
// MobileNet v2 and ResNet-18 (224x224, random weights, int8 and float32)
// allocates nothing, at batch 1 on one thread and split across two, and
// at batch 2, where each thread takes its own image.
func TestMobileNetAndResNetAllocateNothing(t *testing.T) {
	if engine.RaceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	if testing.Short() || runtime.GOARCH != "amd64" || kernels.Path() == "generic" {
		t.Skip("two 224x224 networks: minutes without SIMD kernels")
	}
	for _, name := range []string{"mobilenetv2", "resnet18"} {
		float, q, err := randmodel.Build(name, nil)
		require.NoError(t, err)
		pixels := randmodel.RandomImages(float, 2, 7).Images
		for _, m := range []*nn.Model{q, float} {
			for _, threads := range []int{1, 2} {
				e, err := engine.New(m, engine.Options{Threads: threads})
				require.NoError(t, err)
				for _, n := range []int{1, 2} {
					px := pixels[:n*len(pixels)/2]
					_, err := e.Infer(px, n)
					require.NoError(t, err)
					// Ten runs, as AllocsPerRun averages (rounding down): a
					// thread that blocks on a channel may refill the
					// runtime's sudog cache with one malloc now and then
					// on a loaded machine, while an allocation of the
					// engine's would cost one in every run.
					require.Zero(t, testing.AllocsPerRun(10, func() { e.Infer(px, n) }),
						"%s int8 %v, threads %d, batch %d", name, m.Quantized(), threads, n)
				}
				e.Close()
			}
		}
	}
}
