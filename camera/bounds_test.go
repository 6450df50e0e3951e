package camera

import (
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestOptionBounds: a frame rate outside [MinFPS, MaxFPS] (a paced source
// would sleep for years between frames) and synthetic frames over
// MaxSyntheticPixels (all rendered up front) are errors, from every
// constructor that takes them.
func TestOptionBounds(t *testing.T) {
	for _, fps := range []float64{0, MinFPS, 30, MaxFPS} {
		require.NoError(t, CheckFPS(fps), fps)
	}
	for _, fps := range []float64{1e-9, -1, MaxFPS + 1, math.NaN(), math.Inf(1)} {
		require.Error(t, CheckFPS(fps), fps)
		_, err := Open("synthetic", Options{FPS: fps})
		require.ErrorContains(t, err, "frame rate", fps)
		_, err = OpenReader("x", strings.NewReader(""), Options{FPS: fps})
		require.ErrorContains(t, err, "frame rate", fps)
		_, err = NewSynthetic(Options{FPS: fps})
		require.ErrorContains(t, err, "frame rate", fps)
	}
	_, err := NewSynthetic(Options{Width: 16384, Height: 16384})
	require.ErrorContains(t, err, "over 2073600 pixels")
	_, err = NewSynthetic(Options{Width: 1920, Height: 2, Format: FormatGray})
	require.NoError(t, err)
}
