//go:build !purego

package kernels

// maxPoolF32CHWAVX2 is the maxPoolF32 field of the amd64 paths:
// maxPoolF32CHW on f32MaxPoolCHWAVX2 (f32_maxpool_chw_amd64.s).
func maxPoolF32CHWAVX2(src, dst []float32, g ConvGeom) bool {
	return maxPoolF32CHW(src, dst, g, f32MaxPoolCHWAVX2)
}

// f32MaxPoolCHWAVX2 is an f32MaxPoolCHWKernel, eight outputs per YMM
// register.
//
//go:noescape
func f32MaxPoolCHWAVX2(dst, src *float32, rows, ld, kw, stride, blocks int)
