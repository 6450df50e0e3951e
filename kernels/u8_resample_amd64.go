//go:build !purego

package kernels

// resampleRowsU8AVX2 is the resampleRows field of the amd64 paths: it
// runs the whole steps of 16 outputs (u8_resample_amd64.s): two registers
// of eight int32 sums, each tap's bytes widened, multiplied by the
// broadcast weight and added, then shifted and packed with saturation,
// which is the clamp.
func resampleRowsU8AVX2(out, src []uint8, stride int, k []int32, shift uint) int {
	n := len(out) / 16 * 16
	if n == 0 {
		return 0
	}
	resampleRows16AVX2(&out[0], n, &src[0], stride, &k[0], len(k), uint64(shift), int32(1)<<(shift-1))
	return n
}

//go:noescape
func resampleRows16AVX2(out *uint8, n int, src *uint8, stride int, k *int32, taps int, shift uint64, round int32)

// resampleColsU8AVX2 is the resampleCols field of the amd64 paths: whole
// groups of 8 outputs while their windows hold their taps and stay in src
// (u8_resample_cols_amd64.s).
func resampleColsU8AVX2(out, src []uint8, first, k []int32, kstride, taps int, shift uint) int {
	n := len(out) / 8 * 8
	if n == 0 || taps > 16 || len(src) < 16 {
		return 0
	}
	return resampleCols8AVX2(&out[0], n, &src[0], len(src)-16, &first[0], &k[0], kstride, taps, uint64(shift), int32(1)<<(shift-1))
}

//go:noescape
func resampleCols8AVX2(out *uint8, n int, src *uint8, srcEnd int, first *int32, k *int32, kstride int, taps int, shift uint64, round int32) int
