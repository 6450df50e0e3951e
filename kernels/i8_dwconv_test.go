//go:build unix

package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/quant"
)

// toHWC returns the [c][h][w] image x as [h][w][c].
func toHWC(x []int8, c, h, w int) []int8 {
	out := make([]int8, len(x))
	for ci := range c {
		for i := range h * w {
			out[i*c+ci] = x[ci*h*w+i]
		}
	}
	return out
}

// dwGeoms returns the depthwise layers of MobileNet v2 (channels and
// sizes cut down where the full ones add nothing but time), then n random
// ones: windows 1×1 to 7×7 (past the kernels' 5×5), strides 1 to 3, any
// padding up to the window, channel counts with every tail of 8 and 16.
func dwGeoms(r *rand.Rand, n int) []ConvGeom {
	gs := []ConvGeom{
		{C: 32, H: 20, W: 20, KH: 3, KW: 3, SH: 1, SW: 1, PadT: 1, PadL: 1, OutH: 20, OutW: 20},
		{C: 96, H: 12, W: 12, KH: 3, KW: 3, SH: 2, SW: 2, PadT: 1, PadL: 1, OutH: 6, OutW: 6},
		{C: 144, H: 7, W: 7, KH: 3, KW: 3, SH: 1, SW: 1, PadT: 1, PadL: 1, OutH: 7, OutW: 7},
		{C: 960, H: 7, W: 7, KH: 3, KW: 3, SH: 1, SW: 1, PadT: 1, PadL: 1, OutH: 7, OutW: 7},
		{C: 24, H: 9, W: 9, KH: 5, KW: 5, SH: 2, SW: 2, PadT: 2, PadL: 2, OutH: 5, OutW: 5}, // MobileNet v3 5x5
		{C: 40, H: 8, W: 8, KH: 5, KW: 5, SH: 1, SW: 1, PadT: 2, PadL: 2, OutH: 8, OutW: 8},
		{C: 16, H: 1, W: 1, KH: 3, KW: 3, SH: 1, SW: 1, PadT: 1, PadL: 1, OutH: 1, OutW: 1}, // all padding but the centre
		{C: 8, H: 2, W: 3, KH: 3, KW: 3, SH: 2, SW: 2, PadT: 0, PadL: 1, OutH: 1, OutW: 2},
	}
	for range n {
		g := ConvGeom{KH: 1 + r.IntN(7), KW: 1 + r.IntN(7), SH: 1 + r.IntN(3), SW: 1 + r.IntN(3)}
		g.C = []int{1, 7, 8, 9, 15, 16, 17, 23, 24, 25, 31, 32, 33, 48}[r.IntN(14)]
		g.PadT, g.PadL = r.IntN(g.KH), r.IntN(g.KW)
		g.H, g.W = 1+r.IntN(12), 1+r.IntN(12)
		// Any bottom and right padding up to the window's.
		g.OutH = (g.H+g.PadT+r.IntN(g.KH)-g.KH)/g.SH + 1
		g.OutW = (g.W+g.PadL+r.IntN(g.KW)-g.KW)/g.SW + 1
		if g.OutH < 1 || g.OutW < 1 {
			continue
		}
		gs = append(gs, g)
	}
	return gs
}

