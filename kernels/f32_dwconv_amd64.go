//go:build !purego

package kernels

// dwF32AVX2 is the float32 depthwise convolution of the amd64 paths
// (f32_dwconv_amd64.s): 8 channels per YMM register, four pixels at a time.
var dwF32AVX2 = &dwF32Impl{run: f32Dw8cAVX2}

// f32Dw8cAVX2 computes a run of a.n output pixels, a.blocks*8 channels, as
// dwF32Args describes it.
//
//go:noescape
func f32Dw8cAVX2(a *dwF32Args)
