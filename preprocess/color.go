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
	near, far, out []uint8
}

// upsampleRow writes chroma row y of a picture at full (luma) resolution,
// columns [x0, x0+len(dst)), from the subsampled plane pl. Subsampling by
// 2 horizontally (and 2 vertically) is libjpeg's "fancy" triangle
// interpolation: each output sample mixes its nearest input sample (3/4)
// with the next nearest (1/4) along each subsampled axis, neighbours past
// the edge repeating the edge (kernels.UpsampleH2V2U8 and UpsampleH2V1U8,
// planar and interleaved chroma alike). Other subsamplings repeat samples.
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
	near, far := row, other
	if step == 1 && c0 >= 0 && c0+m+2 <= cw {
		near = near[c0 : c0+m+2]
		if far != nil {
			far = far[c0 : c0+m+2]
		}
	} else {
		// At an edge of the plane, where the columns past it repeat it,
		// or interleaved chroma (a YUYV picture's): gather the columns.
		sc.near, sc.far = grow(sc.near, m+2), grow(sc.far, m+2)
		for j := range sc.near {
			c := min(max(c0+j, 0), cw-1) * step
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
}
