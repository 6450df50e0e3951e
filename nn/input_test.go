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
