package preprocess

import (
	"image"
	"math"

	"github.com/edgecnn/edgecnn/kernels"
)

// The one resampler of edgecnn: a triangle (bilinear) filter widened by
// the reduction factor when shrinking, so that every source pixel counts
// (antialiasing), and plain bilinear interpolation when enlarging. It is
// PIL's Image.resize(..., BILINEAR), which torchvision's Resize runs on PIL
// images, computed the same way: weights in float64, rounded to 22-bit
// fixed point, a horizontal pass rounded to 8 bits, then a vertical pass.
// Results are integers and identical on every machine.

// precisionBits is the fixed-point precision of the filter weights.
const precisionBits = 22

// axis holds the filter taps of one axis resampled from in to out pixels:
// output pixel o reads inputs first[o] .. first[o]+count[o]-1 with weights
// weight[o*taps:].
type axis struct {
	in, out, taps int
	first, count  []int32
	weight        []int32
}

// set computes the taps, unless they are those of the last call.
func (a *axis) set(in, out int) {
	if a.in == in && a.out == out {
		return
	}
	a.in, a.out = in, out
	scale := float64(in) / float64(out)
	filterScale := max(scale, 1)
	support := filterScale // the triangle's support is 1
	ss := 1 / filterScale
	a.taps = int(math.Ceil(support))*2 + 1
	a.first = grow(a.first, out)
	a.count = grow(a.count, out)
	a.weight = grow(a.weight, out*a.taps)
	clear(a.weight)
	w := make([]float64, a.taps)
	for o := range out {
		// float64(...) around products keeps the compiler from fusing
		// them into FMAs, which would round differently on some machines.
		centre := float64(float64(float64(o)+0.5) * scale)
		lo := max(int(centre-support+0.5), 0)
		hi := min(int(centre+support+0.5), in)
		n := hi - lo
		sum := 0.0
		for i := range n {
			v := 1 - math.Abs(float64(float64(i+lo)-centre+0.5)*ss)
			v = max(v, 0)
			w[i] = v
			sum += v
		}
		k := a.weight[o*a.taps : (o+1)*a.taps]
		for i := range n {
			v := w[i]
			if sum != 0 {
				v /= sum
			}
			k[i] = int32(math.Floor(float64(v*(1<<precisionBits)) + 0.5)) // v >= 0
		}
		a.first[o], a.count[o] = int32(lo), int32(n)
	}
}

// span returns the inputs that outputs [o0, o1) read.
func (a *axis) span(o0, o1 int) (lo, hi int) {
	lo, hi = a.in, 0
	for o := o0; o < o1; o++ {
		lo = min(lo, int(a.first[o]))
		hi = max(hi, int(a.first[o]+a.count[o]))
	}
	return lo, hi
}

// rowReader fills rows[c][0:x1-x0] with channel c of source row y,
// columns [x0, x1).
type rowReader func(y, x0, x1 int, rows [][]uint8)

// Resampler resizes images with the one filter. It keeps its tables and
// buffers between calls and is not safe for concurrent use.
type Resampler struct {
	xs, ys axis
	rows   [][]uint8
	tmp    [][]uint8
}

// span returns the source columns [x0, x1) and rows [y0, y1) that
// resample reads to produce crop of a sw x sh source resized to dw x dh.
func (r *Resampler) span(sw, sh, dw, dh int, crop image.Rectangle) (x0, x1, y0, y1 int) {
	r.xs.set(sw, dw)
	r.ys.set(sh, dh)
	x0, x1 = r.xs.span(crop.Min.X, crop.Max.X)
	y0, y1 = r.ys.span(crop.Min.Y, crop.Max.Y)
	return x0, x1, y0, y1
}

// resample resizes a sw x sh source of channels planes, read row by row
// through read, to dw x dh, and writes the part crop of the result (in
// output pixels) into dst: channels planes of crop.Dx() x crop.Dy(),
// one after the other.
func (r *Resampler) resample(dst []uint8, channels, sw, sh, dw, dh int, crop image.Rectangle, read rowReader) {
	cw, chh := crop.Dx(), crop.Dy()
	x0, x1, y0, y1 := r.span(sw, sh, dw, dh, crop)
	if len(r.rows) < channels {
		r.rows = make([][]uint8, channels)
		r.tmp = make([][]uint8, channels)
	}
	xs, ys := &r.xs, &r.ys
	for c := range channels {
		// Every output of the horizontal pass reads xs.taps inputs, those
		// past its count with weight 0: the rows have room for them.
		r.rows[c] = grow(r.rows[c], x1-x0+xs.taps)
		r.tmp[c] = grow(r.tmp[c], (y1-y0)*cw)
	}
	// Horizontal pass over the source rows the crop needs.
	var outs [3][]uint8
	for y := y0; y < y1; y++ {
		read(y, x0, x1, r.rows[:channels])
		for c := range channels {
			outs[c] = r.tmp[c][(y-y0)*cw : (y-y0+1)*cw]
			if sw == dw {
				copy(outs[c], r.rows[c][crop.Min.X-x0:crop.Max.X-x0])
			}
		}
		if sw == dw {
			continue
		}
		if channels == 3 && xs.horizontal3(&outs, r.rows, crop.Min.X, x0) {
			continue
		}
		for c := range channels {
			xs.horizontal(outs[c], r.rows[c], crop.Min.X, x0)
		}
	}
	// Vertical pass.
	for c := range channels {
		plane := dst[c*cw*chh : (c+1)*cw*chh]
		tmp := r.tmp[c]
		for j := range chh {
			o := crop.Min.Y + j
			out := plane[j*cw : (j+1)*cw]
			if sh == dh {
				copy(out, tmp[(o-y0)*cw:(o-y0+1)*cw])
				continue
			}
			k := ys.weight[o*ys.taps : o*ys.taps+int(ys.count[o])]
			base := int(ys.first[o]) - y0
			kernels.ResampleRowsU8(out, tmp[base*cw:], cw, k, precisionBits)
		}
	}
}

