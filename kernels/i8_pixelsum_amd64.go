//go:build !purego

package kernels

// sumPixelsAVX2 is the sumPixels field of the amd64 paths.
func sumPixelsAVX2(acc []int32, src []int8, pixels, stride int) int {
	return sumPixelsBlocks(acc, src, pixels, stride, i8PixelSum16AVX2)
}

// i8PixelSum16AVX2 adds to acc[c], c < 16*blocks, the values of channel c
// of 1 to 256 pixels of src, stride bytes apart (i8_pixelsum_amd64.s).
//
//go:noescape
func i8PixelSum16AVX2(acc *int32, src *int8, blocks, pixels, stride int)
