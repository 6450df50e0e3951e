//go:build unix

package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// toHWCF32 returns the [c][h][w] image x as [h][w][c].
func toHWCF32(x []float32, c, h, w int) []float32 {
	out := make([]float32, len(x))
	for ci := range c {
		for i := range h * w {
			out[i*c+ci] = x[ci*h*w+i]
		}
	}
	return out
}

// TestDepthwiseConvF32 checks every path against ConvF32 with one group
// per channel (the same FMA chains) on the same images in HWC order, then
// clamped as BiasClampF32 does: with and without a bias, clamps of ReLU,
// ReLU6 and none, infinities and NaN in the input, a -0 upper bound, src
// and dst each ending at an inaccessible page, whole and in bands of rows.
func TestDepthwiseConvF32(t *testing.T) {
	r := rand.New(rand.NewPCG(85, 86))
	gs := dwGeoms(r, 150)
	srcMem, dstMem := guardedF32(t, 1<<16), guardedF32(t, 1<<16)
	clamps := [][2]float32{{float32(math.Inf(-1)), float32(math.Inf(1))}, {0, float32(math.Inf(1))}, {0, 6}, {-1, float32(math.Copysign(0, -1))}}
	for i, g := range gs {
		src := randF32(r, g.C*g.H*g.W)
		if i%7 == 0 {
			src[r.IntN(len(src))] = float32(math.Inf(1))
			src[r.IntN(len(src))] = float32(math.NaN())
		}
		w, bias := randF32(r, g.C*g.KH*g.KW), randF32(r, g.C)
		if i%3 == 0 {
			bias = nil
		}
		lo, hi := clamps[i%4][0], clamps[i%4][1]
		chw := make([]float32, g.C*g.OutH*g.OutW)
		col := make([]float32, g.C*g.KH*g.KW*g.OutH*g.OutW)
		ConvF32(src, chw, w, nil, g, g.C, col)
		for c := range g.C {
			for p := range g.OutH * g.OutW {
				var b float32
				if bias != nil {
					b = bias[c]
				}
				chw[c*g.OutH*g.OutW+p] = min(max(chw[c*g.OutH*g.OutW+p]+b, lo), hi)
			}
		}
		want := toHWCF32(chw, g.C, g.OutH, g.OutW)
		s := srcMem[len(srcMem)-len(src):]
		copy(s, toHWCF32(src, g.C, g.H, g.W))
		dst := dstMem[len(dstMem)-len(want):]
		for _, path := range Paths() {
			usePath(t, path)
			pw := PackDepthwiseF32(w, g.C, g.KH, g.KW)
			DepthwiseConvF32(s, dst, pw, bias, g, lo, hi)
			requireSameF32(t, want, dst, "%s %+v bias %v clamp [%v, %v]", path, g, bias != nil, lo, hi)
			clear(dst)
			mid := g.OutH / 2
			DepthwiseConvF32Rows(s, dst, pw, bias, g, lo, hi, mid, g.OutH)
			DepthwiseConvF32Rows(s, dst, pw, bias, g, lo, hi, 0, mid)
			requireSameF32(t, want, dst, "%s in bands %+v", path, g)
		}
	}
}

// requireSameF32 compares bit patterns, so that -0 differs from +0, except
// that any NaN equals any NaN: the payload of a NaN result is not part of
// the float32 contract (Go's own min and max give different ones on amd64
// and arm64).
func requireSameF32(t *testing.T, want, got []float32, msg string, args ...any) {
	t.Helper()
	for i := range want {
		if !sameF32(want[i], got[i]) {
			require.Failf(t, "float32 mismatch", "element %d: want %v, got %v: "+msg, append([]any{i, want[i], got[i]}, args...)...)
		}
	}
}

// guardedF32 is guarded for float32 values.
func guardedF32(t *testing.T, n int) []float32 {
	b := guarded(t, 4*n)
	return unsafeF32(b)
}

