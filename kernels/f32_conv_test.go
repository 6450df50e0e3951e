package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestConvF32 checks ConvF32 with groups against a direct loop of FMAs in
// the order Sgemm defines (each output a chain over c, kh, kw from +0,
// then the bias), and that a nil bias adds nothing: it used to write
// nothing at all, deriving the output channels from the bias.
func TestConvF32(t *testing.T) {
	r := rand.New(rand.NewPCG(81, 82))
	for range 100 {
		groups := 1 + r.IntN(3)
		g := randConvGeom(r, groups*(1+r.IntN(3)))
		out := groups * (1 + r.IntN(4))
		cg := g.C / groups
		k := cg * g.KH * g.KW
		src, w, bias := randF32(r, g.C*g.H*g.W), randF32(r, out*k), randF32(r, out)
		col := make([]float32, g.C*g.KH*g.KW*g.OutH*g.OutW)
		for _, b := range [][]float32{bias, nil} {
			want := convF32Ref(src, w, b, g, groups, out, float32(math.Inf(-1)), float32(math.Inf(1)), false)
			for _, path := range Paths() {
				usePath(t, path)
				dst := randF32(r, len(want))
				ConvF32(src, dst, w, b, g, groups, col)
				require.Equal(t, want, dst, "%s %+v groups %d nil bias %v", path, g, groups, b == nil)
			}
		}
	}
	g := ConvGeom{C: 2, H: 3, W: 3, KH: 3, KW: 3, SH: 1, SW: 1, OutH: 1, OutW: 1}
	col := make([]float32, 18)
	assert.Panics(t, func() { ConvF32(make([]float32, 18), make([]float32, 1), make([]float32, 17), nil, g, 1, col) }, "partial filter")
	assert.Panics(t, func() {
		ConvF32(make([]float32, 18), make([]float32, 2), make([]float32, 18), make([]float32, 2), g, 1, col)
	}, "bias count")
}

// convF32Ref is the float32 convolution of src by w
// ([out][C/groups][KH][KW]) as a direct loop of FMAs in the rule's order
// (each output a chain over c, kh, kw from +0), then the bias (none for
// nil) and the clamp to [lo, hi]. src and the result are CHW, or HWC when
// hwc is set.
func convF32Ref(src, w, bias []float32, g ConvGeom, groups, out int, lo, hi float32, hwc bool) []float32 {
	cg, ocg := g.C/groups, out/groups
	in := func(c, ih, iw int) int { return (c*g.H+ih)*g.W + iw }
	at := func(o, oh, ow int) int { return (o*g.OutH+oh)*g.OutW + ow }
	if hwc {
		in = func(c, ih, iw int) int { return (ih*g.W+iw)*g.C + c }
		at = func(o, oh, ow int) int { return (oh*g.OutW+ow)*out + o }
	}
	want := make([]float32, out*g.OutH*g.OutW)
	for o := range out {
		grp := o / ocg
		for oh := range g.OutH {
			for ow := range g.OutW {
				var acc float32
				for c := range cg {
					for kh := range g.KH {
						for kw := range g.KW {
							var x float32
							ih, iw := oh*g.SH-g.PadT+kh, ow*g.SW-g.PadL+kw
							if ih >= 0 && ih < g.H && iw >= 0 && iw < g.W {
								x = src[in(grp*cg+c, ih, iw)]
							}
							acc = fma32(x, w[((o*cg+c)*g.KH+kh)*g.KW+kw], acc)
						}
					}
				}
				if bias != nil {
					acc += bias[o]
				}
				want[at(o, oh, ow)] = min(max(acc, lo), hi)
			}
		}
	}
	return want
}

func randF32(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}
