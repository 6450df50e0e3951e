package nn

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func gray32() Input {
	return Input{Channels: 1, Height: 32, Width: 32, Mean: []float32{0.5}, Std: []float32{0.5}}
}

func rgb32() Input {
	return Input{Channels: 3, Height: 32, Width: 32, Mean: []float32{0.5, 0.5, 0.5}, Std: []float32{0.25, 0.25, 0.25}}
}

func shapeStrings(shapes []Shape) []string {
	out := make([]string, len(shapes))
	for i, s := range shapes {
		out[i] = s.String()
	}
	return out
}

func TestShapesLeNet5(t *testing.T) {
	for _, classic := range []bool{false, true} {
		m, err := Build(Arch{Name: "lenet5", Input: gray32(), Labels: digits, Classic: classic})
		require.NoError(t, err)
		shapes, err := m.Shapes()
		require.NoError(t, err)
		assert.Equal(t, []string{
			"6x28x28", "6x28x28", "6x14x14", // conv1 act1 pool1
			"16x10x10", "16x10x10", "16x5x5", // conv2 act2 pool2
			"400",        // flatten
			"120", "120", // fc1 act3
			"84", "84", // fc2 act4
			"10", // fc3
		}, shapeStrings(shapes))
		require.NoError(t, m.Validate())
	}
}

func TestShapesAlexNet(t *testing.T) {
	m, err := Build(Arch{Name: "alexnet", Input: rgb32(), Labels: digits})
	require.NoError(t, err)
	shapes, err := m.Shapes()
	require.NoError(t, err)
	byName := map[string]string{}
	for i, n := range m.Nodes {
		byName[n.Name] = shapes[i].String()
	}
	assert.Equal(t, "96x24x24", byName["conv1"])
	assert.Equal(t, "96x12x12", byName["pool1"])
	assert.Equal(t, "256x12x12", byName["conv2"])
	assert.Equal(t, "256x6x6", byName["pool2"])
	assert.Equal(t, "384x6x6", byName["conv3"])
	assert.Equal(t, "256x3x3", byName["pool5"])
	assert.Equal(t, "2304", byName["flatten"])
	assert.Equal(t, "4096", byName["fc1"])
	assert.Equal(t, "10", byName["fc3"])
	assert.Equal(t, Shape{10}, shapes[len(shapes)-1])
}

func TestStatsLeNet5(t *testing.T) {
	m, err := Build(Arch{Name: "lenet5", Input: gray32(), Labels: digits})
	require.NoError(t, err)
	stats, err := m.Stats()
	require.NoError(t, err)
	params, macs := 0, int64(0)
	perLayer := map[string][2]int64{}
	for _, s := range stats {
		params += s.Params
		macs += s.MACs
		perLayer[s.Node.Name] = [2]int64{int64(s.Params), s.MACs}
	}
	assert.Equal(t, 61706, params)
	assert.Equal(t, int64(416520), macs)
	assert.Equal(t, [2]int64{6*25 + 6, 6 * 28 * 28 * 25}, perLayer["conv1"])
	assert.Equal(t, [2]int64{16*6*25 + 16, 16 * 10 * 10 * 6 * 25}, perLayer["conv2"])
	assert.Equal(t, [2]int64{400*120 + 120, 400 * 120}, perLayer["fc1"])
	assert.Equal(t, [2]int64{0, 0}, perLayer["pool1"])
	assert.Equal(t, Shape{16, 5, 5}, stats[6].In)
	assert.Equal(t, Shape{400}, stats[6].Out)

	// The parameters Build allocates agree with Stats.
	total := 0
	for _, p := range m.Params {
		total += p.Len()
	}
	assert.Equal(t, 61706, total)
}

