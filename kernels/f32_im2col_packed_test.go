package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestIm2colPacked checks, on every path and random geometries (strides,
// padding, ragged last panels, images in a wider shard), that Im2colPacked
// gives the panels PackF32 makes of the transposed Im2colBatch matrix, and
// so the convolution SgemmPacked computes from them is Sgemm's by the
// im2col matrix bit for bit.
func TestIm2colPacked(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	for i := range 200 {
		g := ConvGeom{C: 1 + r.IntN(3), H: 1 + r.IntN(9), W: 1 + r.IntN(12), KH: 1 + r.IntN(4), KW: 1 + r.IntN(4),
			SH: 1 + r.IntN(3), SW: 1 + r.IntN(3), PadT: r.IntN(3), PadL: r.IntN(3)}
		g.OutH = max((g.H+g.PadT+r.IntN(3)-g.KH)/g.SH+1, 1)
		g.OutW = max((g.W+g.PadL+r.IntN(3)-g.KW)/g.SW+1, 1)
		if i%2 == 0 { // stride 1, "same" output, as in ResNet's 3x3 convolutions
			g.SH, g.SW, g.OutH, g.OutW = 1, 1, g.H, g.W
			g.PadT, g.PadL = r.IntN(g.KH), r.IntN(g.KW)
		}
		n, extra := 1+r.IntN(4), r.IntN(3) // n images of a shard of n+extra
		hw, p, rows := g.H*g.W, g.OutH*g.OutW, g.C*g.KH*g.KW
		shard := randNorm(r, g.C*(n+extra)*hw)
		first := r.IntN(extra + 1)
		// Im2colBatch's reference, a channel at a time as the trainer
		// calls it on a block of a shard.
		col := make([]float32, rows*n*p)
		one := g
		one.C = 1
		for c := range g.C {
			Im2colBatch(shard[(c*(n+extra)+first)*hw:], one, n, col[c*g.KH*g.KW*n*p:], n*p)
		}
		colT := make([]float32, len(col))
		for row := range rows {
			for j := range n * p {
				colT[j*rows+row] = col[row*n*p+j]
			}
		}
		out := 1 + r.IntN(20)
		w := randNorm(r, out*rows)
		for _, path := range Paths() {
			usePath(t, path)
			var pk PackedF32
			buf := randNorm(r, Im2colPackedLen(g, n)+r.IntN(5)) // garbage everywhere
			Im2colPacked(&pk, buf, shard[first*hw:], (n+extra)*hw, g, n)
			require.Equal(t, PackF32(colT, n*p, rows).data, pk.data, "%s %+v n=%d", path, g, n)
			want, got := make([]float32, out*n*p), make([]float32, out*n*p)
			Sgemm(false, false, out, n*p, rows, 1, w, rows, col, n*p, 0, want, n*p)
			SgemmPacked(out, w, rows, &pk, got, n*p)
			require.Equal(t, want, got, "%s %+v n=%d", path, g, n)
		}
	}
	g := ConvGeom{C: 2, H: 2, W: 2, KH: 1, KW: 1, SH: 1, SW: 1, OutH: 2, OutW: 2}
	var pk PackedF32
	require.Panics(t, func() { Im2colPacked(&pk, make([]float32, 1024), make([]float32, 8), 3, g, 1) }) // channels overlap
	require.Panics(t, func() { Im2colPacked(&pk, make([]float32, 1024), make([]float32, 7), 4, g, 1) }) // short source
	require.Panics(t, func() { Im2colPacked(&pk, make([]float32, 3), make([]float32, 8), 4, g, 1) })    // short buffer
}

// BenchmarkConvForwardPacked times the trainer's forward convolution of a
// block of images two ways: Im2colBatch, then Sgemm (which packs the im2col
// matrix again, or reads it in place for few output channels), against
// Im2colPacked, then SgemmPacked; on ResNet-20's 3x3 layers with the
// trainer's blocks (at least 256 pixels).
func BenchmarkConvForwardPacked(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, s := range []struct{ c, hw, out, n int }{{16, 32, 16, 1}, {32, 16, 32, 1}, {64, 8, 64, 4}} {
		g := ConvGeom{C: s.c, H: s.hw, W: s.hw, KH: 3, KW: 3, SH: 1, SW: 1, PadT: 1, PadL: 1, OutH: s.hw, OutW: s.hw}
		one := g
		one.C = 1
		rows, np := s.c*9, s.n*s.hw*s.hw
		ld := np
		if ld%256 == 0 {
			ld += 16
		}
		src := randNorm(r, s.c*64*s.hw*s.hw) // a shard of 64 images
		w := randNorm(r, s.out*rows)
		col := make([]float32, rows*ld)
		y := make([]float32, s.out*np)
		buf := make([]float32, Im2colPackedLen(g, s.n))
		var pk PackedF32
		name := fmt.Sprintf("%dx%dx%d-%d", s.hw, s.hw, s.c, s.out)
		b.Run(name+"/im2col+Sgemm", func(b *testing.B) {
			loopMin(b, func() {
				for c := range s.c {
					Im2colBatch(src[c*64*s.hw*s.hw:], one, s.n, col[c*9*ld:], ld)
				}
				Sgemm(false, false, s.out, np, rows, 1, w, rows, col, ld, 0, y, np)
			})
		})
		b.Run(name+"/Im2colPacked+SgemmPacked", func(b *testing.B) {
			loopMin(b, func() {
				Im2colPacked(&pk, buf, src, 64*s.hw*s.hw, g, s.n)
				SgemmPacked(s.out, w, rows, &pk, y, np)
			})
		})
	}
}