// TestConvF32HWC checks ConvF32HWC on every path against a direct loop of
// FMAs in the rule's order (c, kh, kw), with groups, both clamps and no
// bias, whole and in bands of rows, and against ConvF32 on the same image
// stored CHW.
func TestConvF32HWC(t *testing.T) {
	r := rand.New(rand.NewPCG(87, 88))
	for i := range 150 {
		groups := []int{1, 1, 2, 3}[i%4]
		g := randConvGeom(r, groups*(1+r.IntN(5)))
		if i%5 == 0 {
			g = ConvGeom{C: 3 * groups, H: 6, W: 5, KH: 1, KW: 1, SH: 1, SW: 1, OutH: 6, OutW: 5}
		}
		out := groups * (1 + r.IntN(20))
		cg := g.C / groups
		src, w, bias := randF32(r, g.C*g.H*g.W), randF32(r, out*cg*g.KH*g.KW), randF32(r, out)
		if i%3 == 0 {
			bias = nil
		}
		lo, hi := float32(math.Inf(-1)), float32(math.Inf(1))
		if i%2 == 0 {
			lo, hi = 0, 6
		}
		hwc := toHWCF32(src, g.C, g.H, g.W)
		want := convF32Ref(hwc, w, bias, g, groups, out, lo, hi, true)
		col := make([]float32, g.C*g.KH*g.KW*g.OutH*g.OutW)
		for _, path := range Paths() {
			usePath(t, path)
			if i%2 == 1 { // no clamp: ConvF32's
				chw := make([]float32, len(want))
				ConvF32(src, chw, w, bias, g, groups, col)
				requireSameF32(t, want, toHWCF32(chw, out, g.OutH, g.OutW), "%s ConvF32 %+v groups %d", path, g, groups)
			}
			pw := PackConvF32HWC(w, out, cg, g.KH, g.KW, groups)
			dst := make([]float32, len(want))
			ConvF32HWC(hwc, dst, pw, bias, g, col, lo, hi, 0, g.OutH)
			requireSameF32(t, want, dst, "%s %+v groups %d", path, g, groups)
			clear(dst)
			mid := r.IntN(g.OutH + 1)
			ConvF32HWC(hwc, dst, pw, bias, g, col, lo, hi, mid, g.OutH)
			ConvF32HWC(hwc, dst, pw, bias, g, col, lo, hi, 0, mid)
			requireSameF32(t, want, dst, "%s in bands %+v", path, g)
		}
	}
}

// TestPoolF32HWC checks the HWC float pools on every path against the CHW
// ones, bit for bit, with NaN, infinities and signed zeros in the images,
// channel counts that cover each SIMD block and its tails, and src and dst
// ending at an inaccessible page.
func TestPoolF32HWC(t *testing.T) {
	r := rand.New(rand.NewPCG(89, 90))
	srcMem, dstMem := guardedF32(t, 1<<16), guardedF32(t, 1<<16)
	for i := range 200 {
		g := randConvGeom(r, 1+r.IntN(12)+[]int{0, 0, 32}[i%3])
		if !g.noEmptyWindow() {
			continue // a window all padding, which MaxPoolF32 does not take
		}
		src := randF32(r, g.C*g.H*g.W)
		for range 3 {
			src[r.IntN(len(src))] = []float32{float32(math.NaN()), float32(math.Inf(-1)), float32(math.Copysign(0, -1))}[r.IntN(3)]
		}
		if i%2 == 0 { // ties of signed zeros, NaN first and later in windows
			for j := range src {
				src[j] = []float32{float32(math.NaN()), float32(math.Copysign(0, -1)), 0, -1, src[j]}[r.IntN(5)]
			}
		}
		hwc := srcMem[len(srcMem)-len(src):]
		copy(hwc, toHWCF32(src, g.C, g.H, g.W))
		for _, isMax := range []bool{true, false} {
			want := make([]float32, g.C*g.OutH*g.OutW)
			if isMax {
				MaxPoolF32(src, want, g)
			} else {
				AvgPoolF32(src, want, g)
			}
			want = toHWCF32(want, g.C, g.OutH, g.OutW)
			got := dstMem[len(dstMem)-len(want):]
			for _, path := range Paths() {
				usePath(t, path)
				clear(got)
				if isMax {
					MaxPoolF32HWC(hwc, got, g)
				} else {
					AvgPoolF32HWC(hwc, got, g)
				}
				requireSameF32(t, want, got, "%s %d max %v %+v", path, i, isMax, g)
			}
		}
	}
}

