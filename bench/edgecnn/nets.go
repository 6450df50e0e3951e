package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/engine"
	"github.com/edgecnn/edgecnn/internal/randmodel"
	"github.com/edgecnn/edgecnn/models"
	"github.com/edgecnn/edgecnn/nn"
)

// network is one whole network bench/ times in every engine.
type network struct {
	name    string
	batches []int
	// digits: calibrated on and fed MNIST test digits; the others take
	// seeded random images.
	digits bool
}

var networks = []network{
	{"lenet", []int{1, 64}, true},
	{"alexnet", []int{1, 64}, true},
	{"mobilenetv1", []int{1, 8}, false},
	{"mobilenetv2", []int{1, 8}, false},
	{"resnet18", []int{1, 8}, false},
}

// netGroups are the -only groups of networks.
var netGroups = map[string][]string{
	"nets":   {"lenet", "alexnet"},
	"mobile": {"mobilenetv1", "mobilenetv2", "resnet18"},
}

// selectNets returns the networks -only asks for, in the order of networks.
func selectNets(groups map[string]bool) []network {
	var out []network
	for _, n := range networks {
		want := groups[n.name]
		for g, names := range netGroups {
			want = want || groups[g] && slices.Contains(names, n.name)
		}
		if want {
			out = append(out, n)
		}
	}
	return out
}

func needsMNIST(nets []network) bool {
	return slices.ContainsFunc(nets, func(n network) bool { return n.digits })
}

// build returns the float32 and int8 models of n: the embedded LeNet-5s,
// or internal/randmodel's random-weight networks (the AlexNet calibrated on
// 100 MNIST test digits, the others on randmodel's random images).
func build(n network, test *dataset.Set) (float, quantized *nn.Model, err error) {
	switch n.name {
	case "lenet":
		if float, err = nn.Decode(models.LeNet5()); err != nil {
			return nil, nil, err
		}
		quantized, err = nn.Decode(models.LeNet5Int8())
		return float, quantized, err
	case "alexnet":
		return randmodel.AlexNet(test.Head(100))
	}
	return randmodel.Build(n.name, nil)
}

// benchNet times engine.Infer of n at each of its batches, int8 and
// float32, on -threads threads, and prints the per-layer profile of batch 1.
func benchNet(n network, test *dataset.Set) {
	float, quantized, err := build(n, test)
	if err != nil {
		fail(fmt.Errorf("%s: %w", n.name, err))
	}
	if *saveDir != "" {
		if err := nn.Save(filepath.Join(*saveDir, n.name+".int8.safetensors"), quantized); err != nil {
			fail(err)
		}
	}
	for dtype := range strings.SplitSeq(*dtypes, ",") {
		m := quantized
		switch dtype {
		case "int8":
		case "f32":
			m = float
		default:
			fail(fmt.Errorf("-dtypes: unknown %q (want int8, f32)", dtype))
		}
		stats, err := m.Stats()
		if err != nil {
			fail(err)
		}
		var macs int64
		for _, s := range stats {
			macs += s.MACs
		}
		e, err := engine.New(m, engine.Options{Threads: *threads})
		if err != nil {
			fail(fmt.Errorf("%s %s: %w", n.name, dtype, err))
		}
		for _, batch := range n.batches {
			pixels := input(n, m, test, batch)
			t := measure(func() {
				if _, err := e.Infer(pixels, batch); err != nil {
					fail(err)
				}
			})
			result(dtype, n.name, batch, *threads, t, macs*int64(batch))
			if batch == 1 {
				profile(e, n.name, dtype, pixels, stats, t.wall)
			}
		}
		e.Close()
	}
}

// input returns batch images for n.
func input(n network, m *nn.Model, test *dataset.Set, batch int) []uint8 {
	if n.digits {
		return test.Head(batch).Images
	}
	return randmodel.RandomImages(m, batch, 2).Images
}

// profile prints a LAYER line per layer of one image, the median of
// engine.Profile over about -budget seconds of runs (one takes about sec).
func profile(e *engine.Engine, name, dtype string, pixels []uint8, stats []nn.LayerStats, sec float64) {
	iters := min(max(5, int(*budget/sec)), 200)
	layers, err := e.Profile(pixels, 1, iters)
	if err != nil {
		fail(err)
	}
	for i, l := range layers {
		fmt.Printf("LAYER\tedgecnn\t%s\t%s\t1\t%d\t%d\t%s\t%s\t%.9g\t%d\n",
			dtype, name, *threads, i, l.Name, kind(stats[i], l.Fused), l.Seconds, l.MACs)
	}
}

// kind is the group report.py puts a layer in, the same in every engine.
func kind(s nn.LayerStats, fused bool) string {
	n := s.Node
	switch n.Op {
	case nn.OpConv2D:
		switch {
		case n.Groups > 1 && n.Groups == s.In[0] && n.Groups == n.Out:
			return "dwconv"
		case n.Kernel == [2]int{1, 1} && n.Groups == 1:
			return "pwconv"
		}
		return "conv"
	case nn.OpLinear:
		return "fc"
	case nn.OpAdd:
		return "add"
	case nn.OpMaxPool:
		return "maxpool"
	case nn.OpAvgPool:
		return "avgpool"
	case nn.OpReLU, nn.OpReLU6, nn.OpTanh:
		if fused {
			return "fused"
		}
		return "act"
	}
	return "other"
}
