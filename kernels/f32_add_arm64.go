//go:build !purego

package kernels

// The float32 addition and max pools of the neon and dotprod paths
// (f32_add_arm64.s): AddF32 16 floats per step with FMAX and FMIN, which
// are Go's max and min; MaxPoolF32HWC (4 channels per vector) and
// MaxPoolF32 (8 outputs of a row per two vectors) with FCMGT and BIT over
// the window's taps, keeping the maximum so far unless a tap is strictly
// greater, as the Go loop.

// addF32NEON is the addF32 field of the arm64 paths: the whole steps of 16
// elements.
func addF32NEON(dst, a, b []float32, lo, hi float32) int {
	n := len(dst) / 16 * 16
	if n == 0 {
		return 0
	}
	f32AddNEON(&dst[0], &a[0], &b[0], n, lo, hi)
	return n
}

//go:noescape
func f32AddNEON(dst, a, b *float32, n int, lo, hi float32)

// f32MaxPoolHWCNEON is the maxPoolHWCF32 field of the arm64 paths.
//
//go:noescape
func f32MaxPoolHWCNEON(a *poolArgs)

// maxPoolF32CHWNEON is the maxPoolF32 field of the arm64 paths:
// maxPoolF32CHW on f32MaxPoolCHWNEON.
func maxPoolF32CHWNEON(src, dst []float32, g ConvGeom) bool {
	return maxPoolF32CHW(src, dst, g, f32MaxPoolCHWNEON)
}

// f32MaxPoolCHWNEON is an f32MaxPoolCHWKernel, eight outputs in two
// vectors.
//
//go:noescape
func f32MaxPoolCHWNEON(dst, src *float32, rows, ld, kw, stride, blocks int)
