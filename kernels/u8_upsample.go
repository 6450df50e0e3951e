package kernels

import "fmt"

// UpsampleH2V2U8 is libjpeg's "fancy" upsampling of chroma subsampled by
// 2 in both directions (4:2:0), one output row: a triangle filter that
// mixes each chroma sample's nearest neighbour (3/4) with the next
// nearest (1/4) along each axis. near is the chroma row nearest the
// output row and far the other one that mixes in, both holding the
// samples of columns c-1 .. c+m (m = len(dst)/2); dst gets the output
// columns 2c .. 2c+2m-1:
//
//	s[t]     = 3*near[t] + far[t]
//	dst[2j]   = (3*s[j+1] + s[j] + 8) >> 4
//	dst[2j+1] = (3*s[j+1] + s[j+2] + 7) >> 4
//
// len(dst) is even and near and far hold len(dst)/2+2 samples.
func UpsampleH2V2U8(dst, near, far []uint8) {
	m := len(dst) / 2
	if len(dst)%2 != 0 || len(near) != m+2 || len(far) != m+2 {
		panic(fmt.Sprintf("kernels.UpsampleH2V2U8: %d outputs from rows of %d and %d samples", len(dst), len(near), len(far)))
	}
	done := 0
	if up := active.Load().upsample; up != nil {
		done = up(dst, near, far)
	}
	upsampleGeneric(dst[2*done:], near[done:], far[done:])
}

// upsampleGeneric is the definition of UpsampleH2V2U8.
func upsampleGeneric(dst, near, far []uint8) {
	m := len(dst) / 2
	near, far = near[:m+2], far[:m+2]
	prev, cur := 3*int32(near[0])+int32(far[0]), 3*int32(near[1])+int32(far[1])
	for j := range m {
		next := 3*int32(near[j+2]) + int32(far[j+2])
		dst[2*j] = uint8((3*cur + prev + 8) >> 4)
		dst[2*j+1] = uint8((3*cur + next + 7) >> 4)
		prev, cur = cur, next
	}
}

// UpsampleH2V1U8 is libjpeg's "fancy" upsampling of chroma subsampled by
// 2 horizontally only (4:2:2), one output row: each output mixes its
// chroma sample (3/4) with the next nearest (1/4). row holds the samples
// of columns c-1 .. c+m (m = len(dst)/2); dst gets the output columns
// 2c .. 2c+2m-1:
//
//	dst[2j]   = (3*row[j+1] + row[j] + 1) >> 2
//	dst[2j+1] = (3*row[j+1] + row[j+2] + 2) >> 2
//
// len(dst) is even and row holds len(dst)/2+2 samples.
func UpsampleH2V1U8(dst, row []uint8) {
	m := len(dst) / 2
	if len(dst)%2 != 0 || len(row) != m+2 {
		panic(fmt.Sprintf("kernels.UpsampleH2V1U8: %d outputs from a row of %d samples", len(dst), len(row)))
	}
	done := 0
	if up := active.Load().upsampleH2V1; up != nil {
		done = up(dst, row)
	}
	upsampleH2V1Generic(dst[2*done:], row[done:])
}

// upsampleH2V1Generic is the definition of UpsampleH2V1U8.
func upsampleH2V1Generic(dst, row []uint8) {
	m := len(dst) / 2
	row = row[:m+2]
	for j := range m {
		near := 3 * int32(row[j+1])
		dst[2*j] = uint8((near + int32(row[j]) + 1) >> 2)
		dst[2*j+1] = uint8((near + int32(row[j+2]) + 2) >> 2)
	}
}