func TestStatsAlexNet(t *testing.T) {
	m, err := Build(Arch{Name: "alexnet", Input: rgb32(), Labels: digits})
	require.NoError(t, err)
	stats, err := m.Stats()
	require.NoError(t, err)
	params, macs := 0, int64(0)
	for _, s := range stats {
		params += s.Params
		macs += s.MACs
	}
	conv := func(out, in, k, hw int) (int, int64) {
		return out*in*k*k + out, int64(out * hw * hw * in * k * k)
	}
	fc := func(out, in int) (int, int64) { return out*in + out, int64(out * in) }
	wantParams, wantMACs := 0, int64(0)
	for _, pm := range [][2]any{
		pair(conv(96, 3, 11, 24)), pair(conv(256, 96, 3, 12)), pair(conv(384, 256, 3, 6)),
		pair(conv(384, 384, 3, 6)), pair(conv(256, 384, 3, 6)),
		pair(fc(4096, 2304)), pair(fc(4096, 4096)), pair(fc(10, 4096)),
	} {
		wantParams += pm[0].(int)
		wantMACs += pm[1].(int64)
	}
	assert.Equal(t, wantParams, params)
	assert.Equal(t, wantMACs, macs)
	assert.Equal(t, 29_617_546, params) // conv 3.35M + fc 26.3M
}

func pair(p int, m int64) [2]any { return [2]any{p, m} }

func TestShapesErrors(t *testing.T) {
	in := gray32()
	tests := []struct {
		name   string
		layers []*Node
		input  *Input
		want   string
	}{
		{"no layers", nil, nil, "model has no layers"},
		{"zero kernel", []*Node{Conv("conv1", 6, 0, 1, 0)}, nil, `layer "conv1" (conv2d): invalid kernel 0x0 or stride 1x1`},
		{"zero stride", []*Node{Conv("conv1", 6, 3, 0, 0)}, nil, `layer "conv1" (conv2d): invalid kernel 3x3 or stride 0x0`},
		{"kernel too large", []*Node{Conv("c", 4, 5, 1, 0), Conv("big", 4, 40, 1, 1)}, nil, `layer "big" (conv2d): kernel 40x40 larger than its padded 30x30 input`},
		{"negative pad", []*Node{Conv("c", 4, 3, 1, -1)}, nil, `layer "c" (conv2d): invalid padding [-1 -1 -1 -1]`},
		{"pool pad", []*Node{{Name: "p", Op: OpMaxPool, Kernel: [2]int{2, 2}, Stride: [2]int{2, 2}, Pad: [4]int{2, 0, 0, 0}}}, nil, `layer "p" (maxpool): padding [2 0 0 0] not smaller than the 2x2 window`},
		{"groups", []*Node{Conv("conv1", 6, 5, 1, 0), {Name: "conv2", Op: OpConv2D, Out: 16, Kernel: [2]int{3, 3}, Stride: [2]int{1, 1}, Groups: 4}}, nil,
			`layer "conv2" (conv2d): 6 input and 16 output channels do not split into 4 groups`},
		{"zero groups", []*Node{{Name: "c", Op: OpConv2D, Out: 4, Kernel: [2]int{3, 3}, Stride: [2]int{1, 1}}}, nil, `layer "c" (conv2d): 1 input and 4 output channels do not split into 0 groups`},
		{"linear after conv", []*Node{Conv("conv1", 6, 5, 1, 0), FC("fc1", 10)}, nil, `layer "fc1" (linear): needs a flat input, got 6x28x28 (add a flatten layer)`},
		{"conv after flatten", []*Node{Flat("f"), Conv("c", 6, 5, 1, 0)}, nil, `layer "c" (conv2d): needs a CxHxW input, got 1024`},
		{"linear size", []*Node{Flat("f"), FC("fc", 0)}, nil, `layer "fc" (linear): invalid output size 0`},
		{"dropout rate", []*Node{Drop("d", 1)}, nil, `layer "d" (dropout): rate 1 outside [0, 1)`},
		{"dropout nan", []*Node{Drop("d", float32(math.NaN()))}, nil, `layer "d" (dropout): rate NaN outside [0, 1)`},
		{"unknown op", []*Node{{Name: "x", Op: "gelu"}}, nil, `layer "x" (gelu): unknown layer type`},
		{"duplicate", []*Node{Act("a", OpReLU), Act("a", OpReLU)}, nil, `layer "a": name used twice`},
		{"reserved name", []*Node{Act("input", OpReLU)}, nil, `layer 0 (relu): invalid name "input"`},
		{"empty name", []*Node{Act("", OpTanh)}, nil, `layer 0 (tanh): invalid name ""`},
		{"forward reference", []*Node{{Name: "a", Op: OpReLU, Inputs: []string{"b"}}, Act("b", OpReLU)}, nil, `layer "a": input "b" is not an earlier layer`},
		{"two inputs", []*Node{Act("a", OpReLU), {Name: "b", Op: OpReLU, Inputs: []string{"a", "input"}}}, nil, `layer "b" (relu): takes 1 input, has 2`},
		{"null layer", []*Node{{Name: "a", Op: OpReLU, Inputs: []string{InputName}}, nil}, nil, "layer 1 is missing (null)"},
		{"too large", []*Node{Conv("c", 1<<22, 1, 1, 0)}, nil, `layer "c" (conv2d): output [4194304 32 32] has more than 1073741824 elements`},
		{"unfolded too large", []*Node{Conv("a", 4096, 1, 1, 0), Conv("b", 1, 17, 1, 8)}, nil,
			`layer "b" (conv2d): unfolded input of 4096x17x17 values for each of 32x32 output pixels has more than 1073741824 elements`},
		{"input size", []*Node{Act("a", OpReLU)}, &Input{Channels: 5, Height: 32, Width: 32}, "input: invalid size 5x32x32"},
		{"input mean", []*Node{Act("a", OpReLU)}, &Input{Channels: 1, Height: 8, Width: 8, Std: []float32{1}}, "input: need 1 mean and std values, have 0 and 1"},
		{"input std", []*Node{Act("a", OpReLU)}, &Input{Channels: 1, Height: 8, Width: 8, Mean: []float32{0}, Std: []float32{0}}, "input: std 0 must be positive and finite"},
		{"input inf std", []*Node{Act("a", OpReLU)}, &Input{Channels: 1, Height: 8, Width: 8, Mean: []float32{0}, Std: []float32{float32(math.Inf(1))}}, "input: std +Inf must be positive and finite"},
		{"input nan mean", []*Node{Act("a", OpReLU)}, &Input{Channels: 1, Height: 8, Width: 8, Mean: []float32{float32(math.NaN())}, Std: []float32{1}}, "input: mean NaN is not finite"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			input := in
			if tt.input != nil {
				input = *tt.input
			}
			var m *Model
			if slices.Contains(tt.layers, nil) { // as a damaged file could give
				m = &Model{Arch: "test", Input: input, Nodes: tt.layers, Labels: digits, Params: map[string]*Tensor{}}
			} else {
				m = Sequential("test", input, digits, tt.layers...)
			}
			_, err := m.Shapes()
			require.EqualError(t, err, tt.want)
			require.EqualError(t, m.Validate(), tt.want)
			require.EqualError(t, m.InitParams(), tt.want)
			_, err = m.Stats()
			require.EqualError(t, err, tt.want)
		})
	}
}

