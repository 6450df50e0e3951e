package randmodel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/edgecnn/edgecnn/nn"
)

// imagenet holds the builders of the 224x224 networks. Layers are named
// after the PyTorch modules that hold them (torchvision's, and export.py's
// MobileNet v1), so that per-layer tables of edgecnn and PyTorch read alike.
// Dropout before the classifier is left out: it is the identity at
// inference, and the ONNX export leaves it out too.
var imagenet = map[string]func(*graph){
	"mobilenetv1": mobileNetV1,
	"mobilenetv2": mobileNetV2,
	"resnet18":    resNet18,
}

// mobileNetV1 is MobileNet v1 1.0 as in Table 1 of the paper: a 3x3
// stride-2 convolution, then 13 depthwise-separable blocks (3x3 depthwise,
// 1x1 pointwise), each convolution followed by a batch norm and, as in the
// TensorFlow model most deployments start from, ReLU6.
func mobileNetV1(g *graph) {
	x := g.convAct("features.0", nn.InputName, 32, 3, 2, 1, nn.OpReLU6)
	in := 32
	for i, b := range []struct{ out, stride int }{{64, 1}, {128, 2}, {128, 1}, {256, 2}, {256, 1},
		{512, 2}, {512, 1}, {512, 1}, {512, 1}, {512, 1}, {512, 1}, {1024, 2}, {1024, 1}} {
		name := fmt.Sprintf("features.%d", i+1)
		x = g.convAct(name+".0", x, in, 3, b.stride, in, nn.OpReLU6)
		x = g.convAct(name+".1", x, b.out, 1, 1, 1, nn.OpReLU6)
		in = b.out
	}
	g.classifier(x, "classifier")
}

// mobileNetV2 is torchvision's mobilenet_v2: inverted residual blocks of
// expansion t, output channels c, repeated n times, the first with stride s.
func mobileNetV2(g *graph) {
	x := g.convAct("features.0", nn.InputName, 32, 3, 2, 1, nn.OpReLU6)
	in, i := 32, 1
	for _, b := range []struct{ t, c, n, s int }{{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2},
		{6, 64, 4, 2}, {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}} {
		for j := range b.n {
			stride := 1
			if j == 0 {
				stride = b.s
			}
			x = g.invertedResidual(fmt.Sprintf("features.%d", i), x, in, b.c, stride, b.t)
			in = b.c
			i++
		}
	}
	x = g.convAct(fmt.Sprintf("features.%d", i), x, 1280, 1, 1, 1, nn.OpReLU6)
	g.classifier(x, "classifier.1")
}

// invertedResidual is torchvision's InvertedResidual: a 1x1 expansion
// (unless expand is 1), a 3x3 depthwise convolution, a linear 1x1
// projection and its batch norm (conv.k and conv.k+1), and the residual sum
// when the shape allows it.
func (g *graph) invertedResidual(name, x string, in, out, stride, expand int) string {
	hidden := in * expand
	y, k := x, 0
	sub := func() string { k++; return fmt.Sprintf("%s.conv.%d", name, k-1) }
	if expand != 1 {
		y = g.convAct(sub(), y, hidden, 1, 1, 1, nn.OpReLU6)
	}
	y = g.convAct(sub(), y, hidden, 3, stride, hidden, nn.OpReLU6)
	y = g.conv(sub(), sub(), y, out, 1, 1, 1)
	if stride == 1 && in == out {
		y = g.sum(name+".add", y, x)
	}
	return y
}

// resNet18 is torchvision's resnet18: a 7x7 stride-2 stem and 3x3 stride-2
// max pool, four stages of two basic blocks (64, 128, 256, 512 channels;
// stages 2 to 4 start with stride 2 and a 1x1 downsampling shortcut).
// BasicBlock calls its one ReLU module twice; the second call is named
// relu_1, as the ONNX exporter names it.
func resNet18(g *graph) {
	x := g.conv("conv1", "bn1", nn.InputName, 64, 7, 2, 1)
	x = g.act("relu", x, nn.OpReLU)
	x = g.add(&nn.Node{Name: "maxpool", Op: nn.OpMaxPool, Kernel: [2]int{3, 3}, Stride: [2]int{2, 2},
		Pad: [4]int{1, 1, 1, 1}}, x)
	in := 64
	for stage, planes := range []int{64, 128, 256, 512} {
		for b := range 2 {
			stride := 1
			if stage > 0 && b == 0 {
				stride = 2
			}
			name := fmt.Sprintf("layer%d.%d", stage+1, b)
			y := g.conv(name+".conv1", name+".bn1", x, planes, 3, stride, 1)
			y = g.act(name+".relu", y, nn.OpReLU)
			y = g.conv(name+".conv2", name+".bn2", y, planes, 3, 1, 1)
			shortcut := x
			if stride != 1 || in != planes {
				shortcut = g.conv(name+".downsample.0", name+".downsample.1", x, planes, 1, stride, 1)
			}
			y = g.sum(name+".add", y, shortcut)
			x = g.act(name+".relu_1", y, nn.OpReLU)
			in = planes
		}
	}
	g.classifier(x, "fc")
}

