package nn

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestInputValidate(t *testing.T) {
	rgb := func(edit func(*Input)) Input {
		in := Input{Channels: 3, Height: 224, Width: 224, Mean: ImageNet.Mean, Std: ImageNet.Std, Resize: 256}
		edit(&in)
		return in
	}
	require.NoError(t, rgb(func(*Input) {}).Validate())
	require.NoError(t, rgb(func(in *Input) { in.BGR = true }).Validate())
	require.NoError(t, rgb(func(in *Input) { in.Resize = 0 }).Validate())
	for _, tt := range []struct {
		in   Input
		want string
	}{
		{rgb(func(in *Input) { in.Resize = 200 }), "resize 200 is smaller than the 224x224 crop"},
		{rgb(func(in *Input) { in.Resize = -1 }), "resize -1 out of range"},
		{rgb(func(in *Input) { in.Resize = MaxResize + 1 }), "out of range"},
		{rgb(func(in *Input) { in.Digit = true }), "digit preprocessing needs 1 channel, not 3"},
		{Input{Channels: 1, Height: 32, Width: 32, Mean: []float32{0}, Std: []float32{1}, Digit: true, Resize: 32}, "digit preprocessing takes no resize"},
		{Input{Channels: 1, Height: 32, Width: 32, Mean: []float32{0}, Std: []float32{1}, BGR: true}, "BGR order needs 3 channels"},
	} {
		require.ErrorContains(t, tt.in.Validate(), tt.want)
	}
}

func TestInputDescribe(t *testing.T) {
	in := Input{Channels: 3, Height: 224, Width: 224, Resize: 256, BGR: true}
	require.Equal(t, "image (resize 256, centre crop 224x224, BGR)", in.Describe())
	require.Equal(t, "image", in.Kind())
	in = Input{Channels: 1, Height: 32, Width: 32, Digit: true}
	require.Equal(t, "digit", in.Kind())
	require.Equal(t, "digit (MNIST-style, 32x32)", in.Describe())
}

// TestInputNormalize checks every pixel value of every channel against the
// contract's formula, (p/255 - Mean[c]) / Std[c] as the float32 steps
// p*(1/(255*Std)) + (-Mean/Std) compute it.
func TestInputNormalize(t *testing.T) {
	in := Input{Channels: 3, Height: 16, Width: 16, Mean: ImageNet.Mean, Std: ImageNet.Std}
	plane := in.Height * in.Width
	pixels := make([]uint8, in.Channels*plane)
	for i := range pixels {
		pixels[i] = uint8(i*37 + i/plane)
	}
	dst := make([]float32, len(pixels))
	in.Normalize(dst, pixels)
	for i, p := range pixels {
		c := i / plane
		want := float32(float32(p)*(1/(255*in.Std[c]))) + -in.Mean[c]/in.Std[c]
		require.Equal(t, want, dst[i], "channel %d pixel %d", c, p)
	}
	unit := Input{Channels: 1, Height: 1, Width: 2, Mean: []float32{0}, Std: []float32{1}}
	unit.Normalize(dst[:2], []uint8{0, 255})
	require.Equal(t, []float32{0, 1}, dst[:2])
}

func BenchmarkInputNormalize(b *testing.B) {
	in := Input{Channels: 3, Height: 224, Width: 224, Mean: ImageNet.Mean, Std: ImageNet.Std}
	pixels := make([]uint8, 3*224*224)
	for i := range pixels {
		pixels[i] = uint8(i * 7)
	}
	dst := make([]float32, len(pixels))
	for b.Loop() {
		in.Normalize(dst, pixels)
	}
}