func TestShapesWindows(t *testing.T) {
	// Asymmetric kernel, stride and padding: {top, left, bottom, right}.
	n := &Node{Name: "c", Op: OpConv2D, Out: 8, Kernel: [2]int{3, 5}, Stride: [2]int{2, 3}, Pad: [4]int{1, 2, 0, 1}, Groups: 1}
	m := Sequential("w", Input{Channels: 2, Height: 9, Width: 10, Mean: []float32{0, 0}, Std: []float32{1, 1}}, nil, n,
		&Node{Name: "p", Op: OpAvgPool, Kernel: [2]int{2, 2}, Stride: [2]int{1, 1}, Pad: [4]int{1, 1, 1, 1}})
	shapes, err := m.Shapes()
	require.NoError(t, err)
	// height: (9+1+0-3)/2+1 = 4; width: (10+2+1-5)/3+1 = 3; pool: 4+2-2+1 = 5, 3+2-2+1 = 4.
	assert.Equal(t, []Shape{{8, 4, 3}, {8, 5, 4}}, shapes)
	w, b := n.ParamShapes(m.Input.Shape())
	assert.Equal(t, []int{8, 2, 3, 5}, w)
	assert.Equal(t, []int{8}, b)
	assert.Equal(t, int64(8*4*3*2*3*5), n.MACs(m.Input.Shape(), shapes[0]))

	// Grouped (depthwise) convolution.
	dw := &Node{Name: "dw", Op: OpConv2D, Out: 6, Kernel: [2]int{3, 3}, Stride: [2]int{1, 1}, Groups: 3}
	w, _ = dw.ParamShapes(Shape{3, 8, 8})
	assert.Equal(t, []int{6, 1, 3, 3}, w)
	assert.Equal(t, int64(6*6*6*9), dw.MACs(Shape{3, 8, 8}, Shape{6, 6, 6}))
}

