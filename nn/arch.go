package nn

import (
	"fmt"
	"strings"
)

// Arch describes a model to build by name: the input it takes, the classes it
// predicts, for LeNet-5 whether to use the classic tanh and average
// pooling instead of ReLU and max pooling, and for the MobileNets the width
// multiplier of their channels (0 means 1).
type Arch struct {
	Name    string
	Input   Input
	Labels  []string
	Classic bool
	Width   float64
}

// Archs lists the architectures Build knows.
var Archs = []string{"lenet5", "alexnet", "zfnet", "vgg11", "resnet20", "resnet18", "mobilenet", "mobilenetv2", "googlenet", "densenet"}

// Scalable reports whether architecture name takes a width multiplier.
func Scalable(name string) bool { return name == "mobilenet" || name == "mobilenetv2" }

// Build returns the graph of the named architecture with zero parameters.
// Every architecture takes a 32x32 input with 1 or 3 channels.
func Build(a Arch) (*Model, error) {
	if a.Input.Height != 32 || a.Input.Width != 32 || (a.Input.Channels != 1 && a.Input.Channels != 3) {
		return nil, fmt.Errorf("architecture %q takes a 1x32x32 or 3x32x32 input, not %v", a.Name, a.Input.Shape())
	}
	if len(a.Labels) < 2 {
		return nil, fmt.Errorf("architecture %q needs at least 2 classes, have %d", a.Name, len(a.Labels))
	}
	classes := len(a.Labels)
	if a.Classic && a.Name != "lenet5" {
		return nil, fmt.Errorf("architecture %q has no classic variant", a.Name)
	}
	width := a.Width
	if width == 0 {
		width = 1
	}
	if width != 1 && !Scalable(a.Name) {
		return nil, fmt.Errorf("architecture %q has no width multiplier", a.Name)
	}
	if !(width >= 0.1 && width <= 4) {
		return nil, fmt.Errorf("width multiplier %v outside [0.1, 4]", width)
	}
	var m *Model
	seq := func(nodes []*Node) *Model { return Sequential(a.Name, a.Input, a.Labels, nodes...) }
	switch a.Name {
	case "lenet5":
		act, pool := OpReLU, OpMaxPool
		if a.Classic {
			act, pool = OpTanh, OpAvgPool
		}
		m = Sequential(a.Name, a.Input, a.Labels,
			Conv("conv1", 6, 5, 1, 0), Act("act1", act), Pool("pool1", pool, 2),
			Conv("conv2", 16, 5, 1, 0), Act("act2", act), Pool("pool2", pool, 2),
			Flat("flatten"),
			FC("fc1", 120), Act("act3", act),
			FC("fc2", 84), Act("act4", act),
			FC("fc3", classes),
		)
	case "alexnet":
		m = seq(alexnet(11, 3, classes))
	case "zfnet":
		m = seq(alexnet(7, 5, classes))
	case "vgg11":
		m = seq(vgg11(classes))
	case "resnet20":
		m = seq(resnet([]int{16, 32, 64}, 3, classes))
	case "resnet18":
		m = seq(resnet([]int{64, 128, 256, 512}, 2, classes))
	case "mobilenet":
		m = seq(mobilenet(width, classes))
	case "mobilenetv2":
		m = seq(mobilenetv2(width, classes))
	case "googlenet":
		m = seq(googlenet(classes))
	case "densenet":
		m = seq(densenet(classes))
	default:
		return nil, fmt.Errorf("unknown architecture %q (known: %s)", a.Name, strings.Join(Archs, ", "))
	}
	if err := m.InitParams(); err != nil {
		return nil, err
	}
	return m, nil
}

// Conv returns a square convolution with out channels, a k x k kernel, the
// given stride and the same padding on every side.
func Conv(name string, out, k, stride, pad int) *Node {
	return &Node{Name: name, Op: OpConv2D, Out: out, Kernel: [2]int{k, k}, Stride: [2]int{stride, stride}, Pad: [4]int{pad, pad, pad, pad}, Groups: 1}
}

// Pool returns a k x k max or average pool with stride k.
func Pool(name string, op Op, k int) *Node {
	return &Node{Name: name, Op: op, Kernel: [2]int{k, k}, Stride: [2]int{k, k}}
}

// FC returns a fully connected layer with out features.
func FC(name string, out int) *Node { return &Node{Name: name, Op: OpLinear, Out: out} }

// Act returns an element-wise activation (relu, relu6, tanh) or softmax.
func Act(name string, op Op) *Node { return &Node{Name: name, Op: op} }

// Flat returns a flatten layer.
func Flat(name string) *Node { return &Node{Name: name, Op: OpFlatten} }

// Drop returns a dropout layer with the given rate.
func Drop(name string, rate float32) *Node { return &Node{Name: name, Op: OpDropout, Rate: rate} }
