//go:build !purego

package kernels

// upsampleAVX2 is the upsample field of the amd64 paths: it runs the
// whole steps of 16 chroma columns (32 outputs) that read no sample past
// the rows (u8_upsample_amd64.s) and returns how many columns it did.
func upsampleAVX2(dst, near, far []uint8) int {
	m := (len(near) - 2) / 16 * 16
	if m == 0 {
		return 0
	}
	upsample16AVX2(&dst[0], &near[0], &far[0], m)
	return m
}

//go:noescape
func upsample16AVX2(dst, near, far *uint8, m int)

// upsampleH2V1AVX2 is the upsampleH2V1 field of the amd64 paths: the whole
// steps of 16 columns that read no sample past the row.
func upsampleH2V1AVX2(dst, row []uint8) int {
	m := (len(row) - 2) / 16 * 16
	if m == 0 {
		return 0
	}
	upsampleH2V1x16AVX2(&dst[0], &row[0], m)
	return m
}

//go:noescape
func upsampleH2V1x16AVX2(dst, row *uint8, m int)
