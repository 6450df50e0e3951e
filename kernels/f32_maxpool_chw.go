package kernels

// f32MaxPoolCHWKernel computes blocks*8 consecutive outputs of one row of
// a float32 max pool on a CHW channel, one output per lane: output j's
// window is rows rows (ld bytes apart) of kw cells from src + 4*stride*j,
// the taps in window order, each replacing the maximum so far only when
// strictly greater (the Go loop's rule for NaN and signed zeros). With
// stride 2 it may read one float past the last cell of a block's last
// window.
type f32MaxPoolCHWKernel func(dst, src *float32, rows, ld, kw, stride, blocks int)

// maxPoolF32CHW runs the rows of MaxPoolF32 (CHW) with stride 1 or 2
// along them on a SIMD kernel, eight outputs per block over the columns
// whose windows lie inside the image, the last block overlapping the one
// before when the columns are not a multiple of 8; the Go loop on the
// columns at the edges. It reports false for the geometries it leaves to
// the Go loops.
func maxPoolF32CHW(src, dst []float32, g ConvGeom, kern f32MaxPoolCHWKernel) bool {
	if g.SW != 1 && g.SW != 2 || !g.noEmptyWindow() {
		return false
	}
	lo, hi := g.insideColumns()
	if hi-lo < 8 {
		return false
	}
	// The last float a block of 8 outputs reads, from its first window's
	// first column: stride 2 loads 16 floats from each tap, one past the
	// last cell, which must still lie in src.
	span := 8*g.SW - 1 + g.KW - 1
	for c := range g.C {
		img := src[c*g.H*g.W : (c+1)*g.H*g.W]
		out := dst[c*g.OutH*g.OutW : (c+1)*g.OutH*g.OutW]
		for oh := range g.OutH {
			h0, h1 := max(oh*g.SH-g.PadT, 0), min(oh*g.SH-g.PadT+g.KH, g.H)
			row := out[oh*g.OutW : (oh+1)*g.OutW]
			for ow := range lo {
				row[ow] = maxPoolF32Window(img, g, h0, h1, ow)
			}
			last := hi - 8
			if c*g.H*g.W+(h1-1)*g.W+last*g.SW-g.PadL+span >= len(src) {
				last-- // the over-read would leave src: that block in Go
			}
			done := lo // the end of the columns the vectors did
			if last >= lo {
				if n := (last - lo + 7) / 8; n > 0 {
					kern(&row[lo], &img[h0*g.W+lo*g.SW-g.PadL], h1-h0, 4*g.W, g.KW, g.SW, n)
				}
				kern(&row[last], &img[h0*g.W+last*g.SW-g.PadL], h1-h0, 4*g.W, g.KW, g.SW, 1)
				done = last + 8
			}
			for ow := done; ow < g.OutW; ow++ {
				row[ow] = maxPoolF32Window(img, g, h0, h1, ow)
			}
		}
	}
	return true
}
