//go:build !purego

package kernels

// sumPixelsNEON is the sumPixels field of the arm64 paths.
func sumPixelsNEON(acc []int32, src []int8, pixels, stride int) int {
	return sumPixelsBlocks(acc, src, pixels, stride, i8PixelSum16NEON)
}

// i8PixelSum16NEON adds to acc[c], c < 16*blocks, the values of channel c
// of 1 to 256 pixels of src, stride bytes apart (i8_pixelsum_arm64.s).
//
//go:noescape
func i8PixelSum16NEON(acc *int32, src *int8, blocks, pixels, stride int)
