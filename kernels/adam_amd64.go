//go:build !purego

package kernels

import "unsafe"

// The Adam step of the avx2, avxvnni and vnni paths (adam_amd64.s): 8
// elements per iteration in YMM registers, the operations of
// adamF32Generic in the same order, each rounded once. The step is bound by
// memory (28 bytes per element), so AVX-512 would not be faster.

// adamConsts is what adamAVX2 broadcasts into registers, at the offsets
// go_asm.h gives.
type adamConsts struct {
	beta1, c1, beta2, c2, r1, r2, eps, lr, decay, tiny, minGrad float32
	absMask                                                     uint32
}

// adamAVX2 runs AdamF32 on n elements, n a multiple of 8.
//
//go:noescape
func adamAVX2(w, m, v, grad *float32, n int, c *adamConsts)

func adamF32AVX2(w, m, v, g []float32, h *Adam) int {
	n := len(g) &^ 7
	if n == 0 {
		return 0
	}
	c := adamConsts{beta1: h.Beta1, c1: 1 - h.Beta1, beta2: h.Beta2, c2: 1 - h.Beta2, r1: h.R1, r2: h.R2,
		eps: h.Eps, lr: h.LR, decay: h.Decay, tiny: Tiny, minGrad: adamMinGrad, absMask: 0x7fffffff}
	adamAVX2(unsafe.SliceData(w), unsafe.SliceData(m), unsafe.SliceData(v), unsafe.SliceData(g), n, &c)
	return n
}
