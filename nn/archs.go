package nn

import "fmt"

// The architectures of the survey beyond LeNet-5 and AlexNet, for 32x32
// inputs (CIFAR-style stems: no early downsampling). Every convolution that
// a batch norm follows has no bias, as in the papers; FoldBatchNorm gives
// it one for inference.

// graph builds a model node by node; each method appends a node reading the
// named inputs and returns the new node's name.
type graph struct {
	nodes []*Node
	seq   map[string]int // how many nodes of each prefix, for unique names
}

func (g *graph) add(n *Node, inputs ...string) string {
	n.Inputs = inputs
	g.nodes = append(g.nodes, n)
	return n.Name
}

// conv is a k x k convolution with "same" padding for odd k.
func (g *graph) conv(name, in string, out, k, stride, groups int, bias bool) string {
	n := Conv(name, out, k, stride, k/2)
	n.Groups, n.NoBias = groups, !bias
	return g.add(n, in)
}

// cbr is conv, batch norm and (unless act is "") an activation:
// name, name_bn, name_act.
func (g *graph) cbr(name, in string, out, k, stride, groups int, act Op) string {
	x := g.add(BatchNorm(name+"_bn"), g.conv(name, in, out, k, stride, groups, false))
	if act == "" {
		return x
	}
	return g.add(Act(name+"_"+string(act), act), x)
}

// head is global average pooling over an h x w map, flatten and a linear
// classifier.
func (g *graph) head(in string, h, w, classes int) {
	p := g.add(&Node{Name: "gap", Op: OpAvgPool, Kernel: [2]int{h, w}, Stride: [2]int{h, w}}, in)
	g.add(FC("fc", classes), g.add(Flat("flatten"), p))
}

// divisible rounds v to the nearest multiple of 8, never below 8 nor more
// than 10% below v (MobileNet's rule for scaled channel counts).
func divisible(v float64) int {
	n := max(8, (int(float64(v)+4)/8)*8)
	if float64(n) < 0.9*v {
		n += 8
	}
	return n
}

// alexnet is the 32x32 AlexNet: five convolutions, the first k1 x k1 and
// the second k2 x k2 (padded to keep its size), three max pools and three
// fully connected layers with dropout. ZFNet is the same network with a
// smaller first filter and a larger second one (7x7 and 5x5 where AlexNet
// has 11x11 and 3x3), which Zeiler and Fergus found keeps more detail.
func alexnet(k1, k2, classes int) []*Node {
	return []*Node{
		Conv("conv1", 96, k1, 1, 1), Act("relu1", OpReLU), Pool("pool1", OpMaxPool, 2),
		Conv("conv2", 256, k2, 1, k2/2), Act("relu2", OpReLU), Pool("pool2", OpMaxPool, 2),
		Conv("conv3", 384, 3, 1, 1), Act("relu3", OpReLU),
		Conv("conv4", 384, 3, 1, 1), Act("relu4", OpReLU),
		Conv("conv5", 256, 3, 1, 1), Act("relu5", OpReLU), Pool("pool5", OpMaxPool, 2),
		Flat("flatten"),
		Drop("drop1", 0.5), FC("fc1", 4096), Act("relu6", OpReLU),
		Drop("drop2", 0.5), FC("fc2", 4096), Act("relu7", OpReLU),
		FC("fc3", classes),
	}
}

// vgg11 is VGG's configuration A with batch norm: 8 convolutions and, as
// in the paper, 3 fully connected layers (512 wide for a 1x1x512 map).
func vgg11(classes int) []*Node {
	var g graph
	x := InputName
	for i, c := range []int{64, -1, 128, -1, 256, 256, -1, 512, 512, -1, 512, 512, -1} {
		if c < 0 {
			x = g.add(Pool(fmt.Sprintf("pool%d", i), OpMaxPool, 2), x)
			continue
		}
		x = g.cbr(fmt.Sprintf("conv%d", i), x, c, 3, 1, 1, OpReLU)
	}
	x = g.add(Flat("flatten"), x)
	x = g.add(Drop("drop1", 0.5), x)
	x = g.add(Act("relu_fc1", OpReLU), g.add(FC("fc1", 512), x))
	x = g.add(Drop("drop2", 0.5), x)
	x = g.add(Act("relu_fc2", OpReLU), g.add(FC("fc2", 512), x))
	g.add(FC("fc3", classes), x)
	return g.nodes
}

