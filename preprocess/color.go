package preprocess

// The colour conversions of edgecnn, in one place: JPEG's YCbCr to RGB and
// the chroma upsampling before it (as libjpeg does them by default, so
// that decoded photos match what PIL and torchvision see), and RGB to
// luma (as PIL's convert("L") does).

// ycc holds libjpeg's fixed-point YCbCr to RGB tables (16 fractional bits).
var ycc = func() (t struct{ crR, cbB, crG, cbG [256]int32 }) {
	const half = 1 << 15
	fix := func(v float64) int32 { return int32(v*(1<<16) + 0.5) }
	for i := range 256 {
		x := int32(i - 128)
		t.crR[i] = (fix(1.40200)*x + half) >> 16
		t.cbB[i] = (fix(1.77200)*x + half) >> 16
		t.crG[i] = -fix(0.71414) * x
		t.cbG[i] = -fix(0.34414)*x + half
	}
	return t
}()

// toRGB converts one full-range YCbCr pixel to RGB, as libjpeg does.
func toRGB(y, cb, cr uint8) (r, g, b uint8) {
	yy := int32(y)
	return clamp255(yy + ycc.crR[cr]), clamp255(yy + (ycc.cbG[cb]+ycc.crG[cr])>>16), clamp255(yy + ycc.cbB[cb])
}

// yccRowToRGB converts a row of Y, Cb, Cr samples (Cb and Cr already
// upsampled) into R, G, B rows.
func yccRowToRGB(r, g, b, y, cb, cr []uint8) {
	n := len(y)
	r, g, b, cb, cr = r[:n], g[:n], b[:n], cb[:n], cr[:n]
	for i, yv := range y {
		yy := int32(yv)
		u, v := cb[i], cr[i]
		r[i] = clamp255(yy + ycc.crR[v])
		g[i] = clamp255(yy + (ycc.cbG[u]+ycc.crG[v])>>16)
		b[i] = clamp255(yy + ycc.cbB[u])
	}
}

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

// upsampleRow writes chroma row y of a picture at full (luma) resolution,
// columns [x0, x0+len(dst)), from the subsampled plane pl. Subsampling by
// 2 horizontally (and 2 vertically) is libjpeg's "fancy" triangle
// interpolation: each output sample mixes its nearest input sample (3/4)
// with the next nearest (1/4) along each subsampled axis, neighbours past
// the edge repeating the edge. Other subsamplings repeat samples.
func upsampleRow(dst []uint8, pl Plane, sx, sy, y, x0 int) {
	cw, ch := pl.Width, pl.Height
	cy := min(y/sy, ch-1)
	row := pl.Pix[cy*pl.Stride:]
	step := pl.Step
	switch {
	case sx == 1 && sy == 1:
		if step == 1 {
			copy(dst, row[x0:x0+len(dst)])
			return
		}
		for i := range dst {
			dst[i] = row[(x0+i)*step]
		}
	case sx == 2 && sy == 2:
		near := cy - 1 // the other row that mixes in: above for even rows
		if y&1 == 1 {
			near = cy + 1
		}
		near = min(max(near, 0), ch-1)
		other := pl.Pix[near*pl.Stride:]
		sum := func(c int) int32 {
			c = min(max(c, 0), cw-1) * step
			return 3*int32(row[c]) + int32(other[c])
		}
		for i := range dst {
			x := x0 + i
			c := x >> 1
			if x&1 == 0 {
				dst[i] = uint8((3*sum(c) + sum(c-1) + 8) >> 4)
			} else {
				dst[i] = uint8((3*sum(c) + sum(c+1) + 7) >> 4)
			}
		}
	case sx == 2 && sy == 1:
		at := func(c int) int32 { return int32(row[min(max(c, 0), cw-1)*step]) }
		for i := range dst {
			x := x0 + i
			c := x >> 1
			if x&1 == 0 {
				dst[i] = uint8((3*at(c) + at(c-1) + 1) >> 2)
			} else {
				dst[i] = uint8((3*at(c) + at(c+1) + 2) >> 2)
			}
		}
	default:
		for i := range dst {
			dst[i] = row[min((x0+i)/sx, cw-1)*step]
		}
	}
}
