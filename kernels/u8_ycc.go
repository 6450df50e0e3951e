package kernels

import "fmt"

// YCbCrToRGBU8 converts rows of full-range YCbCr samples (JPEG's, Cb and
// Cr already at full resolution) into R, G and B rows as libjpeg does, in
// 16-bit fixed point:
//
//	R = Y + round(1.402 (Cr-128))
//	G = Y + floor(-0.34414 (Cb-128) - 0.71414 (Cr-128) + 1/2)
//	B = Y + round(1.772 (Cb-128))
//
// each clamped to 0..255, the constants rounded to 1/65536 (libjpeg's
// jdcolor.c tables, which PIL and torchvision's decoders use).
func YCbCrToRGBU8(r, g, b, y, cb, cr []uint8) {
	n := len(y)
	if len(r) < n || len(g) < n || len(b) < n || len(cb) < n || len(cr) < n {
		panic(fmt.Sprintf("kernels.YCbCrToRGBU8: %d samples into rows of %d, %d, %d from %d, %d", n, len(r), len(g), len(b), len(cb), len(cr)))
	}
	done := 0
	if ycc := active.Load().ycc; ycc != nil {
		done = ycc(r, g, b, y, cb, cr)
	}
	yccGeneric(r[done:n], g[done:n], b[done:n], y[done:], cb[done:n], cr[done:n])
}

// The fixed-point constants of YCbCrToRGBU8: round(c * 65536).
const (
	yccCrR  = 91881  // 1.40200
	yccCbB  = 116130 // 1.77200
	yccCrG  = 46802  // 0.71414
	yccCbG  = 22554  // 0.34414
	yccHalf = 1 << 15
)

// yccGeneric is the definition of YCbCrToRGBU8.
func yccGeneric(r, g, b, y, cb, cr []uint8) {
	n := len(y)
	r, g, b, cb, cr = r[:n], g[:n], b[:n], cb[:n], cr[:n]
	for i, v := range y {
		yy, u, w := int32(v), int32(cb[i])-128, int32(cr[i])-128
		r[i] = clampU8(yy + (yccCrR*w+yccHalf)>>16)
		g[i] = clampU8(yy + (-yccCbG*u-yccCrG*w+yccHalf)>>16)
		b[i] = clampU8(yy + (yccCbB*u+yccHalf)>>16)
	}
}
