package engine

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/quant"
)

// TestGlobalPoolInt8 checks the requantizing global average pool on
// random maps, CHW and HWC, against the mean of the dequantized inputs:
// within one output step (half a step of rounding, the rest the Q31
// multiplier's error), the same bits in both layouts, and the int8 range
// clamped at both ends. 261 channels: the HWC sums run 256 channels at a
// time.
func TestGlobalPoolInt8(t *testing.T) {
	const channels, pixels, n = 261, 7 * 6, 3
	in := quant.Params{Scale: 0.05, ZeroPoint: -20}
	out := quant.Params{Scale: 0.011, ZeroPoint: 3}
	rng := rand.New(rand.NewPCG(14, 16))
	chw := make([]int8, n*channels*pixels)
	for i := range chw {
		chw[i] = int8(rng.IntN(256) - 128)
	}
	// The last channel of the first sample averages to more than the
	// output range holds.
	for i := range pixels {
		chw[(channels-1)*pixels+i] = 127
	}
	hwc := make([]int8, len(chw))
	for s := range n {
		for c := range channels {
			for i := range pixels {
				hwc[(s*pixels+i)*channels+c] = chw[(s*channels+c)*pixels+i]
			}
		}
	}
	var got [2][]int8
	for k, x := range [][]int8{chw, hwc} {
		p, err := newGlobalPoolInt8(channels, pixels, k == 1, in, out)
		require.NoError(t, err)
		got[k] = make([]int8, n*channels)
		p.forward([]buffer{{q: x}}, buffer{q: got[k]}, n, nil)
	}
	require.Equal(t, got[0], got[1], "CHW and HWC")
	for s := range n {
		for c := range channels {
			var mean float64
			for _, v := range chw[(s*channels+c)*pixels : (s*channels+c+1)*pixels] {
				mean += float64(quant.Dequantize(v, in)) / pixels
			}
			want := math.Round(mean/float64(out.Scale)) + float64(out.ZeroPoint)
			require.InDelta(t, min(max(want, -128), 127), float64(got[0][s*channels+c]), 1, "sample %d channel %d", s, c)
		}
	}
	require.Equal(t, int8(127), got[0][channels-1], "clamped")

	_, err := newGlobalPoolInt8(channels, math.MaxInt32/128, false, in, out)
	require.ErrorContains(t, err, "overflow")
	_, err = newGlobalPoolInt8(channels, pixels, false, in, quant.Params{Scale: 1e-20})
	require.ErrorContains(t, err, "multiplier")
}
