package nn

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/quant"
)

func TestInputQuantParamsMapPixelsExactly(t *testing.T) {
	p := Input{Channels: 1, Height: 32, Width: 32, Mean: []float32{0}, Std: []float32{1}}.QuantParams()
	require.Equal(t, quant.Params{Scale: 1.0 / 255, ZeroPoint: -128}, p)
	// Per-channel normalisation cannot map pixels directly: it falls back
	// to the range of the normalised values, zero included.
	p = Input{Channels: 3, Height: 32, Width: 32, Mean: []float32{0.5, 0.4, 0.3}, Std: []float32{0.2, 0.2, 0.25}}.QuantParams()
	require.InDelta(t, (0.6/0.2+0.5/0.2)/255, p.Scale, 1e-6) // [-2.5, 3]
}

func TestRangesAreValidatedAndSaved(t *testing.T) {
	m, err := Build(Arch{Name: "lenet5", Input: gray32(), Labels: digits})
	require.NoError(t, err)
	m.Nodes[1].Range = &Range{Min: 0, Max: 5.5}
	data, err := Encode(m)
	require.NoError(t, err)
	back, err := Decode(data)
	require.NoError(t, err)
	require.Equal(t, Range{Min: 0, Max: 5.5}, *back.Nodes[1].Range)
	require.Nil(t, back.Nodes[0].Range)
	require.Equal(t, quant.ChooseParams(0, 5.5), back.Nodes[1].Range.Params())

	for _, r := range []Range{{Min: 1, Max: 0}, {Min: float32(math.NaN()), Max: 1}, {Min: 0, Max: float32(math.Inf(1))}} {
		m.Nodes[1].Range = &r
		require.ErrorContains(t, m.Validate(), `layer "`+m.Nodes[1].Name+`": range`)
	}
}

func TestFusedActivation(t *testing.T) {
	m, err := Build(Arch{Name: "lenet5", Input: gray32(), Labels: digits})
	require.NoError(t, err)
	for i, n := range m.Nodes {
		want := -1
		if (n.Op == OpConv2D || n.Op == OpLinear) && i+1 < len(m.Nodes) && m.Nodes[i+1].Op == OpReLU {
			want = i + 1
		}
		require.Equal(t, want, m.FusedActivation(i), "node %s", n.Name)
	}
	require.Equal(t, 1, m.FusedActivation(0))
	// A second reader of the convolution's output stops the fusion.
	m.Nodes = append(m.Nodes[:3], append([]*Node{{Name: "extra", Op: OpReLU6, Inputs: []string{m.Nodes[0].Name}}}, m.Nodes[3:]...)...)
	require.Equal(t, -1, m.FusedActivation(0))
}

func TestKeepsQuant(t *testing.T) {
	for _, op := range []Op{OpMaxPool, OpAvgPool, OpFlatten, OpDropout, OpChannels} {
		require.True(t, KeepsQuant(op), op)
	}
	for _, op := range []Op{OpConv2D, OpLinear, OpReLU, OpAdd, OpConcat, OpTanh, OpSoftmax} {
		require.False(t, KeepsQuant(op), op)
	}
}