func TestValidateErrors(t *testing.T) {
	lenet := func() *Model {
		m, err := Build(Arch{Name: "lenet5", Input: gray32(), Labels: digits})
		require.NoError(t, err)
		return m
	}
	tests := []struct {
		name   string
		modify func(m *Model)
		want   string
	}{
		{"missing weight", func(m *Model) { delete(m.Params, "conv2.weight") }, `layer "conv2": parameter conv2.weight is missing`},
		{"missing bias", func(m *Model) { delete(m.Params, "fc3.bias") }, `layer "fc3": parameter fc3.bias is missing`},
		{"both missing", func(m *Model) { delete(m.Params, "fc1.bias"); delete(m.Params, "fc1.weight") }, `layer "fc1": parameter fc1.weight is missing`},
		{"wrong shape", func(m *Model) { m.Params["fc1.weight"] = NewTensor(120, 401) }, `layer "fc1": parameter fc1.weight has shape [120 401], want [120 400]`},
		{"short data", func(m *Model) { m.Params["fc2.bias"].F32 = m.Params["fc2.bias"].F32[:80] }, `layer "fc2": parameter fc2.bias holds 80 F32 values for shape [84]`},
		{"wrong dtype", func(m *Model) { m.Params["fc2.bias"].DType = I8 }, `layer "fc2": parameter fc2.bias holds 0 I8 values for shape [84]`},
		{"unknown dtype", func(m *Model) { m.Params["fc2.bias"].DType = "F16" }, `layer "fc2": parameter fc2.bias holds 0 F16 values for shape [84]`},
		{"nan", func(m *Model) { m.Params["conv1.weight"].F32[7] = float32(math.NaN()) }, `layer "conv1": parameter conv1.weight: element 7 is NaN`},
		{"inf", func(m *Model) { m.Params["fc3.bias"].F32[9] = float32(math.Inf(1)) }, `layer "fc3": parameter fc3.bias: element 9 is +Inf`},
		{"stray", func(m *Model) { m.Params["pool1.weight"] = NewTensor(1); m.Params["act1.bias"] = NewTensor(1) }, "parameter act1.bias belongs to no layer"},
		{"labels", func(m *Model) { m.Labels = m.Labels[:9] }, "model has 9 labels for 10 outputs"},
		{"not a vector", func(m *Model) {
			m.Nodes = m.Nodes[:6]
			m.Params = map[string]*Tensor{}
			require.NoError(t, m.InitParams())
		},
			`output layer "pool2" gives 16x5x5, want a vector of class scores`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := lenet()
			require.NoError(t, m.Validate())
			tt.modify(m)
			require.EqualError(t, m.Validate(), tt.want)
		})
	}
}

func TestValidateInt8Params(t *testing.T) {
	require.NoError(t, quantizedTiny(t).Validate())
	tests := []struct {
		name   string
		change func(m *Model)
		want   string
	}{
		{"float model with int8 weights", func(m *Model) {
			m.Input.Quant = nil
			for _, n := range m.Nodes {
				n.Quant = nil
			}
		}, `layer "c": int8 weights in a float model`},
		{"node without params", func(m *Model) { m.Nodes[1].Quant = nil }, `layer "r": no int8 parameters in an int8 model`},
		{"params in a float model", func(m *Model) { m.Input.Quant = nil }, `layer "c": int8 parameters in a float model (the input has none)`},
		{"zero point", func(m *Model) { m.Nodes[0].Quant.ZeroPoint = 128 }, `layer "c": int8 zero point 128 outside [-128, 127]`},
		{"input scale", func(m *Model) { m.Input.Quant.Scale = 0 }, "input: int8 scale 0 must be positive and finite"},
		{"weight -128", func(m *Model) { m.Params["c.weight"].I8[5] = -128 }, `layer "c": weight 5 is -128; int8 weights must lie in [-127, 127]`},
		{"missing scales", func(m *Model) { delete(m.Params, "c.weight_scale") }, `layer "c": parameter c.weight_scale is missing`},
		{"bad scale", func(m *Model) { m.Params["c.weight_scale"].F32[1] = -1 }, `layer "c": weight_scale 1 is -1, must be positive and finite`},
		{"float bias", func(m *Model) { m.Params["c.bias"] = NewTensor(2) }, `layer "c": int8 layer needs an I32 bias, has F32`},
		{"int bias on float layer", func(m *Model) {
			m.Params["fc.bias"] = &Tensor{DType: I32, Shape: []int{2}, I32: make([]int32, 2)}
		}, `layer "fc": float layer needs F32 weight and bias, has F32 and I32`},
		{"float output of a conv", func(m *Model) { m.Nodes[0].FloatOutput = true }, `layer "c" (conv2d): float_output needs a linear layer with int8 weights`},
		{"float output of a float linear", func(m *Model) { m.Node("fc").FloatOutput = true }, `layer "fc" (linear): float_output needs a linear layer with int8 weights`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := quantizedTiny(t)
			tt.change(m)
			require.EqualError(t, m.Validate(), tt.want)
		})
	}
}

