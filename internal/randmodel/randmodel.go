// Package randmodel builds networks with random weights, in float32 and
// quantized to int8, for the benchmarks, instruction counts and tests that
// need a network's shapes and cost but not its accuracy:
//
//	alexnet      the 32x32 single-channel AlexNet of nn.Build (train.Init, seed 1)
//	mobilenetv1  MobileNet v1 1.0 (Howard et al., 2017), 3x224x224
//	mobilenetv2  torchvision's mobilenet_v2 (width 1.0), 3x224x224
//	resnet18     torchvision's resnet18, 3x224x224
//
// The 224x224 networks have the layer structure, names and parameter shapes
// of the PyTorch modules (internal/randmodel/testdata/export.py exports the
// same networks to ONNX, and the tests check that `edgecnn import` of that
// export gives the same layers, shapes, parameter counts and MACs). Their
// batch norms are drawn at random and folded into the convolutions
// (nn.FoldBatchNorm; the ONNX importer folds them the same way), so
// per-channel weight ranges differ the way they do in a trained model. Quantization is tools/convert's min/max
// calibration, on MNIST digits for the AlexNet and on seeded random images
// for the others. The same name and calibration images give the same bits.
package randmodel

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/nn"
	"github.com/edgecnn/edgecnn/tools/convert"
	"github.com/edgecnn/edgecnn/train"
)

// Names lists the networks Float and Build know.
var Names = []string{"alexnet", "mobilenetv1", "mobilenetv2", "resnet18"}

// Digits are the labels of the AlexNet: the ten MNIST classes.
var Digits = []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}

// CalibImages is the number of random images Build calibrates on when it
// is given none. The ranges of random activations settle within a few
// images, and the cost of inference does not depend on them.
const CalibImages = 4

// seed is the seed of every network's weights.
const seed = 1

// Float returns the named network with random float32 weights.
func Float(name string) (*nn.Model, error) {
	if name == "alexnet" {
		in := nn.Input{Channels: 1, Height: 32, Width: 32, Mean: []float32{0}, Std: []float32{1}}
		m, err := nn.Build(nn.Arch{Name: "alexnet", Input: in, Labels: Digits})
		if err != nil {
			return nil, err
		}
		return m, train.Init(m, seed)
	}
	build, ok := imagenet[name]
	if !ok {
		return nil, fmt.Errorf("unknown network %q (known: %s)", name, strings.Join(Names, ", "))
	}
	g := newGraph(name, 224)
	build(g)
	return g.finish()
}

// Build returns the named network with random weights, and that network
// quantized to int8 by tools/convert (min/max) on the images calib, or on
// CalibImages seeded random images when calib is nil.
func Build(name string, calib *dataset.Set) (float, quantized *nn.Model, err error) {
	float, err = Float(name)
	if err != nil {
		return nil, nil, err
	}
	if calib == nil {
		calib = RandomImages(float, CalibImages, seed)
	}
	quantized, err = convert.Quantize(float, calib, convert.Options{Method: "minmax"})
	if err != nil {
		return nil, nil, fmt.Errorf("quantizing the random %s: %w", name, err)
	}
	return float, quantized, nil
}

// AlexNet is Build("alexnet", calib): the 32x32 AlexNet, calibrated on the
// 1x32x32 images calib (MNIST digits, for its callers).
func AlexNet(calib *dataset.Set) (float, quantized *nn.Model, err error) {
	return Build("alexnet", calib)
}

// RandomImages returns n images of uniformly random pixels at m's input
// size, drawn from seed, labelled with m's first class.
func RandomImages(m *nn.Model, n int, seed uint64) *dataset.Set {
	in := m.Input
	s := &dataset.Set{Name: "random images", Channels: in.Channels, Height: in.Height, Width: in.Width,
		Classes: slices.Clone(m.Labels), Labels: make([]int, n)}
	s.Images = make([]uint8, n*s.ImageSize())
	rng := rand.New(rand.NewPCG(seed, 0x1a6e5))
	for i := range s.Images {
		s.Images[i] = uint8(rng.IntN(256))
	}
	return s
}
