package kernels

import (
	"fmt"
	"math"
)

// ConvF32 computes one image of a float32 convolution with groups: dst
// ([out, OutH, OutW]) = w ([out, C/groups, KH, KW]) convolved with src
// ([C, H, W]) plus one bias per output channel, or none when bias is nil.
// w holds exactly the out filters, so out is len(w)/(C/groups*KH*KW). col
// is scratch of at least C*KH*KW*OutH*OutW floats for the im2col matrix,
// whose rows for group g are contiguous, so each group is a single GEMM:
// dst[g] (out/groups x P) = w[g] (out/groups x K) * col[g] (K x P).
func ConvF32(src, dst, w, bias []float32, g ConvGeom, groups int, col []float32) {
	if groups < 1 || g.C%groups != 0 {
		panic(fmt.Sprintf("kernels: ConvF32: %d groups do not divide %d channels", groups, g.C))
	}
	k, p := g.C/groups*g.KH*g.KW, g.OutH*g.OutW
	if k == 0 || len(w)%k != 0 || len(w)/k%groups != 0 {
		panic(fmt.Sprintf("kernels: ConvF32: %d weights are not whole filters of %d values in %d groups", len(w), k, groups))
	}
	out := len(w) / k
	if bias != nil && len(bias) != out {
		panic(fmt.Sprintf("kernels: ConvF32: %d biases for %d output channels", len(bias), out))
	}
	ocg := out / groups
	Im2col(src, g, col)
	for grp := range groups {
		Sgemm(false, false, ocg, p, k, 1, w[grp*ocg*k:], k, col[grp*k*p:], p, 0, dst[grp*ocg*p:], p)
	}
	BiasClampF32(dst, out, p, p, bias, float32(math.Inf(-1)), float32(math.Inf(1)))
}
