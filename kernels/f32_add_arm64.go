//go:build !purego

package kernels

// The float32 addition and HWC max pool of the neon and dotprod paths
// (f32_add_arm64.s): AddF32 16 floats per step with FMAX and FMIN, which
// are Go's max and min; MaxPoolF32HWC with FCMGT and BIT over the
// window's taps, 4 channels at a time, keeping the maximum so far unless
// a tap is strictly greater, as the Go loop.

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
