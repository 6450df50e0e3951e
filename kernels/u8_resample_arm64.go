//go:build !purego

package kernels

// resampleColsU8NEON is the resampleCols field of the arm64 paths: whole
// groups of 4 outputs while their windows hold their taps and stay in src
// (u8_resample_arm64.s).
func resampleColsU8NEON(out, src []uint8, first, k []int32, kstride, taps int, shift uint) int {
	n := len(out) / 4 * 4
	if n == 0 || taps > 16 || len(src) < 16 {
		return 0
	}
	return resampleCols4NEON(&out[0], n, &src[0], len(src)-16, &first[0], &k[0], kstride, taps, uint64(shift), int32(1)<<(shift-1))
}

//go:noescape
func resampleCols4NEON(out *uint8, n int, src *uint8, srcEnd int, first *int32, k *int32, kstride int, taps int, shift uint64, round int32) int

// resampleRowsU8NEON is the resampleRows field of the arm64 paths: it
// runs the whole steps of 16 outputs (u8_resample_rows_arm64.s).
func resampleRowsU8NEON(out, src []uint8, stride int, k []int32, shift uint) int {
	n := len(out) / 16 * 16
	if n == 0 {
		return 0
	}
	resampleRows16NEON(&out[0], n, &src[0], stride, &k[0], len(k), uint64(shift), int32(1)<<(shift-1))
	return n
}

//go:noescape
func resampleRows16NEON(out *uint8, n int, src *uint8, stride int, k *int32, taps int, shift uint64, round int32)