// TestConvF32HWCGuarded runs float32 convolutions on HWC images (the
// direct kernel where a path has one) with src and dst ending at an
// inaccessible page, NaN and infinities in the input, every tail of the
// 6-pixel and 16-channel tiles, against the reference loop: 1×1 ones read
// in place, 3×3 ones with stride 2 and no padding whose last window ends
// at the image's last value, and padded 3×3 ones read from a copy.
func TestConvF32HWCGuarded(t *testing.T) {
	r := rand.New(rand.NewPCG(93, 94))
	srcMem, dstMem := guardedF32(t, 1<<14), guardedF32(t, 1<<14)
	geoms := []func(c, pixels int) ConvGeom{
		func(c, pixels int) ConvGeom {
			return ConvGeom{C: c, H: 1, W: pixels, KH: 1, KW: 1, SH: 1, SW: 1, OutH: 1, OutW: pixels}
		},
		func(c, pixels int) ConvGeom {
			return ConvGeom{C: c, H: 3, W: 2*pixels + 1, KH: 3, KW: 3, SH: 2, SW: 2, OutH: 1, OutW: pixels}
		},
		func(c, pixels int) ConvGeom {
			return ConvGeom{C: c, H: 2, W: pixels, KH: 3, KW: 3, SH: 1, SW: 1, PadT: 1, PadL: 1, OutH: 2, OutW: pixels}
		},
	}
	for _, out := range []int{1, 8, 15, 16, 17, 33} {
		for _, pixels := range []int{1, 5, 6, 7, 13} {
			for i, geom := range geoms {
				c := 1 + r.IntN(20)
				if i == 2 && out == 17 {
					c += 64 // a padded copy with its pixels spread apart (paddedPitch)
				}
				g := geom(c, pixels)
				src, w, bias := randF32(r, g.C*g.H*g.W), randF32(r, out*g.C*g.KH*g.KW), randF32(r, out)
				src[r.IntN(len(src))] = float32(math.NaN())
				src[r.IntN(len(src))] = float32(math.Inf(-1))
				want := convF32Ref(src, w, bias, g, 1, out, 0, 6, true)
				s := srcMem[len(srcMem)-len(src):]
				copy(s, src)
				d := dstMem[len(dstMem)-len(want):]
				col := make([]float32, g.C*g.KH*g.KW*g.OutH*g.OutW)
				for _, path := range Paths() {
					usePath(t, path)
					pw := PackConvF32HWC(w, out, g.C, g.KH, g.KW, 1)
					ConvF32HWC(s, d, pw, bias, g, col, 0, 6, 0, g.OutH)
					requireSameF32(t, want, d, "%s out %d %+v", path, out, g)
				}
			}
		}
	}
}

// BenchmarkDepthwiseConvF32 times MobileNet v2's depthwise layers in
// float32 on every path (the fastest call, loopMin).
func BenchmarkDepthwiseConvF32(b *testing.B) {
	for _, s := range mobileNetV2Depthwise {
		for _, path := range Paths() {
			b.Run(fmt.Sprintf("%s/%s", path, s.name), func(b *testing.B) {
				usePath(b, path)
				g := s.g
				r := rand.New(rand.NewPCG(67, 68))
				w := PackDepthwiseF32(randF32(r, g.C*g.KH*g.KW), g.C, g.KH, g.KW)
				src, bias := randF32(r, g.C*g.H*g.W), randF32(r, g.C)
				dst := make([]float32, g.C*g.OutH*g.OutW)
				loopMin(b, func() { DepthwiseConvF32(src, dst, w, bias, g, 0, 6) })
			})
		}
	}
}
