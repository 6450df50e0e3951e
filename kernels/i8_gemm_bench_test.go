package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// netLayers are the int8 convolution and fully connected layers of the
// 32×32 LeNet-5 and AlexNet (batch 1), for BenchmarkInt8Layers.
var netLayers = []struct {
	name string
	g    ConvGeom // conv; OutH == 0 for a fully connected layer
	out  int
	in   int // fully connected inputs
}{
	{name: "lenet-conv1", g: ConvGeom{C: 1, H: 32, W: 32, KH: 5, KW: 5, SH: 1, SW: 1, OutH: 28, OutW: 28}, out: 6},
	{name: "lenet-conv2", g: ConvGeom{C: 6, H: 14, W: 14, KH: 5, KW: 5, SH: 1, SW: 1, OutH: 10, OutW: 10}, out: 16},
	{name: "lenet-fc1", out: 120, in: 400},
	{name: "lenet-fc2", out: 84, in: 120},
	{name: "alexnet-conv1", g: ConvGeom{C: 1, H: 32, W: 32, KH: 11, KW: 11, SH: 1, SW: 1, PadT: 1, PadL: 1, OutH: 24, OutW: 24}, out: 96},
	{name: "alexnet-conv2", g: ConvGeom{C: 96, H: 12, W: 12, KH: 3, KW: 3, SH: 1, SW: 1, PadT: 1, PadL: 1, OutH: 12, OutW: 12}, out: 256},
	{name: "alexnet-conv3", g: ConvGeom{C: 256, H: 6, W: 6, KH: 3, KW: 3, SH: 1, SW: 1, PadT: 1, PadL: 1, OutH: 6, OutW: 6}, out: 384},
	{name: "alexnet-conv4", g: ConvGeom{C: 384, H: 6, W: 6, KH: 3, KW: 3, SH: 1, SW: 1, PadT: 1, PadL: 1, OutH: 6, OutW: 6}, out: 384},
	{name: "alexnet-conv5", g: ConvGeom{C: 384, H: 6, W: 6, KH: 3, KW: 3, SH: 1, SW: 1, PadT: 1, PadL: 1, OutH: 6, OutW: 6}, out: 256},
	{name: "alexnet-fc1", out: 4096, in: 2304},
	{name: "alexnet-fc2", out: 4096, in: 4096},
}

// BenchmarkInt8Layers times every int8 conv and fully connected layer of
// LeNet-5 and AlexNet at batch 1 on every path, in GMAC/s (ConvInt8
// includes its im2col).
func BenchmarkInt8Layers(b *testing.B) {
	for _, path := range Paths() {
		for _, l := range netLayers {
			b.Run(fmt.Sprintf("%s/%s", path, l.name), func(b *testing.B) {
				usePath(b, path)
				r := rand.New(rand.NewPCG(61, 62))
				if l.g.OutH == 0 {
					wq := randInt8(r, l.out*l.in, 0, -127)
					x := randInt8(r, l.in, 0, -128)
					w := PackInt8(wq, l.out, l.in)
					rq := randRequant(r, l.out, int64(l.in)*255*127, 5).requant(w)
					c := make([]int8, l.out)
					for b.Loop() {
						GemmInt8(w, x, 1, 1, l.in, rq, c, 1, l.out)
					}
					b.ReportMetric(float64(l.out*l.in)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
					return
				}
				c := newConvInt8Case(r, l.g, l.out, 1, 3, 0)
				w := PackInt8(c.w, c.out, c.k)
				rq := c.q.requant(w)
				col := make([]int8, l.g.C*l.g.KH*l.g.KW*c.pixels)
				dst := make([]int8, len(c.dst0))
				for b.Loop() {
					ConvInt8(c.src, dst, w, rq, l.g, col, c.inZP)
				}
				b.ReportMetric(float64(c.out*c.k*c.pixels)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
			})
		}
	}
}

// BenchmarkIm2colInt8 times the im2col of the first convolutions alone, the
// share of ConvInt8 that a direct convolution would save.
func BenchmarkIm2colInt8(b *testing.B) {
	for _, l := range netLayers[:5] {
		if l.g.OutH == 0 {
			continue
		}
		b.Run(l.name, func(b *testing.B) {
			src := make([]int8, l.g.C*l.g.H*l.g.W)
			col := make([]int8, l.g.C*l.g.KH*l.g.KW*l.g.OutH*l.g.OutW)
			for b.Loop() {
				Im2colInt8(src, l.g, 3, col)
			}
		})
	}
}
