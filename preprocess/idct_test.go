package preprocess

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestIDCTScaledIsTheMatrixProduct: the shrunk inverse DCT, with its
// mirrored halves and its skipping of empty rows and columns, computes
// M F M^T as its definition says, for every n and sparsity; so does the
// unrolled idctScaled4 for n = 4, also on coefficients that make the
// int32 sums wrap.
func TestIDCTScaledIsTheMatrixProduct(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var d jpegDecoder
	for n := 1; n < 8; n++ {
		d.n, d.scaled = n, scaledIDCT(n)
		m := &d.scaled
		for trial := range 200 {
			var blk [64]int32
			used := 0
			rows, cols := 1+r.IntN(8), 1+r.IntN(8)
			for v := range rows {
				for u := range cols {
					if r.IntN(3) > 0 {
						blk[v*8+u] = int32(r.IntN(2048) - 1024)
						used |= 1<<u | 1<<(8+v)
					}
				}
			}
			if n == 4 && trial%4 == 0 {
				for k := range blk {
					if r.IntN(4) == 0 {
						blk[k] = []int32{1 << 30, -1 << 30, 1<<31 - 1, -1 << 31}[r.IntN(4)]
						used |= 1<<(k%8) | 1<<(8+k/8)
					}
				}
			}
			got := make([]uint8, 8*8)
			d.idctScaled(&blk, used, got, 8)
			if n == 4 {
				unrolled := make([]uint8, 8*8)
				d.idctScaled4(&blk, unrolled, 8)
				require.Equal(t, got, unrolled, "n 4, trial %d", trial)
			}
			var tmp [8][8]int32 // tmp[v][x]
			for v := range n {
				for x := range n {
					s := int32(0)
					for u := range n {
						s += blk[v*8+u] * m[x][u]
					}
					tmp[v][x] = descale(s, scaledBits-pass1Bits)
				}
			}
			for y := range n {
				for x := range n {
					s := int32(0)
					for v := range n {
						s += m[y][v] * tmp[v][x]
					}
					require.Equal(t, clamp255(128+descale(s, scaledBits+pass1Bits)), got[y*8+x], "n %d, trial %d, pixel (%d, %d)", n, trial, x, y)
				}
			}
		}
	}
}
