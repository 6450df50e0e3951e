package kernels

import "math"

// ConvF32 computes one image of a float32 convolution with groups: dst
// ([out, OutH, OutW]) = w ([out, C/groups, KH, KW]) convolved with src
// ([C, H, W]) plus one bias per output channel. col is scratch of at least
// C*KH*KW*OutH*OutW floats for the im2col matrix, whose rows for group g
// are contiguous, so each group is a single GEMM:
// dst[g] (out/groups x P) = w[g] (out/groups x K) * col[g] (K x P).
func ConvF32(src, dst, w, bias []float32, g ConvGeom, groups int, col []float32) {
	out := len(bias)
	ocg, k, p := out/groups, g.C/groups*g.KH*g.KW, g.OutH*g.OutW
	Im2col(src, g, col)
	for grp := range groups {
		Sgemm(false, false, ocg, p, k, 1, w[grp*ocg*k:], k, col[grp*k*p:], p, 0, dst[grp*ocg*p:], p)
	}
	BiasClampF32(dst, out, p, p, bias, float32(math.Inf(-1)), float32(math.Inf(1)))
}