// graph assembles a network node by node.
type graph struct {
	m *nn.Model
}

// newGraph starts a network on size x size RGB images normalised as
// torchvision's ImageNet models expect, with 1000 classes.
func newGraph(arch string, size int) *graph {
	in := nn.Input{Channels: 3, Height: size, Width: size,
		Mean: []float32{0.485, 0.456, 0.406}, Std: []float32{0.229, 0.224, 0.225}}
	labels := make([]string, 1000)
	for i := range labels {
		labels[i] = strconv.Itoa(i)
	}
	return &graph{m: &nn.Model{Arch: arch, Input: in, Labels: labels, Params: map[string]*nn.Tensor{}}}
}

// add appends n, reading inputs, and returns its name.
func (g *graph) add(n *nn.Node, inputs ...string) string {
	n.Inputs = inputs
	g.m.Nodes = append(g.m.Nodes, n)
	return n.Name
}

// conv adds a k x k convolution without a bias, padded by (k-1)/2 on every
// side as all of these networks pad, and the batch norm bn after it.
func (g *graph) conv(name, bn, x string, out, k, stride, groups int) string {
	p := (k - 1) / 2
	x = g.add(&nn.Node{Name: name, Op: nn.OpConv2D, Out: out, Kernel: [2]int{k, k},
		Stride: [2]int{stride, stride}, Pad: [4]int{p, p, p, p}, Groups: groups, NoBias: true}, x)
	return g.add(nn.BatchNorm(bn), x)
}

// convAct is torchvision's Conv2dNormActivation: convolution name.0, batch
// norm name.1, activation name.2.
func (g *graph) convAct(name, x string, out, k, stride, groups int, act nn.Op) string {
	return g.act(name+".2", g.conv(name+".0", name+".1", x, out, k, stride, groups), act)
}

func (g *graph) act(name, x string, op nn.Op) string {
	return g.add(&nn.Node{Name: name, Op: op}, x)
}

func (g *graph) sum(name, x, y string) string {
	return g.add(&nn.Node{Name: name, Op: nn.OpAdd}, x, y)
}

// classifier adds the head: global average pooling (an average pool over
// the whole feature map, as the importer maps it), flatten, and the fully
// connected layer fc to 1000 classes.
func (g *graph) classifier(x, fc string) {
	shapes, err := g.m.Shapes()
	if err != nil {
		panic(fmt.Sprintf("randmodel: %s: %v", g.m.Arch, err)) // the builders above are fixed
	}
	s := shapes[len(shapes)-1]
	x = g.add(&nn.Node{Name: "avgpool", Op: nn.OpAvgPool, Kernel: [2]int{s[1], s[2]}, Stride: [2]int{1, 1}}, x)
	x = g.add(&nn.Node{Name: "flatten", Op: nn.OpFlatten}, x)
	g.add(&nn.Node{Name: fc, Op: nn.OpLinear, Out: len(g.m.Labels)}, x)
}

// Batch norms are drawn as a trained network's look: gamma in [0.5, 1.5),
// beta and the running mean normal with this deviation, the running
// variance in [0.5, 2).
const bnShift = 0.1

// finish draws the parameters and folds the batch norms into the
// convolutions (nn.FoldBatchNorm, as every inference path runs them):
// convolutions get He-normal weights (fan-in), batch norms random
// statistics, the classifier torchvision's N(0, 0.01) weights and a zero
// bias.
func (g *graph) finish() (*nn.Model, error) {
	m := g.m
	if err := m.InitParams(); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0xb4))
	for _, n := range m.Nodes {
		w := m.Weight(n)
		switch n.Op {
		case nn.OpConv2D:
			std := math.Sqrt(2 / float64(w.Len()/w.Shape[0]))
			for i := range w.F32 {
				w.F32[i] = float32(rng.NormFloat64() * std)
			}
		case nn.OpBatchNorm:
			beta, mean, variance := m.Bias(n).F32, m.RunningMean(n).F32, m.RunningVar(n).F32
			for c := range w.F32 {
				w.F32[c] = float32(0.5 + rng.Float64())
				beta[c] = float32(rng.NormFloat64() * bnShift)
				mean[c] = float32(rng.NormFloat64() * bnShift)
				variance[c] = float32(0.5 + 1.5*rng.Float64())
			}
		case nn.OpLinear:
			for i := range w.F32 {
				w.F32[i] = float32(rng.NormFloat64() * 0.01)
			}
		}
	}
	folded, err := nn.FoldBatchNorm(m)
	if err != nil {
		return nil, err
	}
	return folded, folded.Validate()
}
