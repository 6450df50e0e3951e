//go:build !purego

package kernels

// idctIslow8x8NEON is IDCTIslow in NEON (u8_idct_arm64.s): each pass on
// the block's eight columns (then rows) as two halves of four int32 lanes,
// with the generic code's shortcuts computed and blended per lane, an 8x8
// transpose after each pass, the bytes narrowed with saturation, which is
// the clamp.
//
//go:noescape
func idctIslow8x8NEON(blk *[64]int32, dst *uint8, stride int)
