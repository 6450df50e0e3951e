//go:build !purego

package kernels

// upsampleNEON is the upsample field of the arm64 paths: it runs the whole
// steps of 8 chroma columns (16 outputs) that read no sample past the rows
// (u8_upsample_arm64.s) and returns how many columns it did.
func upsampleNEON(dst, near, far []uint8) int {
	m := (len(near) - 2) / 8 * 8
	if m == 0 {
		return 0
	}
	upsample8NEON(&dst[0], &near[0], &far[0], m)
	return m
}

//go:noescape
func upsample8NEON(dst, near, far *uint8, m int)

// upsampleH2V1NEON is the upsampleH2V1 field of the arm64 paths: the whole
// steps of 8 columns that read no sample past the row.
func upsampleH2V1NEON(dst, row []uint8) int {
	m := (len(row) - 2) / 8 * 8
	if m == 0 {
		return 0
	}
	upsampleH2V1x8NEON(&dst[0], &row[0], m)
	return m
}

//go:noescape
func upsampleH2V1x8NEON(dst, row *uint8, m int)
