package engine

import (
	"fmt"
	"math"

	"github.com/edgecnn/edgecnn/kernels"
	"github.com/edgecnn/edgecnn/quant"
)

// globalPoolInt8 is an int8 global average pool (a window as large as the
// image, one value per channel) whose output has quantization parameters
// of its own. The mean of a whole map varies over a much narrower range
// than the map's values, and the error it inherits is the mean of theirs,
// smaller by the number of pixels; rounding it at the input's step (as
// the int8 pools that keep their input's parameters do) would add more
// error than all the layers before it. So the channel's sum, less the
// input zero point of each pixel, is requantized once to the output's
// finer step, as a convolution's accumulator is:
//
//	q = clamp(round(sum(x - zIn) * sIn / (pixels sOut)) + zOut, -128, 127)
//
// with the fixed-point multiplier of quant.Requantize.
type globalPoolInt8 struct {
	channels, pixels int
	hwc              bool // input stored [H][W][C]
	inZP             int32
	multiplier       int32
	shift            int
	outZP            int32
}

// newGlobalPoolInt8 returns the global average pool of an input of
// channels maps of pixels values, quantized by in, to outputs quantized
// by out. It fails when the multiplier is out of range.
func newGlobalPoolInt8(channels, pixels int, hwc bool, in, out quant.Params) (*globalPoolInt8, error) {
	if pixels > math.MaxInt32/256 {
		return nil, fmt.Errorf("int8 global average pool over %d pixels: the int32 sum could overflow", pixels)
	}
	real := float64(in.Scale) / (float64(pixels) * float64(out.Scale))
	if err := quant.CheckMultiplier(real); err != nil {
		return nil, fmt.Errorf("int8 global average pool: %w", err)
	}
	mult, shift := quant.QuantizeMultiplier(real)
	return &globalPoolInt8{channels: channels, pixels: pixels, hwc: hwc, inZP: in.ZeroPoint,
		multiplier: mult, shift: shift, outZP: out.ZeroPoint}, nil
}

func (p *globalPoolInt8) scratch(int) (int, int) { return 0, 0 }

func (p *globalPoolInt8) forward(xs []buffer, y buffer, n int, _ *scratch) {
	size := p.channels * p.pixels
	for s := range n {
		x, out := xs[0].q[s*size:(s+1)*size], y.q[s*p.channels:(s+1)*p.channels]
		if p.hwc {
			kernels.GlobalPoolInt8HWC(out, x, p.inZP, p.multiplier, p.shift, p.outZP)
			continue
		}
		for c := range out {
			var sum int32
			for _, v := range x[c*p.pixels : (c+1)*p.pixels] {
				sum += int32(v)
			}
			out[c] = p.requantize(sum)
		}
	}
}

// requantize turns a channel's sum into its output value, as
// kernels.GlobalPoolInt8HWC does.
func (p *globalPoolInt8) requantize(sum int32) int8 {
	return quant.Requantize(sum-int32(p.pixels)*p.inZP, p.multiplier, p.shift, p.outZP, -128, 127)
}