// resnet is the CIFAR ResNet of He et al.: a 3x3 stem of widths[0]
// channels, then for each width blocks basic blocks (two 3x3 convolutions
// and an identity shortcut), the first of each stage after the first with
// stride 2 and a 1x1 convolution as shortcut (option B); global average
// pooling and a linear classifier.
func resnet(widths []int, blocks, classes int) []*Node {
	var g graph
	x := g.cbr("stem", InputName, widths[0], 3, 1, 1, OpReLU)
	in, side := widths[0], 32
	for s, w := range widths {
		for b := range blocks {
			name := fmt.Sprintf("s%db%d", s+1, b+1)
			stride := 1
			if s > 0 && b == 0 {
				stride = 2
				side /= 2
			}
			y := g.cbr(name+"_conv1", x, w, 3, stride, 1, OpReLU)
			y = g.cbr(name+"_conv2", y, w, 3, 1, 1, "")
			short := x
			if stride != 1 || in != w {
				short = g.cbr(name+"_short", x, w, 1, stride, 1, "")
			}
			x = g.add(Act(name+"_relu", OpReLU), g.add(&Node{Name: name + "_add", Op: OpAdd}, y, short))
			in = w
		}
	}
	g.head(x, side, side, classes)
	return g.nodes
}

// mobilenet is MobileNet v1 for 32x32: a 3x3 stem at stride 1 and 13
// depthwise separable blocks (3x3 depthwise, 1x1 pointwise, each with batch
// norm and ReLU), channels scaled by width.
func mobilenet(width float64, classes int) []*Node {
	var g graph
	ch := func(c int) int { return divisible(float64(c) * width) }
	x := g.cbr("stem", InputName, ch(32), 3, 1, 1, OpReLU)
	in, side := ch(32), 32
	for i, b := range []struct{ out, stride int }{{64, 1}, {128, 2}, {128, 1}, {256, 2}, {256, 1}, {512, 2},
		{512, 1}, {512, 1}, {512, 1}, {512, 1}, {512, 1}, {1024, 2}, {1024, 1}} {
		name := fmt.Sprintf("b%d", i+1)
		x = g.cbr(name+"_dw", x, in, 3, b.stride, in, OpReLU)
		x = g.cbr(name+"_pw", x, ch(b.out), 1, 1, 1, OpReLU)
		in, side = ch(b.out), side/b.stride
	}
	g.head(x, side, side, classes)
	return g.nodes
}

// mobilenetv2 is MobileNet v2 for 32x32: inverted residual blocks (1x1
// expansion, 3x3 depthwise, linear 1x1 projection; an identity shortcut
// where shapes allow) with ReLU6, the stem and the first downsampling at
// stride 1 as in the CIFAR versions; channels scaled by width, the last
// 1x1 convolution never below 1280.
func mobilenetv2(width float64, classes int) []*Node {
	var g graph
	ch := func(c int) int { return divisible(float64(c) * width) }
	x := g.cbr("stem", InputName, ch(32), 3, 1, 1, OpReLU6)
	in, side, n := ch(32), 32, 0
	for _, s := range []struct{ t, c, n, stride int }{{1, 16, 1, 1}, {6, 24, 2, 1}, {6, 32, 3, 2},
		{6, 64, 4, 2}, {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}} {
		for i := range s.n {
			n++
			name := fmt.Sprintf("b%d", n)
			stride := 1
			if i == 0 {
				stride = s.stride
			}
			out, hidden := ch(s.c), in*s.t
			y := x
			if s.t != 1 {
				y = g.cbr(name+"_expand", y, hidden, 1, 1, 1, OpReLU6)
			}
			y = g.cbr(name+"_dw", y, hidden, 3, stride, hidden, OpReLU6)
			y = g.cbr(name+"_project", y, out, 1, 1, 1, "")
			if stride == 1 && in == out {
				y = g.add(&Node{Name: name + "_add", Op: OpAdd}, x, y)
			}
			x, in, side = y, out, side/stride
		}
	}
	x = g.cbr("last", x, max(1280, divisible(1280*width)), 1, 1, 1, OpReLU6)
	g.head(x, side, side, classes)
	return g.nodes
}

