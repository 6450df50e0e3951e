//go:build unix

package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
)

// resampleRowsRef is ResampleRowsU8's definition written plainly.
func resampleRowsRef(out, src []uint8, stride int, k []int32, shift uint) {
	for i := range out {
		acc := int32(1) << (shift - 1)
		for j, w := range k {
			acc += w * int32(src[j*stride+i])
		}
		out[i] = uint8(min(max(acc>>shift, 0), 255))
	}
}

// TestResampleRowsU8 checks ResampleRowsU8 on every path against its
// definition, byte for byte: widths around the 16-output step, 1 to 9
// taps, strides wider than the row, PIL-like weights (22-bit, summing to
// one) and arbitrary ones (negative, int32 extremes: sums that wrap and
// clamp), shifts 1 to 31, the source and output ending at an
// inaccessible page.
func TestResampleRowsU8(t *testing.T) {
	r := rand.New(rand.NewPCG(81, 82))
	srcMem, outMem := guarded(t, 1<<14), guarded(t, 1024)
	srcAll := unsafe.Slice((*uint8)(unsafe.Pointer(&srcMem[0])), len(srcMem))
	outAll := unsafe.Slice((*uint8)(unsafe.Pointer(&outMem[0])), len(outMem))
	extremes := []int32{math.MaxInt32, math.MinInt32, 1 << 22, -1 << 22, 1, -1, 0}
	for trial := range 400 {
		n := []int{1, 7, 15, 16, 17, 31, 32, 33, 100, 224, 300}[trial%11]
		taps := 1 + r.IntN(9)
		stride := n + r.IntN(40)
		shift := uint(22)
		k := make([]int32, taps)
		switch trial % 3 {
		case 0: // as the resampler's, summing to 1<<22
			left := int32(1 << 22)
			for j := range k[:taps-1] {
				k[j] = r.Int32N(left + 1)
				left -= k[j]
			}
			k[taps-1] = left
		case 1: // arbitrary
			shift = uint(1 + r.IntN(31))
			for j := range k {
				k[j] = r.Int32N(1<<24) - 1<<23
			}
		case 2: // extremes
			shift = uint(1 + r.IntN(31))
			for j := range k {
				k[j] = extremes[r.IntN(len(extremes))]
			}
		}
		size := (taps-1)*stride + n
		src := srcAll[len(srcAll)-size:]
		for i := range src {
			src[i] = uint8(r.IntN(256))
			if r.IntN(8) == 0 {
				src[i] = []uint8{0, 255}[r.IntN(2)]
			}
		}
		want := make([]uint8, n)
		resampleRowsRef(want, src, stride, k, shift)
		for _, path := range Paths() {
			usePath(t, path)
			out := outAll[len(outAll)-n:]
			clear(out)
			ResampleRowsU8(out, src, stride, k, shift)
			require.Equal(t, want, out, "%s: %d outputs, taps %v, stride %d, shift %d", path, n, k, stride, shift)
		}
	}
	require.Panics(t, func() { ResampleRowsU8(make([]uint8, 4), make([]uint8, 7), 4, []int32{1, 1}, 22) })
	require.Panics(t, func() { ResampleRowsU8(make([]uint8, 4), make([]uint8, 8), 4, nil, 22) })
	require.Panics(t, func() { ResampleRowsU8(make([]uint8, 4), make([]uint8, 8), 4, []int32{1}, 0) })
}

// BenchmarkResampleRowsU8 times one row of a 224-wide RGB crop shrunk
// by 1.875 vertically (5 taps), on every path.
func BenchmarkResampleRowsU8(b *testing.B) {
	src := make([]uint8, 5*224)
	for i := range src {
		src[i] = uint8(i * 13)
	}
	out := make([]uint8, 224)
	k := []int32{400000, 1300000, 1500000, 800000, 194304}
	for _, path := range Paths() {
		b.Run(path, func(b *testing.B) {
			usePath(b, path)
			for b.Loop() {
				ResampleRowsU8(out, src, 224, k, 22)
			}
			b.SetBytes(int64(len(out)))
		})
	}
}
