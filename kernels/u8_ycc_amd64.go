//go:build !purego

package kernels

// yccAVX2 is the ycc field of the amd64 paths: it runs the whole steps of
// 8 samples (u8_ycc_amd64.s), the int32 arithmetic of yccGeneric in the
// lanes of a register, packed with saturation, which is the clamp.
func yccAVX2(r, g, b, y, cb, cr []uint8) int {
	n := len(y) / 8 * 8
	if n == 0 {
		return 0
	}
	ycc8AVX2(&r[0], &g[0], &b[0], &y[0], &cb[0], &cr[0], n)
	return n
}

//go:noescape
func ycc8AVX2(rOut, gOut, bOut, y, cb, cr *uint8, n int)