// googlenet is Inception v1 reduced for 32x32: a 3x3 stem instead of the
// 7x7/stride-2 one and its pools, then the paper's nine inception blocks
// (1x1; 1x1-3x3; 1x1-5x5; 3x3 max pool-1x1, joined along channels) with
// their channel counts halved, max pools after 3b and 4e, global average
// pooling and a linear classifier. Every convolution has batch norm and
// ReLU.
func googlenet(classes int) []*Node {
	var g graph
	x := g.cbr("stem", InputName, 96, 3, 1, 1, OpReLU)
	side := 32
	for _, b := range []struct {
		name                     string
		c1, r3, c3, r5, c5, pool int
		poolAfter                bool
	}{
		{"3a", 64, 96, 128, 16, 32, 32, false}, {"3b", 128, 128, 192, 32, 96, 64, true},
		{"4a", 192, 96, 208, 16, 48, 64, false}, {"4b", 160, 112, 224, 24, 64, 64, false},
		{"4c", 128, 128, 256, 24, 64, 64, false}, {"4d", 112, 144, 288, 32, 64, 64, false},
		{"4e", 256, 160, 320, 32, 128, 128, true},
		{"5a", 256, 160, 320, 32, 128, 128, false}, {"5b", 384, 192, 384, 48, 128, 128, false},
	} {
		p := "i" + b.name
		half := func(c int) int { return c / 2 }
		b1 := g.cbr(p+"_1x1", x, half(b.c1), 1, 1, 1, OpReLU)
		b2 := g.cbr(p+"_3x3", g.cbr(p+"_3x3r", x, half(b.r3), 1, 1, 1, OpReLU), half(b.c3), 3, 1, 1, OpReLU)
		b3 := g.cbr(p+"_5x5", g.cbr(p+"_5x5r", x, half(b.r5), 1, 1, 1, OpReLU), half(b.c5), 5, 1, 1, OpReLU)
		mp := g.add(&Node{Name: p + "_pool", Op: OpMaxPool, Kernel: [2]int{3, 3}, Stride: [2]int{1, 1}, Pad: [4]int{1, 1, 1, 1}}, x)
		b4 := g.cbr(p+"_poolproj", mp, half(b.pool), 1, 1, 1, OpReLU)
		x = g.add(&Node{Name: p + "_concat", Op: OpConcat}, b1, b2, b3, b4)
		if b.poolAfter {
			x = g.add(&Node{Name: p + "_down", Op: OpMaxPool, Kernel: [2]int{3, 3}, Stride: [2]int{2, 2}, Pad: [4]int{1, 1, 1, 1}}, x)
			side /= 2
		}
	}
	g.head(x, side, side, classes)
	return g.nodes
}

// densenet is DenseNet-BC (growth 12, depth 100: three dense blocks of 16
// bottleneck layers, compression 0.5). Each layer reads the concatenation
// of everything before it in its block and adds growth channels through a
// 1x1 convolution to 4*growth channels and a 3x3 one. The convolutions
// come before their batch norm and ReLU (conv-BN-ReLU, not the paper's
// BN-ReLU-conv), so that every batch norm folds into a convolution for
// int8 inference; the parameter count differs from the paper's only in
// which channels the batch norms scale.
func densenet(classes int) []*Node {
	const growth, layers = 12, 16
	var g graph
	x := g.cbr("stem", InputName, 2*growth, 3, 1, 1, OpReLU)
	ch, side := 2*growth, 32
	for b := range 3 {
		for l := range layers {
			name := fmt.Sprintf("d%dl%d", b+1, l+1)
			y := g.cbr(name+"_1x1", x, 4*growth, 1, 1, 1, OpReLU)
			y = g.cbr(name+"_3x3", y, growth, 3, 1, 1, OpReLU)
			x = g.add(&Node{Name: name + "_concat", Op: OpConcat}, x, y)
			ch += growth
		}
		if b < 2 {
			ch /= 2
			name := fmt.Sprintf("t%d", b+1)
			x = g.cbr(name, x, ch, 1, 1, 1, OpReLU)
			x = g.add(Pool(name+"_pool", OpAvgPool, 2), x)
			side /= 2
		}
	}
	g.head(x, side, side, classes)
	return g.nodes
}
