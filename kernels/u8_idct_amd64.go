//go:build !purego

package kernels

// idctIslow8x8AVX2 is IDCTIslow in AVX2 (u8_idct_amd64.s): the eight
// columns (then rows) of the block in the eight int32 lanes of a register,
// both passes on whole registers with no shortcuts, an 8x8 transpose after
// each, the bytes packed with saturation, which is the clamp.
//
//go:noescape
func idctIslow8x8AVX2(blk *[64]int32, dst *uint8, stride int)
