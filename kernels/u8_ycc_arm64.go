//go:build !purego

package kernels

// yccNEON is the ycc field of the arm64 paths: it runs the whole steps of
// 8 samples (u8_ycc_arm64.s).
func yccNEON(r, g, b, y, cb, cr []uint8) int {
	n := len(y) / 8 * 8
	if n == 0 {
		return 0
	}
	ycc8NEON(&r[0], &g[0], &b[0], &y[0], &cb[0], &cr[0], n)
	return n
}

//go:noescape
func ycc8NEON(rOut, gOut, bOut, y, cb, cr *uint8, n int)
