package kernels

import (
	"encoding/binary"
	"fmt"

	"github.com/edgecnn/edgecnn/quant"
)

// GlobalPoolInt8HWC is the int8 global average pool that requantizes: for
// each of the C = len(dst) channels of the HWC image src ([pixels][C]),
//
//	dst[c] = quant.Requantize(sum(src[p*C+c]) - pixels*inZeroPoint, multiplier, shift, outZeroPoint, -128, 127)
//
// the channel's sum centred on the input's zero point and scaled once, as
// a convolution's accumulator is (the engine's global pools whose output
// has quantization parameters of its own). It panics if len(src) is not a
// multiple of C, or the sums could overflow int32 (pixels > 2^23).
func GlobalPoolInt8HWC(dst, src []int8, inZeroPoint, multiplier int32, shift int, outZeroPoint int32) {
	c := len(dst)
	if c == 0 || len(src)%c != 0 || len(src)/c > 1<<23 {
		panic(fmt.Sprintf("kernels.GlobalPoolInt8HWC: %d values for %d channels", len(src), c))
	}
	pixels := len(src) / c
	sc := poolPool.Get()
	if cap(*sc) < c {
		*sc = make([]int32, c)
	}
	sums := (*sc)[:c]
	clear(sums)
	sumPixelsInt8(sums, src, pixels, c)
	for i, sum := range sums {
		dst[i] = quant.Requantize(sum-int32(pixels)*inZeroPoint, multiplier, shift, outZeroPoint, -128, 127)
	}
	poolPool.Put(sc)
}

// SumPixelsInt8 adds to acc[c] the value of channel c of each of pixels
// HWC pixels of src, the first at src[0] and each stride values after the
// one before: acc[c] += src[p*stride+c] for p < pixels and c < len(acc).
// Average pools sum their windows with it (a window row, or a whole image
// for a global pool, is one run of pixels). The sums are exact while they
// fit an int32, which pixels <= 2^24 guarantees; it panics if src is too
// short.
func SumPixelsInt8(acc []int32, src []int8, pixels, stride int) {
	if pixels < 0 || stride < 0 {
		panic(fmt.Sprintf("kernels.SumPixelsInt8: %d pixels of stride %d for %d channels", pixels, stride, len(acc)))
	}
	if pixels == 0 || len(acc) == 0 {
		return
	}
	if need := (pixels-1)*stride + len(acc); len(src) < need {
		panic(fmt.Sprintf("kernels.SumPixelsInt8: %d values, %d pixels of stride %d need %d", len(src), pixels, stride, need))
	}
	sumPixelsInt8(acc, src, pixels, stride)
}

// sumPixelsInt8 is SumPixelsInt8 for arguments the caller guarantees, on
// the path in use.
func sumPixelsInt8(acc []int32, src []int8, pixels, stride int) {
	done := 0
	if sum := active.Load().sumPixels; sum != nil {
		done = sum(acc, src, pixels, stride)
	}
	sumPixelsInt8Generic(acc[done:], src[done:], pixels, stride)
}

// sumPixelsInt8Generic is the definition of SumPixelsInt8 for validated
// arguments, eight channels per uint64 word where it can: each value
// biased to unsigned (v+128), the even and the odd channels summed in four
// 16-bit lanes each, which 257 values of at most 255 cannot carry out of,
// then folded into acc every 257 pixels less the bias (128 per pixel).
func sumPixelsInt8Generic(acc []int32, src []int8, pixels, stride int) {
	const lanes, bias, fold = 0x00FF00FF00FF00FF, 0x8080808080808080, 257
	sb := bytesOf(src)
	c8 := len(acc) &^ 7
	for c := 0; c < c8; c += 8 {
		for p0 := 0; p0 < pixels; p0 += fold {
			n := min(fold, pixels-p0)
			var even, odd uint64
			for at := p0*stride + c; at < (p0+n)*stride+c; at += stride {
				u := binary.LittleEndian.Uint64(sb[at:]) ^ bias
				even += u & lanes
				odd += u >> 8 & lanes
			}
			for i := range 4 {
				acc[c+2*i] += int32(even>>(16*i)&0xFFFF) - 128*int32(n)
				acc[c+2*i+1] += int32(odd>>(16*i)&0xFFFF) - 128*int32(n)
			}
		}
	}
	for p := range pixels {
		for j, v := range src[p*stride+c8 : p*stride+len(acc)] {
			acc[c8+j] += int32(v)
		}
	}
}

// i8PixelSumLanes is how many channels the assembly kernels of
// SumPixelsInt8 (i8PixelSum16NEON, i8PixelSum16AVX2) sum per block, and
// i8PixelSumRun how many pixels per call at most: their int16 partial
// sums hold 256 values in [-128, 127] exactly.
const (
	i8PixelSumLanes = 16
	i8PixelSumRun   = 256
)

// sumPixelsBlocks is the sumPixels field of a path whose kernel sums
// blocks of i8PixelSumLanes channels over at most i8PixelSumRun pixels a
// call, for arguments SumPixelsInt8 validated. It returns the channels
// done.
func sumPixelsBlocks(acc []int32, src []int8, pixels, stride int, kernel func(acc *int32, src *int8, blocks, pixels, stride int)) int {
	blocks := len(acc) / i8PixelSumLanes
	if blocks == 0 {
		return 0
	}
	for p0 := 0; p0 < pixels; p0 += i8PixelSumRun {
		kernel(&acc[0], &src[p0*stride], blocks, min(i8PixelSumRun, pixels-p0), stride)
	}
	return blocks * i8PixelSumLanes
}
