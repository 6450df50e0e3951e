package nn

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestImportedOpsShapes: the layers of ops.go infer their shapes, and
// reject bad parameters and inputs with an error naming the layer.
func TestImportedOpsShapes(t *testing.T) {
	in := Input{Channels: 3, Height: 8, Width: 6, Mean: []float32{0, 0, 0}, Std: []float32{1, 1, 1}}
	conv := Conv("c", 4, 3, 1, 1)
	gap := &Node{Name: "gap", Op: OpAvgPool, Kernel: [2]int{8, 6}, Stride: [2]int{1, 1}, Inputs: []string{"c"}}
	flat := &Node{Name: "flat", Op: OpFlatten, Inputs: []string{"gap"}}
	nan := float32(math.NaN())
	tests := []struct {
		name string
		n    *Node
		want Shape  // or
		err  string // the error
	}{
		{"sigmoid", &Node{Op: OpSigmoid, Inputs: []string{"c"}}, Shape{4, 8, 6}, ""},
		{"silu", &Node{Op: OpSiLU, Inputs: []string{"flat"}}, Shape{4}, ""},
		{"hardswish", &Node{Op: OpHardSwish, Alpha: 1.0 / 6, Beta: 0.5, Inputs: []string{"c"}}, Shape{4, 8, 6}, ""},
		{"hardsigmoid nan", &Node{Op: OpHardSigmoid, Alpha: nan, Beta: 0.5, Inputs: []string{"c"}}, nil,
			`layer "x" (hardsigmoid): alpha NaN and beta 0.5 must be finite`},
		{"se gate", &Node{Op: OpMul, Inputs: []string{"c", "gap"}}, Shape{4, 8, 6}, ""},
		{"se gate flat", &Node{Op: OpMul, Inputs: []string{"c", "flat"}}, Shape{4, 8, 6}, ""},
		{"element-wise", &Node{Op: OpMul, Inputs: []string{"c", "c"}}, Shape{4, 8, 6}, ""},
		{"mul mismatch", &Node{Op: OpMul, Inputs: []string{"c", "input"}}, nil,
			`layer "x" (mul): multiplies 4x8x6 by 3x8x6: want equal shapes or one value per channel`},
		{"mul one input", &Node{Op: OpMul, Inputs: []string{"c"}}, nil, `layer "x" (mul): needs 2 inputs, has 1`},
		{"lrn", &Node{Op: OpLRN, Size: 5, Alpha: 1e-4, Beta: 0.75, Bias: 1, Inputs: []string{"c"}}, Shape{4, 8, 6}, ""},
		{"lrn size", &Node{Op: OpLRN, Size: 0, Alpha: 1e-4, Beta: 0.75, Bias: 1, Inputs: []string{"c"}}, nil,
			`layer "x" (lrn): size 0 outside [1, 65536]`},
		{"lrn bias", &Node{Op: OpLRN, Size: 5, Alpha: 1e-4, Beta: 0.75, Bias: 0, Inputs: []string{"c"}}, nil,
			`layer "x" (lrn): bias 0, alpha 0.0001 and beta 0.75: want a positive bias, alpha >= 0, all finite`},
		{"lrn vector", &Node{Op: OpLRN, Size: 5, Alpha: 1e-4, Beta: 0.75, Bias: 1, Inputs: []string{"flat"}}, nil,
			`layer "x" (lrn): needs a CxHxW input, got 4`},
		{"shuffle", &Node{Op: OpChannels, Channels: []int{0, 2, 1, 3, 3}, Inputs: []string{"c"}}, Shape{5, 8, 6}, ""},
		{"features", &Node{Op: OpChannels, Channels: []int{3}, Inputs: []string{"flat"}}, Shape{1}, ""},
		{"channel out of range", &Node{Op: OpChannels, Channels: []int{0, 4}, Inputs: []string{"c"}}, nil,
			`layer "x" (channels): channel 1 is 4, outside the input's 4`},
		{"no channels", &Node{Op: OpChannels, Inputs: []string{"c"}}, nil, `layer "x" (channels): selects no channels`},
		{"concat vectors", &Node{Op: OpConcat, Inputs: []string{"flat", "flat"}}, Shape{8}, ""},
		{"concat mixed", &Node{Op: OpConcat, Inputs: []string{"flat", "c"}}, nil,
			`layer "x" (concat): needs CxHxW inputs of one height and width or vectors, got [4 4x8x6]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.n.Name = "x"
			m := Sequential("ops", in, []string{"a"}, conv, gap, flat, tt.n)
			shapes, err := m.Shapes()
			if tt.err != "" {
				require.EqualError(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, shapes[3])
		})
	}
}

// TestImportedRoundTrip: the parameters of the new layers and the record
// of the import survive Encode and Decode.
func TestImportedRoundTrip(t *testing.T) {
	in := Input{Channels: 3, Height: 8, Width: 6, Mean: []float32{0, 0, 0}, Std: []float32{1, 1, 1}}
	m := Sequential("onnx", in, []string{"a", "b", "c", "d"},
		Conv("c", 4, 3, 1, 1),
		&Node{Name: "hs", Op: OpHardSwish, Alpha: 0.2, Beta: 0.5, From: []string{"/hs (HardSwish)"}},
		&Node{Name: "lrn", Op: OpLRN, Size: 3, Alpha: 1e-4, Beta: 0.75, Bias: 2},
		&Node{Name: "shuffle", Op: OpChannels, Channels: []int{1, 0, 3, 2},
			From: []string{"/Reshape (Reshape)", "/Transpose (Transpose)", "/Reshape_1 (Reshape)"}},
		&Node{Name: "gap", Op: OpAvgPool, Kernel: [2]int{8, 6}, Stride: [2]int{1, 1}},
		&Node{Name: "flat", Op: OpFlatten})
	m.Imported = &Imported{Format: "onnx", Opset: 13, Nodes: 12, Folded: []string{"/Constant (Constant)"}}
	require.NoError(t, m.InitParams())
	data, err := Encode(m)
	require.NoError(t, err)
	got, err := Decode(data)
	require.NoError(t, err)
	require.Equal(t, m.Imported, got.Imported)
	for i, n := range m.Nodes {
		require.Equal(t, n, got.Nodes[i])
	}
}

func TestSaturation(t *testing.T) {
	inf := float32(math.Inf(1))
	for _, c := range []struct {
		n      Node
		lo, hi float32
		ok     bool
	}{
		{Node{Op: OpHardSigmoid, Alpha: 1.0 / 6, Beta: 0.5}, -3, 3, true},
		{Node{Op: OpHardSigmoid, Alpha: 0.2, Beta: 0.5}, -2.5, 2.5, true},
		{Node{Op: OpHardSwish, Alpha: 1.0 / 6, Beta: 0.5}, -3, inf, true},
		{Node{Op: OpReLU}, 0, inf, true},
		{Node{Op: OpReLU6}, 0, 6, true},
		{Node{Op: OpHardSigmoid, Alpha: 0, Beta: 0.5}, 0, 0, false},
		{Node{Op: OpSigmoid}, 0, 0, false},
		{Node{Op: OpConv2D}, 0, 0, false},
	} {
		lo, hi, ok := c.n.Saturation()
		if lo != c.lo || hi != c.hi || ok != c.ok {
			t.Errorf("%s alpha %v beta %v: Saturation() = %v, %v, %v, want %v, %v, %v", c.n.Op, c.n.Alpha, c.n.Beta, lo, hi, ok, c.lo, c.hi, c.ok)
		}
	}
}