// TestDepthwiseConvInt8 checks every path against the definition (the
// grouped convolution of TestConvInt8's naive loop, on the same data in
// HWC order), bit for bit, with every zero point and data class, src and
// dst each ending at an inaccessible page.
func TestDepthwiseConvInt8(t *testing.T) {
	r := rand.New(rand.NewPCG(61, 62))
	n := 300
	if testing.Short() {
		n = 60
	}
	gs := dwGeoms(r, n)
	srcMem, dstMem := guarded(t, 1<<16), guarded(t, 1<<16)
	for i, g := range gs {
		c := newConvInt8Case(r, g, g.C, g.C, i%4, (i/4)%4)
		want := toHWC(c.naive(t), g.C, g.OutH, g.OutW)
		src := srcMem[len(srcMem)-len(c.src):]
		copy(src, toHWC(c.src, g.C, g.H, g.W))
		dst := dstMem[len(dstMem)-len(want):]
		for _, path := range Paths() {
			usePath(t, path)
			w := PackDepthwiseInt8(c.w, g.C, g.KH, g.KW)
			rq := &Requant{Bias: FoldZeroPoint(c.q.bias, w.RowSums(), int32(c.inZP)), Multiplier: c.q.multiplier,
				Shift: c.q.shift, ZeroPoint: c.q.outZP, Min: c.q.min, Max: c.q.max}
			copy(dst, c.dst0)
			DepthwiseConvInt8(src, dst, w, rq, g, c.inZP)
			require.Equal(t, want, dst, "%s: %s", path, c.desc)
			// Row ranges, as threads call them.
			copy(dst, c.dst0)
			mid := g.OutH / 2
			DepthwiseConvInt8Rows(src, dst, w, rq, g, c.inZP, mid, g.OutH)
			DepthwiseConvInt8Rows(src, dst, w, rq, g, c.inZP, 0, mid)
			require.Equal(t, want, dst, "%s rows: %s", path, c.desc)
		}
	}
}

// TestDepthwiseConvInt8Epilogue drives the epilogue with accumulators
// anywhere in int32, every shift and multipliers including MinInt32, as
// TestGemmInt8Epilogue does for the GEMM: windows of weight 1 on an input
// of 0 leave acc = Bias, in a 1×1 window and in a 3×3 one (which the arm64
// paths run with a kernel of their own); one round in eight has every
// channel shift right, which the arm64 kernels round with one instruction
// less.
func TestDepthwiseConvInt8Epilogue(t *testing.T) {
	r := rand.New(rand.NewPCG(63, 64))
	const c = 40
	src := make([]int8, 3*5*c)
	for _, g := range []ConvGeom{
		{C: c, H: 3, W: 5, KH: 1, KW: 1, SH: 1, SW: 1, OutH: 3, OutW: 5},
		{C: c, H: 3, W: 5, KH: 3, KW: 3, SH: 1, SW: 1, PadT: 1, PadL: 1, OutH: 3, OutW: 5},
	} {
		w := make([]int8, c*g.KH*g.KW)
		for i := range w {
			w[i] = 1
		}
		for round := range 200 {
			rq := randEpilogue(r, c, round)
			if round%8 == 6 {
				// Every channel shifts right and no multiplier is MinInt32:
				// the arm64 kernels' shorter epilogue (mulshiftright).
				for i := range c {
					rq.Shift[i] = min(rq.Shift[i], -1)
					if rq.Multiplier[i] == math.MinInt32 {
						rq.Multiplier[i] = math.MaxInt32
					}
				}
			}
			want := make([]int8, len(src))
			for p := range g.H * g.W {
				for ch := range c {
					want[p*c+ch] = requantRef(rq, ch, rq.Bias[ch])
				}
			}
			for _, path := range Paths() {
				usePath(t, path)
				pw := PackDepthwiseInt8(w, c, g.KH, g.KW)
				dst := make([]int8, len(src))
				DepthwiseConvInt8(src, dst, pw, rq, g, 0)
				require.Equal(t, want, dst, "%s %dx%d round %d", path, g.KH, g.KW, round)
			}
		}
	}
}

func TestDepthwiseConvInt8Checks(t *testing.T) {
	g := ConvGeom{C: 16, H: 4, W: 4, KH: 3, KW: 3, SH: 1, SW: 1, PadT: 1, PadL: 1, OutH: 4, OutW: 4}
	w := PackDepthwiseInt8(make([]int8, 16*9), 16, 3, 3)
	rq := &Requant{Bias: make([]int32, 16), Multiplier: make([]int32, 16), Shift: make([]int32, 16), Min: -128, Max: 127}
	src, dst := make([]int8, 16*16), make([]int8, 16*16)
	assert.NotPanics(t, func() { DepthwiseConvInt8(src, dst, w, rq, g, 0) })
	assert.PanicsWithValue(t, "kernels: PackDepthwiseInt8: weight (1, 2) is -128; int8 weights must lie in [-127, 127]", func() {
		bad := make([]int8, 16*9)
		bad[11] = -128
		PackDepthwiseInt8(bad, 16, 3, 3)
	})
	assert.Panics(t, func() { DepthwiseConvInt8(src[:100], dst, w, rq, g, 0) })
	assert.Panics(t, func() { DepthwiseConvInt8(src, dst[:100], w, rq, g, 0) })
	g2 := g
	g2.C = 8
	assert.Panics(t, func() { DepthwiseConvInt8(src, dst, w, rq, g2, 0) })
	assert.Panics(t, func() { DepthwiseConvInt8Rows(src, dst, w, rq, g, 0, 2, 5) })
	assert.Panics(t, func() { DepthwiseConvInt8(src, dst, w, &Requant{}, g, 0) })
}

