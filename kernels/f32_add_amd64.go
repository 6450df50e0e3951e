//go:build !purego

package kernels

// addF32AVX2 is the addF32 field of the amd64 paths (f32_add_amd64.s): it
// runs the whole steps of 16 elements, unless a bound is NaN (VMAXPS and
// VMINPS would not keep it as Go's max and min do).
func addF32AVX2(dst, a, b []float32, lo, hi float32) int {
	n := len(dst) / 16 * 16
	if n == 0 || lo != lo || hi != hi {
		return 0
	}
	f32AddAVX2(&dst[0], &a[0], &b[0], n, lo, hi)
	return n
}

//go:noescape
func f32AddAVX2(dst, a, b *float32, n int, lo, hi float32)
