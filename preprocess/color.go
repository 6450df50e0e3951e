package preprocess

import "github.com/edgecnn/edgecnn/kernels"

// The colour conversions of edgecnn, in one place: JPEG's YCbCr to RGB
// (kernels.YCbCrToRGBU8, whose fixed-point arithmetic is libjpeg's) and
// the chroma upsampling before it (as libjpeg does them by default, so
// that decoded photos match what PIL and torchvision see), and RGB to
// luma (as PIL's convert("L") does).

func clamp255(v int32) uint8 {
	if uint32(v) > 255 {
		if v < 0 {
			return 0
		}
		return 255
	}
	return uint8(v)
}

// Luma returns the ITU-R BT.601 luma of an RGB pixel, rounded: PIL's
// convert("L") and the Y of JPEG's YCbCr.
func Luma(r, g, b uint8) uint8 {
	return uint8((19595*uint32(r) + 38470*uint32(g) + 7471*uint32(b) + 1<<15) >> 16)
}

// upsampleScratch is upsampleRow's scratch space, grown as needed.
type upsampleScratch struct {
	sums           []int32
	near, far, out []uint8
}

// upsampleRow writes chroma row y of a picture at full (luma) resolution,
// columns [x0, x0+len(dst)), from the subsampled plane pl. Subsampling by
// 2 horizontally (and 2 vertically) is libjpeg's "fancy" triangle
// interpolation: each output sample mixes its nearest input sample (3/4)
// with the next nearest (1/4) along each subsampled axis, neighbours past
// the edge repeating the edge (kernels.UpsampleH2V2U8 and UpsampleH2V1U8
// on planar chroma). Other subsamplings repeat samples.
func upsampleRow(dst []uint8, pl Plane, sx, sy, y, x0 int, sc *upsampleScratch) {
	cw, ch := pl.Width, pl.Height
	cy := min(y/sy, ch-1)
	row := pl.Pix[cy*pl.Stride:]
	step := pl.Step
	if sx != 2 || sy > 2 {
		if sx == 1 && step == 1 {
			copy(dst, row[x0:x0+len(dst)])
			return
		}
		for i := range dst {
			dst[i] = row[min((x0+i)/sx, cw-1)*step]
		}
		return
	}
	// The other row mixing in (sy 2): the row above for even rows, below
	// for odd ones.
	var other []uint8
	if sy == 2 {
		near := cy - 1
		if y&1 == 1 {
			near = cy + 1
		}
		other = pl.Pix[min(max(near, 0), ch-1)*pl.Stride:]
	}
	// Chroma columns c0 .. c0+m+1 make the output pairs of columns from
	// 2(c0+1) on that cover [x0, x0+len(dst)).
	c0, m := x0>>1-1, (x0&1+len(dst)+1)/2
	if step == 1 {
		near, far := row, other
		if c0 >= 0 && c0+m+2 <= cw {
			near = near[c0 : c0+m+2]
			if far != nil {
				far = far[c0 : c0+m+2]
			}
		} else {
			// At an edge of the plane: the columns past it repeat it.
			sc.near, sc.far = grow(sc.near, m+2), grow(sc.far, m+2)
			for j := range sc.near {
				c := min(max(c0+j, 0), cw-1)
				sc.near[j] = row[c]
				if far != nil {
					sc.far[j] = other[c]
				}
			}
			near = sc.near
			if far != nil {
				far = sc.far
			}
		}
		out := dst
		if x0&1 != 0 || len(dst)&1 != 0 {
			sc.out = grow(sc.out, 2*m)
			out = sc.out
		}
		if far == nil {
			kernels.UpsampleH2V1U8(out, near)
		} else {
			kernels.UpsampleH2V2U8(out, near, far)
		}
		copy(dst, out[x0&1:])
		return
	}
	// Interleaved chroma (a YUYV picture's): the vertical mix first:
	// s[j] is chroma column c0+j of this row (sy 1), or 3 times it plus
	// the other row's, columns past the edges repeating the edge.
	s := grow(sc.sums, (x0+len(dst)-1)>>1+2-c0)
	sc.sums = s
	// Columns c0+j for j in [lo, hi) lie inside the plane; the others
	// repeat the edge.
	lo, hi := min(max(-c0, 0), len(s)), max(min(cw-c0, len(s)), 0)
	evenBias, oddBias, shift := int32(1), int32(2), uint(2)
	if sy == 2 {
		evenBias, oddBias, shift = 8, 7, 4
	}
	for j := 0; j < len(s); j++ {
		if j == lo && lo < hi && step == 1 {
			// The inside, the bulk of the row, without the clamps.
			in := row[c0+lo : c0+hi]
			if other == nil {
				for i, v := range in {
					s[lo+i] = int32(v)
				}
			} else {
				o := other[c0+lo : c0+hi]
				for i, v := range in {
					s[lo+i] = 3*int32(v) + int32(o[i])
				}
			}
			j = hi - 1
			continue
		}
		c := min(max(c0+j, 0), cw-1) * step
		if other == nil {
			s[j] = int32(row[c])
		} else {
			s[j] = 3*int32(row[c]) + int32(other[c])
		}
	}
	// Then the horizontal one: an even column mixes in its left
	// neighbour, an odd one its right one; columns 2c and 2c+1 both
	// come from chroma column c, s[c-c0].
	i := 0
	if x0&1 == 1 && len(dst) > 0 {
		dst[0] = uint8((3*s[1] + s[2] + oddBias) >> shift)
		i = 1
	}
	for j := (x0+i)>>1 - c0; i+1 < len(dst); i, j = i+2, j+1 {
		t := s[j-1 : j+2 : j+2]
		near := 3 * t[1]
		dst[i] = uint8((near + t[0] + evenBias) >> shift)
		dst[i+1] = uint8((near + t[2] + oddBias) >> shift)
	}
	if i < len(dst) {
		j := (x0+i)>>1 - c0
		dst[i] = uint8((3*s[j] + s[j-1] + evenBias) >> shift)
	}
}
