package engine

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/nn"
)

// Residual Add and channel Concat are checked through identities that hold
// bit for bit in float32: add(c, c) is c with doubled weights and bias (a
// product by 2 is exact), and concat(a, b) is one convolution with a's and
// b's filters stacked.
func TestAddAndConcat(t *testing.T) {
	in := nn.Input{Channels: 2, Height: 9, Width: 9, Mean: []float32{0, 0}, Std: []float32{1, 1}}
	labels := []string{"a", "b", "c"}
	conv := func(name string, out int, src string) *nn.Node {
		n := nn.Conv(name, out, 3, 1, 1)
		n.Inputs = []string{src}
		return n
	}
	tail := func(src string) []*nn.Node {
		f := nn.Flat("flat")
		f.Inputs = []string{src}
		return []*nn.Node{f, nn.FC("fc", 3)}
	}
	merged := nn.Sequential("t", in, labels, append([]*nn.Node{
		conv("a", 3, nn.InputName), conv("b", 2, nn.InputName),
		{Name: "sum", Op: nn.OpAdd, Inputs: []string{"a", "a"}},
		{Name: "cat", Op: nn.OpConcat, Inputs: []string{"sum", "b"}},
	}, tail("cat")...)...)
	require.NoError(t, merged.InitParams())
	for i, p := range paramsInOrder(merged) {
		for j := range p.F32 {
			p.F32[j] = float32((i*31+j*17)%23-11) / 16
		}
	}
	stacked := nn.Sequential("t", in, labels, append([]*nn.Node{conv("ab", 5, nn.InputName)}, tail("ab")...)...)
	require.NoError(t, stacked.InitParams())
	w, b := stacked.Params["ab.weight"].F32, stacked.Params["ab.bias"].F32
	aw, bw := merged.Params["a.weight"].F32, merged.Params["b.weight"].F32
	for i, v := range aw {
		w[i] = 2 * v
	}
	copy(w[len(aw):], bw)
	for i, v := range merged.Params["a.bias"].F32 {
		b[i] = 2 * v
	}
	copy(b[3:], merged.Params["b.bias"].F32)
	copy(stacked.Params["fc.weight"].F32, merged.Params["fc.weight"].F32)
	copy(stacked.Params["fc.bias"].F32, merged.Params["fc.bias"].F32)

	pixels := randomPixels(4*in.Shape().Size(), 3)
	for _, threads := range []int{1, 2} {
		got, err := New(merged, Options{Threads: threads})
		require.NoError(t, err)
		want, err := New(stacked, Options{Threads: threads})
		require.NoError(t, err)
		g, err := got.Infer(pixels, 4)
		require.NoError(t, err)
		w, err := want.Infer(pixels, 4)
		require.NoError(t, err)
		require.Equal(t, w, g)
		got.Close()
		want.Close()
	}
}

func paramsInOrder(m *nn.Model) []*nn.Tensor {
	var out []*nn.Tensor
	for _, n := range m.Nodes {
		if w := m.Weight(n); w != nil {
			out = append(out, w, m.Bias(n))
		}
	}
	return out
}