func TestInitParams(t *testing.T) {
	m := Sequential("x", gray32(), []string{"a", "b"}, Flat("f"), FC("fc", 2))
	m.Params = nil
	require.NoError(t, m.InitParams())
	require.Len(t, m.Params, 2)
	w := m.Params["fc.weight"]
	assert.Equal(t, []int{2, 1024}, w.Shape)
	assert.Len(t, w.F32, 2048)
	w.F32[0] = 3

	// Parameters of the right shape are kept, others replaced.
	m.Params["fc.bias"] = NewTensor(5)
	require.NoError(t, m.InitParams())
	assert.Same(t, w, m.Params["fc.weight"])
	assert.Equal(t, []int{2}, m.Params["fc.bias"].Shape)
	require.NoError(t, m.Validate())
}

func TestBuild(t *testing.T) {
	for _, arch := range Archs {
		for _, in := range []Input{gray32(), rgb32()} {
			m, err := Build(Arch{Name: arch, Input: in, Labels: []string{"a", "b"}})
			require.NoError(t, err, "%s %v", arch, in.Shape())
			require.NoError(t, m.Validate())
			assert.Equal(t, arch, m.Arch)
			last := m.Nodes[len(m.Nodes)-1]
			assert.Equal(t, OpLinear, last.Op)
			assert.Equal(t, []int{2}, m.Bias(last).Shape)
		}
	}
	m, err := Build(Arch{Name: "lenet5", Input: gray32(), Labels: digits, Classic: true})
	require.NoError(t, err)
	assert.Equal(t, OpTanh, m.Node("act1").Op)
	assert.Equal(t, OpAvgPool, m.Node("pool2").Op)

	tests := []struct {
		arch Arch
		want string
	}{
		{Arch{Name: "vgg16", Input: gray32(), Labels: digits}, `unknown architecture "vgg16" (known: lenet5, alexnet, zfnet, vgg11, resnet20, resnet18, mobilenet, mobilenetv2, googlenet, densenet)`},
		{Arch{Name: "", Input: gray32(), Labels: digits}, `unknown architecture "" (known: lenet5, alexnet, zfnet, vgg11, resnet20, resnet18, mobilenet, mobilenetv2, googlenet, densenet)`},
		{Arch{Name: "resnet20", Input: gray32(), Labels: digits, Width: 0.5}, `architecture "resnet20" has no width multiplier`},
		{Arch{Name: "mobilenet", Input: gray32(), Labels: digits, Width: 8}, `width multiplier 8 outside [0.1, 4]`},
		{Arch{Name: "lenet5", Input: Input{Channels: 1, Height: 28, Width: 28}, Labels: digits}, `architecture "lenet5" takes a 1x32x32 or 3x32x32 input, not 1x28x28`},
		{Arch{Name: "alexnet", Input: Input{Channels: 2, Height: 32, Width: 32}, Labels: digits}, `architecture "alexnet" takes a 1x32x32 or 3x32x32 input, not 2x32x32`},
		{Arch{Name: "lenet5", Input: gray32(), Labels: []string{"only"}}, `architecture "lenet5" needs at least 2 classes, have 1`},
		{Arch{Name: "alexnet", Input: rgb32(), Labels: digits, Classic: true}, `architecture "alexnet" has no classic variant`},
		{Arch{Name: "lenet5", Input: Input{Channels: 1, Height: 32, Width: 32}, Labels: digits}, "input: need 1 mean and std values, have 0 and 0"},
	}
	for _, tt := range tests {
		_, err := Build(tt.arch)
		assert.EqualError(t, err, tt.want)
	}
}

