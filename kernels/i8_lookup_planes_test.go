package kernels

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestLookupPlanesInt8HWC maps random planes through random tables on
// every path, against the definition, with src and dst each ending at an
// inaccessible page: 1 to 4 channels, pixel counts around the 32-pixel
// steps, every pixel value.
func TestLookupPlanesInt8HWC(t *testing.T) {
	r := rand.New(rand.NewPCG(97, 98))
	srcMem, dstMem := guarded(t, 1<<14), guarded(t, 1<<14)
	for i, pixels := range []int{1, 31, 32, 33, 64, 95, 256, 1000} {
		for c := 1; c <= 4; c++ {
			tables := randInt8(r, 256*c, 0, -128)
			src := bytesOf(srcMem[len(srcMem)-c*pixels:])
			for j := range src {
				src[j] = uint8(r.IntN(256))
			}
			if pixels == 256 {
				for j := range src {
					src[j] = uint8(j)
				}
			}
			want := make([]int8, len(src))
			for ch := range c {
				for p := range pixels {
					want[p*c+ch] = tables[ch*256+int(src[ch*pixels+p])]
				}
			}
			dst := dstMem[len(dstMem)-len(src):]
			for _, path := range Paths() {
				usePath(t, path)
				fillInt8(dst, 0)
				LookupPlanesInt8HWC(dst, src, tables)
				require.Equal(t, want, []int8(dst), "%s: case %d, %d channels of %d pixels", path, i, c, pixels)
			}
		}
	}
	require.Panics(t, func() { LookupPlanesInt8HWC(make([]int8, 6), make([]uint8, 6), make([]int8, 300)) })
	require.Panics(t, func() { LookupPlanesInt8HWC(make([]int8, 5), make([]uint8, 6), make([]int8, 768)) })
}
