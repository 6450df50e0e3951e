//go:build !purego

package kernels

// The float32 GEMM of HWC activations on the amd64 paths
// (f32_gemm_hwc_amd64.s): SgemmPacked followed by BiasClampColsF32, in
// one pass, for weights packed in 16-column panels (avx2's and avxvnni's
// 6x16 shape). The kernel reads A in place, 6 pixels at a time, and
// broadcasts each pixel's value of a step against the panel's 16 channels;
// the bias and the clamp run on the registers. Each output is the Sgemm
// FMA chain, then + bias, then Go's max and min: the same bits as the two
// calls, except for bounds that VMAXPS and VMINPS order apart from Go's
// (NaN, or an upper bound of -0), which take the two calls.

// f32HWCArgs describes one call of f32GemmHWC6x16FMA: n pixels against
// one panel; the kernel reads the fields at the offsets go_asm.h gives.
type f32HWCArgs struct {
	a      *float32 // pixel 0's k values
	b      *float32 // the panel: k steps of 16 floats
	c      *float32 // pixel 0's output, at the panel's first channel
	row5   uintptr  // scratch of the kernel
	lda    int      // bytes between pixels in a
	ldc    int      // bytes between pixels in c
	k, n   int      // steps and pixels, >= 1
	full   int      // 1 when all 16 channels are stored, 0: through mask
	bias   [16]float32
	mask   [16]int32 // -1 for the channels stored
	lo, hi float32
}

// gemmHWCF32 computes c = clamp(a·Wᵀ + bias) for the m×k row-major a
// (lda), the packed weights w and c (ldc) if the path has the fused kernel
// for them, and reports whether it did.
func gemmHWCF32(m int, a []float32, lda int, w *PackedF32, bias, c []float32, ldc int, lo, hi float32) bool {
	if w.shape != avx2Shape || lo != lo || hi != hi || (hi == 0 && 1/hi < 0) || m == 0 {
		return false
	}
	_ = a[(m-1)*lda+w.k-1]
	_ = c[(m-1)*ldc+w.n-1]
	args := f32HWCArgsPool.Get()
	*args = f32HWCArgs{a: &a[0], lda: 4 * lda, ldc: 4 * ldc, k: w.k, n: m, lo: lo, hi: hi}
	for q := 0; q < w.n; q += 16 {
		nc := min(16, w.n-q)
		clear(args.bias[:])
		if bias != nil {
			copy(args.bias[:nc], bias[q:])
		}
		args.full = 0
		if nc == 16 {
			args.full = 1
		}
		for j := range args.mask {
			args.mask[j] = 0
			if j < nc {
				args.mask[j] = -1
			}
		}
		args.b, args.c = &w.data[q*w.k], &c[q]
		f32GemmHWC6x16FMA(args)
	}
	*args = f32HWCArgs{}
	f32HWCArgsPool.Put(args)
	return true
}

var f32HWCArgsPool = newFreeList(func() *f32HWCArgs { return new(f32HWCArgs) }, nil)

//go:noescape
func f32GemmHWC6x16FMA(a *f32HWCArgs)
