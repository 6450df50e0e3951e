package kernels

import "fmt"

// Float32 convolution and pooling on HWC images, the float twins of
// i8_conv_hwc.go: a convolution is SgemmPacked of the image (1×1, stride
// 1) or of its unfolding (im2colHWC) by the weights packed once, then the
// bias and clamp per column. The reduction of each output runs over
// (kh, kw, c) in that order, each step one FMA of the Sgemm definition,
// then v = acc + bias, clamped as BiasClampColsF32 does; it differs from
// ConvF32 on CHW images (order c, kh, kw) in the last bits only.

// PackConvF32HWC packs the float32 weights of a convolution,
// [out][cg][kh][kw] (cg = input channels per group), for ConvF32HWC on
// the path in use: per group, the group's filters reordered to
// [kh][kw][cg] and packed by PackF32.
func PackConvF32HWC(w []float32, out, cg, kh, kw, groups int) []*PackedF32 {
	if out < 1 || cg < 1 || kh < 1 || kw < 1 || groups < 1 || out%groups != 0 {
		panic(fmt.Sprintf("kernels: PackConvF32HWC: bad shape out=%d cg=%d kh=%d kw=%d groups=%d", out, cg, kh, kw, groups))
	}
	k := cg * kh * kw
	if len(w) < out*k {
		panic(fmt.Sprintf("kernels: PackConvF32HWC: len(w)=%d < %d", len(w), out*k))
	}
	ocg := out / groups
	packed := make([]*PackedF32, groups)
	r := make([]float32, ocg*k)
	for g := range groups {
		for o := range ocg {
			for c := range cg {
				for t := range kh * kw {
					r[o*k+t*cg+c] = w[((g*ocg+o)*cg+c)*kh*kw+t]
				}
			}
		}
		packed[g] = PackF32(r, ocg, k)
	}
	return packed
}

// ConvF32HWC computes output rows [oh0, oh1) of one image of a float32
// convolution on HWC images: src [H][W][C], dst [OutH][OutW][out], w the
// groups' weights packed by PackConvF32HWC, bias one value per output
// channel or nil, each output clamped to [lo, hi]. col is scratch for the
// unfolded rows, C*KH*KW*OutH*OutW values, unused (and may be nil) for a
// 1×1 convolution with stride 1 and no padding. Calls on disjoint rows
// may run concurrently: each unfolds its own rows of col.
func ConvF32HWC(src, dst []float32, w []*PackedF32, bias []float32, g ConvGeom, col []float32, lo, hi float32, oh0, oh1 int) {
	groups := len(w)
	if groups < 1 || g.C%groups != 0 {
		panic(fmt.Sprintf("kernels: ConvF32HWC: %d groups for %d channels", groups, g.C))
	}
	k := g.C / groups * g.KH * g.KW
	ocg := w[0].n
	out := ocg * groups
	for _, p := range w {
		if p.k != k || p.n != ocg {
			panic(fmt.Sprintf("kernels: ConvF32HWC: weights of %d×%d do not match %d×%d per group for %+v", p.n, p.k, ocg, k, g))
		}
	}
	if bias != nil && len(bias) < out {
		panic(fmt.Sprintf("kernels: ConvF32HWC: %d biases for %d output channels", len(bias), out))
	}
	g.check("ConvF32HWC", len(src), g.C*g.H*g.W, len(dst), out*g.OutH*g.OutW)
	if oh0 < 0 || oh1 > g.OutH || oh0 > oh1 {
		panic(fmt.Sprintf("kernels: ConvF32HWC: rows [%d, %d) outside [0, %d)", oh0, oh1, g.OutH))
	}
	if oh0 == oh1 || g.OutW == 0 {
		return
	}
	p0, n := oh0*g.OutW, (oh1-oh0)*g.OutW
	var a []float32
	lda := g.C
	if g.pointwise() {
		a = src[p0*g.C:]
	} else {
		if need := g.C * g.KH * g.KW * g.OutH * g.OutW; len(col) < need {
			panic(fmt.Sprintf("kernels: ConvF32HWC: col has %d values, need %d for %+v", len(col), need, g))
		}
		im2colHWC(src, g, groups, 0, col, oh0, oh1)
		a, lda = col[p0*g.C*g.KH*g.KW:], g.C*g.KH*g.KW
	}
	fused := active.Load().gemmHWCF32
	if fused != nil {
		for grp, p := range w {
			var b []float32
			if bias != nil {
				b = bias[grp*ocg : (grp+1)*ocg]
			}
			if !fused(n, a[grp*k:], lda, p, b, dst[p0*out+grp*ocg:], out, lo, hi) {
				fused = nil
				break
			}
		}
		if fused != nil {
			return
		}
	}
	// Blocks of pixels: the bias and clamp of a block run while its
	// output is still in cache.
	const block = 128
	for b0 := 0; b0 < n; b0 += block {
		nb := min(block, n-b0)
		c := dst[(p0+b0)*out:]
		for grp, p := range w {
			SgemmPacked(nb, a[b0*lda+grp*k:], lda, p, c[grp*ocg:], out)
		}
		BiasClampColsF32(c, nb, out, out, bias, lo, hi)
	}
}

// MaxPoolF32HWC is MaxPoolF32 on HWC images: each channel's maximum over
// the window's cells inside the image, in window order, the first cell
// replaced only by a strictly greater value (so NaN and signed zeros come
// out as MaxPoolF32 gives them).
func MaxPoolF32HWC(src, dst []float32, g ConvGeom) {
	g.check("MaxPoolF32HWC", len(src), g.C*g.H*g.W, len(dst), g.C*g.OutH*g.OutW)
	if g.OutH*g.OutW*g.C == 0 {
		return
	}
	if run := active.Load().maxPoolHWCF32; run != nil && g.KH*g.KW <= poolMaxTaps && g.noEmptyWindow() {
		poolHWCRuns(src, dst, g, run, func(c0 int) { poolHWCF32(src, dst, g, true, c0) })
		return
	}
	poolHWCF32(src, dst, g, true, 0)
}

// AvgPoolF32HWC is AvgPoolF32 on HWC images: each channel's sum over the
// window's cells inside the image, in window order from 0, divided by
// their count (0 for a window all padding).
func AvgPoolF32HWC(src, dst []float32, g ConvGeom) {
	g.check("AvgPoolF32HWC", len(src), g.C*g.H*g.W, len(dst), g.C*g.OutH*g.OutW)
	poolHWCF32(src, dst, g, false, 0)
}

// poolHWCF32 is the reference of the float32 HWC pools, on channels
// [c0, C).
func poolHWCF32(src, dst []float32, g ConvGeom, isMax bool, c0 int) {
	c := g.C
	for oh := range g.OutH {
		for ow := range g.OutW {
			h0, h1, w0, w1 := poolWindow(g, oh, ow)
			out := dst[(oh*g.OutW+ow)*c:][c0:c]
			clear(out)
			first := true
			for ih := h0; ih < h1; ih++ {
				for iw := w0; iw < w1; iw++ {
					in := src[(ih*g.W+iw)*c:][c0:c]
					switch {
					case isMax && first:
						copy(out, in)
					case isMax:
						for i, v := range in {
							if v > out[i] {
								out[i] = v
							}
						}
					default:
						for i, v := range in {
							out[i] += v
						}
					}
					first = false
				}
			}
			if !isMax && !first {
				n := float32((h1 - h0) * (w1 - w0))
				for i := range out {
					out[i] /= n
				}
			}
		}
	}
}
