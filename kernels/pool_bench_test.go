package kernels

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkMaxPoolInt8 times MaxPoolInt8 on every path over the max pools of
// LeNet-5 and AlexNet-32 and a 3x3 stride 2 window, in bytes of input per
// second.
func BenchmarkMaxPoolInt8(b *testing.B) {
	for _, c := range []struct {
		name string
		g    ConvGeom
	}{
		{"alexnet-pool1", ConvGeom{C: 96, H: 24, W: 24, KH: 2, KW: 2, SH: 2, SW: 2, OutH: 12, OutW: 12}},
		{"lenet-pool1", ConvGeom{C: 6, H: 28, W: 28, KH: 2, KW: 2, SH: 2, SW: 2, OutH: 14, OutW: 14}},
		{"lenet-pool2", ConvGeom{C: 16, H: 10, W: 10, KH: 2, KW: 2, SH: 2, SW: 2, OutH: 5, OutW: 5}},
		{"3x3s2", ConvGeom{C: 64, H: 27, W: 27, KH: 3, KW: 3, SH: 2, SW: 2, OutH: 13, OutW: 13}},
	} {
		r := rand.New(rand.NewPCG(7, 8))
		src := randInt8(r, c.g.C*c.g.H*c.g.W, 0, -128)
		dst := make([]int8, c.g.C*c.g.OutH*c.g.OutW)
		for _, path := range Paths() {
			b.Run(path+"/"+c.name, func(b *testing.B) {
				usePath(b, path)
				b.SetBytes(int64(len(src)))
				for b.Loop() {
					MaxPoolInt8(src, dst, c.g)
				}
			})
		}
	}
}
