//go:build !purego

package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPackX checks packX of both arm64 shapes against the definition of
// the panel layout, element (p, j) at (j/nr)*nr*kp + (p/d)*nr*d + (j%nr)*d
// + p%d, for p < k and j < n (the rest is free): rows at ascending offsets
// (gaps of zero, shorter than a row, and longer), rows p*xRS apart as
// multiply builds them, and the Go cases (contiguous and strided columns),
// over k and n around the block and panel sizes. x ends exactly at the last
// value of the matrix, or a few bytes later (up to 19: contiguous columns
// may read their last chunk of 16 past k when x holds it), and at an
// inaccessible page;
// dst ends at one too and starts after bytes that must stay untouched.
func TestPackX(t *testing.T) {
	r := rand.New(rand.NewPCG(61, 62))
	xMem, dstMem := guarded(t, 1<<16), guarded(t, 1<<16)
	for _, s := range []*armInt8Shape{neon4x4, dot8x8} {
		sc := new(armInt8Scratch)
		for i := range 400 {
			k := 1 + r.IntN(3*s.d+2)
			if i%4 == 0 || i%8 == 2 {
				k = 1 + r.IntN(80)
			}
			n := 1 + r.IntN(3*s.nr+2)
			kp := roundUp(k, s.kAlign)
			mode := i % 4
			var off []int32
			xRS, xCS, end := 0, 1, 0 // end: one past the matrix's last value
			switch mode {
			case 0: // a direct convolution's table
				off = make([]int32, k)
				o := r.IntN(5)
				for p := range off {
					off[p] = int32(o)
					o += []int{0, r.IntN(n + 1), n + r.IntN(40)}[r.IntN(3)]
				}
				end = int(off[k-1]) + n
			case 1: // a strided X as multiply passes it
				xRS = n + r.IntN(20)
				off = make([]int32, k)
				for p := range off {
					off[p] = int32(p * xRS)
				}
				end = int(off[k-1]) + n
			case 2: // contiguous columns
				xRS, xCS = 1, k+r.IntN(5)
				end = (n-1)*xCS + k
			case 3: // neither rows nor columns contiguous
				xRS, xCS = n+r.IntN(5), 2+r.IntN(3)
				end = (k-1)*xRS + (n-1)*xCS + 1
			}
			base := r.IntN(9)
			x := xMem[len(xMem)-base-end-[]int{0, 0, r.IntN(s.nr), r.IntN(20)}[r.IntN(4)]:]
			for j := range x {
				x[j] = int8(r.Uint32())
			}
			at := func(p, j int) int8 {
				if off != nil {
					return x[base+int(off[p])+j]
				}
				return x[base+p*xRS+j*xCS]
			}
			size := panels(n, s.nr) * s.nr * kp
			dst := dstMem[len(dstMem)-size:]
			lead := dstMem[len(dstMem)-size-64 : len(dstMem)-size]
			for j := range dstMem[len(dstMem)-size-64:] {
				dstMem[len(dstMem)-size-64+j] = 0x55
			}
			what := fmt.Sprintf("nr %d k %d n %d mode %d base %d len(x) %d", s.nr, k, n, mode, base, len(x))
			s.packX(sc, x, base, off, k, n, xRS, xCS, kp, dst)
			for p := range k {
				for j := range n {
					got := dst[(j/s.nr)*s.nr*kp+(p/s.d)*s.nr*s.d+(j%s.nr)*s.d+p%s.d]
					if got != at(p, j) {
						require.Equal(t, at(p, j), got, "%s: element (%d, %d)", what, p, j)
					}
				}
			}
			for _, v := range lead {
				require.Equal(t, int8(0x55), v, "%s: a byte before dst changed", what)
			}
		}
	}
}
