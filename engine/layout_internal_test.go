package engine

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/kernels"
	"github.com/edgecnn/edgecnn/models"
	"github.com/edgecnn/edgecnn/nn"
	"github.com/edgecnn/edgecnn/quant"
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

// TestPixelTableIsNormalizeThenQuantize: the table loadInput reads int8
// inputs through gives, for every pixel of an image, what Normalize and
// quant.QuantizeSlice give for it, with ImageNet's per-channel
// normalisation (not pixelExact) and with a shared one that is.
func TestPixelTableIsNormalizeThenQuantize(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	imagenet := nn.Input{Channels: 3, Height: 9, Width: 31, Mean: []float32{0.485, 0.456, 0.406},
		Std: []float32{0.229, 0.224, 0.225}, Quant: &quant.Params{Scale: 0.0187, ZeroPoint: -14}}
	exact := nn.Input{Channels: 2, Height: 9, Width: 31, Mean: []float32{0, 0}, Std: []float32{1, 1},
		Quant: &quant.Params{Scale: 1.0 / 255, ZeroPoint: -128}}
	require.False(t, pixelExact(imagenet))
	require.True(t, pixelExact(exact))
	for _, in := range []nn.Input{imagenet, exact} {
		table := pixelTable(in)
		px := make([]uint8, in.Channels*in.Height*in.Width)
		for i := range px {
			px[i] = uint8(r.IntN(256))
		}
		px[0], px[1] = 0, 255
		f := make([]float32, len(px))
		in.Normalize(f, px)
		want := make([]int8, len(px))
		quant.QuantizeSlice(want, f, *in.Quant)
		plane := in.Height * in.Width
		for i, p := range px {
			require.Equal(t, want[i], table[i/plane*256+int(p)], "channel %d pixel %d", i/plane, p)
		}
	}
}
