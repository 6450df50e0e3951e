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

// resampleWeights fills the taps of one output: as the resampler's
// (kind 0: 22-bit, summing to 1<<22), arbitrary (1: negative too) or
// int32 extremes (2: sums that wrap and clamp).
func resampleWeights(r *rand.Rand, kind int, w []int32) {
	extremes := []int32{math.MaxInt32, math.MinInt32, 1 << 22, -1 << 22, 1, -1, 0}
	switch kind {
	case 0:
		left := int32(1 << 22)
		for j := range w[:len(w)-1] {
			w[j] = r.Int32N(left + 1)
			left -= w[j]
		}
		w[len(w)-1] = left
	case 1:
		for j := range w {
			w[j] = r.Int32N(1<<24) - 1<<23
		}
	case 2:
		for j := range w {
			w[j] = extremes[r.IntN(len(extremes))]
		}
	}
}

// resampleShift is the shift to use with weights of kind: the
// resampler's 22 for its own, any other 1 to 31.
func resampleShift(r *rand.Rand, kind int) uint {
	if kind == 0 {
		return 22
	}
	return uint(1 + r.IntN(31))
}

// randomPixels fills b with random bytes, one in eight 0 or 255.
func randomPixels(r *rand.Rand, b []uint8) {
	for i := range b {
		b[i] = uint8(r.IntN(256))
		if r.IntN(8) == 0 {
			b[i] = []uint8{0, 255}[r.IntN(2)]
		}
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
	for trial := range 400 {
		n := []int{1, 7, 15, 16, 17, 31, 32, 33, 100, 224, 300}[trial%11]
		taps := 1 + r.IntN(9)
		stride := n + r.IntN(40)
		kind := trial % 3
		shift := resampleShift(r, kind)
		k := make([]int32, taps)
		resampleWeights(r, kind, k)
		size := (taps-1)*stride + n
		src := srcAll[len(srcAll)-size:]
		randomPixels(r, src)
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

// resampleColsRef is ResampleColsU8's definition written plainly.
func resampleColsRef(out, src []uint8, first, k []int32, kstride, taps int, shift uint) {
	for i := range out {
		acc := int32(1) << (shift - 1)
		for j := range taps {
			acc += k[j*kstride+i] * int32(src[int(first[i])+j])
		}
		out[i] = uint8(min(max(acc>>shift, 0), 255))
	}
}

// TestResampleColsU8 checks ResampleColsU8 on every path against its
// definition, byte for byte: outputs around the 8-output group, 1 to 18
// taps (past the 16-byte window), the inputs of a resampler shrinking or
// enlarging by 0.3 to 3.5 and arbitrary ones (out of order, far apart),
// PIL-like weights and arbitrary ones (int32 extremes: sums that wrap and
// clamp), shifts 1 to 31, the source (with or without room past its last
// tap) and the output ending at an inaccessible page.
func TestResampleColsU8(t *testing.T) {
	r := rand.New(rand.NewPCG(83, 84))
	srcMem, outMem := guarded(t, 1<<14), guarded(t, 1024)
	srcAll := unsafe.Slice((*uint8)(unsafe.Pointer(&srcMem[0])), len(srcMem))
	outAll := unsafe.Slice((*uint8)(unsafe.Pointer(&outMem[0])), len(outMem))
	for trial := range 600 {
		n := []int{1, 7, 8, 9, 15, 16, 17, 31, 33, 100, 224, 300}[trial%12]
		taps := 1 + r.IntN(18)
		if trial%2 == 0 {
			taps = []int{5, 7}[r.IntN(2)] // the resampler's common cases
		}
		first := make([]int32, n)
		switch trial % 5 {
		case 4: // arbitrary, anywhere in a source of up to 600 bytes
			for i := range first {
				first[i] = r.Int32N(600)
			}
		default: // a resampler's: centres scale apart, taps around them
			scale := 0.3 + 3.2*r.Float64()
			for i := range first {
				first[i] = int32(max(float64(i)*scale+r.Float64()-float64(taps)/2, 0))
			}
		}
		size := 0
		for _, f := range first {
			size = max(size, int(f)+taps)
		}
		if r.IntN(2) == 0 {
			size += 16
		}
		kstride := n + r.IntN(20)
		k := make([]int32, (taps-1)*kstride+n)
		kind := trial % 3
		shift := resampleShift(r, kind)
		w := make([]int32, taps)
		for i := range n {
			resampleWeights(r, kind, w)
			for j, v := range w {
				k[j*kstride+i] = v
			}
		}
		src := srcAll[len(srcAll)-size:]
		randomPixels(r, src)
		want := make([]uint8, n)
		resampleColsRef(want, src, first, k, kstride, taps, shift)
		for _, path := range Paths() {
			usePath(t, path)
			out := outAll[len(outAll)-n:]
			clear(out)
			ResampleColsU8(out, src, first, k, kstride, taps, shift)
			require.Equal(t, want, out, "%s: %d outputs from %v, %d taps, stride %d, shift %d", path, n, first, taps, kstride, shift)
		}
	}
	require.Panics(t, func() {
		ResampleColsU8(make([]uint8, 4), make([]uint8, 8), make([]int32, 4), make([]int32, 7), 4, 2, 22)
	})
	require.Panics(t, func() {
		ResampleColsU8(make([]uint8, 4), make([]uint8, 8), make([]int32, 3), make([]int32, 8), 4, 2, 22)
	})
	require.Panics(t, func() {
		ResampleColsU8(make([]uint8, 4), make([]uint8, 8), make([]int32, 4), make([]int32, 8), 4, 0, 22)
	})
	require.Panics(t, func() {
		ResampleColsU8(make([]uint8, 4), make([]uint8, 8), []int32{0, 0, 0, 7}, make([]int32, 8), 4, 2, 22)
	})
}

// BenchmarkResampleColsU8 times one row of a 224-wide crop shrunk by
// 1.875 horizontally (5 taps), on every path.
func BenchmarkResampleColsU8(b *testing.B) {
	const n, taps = 224, 5
	src := make([]uint8, 480)
	for i := range src {
		src[i] = uint8(i * 13)
	}
	out := make([]uint8, n)
	first := make([]int32, n)
	k := make([]int32, taps*n)
	for i := range first {
		first[i] = int32(float64(i) * 1.875)
		for j, w := range []int32{400000, 1300000, 1500000, 800000, 194304} {
			k[j*n+i] = w
		}
	}
	for _, path := range Paths() {
		b.Run(path, func(b *testing.B) {
			usePath(b, path)
			for b.Loop() {
				ResampleColsU8(out, src, first, k, n, taps, 22)
			}
			b.SetBytes(int64(len(out)))
		})
	}
}
