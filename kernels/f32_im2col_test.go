package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestIm2colBatchMatchesIm2col checks, on random geometries, that the
// batched forms are the single-image ones applied to each image of a
// channel-major batch, column block by column block.
func TestIm2colBatchMatchesIm2col(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for i := range 250 {
		g := ConvGeom{C: 1 + r.IntN(3), H: 1 + r.IntN(9), W: 1 + r.IntN(9), KH: 1 + r.IntN(4), KW: 1 + r.IntN(4),
			SH: 1 + r.IntN(3), SW: 1 + r.IntN(3), PadT: r.IntN(3), PadL: r.IntN(3)}
		g.OutH = max((g.H+g.PadT+r.IntN(3)-g.KH)/g.SH+1, 0)
		g.OutW = max((g.W+g.PadL+r.IntN(3)-g.KW)/g.SW+1, 0)
		if i >= 200 { // stride 1, output planes the input's size (col2imSame)
			g.SH, g.SW, g.OutH, g.OutW = 1, 1, g.H, g.W
			g.PadT, g.PadL = r.IntN(g.KH), r.IntN(g.KW)
		}
		n := 1 + r.IntN(4)
		hw, p, rows := g.H*g.W, g.OutH*g.OutW, g.C*g.KH*g.KW
		ld := n*p + r.IntN(3) // rows with room between them, or without
		x := randNorm(r, g.C*n*hw)
		col := randNorm(r, rows*ld) // overwritten everywhere
		Im2colBatch(x, g, n, col, ld)
		y := randNorm(r, rows*ld)
		dx := randNorm(r, len(x))
		want := append([]float32(nil), dx...)
		Col2imBatch(y, ld, g, n, dx)
		for s := range n {
			img, grad := make([]float32, g.C*hw), make([]float32, g.C*hw)
			for c := range g.C {
				copy(img[c*hw:(c+1)*hw], x[(c*n+s)*hw:])
				copy(grad[c*hw:(c+1)*hw], want[(c*n+s)*hw:])
			}
			one, ys := make([]float32, rows*p), make([]float32, rows*p)
			Im2col(img, g, one)
			for row := range rows {
				require.Equal(t, one[row*p:(row+1)*p], col[row*ld+s*p:row*ld+(s+1)*p], "%+v n=%d image %d row %d", g, n, s, row)
				copy(ys[row*p:(row+1)*p], y[row*ld+s*p:])
			}
			Col2im(ys, g, grad)
			for c := range g.C {
				require.Equal(t, grad[c*hw:(c+1)*hw], dx[(c*n+s)*hw:(c*n+s+1)*hw], "%+v n=%d image %d channel %d", g, n, s, c)
			}
		}
	}
	require.Panics(t, func() {
		Im2colBatch(make([]float32, 8), ConvGeom{C: 1, H: 2, W: 2, KH: 1, KW: 1, SH: 1, SW: 1, OutH: 2, OutW: 2}, 3, make([]float32, 12), 12)
	})
	require.Panics(t, func() { // rows closer than n images
		Im2colBatch(make([]float32, 12), ConvGeom{C: 1, H: 2, W: 2, KH: 1, KW: 1, SH: 1, SW: 1, OutH: 2, OutW: 2}, 3, make([]float32, 12), 11)
	})
}

// BenchmarkIm2colBatch times the unfolding of the LeNet-5, AlexNet and
// ResNet-20 (first stage, one input channel's planes as the trainer
// calls it) convolutions over a training shard, and its adjoint; the
// fastest call (min-ns/op) is the kernel's own time on a shared machine.
func BenchmarkIm2colBatch(b *testing.B) {
	for _, c := range []struct {
		name string
		g    ConvGeom
		n    int
	}{
		{"lenet.conv1", ConvGeom{C: 1, H: 32, W: 32, KH: 5, KW: 5, SH: 1, SW: 1, OutH: 28, OutW: 28}, 32},
		{"lenet.conv2", ConvGeom{C: 6, H: 14, W: 14, KH: 5, KW: 5, SH: 1, SW: 1, OutH: 10, OutW: 10}, 32},
		{"alexnet.conv2", ConvGeom{C: 96, H: 12, W: 12, KH: 3, KW: 3, SH: 1, SW: 1, PadT: 1, PadL: 1, OutH: 12, OutW: 12}, 8},
		{"resnet20.stage1", ConvGeom{C: 1, H: 32, W: 32, KH: 3, KW: 3, SH: 1, SW: 1, PadT: 1, PadL: 1, OutH: 32, OutW: 32}, 64},
	} {
		r := rand.New(rand.NewPCG(1, 2))
		src := randNorm(r, c.g.C*c.n*c.g.H*c.g.W)
		ld := c.n * c.g.OutH * c.g.OutW
		col := make([]float32, c.g.C*c.g.KH*c.g.KW*ld)
		b.Run(fmt.Sprintf("%s/im2col", c.name), func(b *testing.B) {
			loopMin(b, func() { Im2colBatch(src, c.g, c.n, col, ld) })
		})
		b.Run(fmt.Sprintf("%s/col2im", c.name), func(b *testing.B) {
			loopMin(b, func() { Col2imBatch(col, ld, c.g, c.n, src) })
		})
	}
}