func TestModelAccessors(t *testing.T) {
	m, err := Build(Arch{Name: "lenet5", Input: gray32(), Labels: digits})
	require.NoError(t, err)
	conv1 := m.Node("conv1")
	require.NotNil(t, conv1)
	assert.Equal(t, []string{InputName}, conv1.Inputs)
	assert.Equal(t, []string{"conv1"}, m.Node("act1").Inputs)
	assert.Nil(t, m.Node("nope"))
	assert.Same(t, m.Params["conv1.weight"], m.Weight(conv1))
	assert.Same(t, m.Params["conv1.bias"], m.Bias(conv1))
	assert.Nil(t, m.Weight(m.Node("pool1")))
	assert.Equal(t, []int{6, 1, 5, 5}, m.Weight(conv1).Shape)

	// Sequential keeps explicit inputs.
	s := Sequential("s", gray32(), digits, Act("a", OpReLU), &Node{Name: "b", Op: OpReLU, Inputs: []string{InputName}})
	assert.Equal(t, []string{InputName}, s.Node("b").Inputs)
}

func TestShapeAndTensor(t *testing.T) {
	assert.Equal(t, "3x32x32", Shape{3, 32, 32}.String())
	assert.Equal(t, "10", Shape{10}.String())
	assert.Equal(t, "", Shape{}.String())
	assert.Equal(t, 3072, Shape{3, 32, 32}.Size())
	assert.Equal(t, 1, Shape{}.Size())
	assert.Equal(t, Shape{3, 32, 32}, rgb32().Shape())

	for _, tt := range []struct {
		d    DType
		size int
	}{{F32, 4}, {I32, 4}, {I8, 1}, {"F16", 0}, {"", 0}} {
		assert.Equal(t, tt.size, tt.d.Size(), string(tt.d))
	}
	x := NewTensor(2, 3)
	assert.Equal(t, F32, x.DType)
	assert.Equal(t, 6, x.Len())
	assert.Equal(t, 4, (&Tensor{DType: I8, I8: make([]int8, 4)}).Len())
	assert.Equal(t, 5, (&Tensor{DType: I32, I32: make([]int32, 5)}).Len())
	assert.Equal(t, 0, (&Tensor{DType: "F16", F32: make([]float32, 5)}).Len())
}

func ExampleModel_Stats() {
	m, _ := Build(Arch{Name: "lenet5", Input: gray32(), Labels: digits})
	stats, _ := m.Stats()
	for _, s := range stats[:3] {
		fmt.Printf("%-6s %-8s %-8s -> %-8s %6d params %7d MACs\n", s.Node.Name, s.Node.Op, s.In, s.Out, s.Params, s.MACs)
	}
	// Output:
	// conv1  conv2d   1x32x32  -> 6x28x28     156 params  117600 MACs
	// act1   relu     6x28x28  -> 6x28x28       0 params       0 MACs
	// pool1  maxpool  6x28x28  -> 6x14x14       0 params       0 MACs
}

func TestAddAndConcatShapes(t *testing.T) {
	in := gray32()
	conv := func(name string, out int) *Node {
		n := Conv(name, out, 3, 1, 1)
		n.Inputs = []string{InputName}
		return n
	}
	m := Sequential("x", in, []string{"a", "b"}, conv("a", 4), conv("b", 3),
		&Node{Name: "sum", Op: OpAdd, Inputs: []string{"a", "a"}},
		&Node{Name: "cat", Op: OpConcat, Inputs: []string{"sum", "b", "a"}})
	shapes, err := m.Shapes()
	require.NoError(t, err)
	assert.Equal(t, Shape{4, 32, 32}, shapes[2])
	assert.Equal(t, Shape{11, 32, 32}, shapes[3])

	m.Nodes[2].Inputs = []string{"a", "b"}
	_, err = m.Shapes()
	require.ErrorContains(t, err, `layer "sum" (add): needs two inputs of one shape`)
	m.Nodes[2].Inputs = []string{"a", "a"}
	m.Nodes[3].Inputs = []string{"sum"}
	_, err = m.Shapes()
	require.ErrorContains(t, err, `layer "cat" (concat): needs at least 2 inputs, has 1`)
}
