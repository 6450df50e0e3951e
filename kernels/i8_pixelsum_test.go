package kernels

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/quant"
)

// TestSumPixelsInt8 checks SumPixelsInt8 on every path against a plain
// loop, with src ending at an inaccessible page: channel counts with every
// tail of the 8- and 16-channel blocks, runs across the 256- and
// 257-pixel folds of the int16 and uint64 partial sums, strides wider than
// the channels, all -128, all 127 and random values, onto sums that are
// not zero.
func TestSumPixelsInt8(t *testing.T) {
	r := rand.New(rand.NewPCG(91, 92))
	mem := guarded(t, 1<<17)
	chans := []int{1, 7, 8, 9, 15, 16, 17, 31, 33, 48, 100}
	pixels := []int{1, 2, 3, 255, 256, 257, 513}
	// len(chans) and len(pixels) are coprime: every pair comes up.
	for i := range len(chans) * len(pixels) {
		c, n := chans[i%len(chans)], pixels[i%len(pixels)]
		stride := c + 3*(i%3)
		src := mem[len(mem)-(n-1)*stride-c:]
		copy(src, randInt8(r, len(src), i%4, -128))
		start := make([]int32, c)
		for j := range start {
			start[j] = r.Int32N(1<<20) - 1<<19
		}
		want := append([]int32(nil), start...)
		for p := range n {
			for j := range want {
				want[j] += int32(src[p*stride+j])
			}
		}
		for _, path := range Paths() {
			usePath(t, path)
			got := append([]int32(nil), start...)
			SumPixelsInt8(got, src, n, stride)
			require.Equal(t, want, got, "%s: %d channels, %d pixels, stride %d", path, c, n, stride)
		}
	}
	require.Panics(t, func() { SumPixelsInt8(make([]int32, 4), make([]int8, 9), 2, 6) }, "short src")
	require.Panics(t, func() { SumPixelsInt8(make([]int32, 4), make([]int8, 9), -1, 6) }, "negative pixels")
}

// TestGlobalPoolInt8HWC checks the requantizing global pool on every path
// against quant.Requantize of the plain sums, with zero points and
// multipliers that clamp at both ends of the int8 range.
func TestGlobalPoolInt8HWC(t *testing.T) {
	r := rand.New(rand.NewPCG(93, 94))
	for i, s := range [][2]int{{1280, 49}, {512, 49}, {37, 300}, {1, 1}} {
		c, pixels := s[0], s[1]
		src := randInt8(r, c*pixels, i%2, -128)
		inZP, outZP := int32(r.IntN(256)-128), int32(r.IntN(256)-128)
		mult, shift := quant.QuantizeMultiplier(0.5 + 20*r.Float64()/float64(pixels))
		want := make([]int8, c)
		for j := range want {
			var sum int32
			for p := range pixels {
				sum += int32(src[p*c+j])
			}
			want[j] = quant.Requantize(sum-int32(pixels)*inZP, mult, shift, outZP, -128, 127)
		}
		for _, path := range Paths() {
			usePath(t, path)
			got := make([]int8, c)
			GlobalPoolInt8HWC(got, src, inZP, mult, shift, outZP)
			require.Equal(t, want, got, "%s: %d channels, %d pixels", path, c, pixels)
		}
	}
	require.Panics(t, func() { GlobalPoolInt8HWC(make([]int8, 3), make([]int8, 10), 0, 1<<30, 0, 0) })
}