func TestDepthwiseConvInt8Allocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	g := ConvGeom{C: 40, H: 9, W: 9, KH: 3, KW: 3, SH: 2, SW: 2, PadT: 1, PadL: 1, OutH: 5, OutW: 5}
	src, dst := make([]int8, 40*81), make([]int8, 40*25)
	rq := &Requant{Bias: make([]int32, 40), Multiplier: make([]int32, 40), Shift: make([]int32, 40), Min: -128, Max: 127}
	for _, path := range Paths() {
		usePath(t, path)
		w := PackDepthwiseInt8(make([]int8, 40*9), 40, 3, 3)
		DepthwiseConvInt8(src, dst, w, rq, g, 0)
		allocs := testing.AllocsPerRun(20, func() { DepthwiseConvInt8(src, dst, w, rq, g, 0) })
		assert.Zero(t, allocs, "%s: allocations per DepthwiseConvInt8", path)
	}
}

// BenchmarkDepthwiseConvInt8 times the depthwise layers of MobileNet v2
// (224x224 input), int8, one thread.
func BenchmarkDepthwiseConvInt8(b *testing.B) {
	for _, s := range mobileNetV2Depthwise {
		for _, path := range Paths() {
			b.Run(fmt.Sprintf("%s/%s", path, s.name), func(b *testing.B) {
				usePath(b, path)
				g := s.g
				r := rand.New(rand.NewPCG(65, 66))
				w := PackDepthwiseInt8(randInt8(r, g.C*g.KH*g.KW, 0, -127), g.C, g.KH, g.KW)
				rq := benchRequant(r, g.C)
				rq.Bias = FoldZeroPoint(rq.Bias, w.RowSums(), 3)
				src := randInt8(r, g.C*g.H*g.W, 0, -128)
				dst := make([]int8, g.C*g.OutH*g.OutW)
				loopMin(b, func() { DepthwiseConvInt8(src, dst, w, rq, g, 3) })
			})
		}
	}
}

// benchRequant returns the epilogue of a trained layer: multipliers below
// 1/2 (the output scale exceeds the accumulator's), so no left shifts,
// and a ReLU6-like clamp.
func benchRequant(r *rand.Rand, m int) *Requant {
	rq := &Requant{Bias: make([]int32, m), Multiplier: make([]int32, m), Shift: make([]int32, m), ZeroPoint: -128, Min: -128, Max: 100}
	for i := range m {
		mul, sh := quant.QuantizeMultiplier(1e-4 + 1e-3*r.Float64())
		rq.Bias[i], rq.Multiplier[i], rq.Shift[i] = int32(r.IntN(20000)-10000), mul, int32(sh)
	}
	return rq
}

// mobileNetV2Depthwise are the distinct depthwise layers of MobileNet v2
// at 224x224.
var mobileNetV2Depthwise = []struct {
	name string
	g    ConvGeom
}{
	{"112x112x32", dw3x3(32, 112, 1)},
	{"112x112x96s2", dw3x3(96, 112, 2)},
	{"56x56x144", dw3x3(144, 56, 1)},
	{"56x56x144s2", dw3x3(144, 56, 2)},
	{"28x28x192", dw3x3(192, 28, 1)},
	{"28x28x192s2", dw3x3(192, 28, 2)},
	{"14x14x384", dw3x3(384, 14, 1)},
	{"14x14x576", dw3x3(576, 14, 1)},
	{"14x14x576s2", dw3x3(576, 14, 2)},
	{"7x7x960", dw3x3(960, 7, 1)},
}

