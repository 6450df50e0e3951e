//go:build unix

package kernels

import (
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
)

// TestYCbCrToRGBU8 checks YCbCrToRGBU8 on every path against libjpeg's
// table form of the conversion, byte for byte: every (Cb, Cr) pair with
// Y 0, 128 and 255 (all clamps), random samples, lengths around the
// 8-sample step, inputs and outputs ending at an inaccessible page.
func TestYCbCrToRGBU8(t *testing.T) {
	// libjpeg's jdcolor.c tables, as written there.
	fix := func(v float64) int32 { return int32(v*65536 + 0.5) }
	var crR, cbB, crG, cbG [256]int32
	for i := range 256 {
		x := int32(i - 128)
		crR[i] = (fix(1.40200)*x + 1<<15) >> 16
		cbB[i] = (fix(1.77200)*x + 1<<15) >> 16
		crG[i] = -fix(0.71414) * x
		cbG[i] = -fix(0.34414)*x + 1<<15
	}
	clamp := func(v int32) uint8 { return uint8(min(max(v, 0), 255)) }
	var y, cb, cr []uint8
	for _, yv := range []uint8{0, 128, 255} {
		for u := range 256 {
			for v := range 256 {
				y, cb, cr = append(y, yv), append(cb, uint8(u)), append(cr, uint8(v))
			}
		}
	}
	r := rand.New(rand.NewPCG(91, 92))
	for range 1000 {
		y, cb, cr = append(y, uint8(r.IntN(256))), append(cb, uint8(r.IntN(256))), append(cr, uint8(r.IntN(256)))
	}
	want := [3][]uint8{make([]uint8, len(y)), make([]uint8, len(y)), make([]uint8, len(y))}
	for i, yv := range y {
		yy := int32(yv)
		want[0][i] = clamp(yy + crR[cr[i]])
		want[1][i] = clamp(yy + (cbG[cb[i]]+crG[cr[i]])>>16)
		want[2][i] = clamp(yy + cbB[cb[i]])
	}
	const most = 64
	var mem [6][]uint8
	for i := range mem {
		g := guarded(t, most)
		mem[i] = unsafe.Slice((*uint8)(unsafe.Pointer(&g[0])), len(g))
	}
	for _, path := range Paths() {
		usePath(t, path)
		got := [3][]uint8{make([]uint8, len(y)), make([]uint8, len(y)), make([]uint8, len(y))}
		YCbCrToRGBU8(got[0], got[1], got[2], y, cb, cr)
		require.Equal(t, want, got, "%s: the whole table", path)
		for n := range most + 1 {
			at := r.IntN(len(y) - n)
			in := [3][]uint8{mem[0][len(mem[0])-n:], mem[1][len(mem[1])-n:], mem[2][len(mem[2])-n:]}
			copy(in[0], y[at:])
			copy(in[1], cb[at:])
			copy(in[2], cr[at:])
			out := [3][]uint8{mem[3][len(mem[3])-n:], mem[4][len(mem[4])-n:], mem[5][len(mem[5])-n:]}
			YCbCrToRGBU8(out[0], out[1], out[2], in[0], in[1], in[2])
			for c := range out {
				require.Equal(t, want[c][at:at+n], out[c], "%s: %d samples, channel %d", path, n, c)
			}
		}
	}
	require.Panics(t, func() {
		YCbCrToRGBU8(make([]uint8, 3), make([]uint8, 4), make([]uint8, 4), make([]uint8, 4), make([]uint8, 4), make([]uint8, 4))
	})
}

// BenchmarkYCbCrToRGBU8 times a row of 420 samples (the width a 640x480
// frame's 224 crop reads) on every path.
func BenchmarkYCbCrToRGBU8(b *testing.B) {
	y, cb, cr := make([]uint8, 420), make([]uint8, 420), make([]uint8, 420)
	for i := range y {
		y[i], cb[i], cr[i] = uint8(i), uint8(i*7), uint8(i*13)
	}
	r, g, bl := make([]uint8, 420), make([]uint8, 420), make([]uint8, 420)
	for _, path := range Paths() {
		b.Run(path, func(b *testing.B) {
			usePath(b, path)
			for b.Loop() {
				YCbCrToRGBU8(r, g, bl, y, cb, cr)
			}
			b.SetBytes(int64(len(y)))
		})
	}
}
