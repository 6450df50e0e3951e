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
// weight[o*taps:], also laid out by tap in byTap (byTap[j*out+o] is
// weight[o*taps+j]), as kernels.ResampleColsU8 reads them.
type axis struct {
	in, out, taps int
	first, count  []int32
	weight        []int32
	byTap         []int32
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
	a.byTap = grow(a.byTap, out*a.taps)
	for o := range out {
		for j := range a.taps {
			a.byTap[j*out+o] = a.weight[o*a.taps+j]
		}
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
	first  []int32
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
	// The first input of each output of the crop, in the rows read.
	first := grow(r.first, cw)
	r.first = first
	for i := range first {
		first[i] = xs.first[crop.Min.X+i] - int32(x0)
	}
	for c := range channels {
		// Every output of the horizontal pass reads xs.taps inputs, those
		// past its count with weight 0, and the SIMD kernels read 16 bytes
		// from a group's first: the rows have room for them.
		r.rows[c] = grow(r.rows[c], x1-x0+max(xs.taps, 16))
		r.tmp[c] = grow(r.tmp[c], (y1-y0)*cw)
	}
	// Horizontal pass over the source rows the crop needs.
	for y := y0; y < y1; y++ {
		read(y, x0, x1, r.rows[:channels])
		for c := range channels {
			out := r.tmp[c][(y-y0)*cw : (y-y0+1)*cw]
			if sw == dw {
				copy(out, r.rows[c][crop.Min.X-x0:crop.Max.X-x0])
				continue
			}
			kernels.ResampleColsU8(out, r.rows[c], first, xs.byTap[crop.Min.X:], dw, xs.taps, precisionBits)
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
