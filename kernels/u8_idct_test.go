//go:build unix

package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
)

// idctBlocks returns test blocks for IDCTIslow: dequantized coefficients
// as JPEGs hold them (a DC and a few low frequencies, larger ones rarer),
// DC-only blocks, blocks with only some columns or rows set (the generic
// path's shortcuts), dense ones, and extreme values that overflow int32
// (the arithmetic wraps the same way on every path).
func idctBlocks(r *rand.Rand, n int) [][64]int32 {
	var out [][64]int32
	extremes := []int32{math.MaxInt32, math.MinInt32, 1 << 30, -1 << 30, 65535 * 2047, -65535 * 2047, 1, -1}
	for i := range n {
		var b [64]int32
		switch i % 6 {
		case 0: // DC only
			b[0] = r.Int32N(4096) - 2048
		case 1: // one column of coefficients
			c := r.IntN(8)
			for row := range 8 {
				b[row*8+c] = r.Int32N(512) - 256
			}
		case 2: // one row
			row := r.IntN(8)
			for c := range 8 {
				b[row*8+c] = r.Int32N(512) - 256
			}
		case 3: // as a photo: low frequencies, quantized
			for k := range 64 {
				if r.IntN(1+k) < 2 {
					b[k] = (r.Int32N(64) - 32) * (1 + int32(k))
				}
			}
		case 4: // dense, the full range of baseline dequantized values
			for k := range b {
				b[k] = r.Int32N(2*2047*255) - 2047*255
			}
		case 5: // extremes
			for k := range b {
				if r.IntN(3) == 0 {
					b[k] = extremes[r.IntN(len(extremes))]
				}
			}
		}
		out = append(out, b)
	}
	return out
}

// TestIDCTIslow checks IDCTIslow on every path against the generic one,
// byte for byte, on idctBlocks with several strides, the last row ending
// at an inaccessible page, and the bytes between the rows left alone.
func TestIDCTIslow(t *testing.T) {
	r := rand.New(rand.NewPCG(71, 72))
	blocks := idctBlocks(r, 3000)
	guard := guarded(t, 8*64)
	mem := unsafe.Slice((*uint8)(unsafe.Pointer(&guard[0])), len(guard))
	for _, stride := range []int{8, 9, 16, 61} {
		size := 7*stride + 8
		want := make([]uint8, size)
		got := mem[len(mem)-size:]
		for i := range blocks {
			b := blocks[i]
			for k := range want {
				want[k] = uint8(k * 7)
			}
			idctIslowGeneric(&b, want, stride)
			require.Equal(t, blocks[i], b, "the block is read, not written")
			for _, path := range Paths() {
				usePath(t, path)
				for k := range got {
					got[k] = uint8(k * 7)
				}
				IDCTIslow(&b, got, stride)
				require.Equal(t, want, got, "%s: block %d, stride %d: %v", path, i, stride, b)
			}
		}
	}
	require.Panics(t, func() { IDCTIslow(&[64]int32{}, make([]uint8, 7*16+7), 16) })
	require.Panics(t, func() { IDCTIslow(&[64]int32{}, make([]uint8, 64), 7) })
}

// TestIDCTIslowFlat checks the definition on blocks whose result is
// known: a DC coefficient of 8*v (a dequantized DC) gives the flat block
// 128+v, clamped.
func TestIDCTIslowFlat(t *testing.T) {
	for _, v := range []int32{0, 1, -1, 100, -128, 127, 128, -129, 1000, -1000} {
		for _, path := range Paths() {
			usePath(t, path)
			dst := make([]uint8, 64)
			IDCTIslow(&[64]int32{8 * v}, dst, 8)
			want := uint8(min(max(128+v, 0), 255))
			for i, p := range dst {
				require.Equal(t, want, p, "%s: DC %d, pixel %d", path, 8*v, i)
			}
		}
	}
}

// BenchmarkIDCTIslow times the transform of dense blocks on every path.
func BenchmarkIDCTIslow(b *testing.B) {
	blocks := idctBlocks(rand.New(rand.NewPCG(73, 74)), 600)
	dst := make([]uint8, 64)
	for _, path := range Paths() {
		b.Run(path, func(b *testing.B) {
			usePath(b, path)
			i := 0
			for b.Loop() {
				IDCTIslow(&blocks[i%len(blocks)], dst, 8)
				i++
			}
		})
	}
}
