package engine

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/kernels"
	"github.com/edgecnn/edgecnn/models"
	"github.com/edgecnn/edgecnn/nn"
)

// TestFewChannelsStayCHW: in the int8 LeNet-5, conv2 (six channels,
// arriving CHW from conv1's single channel) reads CHW when the path's
// direct convolution takes it, HWC otherwise (TestHWCMatchesCHW checks
// that both layouts give the same bits).
func TestFewChannelsStayCHW(t *testing.T) {
	m, err := nn.Decode(models.LeNet5Int8())
	require.NoError(t, err)
	shapes, err := m.Shapes()
	require.NoError(t, err)
	e, err := New(m, Options{Threads: 1})
	require.NoError(t, err)
	defer e.Close()
	for i, s := range e.steps {
		n := m.Nodes[i]
		if n.Name != "conv2" {
			continue
		}
		in := shapes[i-1]
		direct := kernels.ConvInt8Direct(Geometry(n, in, shapes[i]), n.Out, n.Groups)
		require.Equal(t, !direct, s.inputs[0].in.hwc, "conv2 on path %s", kernels.Path())
		return
	}
	t.Fatal("no conv2 in LeNet-5")
}