// horizontal resamples one row: out[i] is output o0+i, from src holding
// inputs x0 onwards (and room for a.taps inputs from every output's
// first).
func (a *axis) horizontal(out, src []uint8, o0, x0 int) {
	const half = 1 << (precisionBits - 1)
	taps := a.taps
	first := a.first[o0 : o0+len(out)]
	weights := a.weight[o0*taps : (o0+len(out))*taps]
	// Shrinking by 1 to 2 and by 2 to 3, the common cases, unrolled.
	switch taps {
	case 5:
		for i, f := range first {
			s := src[int(f)-x0:]
			s = s[:5]
			k := weights[i*5 : i*5+5]
			acc := half + int32(s[0])*k[0] + int32(s[1])*k[1] + int32(s[2])*k[2] + int32(s[3])*k[3] + int32(s[4])*k[4]
			out[i] = clampFixed(acc)
		}
		return
	case 7:
		for i, f := range first {
			s := src[int(f)-x0:]
			s = s[:7]
			k := weights[i*7 : i*7+7]
			acc := half + int32(s[0])*k[0] + int32(s[1])*k[1] + int32(s[2])*k[2] + int32(s[3])*k[3] +
				int32(s[4])*k[4] + int32(s[5])*k[5] + int32(s[6])*k[6]
			out[i] = clampFixed(acc)
		}
		return
	}
	for i, f := range first {
		s := src[int(f)-x0:]
		s = s[:taps]
		k := weights[i*taps : i*taps+taps]
		acc := int32(half)
		for j, v := range s {
			acc += int32(v) * k[j]
		}
		out[i] = clampFixed(acc)
	}
}

// horizontal3 is horizontal on three channels at once, which share the
// taps' positions and weights, for the common tap counts (shrinking by 1
// to 2 and by 2 to 3). It reports false, doing nothing, for the others.
func (a *axis) horizontal3(outs *[3][]uint8, srcs [][]uint8, o0, x0 int) bool {
	const half = 1 << (precisionBits - 1)
	n := len(outs[0])
	out0, out1, out2 := outs[0][:n], outs[1][:n], outs[2][:n]
	s0, s1, s2 := srcs[0], srcs[1], srcs[2]
	first := a.first[o0 : o0+n]
	switch a.taps {
	case 5:
		weights := a.weight[o0*5 : (o0+n)*5]
		for i, f := range first {
			o := int(f) - x0
			k := weights[i*5 : i*5+5 : i*5+5]
			k0, k1, k2, k3, k4 := k[0], k[1], k[2], k[3], k[4]
			p := s0[o : o+5 : o+5]
			out0[i] = clampFixed(half + int32(p[0])*k0 + int32(p[1])*k1 + int32(p[2])*k2 + int32(p[3])*k3 + int32(p[4])*k4)
			p = s1[o : o+5 : o+5]
			out1[i] = clampFixed(half + int32(p[0])*k0 + int32(p[1])*k1 + int32(p[2])*k2 + int32(p[3])*k3 + int32(p[4])*k4)
			p = s2[o : o+5 : o+5]
			out2[i] = clampFixed(half + int32(p[0])*k0 + int32(p[1])*k1 + int32(p[2])*k2 + int32(p[3])*k3 + int32(p[4])*k4)
		}
	case 7:
		weights := a.weight[o0*7 : (o0+n)*7]
		for i, f := range first {
			o := int(f) - x0
			k := weights[i*7 : i*7+7 : i*7+7]
			k0, k1, k2, k3, k4, k5, k6 := k[0], k[1], k[2], k[3], k[4], k[5], k[6]
			p := s0[o : o+7 : o+7]
			out0[i] = clampFixed(half + int32(p[0])*k0 + int32(p[1])*k1 + int32(p[2])*k2 + int32(p[3])*k3 + int32(p[4])*k4 + int32(p[5])*k5 + int32(p[6])*k6)
			p = s1[o : o+7 : o+7]
			out1[i] = clampFixed(half + int32(p[0])*k0 + int32(p[1])*k1 + int32(p[2])*k2 + int32(p[3])*k3 + int32(p[4])*k4 + int32(p[5])*k5 + int32(p[6])*k6)
			p = s2[o : o+7 : o+7]
			out2[i] = clampFixed(half + int32(p[0])*k0 + int32(p[1])*k1 + int32(p[2])*k2 + int32(p[3])*k3 + int32(p[4])*k4 + int32(p[5])*k5 + int32(p[6])*k6)
		}
	default:
		return false
	}
	return true
}

// resizePlane resizes the sw x sh plane at src (row stride stride) to
// dw x dh pixels at dst.
func (r *Resampler) resizePlane(dst, src []uint8, sw, sh, stride, dw, dh int) {
	r.resample(dst, 1, sw, sh, dw, dh, image.Rect(0, 0, dw, dh), func(y, x0, x1 int, rows [][]uint8) {
		copy(rows[0], src[y*stride+x0:y*stride+x1])
	})
}

// clampFixed rounds down a fixed-point sum (the rounding half is already
// in it) and clamps it to 0..255.
func clampFixed(v int32) uint8 { return clamp255(v >> precisionBits) }

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}