// dw3x3 is the geometry of a 3x3 depthwise convolution with padding 1 on
// a square image.
func dw3x3(c, size, stride int) ConvGeom {
	out := (size-1)/stride + 1
	return ConvGeom{C: c, H: size, W: size, KH: 3, KW: 3, SH: stride, SW: stride, PadT: 1, PadL: 1, OutH: out, OutW: out}
}

// TestGemmInt8Guarded runs GemmInt8 in both layouts with X and C each
// ending at an inaccessible page, on shapes with every tail of the tiles
// (6 and 8 pixels, 16 channels, odd k), against the definition.
func TestGemmInt8Guarded(t *testing.T) {
	r := rand.New(rand.NewPCG(67, 68))
	xMem, cMem := guarded(t, 1<<16), guarded(t, 1<<16)
	for _, m := range []int{1, 7, 8, 9, 16, 17, 24, 33} {
		for _, n := range []int{1, 5, 6, 7, 13, 33} {
			for _, k := range []int{1, 2, 15, 16, 17, 33} {
				for layout := range 2 {
					d := newGemmInt8Data(r, gemmInt8Case{m: m, n: n, k: k, groups: 1, zpClass: r.IntN(4), dataClass: r.IntN(4)})
					if layout == 0 {
						d.xRS, d.xCS, d.cRS, d.cCS = n, 1, n, 1
					} else {
						d.xRS, d.xCS, d.cRS, d.cCS = 1, k, 1, m
					}
					d.x = randInt8(r, k*n, d.dataClass, -128)
					d.c0 = randInt8(r, m*n, 0, -128)
					want := d.naive(t)
					x := xMem[len(xMem)-len(d.x):]
					copy(x, d.x)
					c := cMem[len(cMem)-len(d.c0):]
					for _, path := range Paths() {
						usePath(t, path)
						w := PackInt8(d.w, m, k)
						copy(c, d.c0)
						GemmInt8(w, x, n, d.xRS, d.xCS, d.q.requant(w), c, d.cRS, d.cCS)
						require.Equal(t, want, []int8(c), "%s m%d n%d k%d layout %d", path, m, n, k, layout)
					}
				}
			}
		}
	}
}

// BenchmarkPointwiseInt8 times the 1x1 convolutions of MobileNet v2 at
// 224x224 as GemmInt8 on CHW images (X [k][pixels], C [m][pixels]) and on
// HWC images (X [pixels][k], C [pixels][m]).
func BenchmarkPointwiseInt8(b *testing.B) {
	for _, s := range mobileNetV2Pointwise {
		for _, path := range Paths()[1:] {
			for _, layout := range []string{"chw", "hwc"} {
				b.Run(fmt.Sprintf("%s/%s/%dx%dx%d", path, layout, s.pixels, s.in, s.out), func(b *testing.B) {
					usePath(b, path)
					r := rand.New(rand.NewPCG(69, 70))
					w := PackInt8(randInt8(r, s.out*s.in, 0, -127), s.out, s.in)
					rq := benchRequant(r, s.out)
					x := randInt8(r, s.in*s.pixels, 0, -128)
					c := make([]int8, s.out*s.pixels)
					if layout == "chw" {
						loopMin(b, func() { GemmInt8(w, x, s.pixels, s.pixels, 1, rq, c, s.pixels, 1) })
					} else {
						loopMin(b, func() { GemmInt8(w, x, s.pixels, 1, s.in, rq, c, 1, s.out) })
					}
				})
			}
		}
	}
}

// mobileNetV2Pointwise are the distinct 1x1 convolutions of MobileNet v2
// at 224x224: output pixels, input and output channels.
var mobileNetV2Pointwise = []struct{ pixels, in, out int }{
	{12544, 32, 16}, {12544, 16, 96}, {3136, 96, 24}, {3136, 24, 144}, {3136, 144, 24},
	{784, 144, 32}, {784, 32, 192}, {784, 192, 32}, {196, 192, 64}, {196, 64, 384},
	{196, 384, 64}, {196, 384, 96}, {196, 96, 576}, {196, 576, 96}, {49, 576, 160},
	{49, 160, 960}, {49, 960, 160}, {49, 960, 320}, {49, 320, 1280},
}
