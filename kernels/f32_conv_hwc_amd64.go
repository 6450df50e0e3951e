//go:build !purego

package kernels

// The direct float32 convolution on HWC images of the amd64 paths
// (f32_conv_hwc_amd64.s): SgemmPacked of the unfolded image followed by
// BiasClampColsF32, in one pass and without the unfolding, for weights
// packed in 16-column panels (avx2's and avxvnni's 6x16 shape). The kernel
// reads each pixel's window through the offset tables of convF32Tables, 6
// pixels at a time, and broadcasts each value against the panel's 16
// channels; the bias and the clamp run on the registers. Each output is
// the Sgemm FMA chain in the tables' order, then + bias, then Go's max and
// min: the same bits as the unfolding and the two calls, except for bounds
// that VMAXPS and VMINPS order apart from Go's (NaN, or an upper bound of
// -0), which take the two calls.

// f32ConvHWCArgs describes one call of f32ConvHWC6x16FMA: n pixels against
// one panel; the kernel reads the fields at the offsets go_asm.h gives.
type f32ConvHWCArgs struct {
	img    *float32 // what the offsets index
	pix    *int     // byte offsets of the pixels, a whole tile of them past n
	taps   *int32   // byte offsets of the k window values from a pixel's
	b      *float32 // the panel: k steps of 16 floats
	c      *float32 // pixel 0's output, at the panel's first channel
	ldc    int      // bytes between pixels in c
	k, n   int      // steps and pixels, >= 1
	full   int      // 1 when all 16 channels are stored, 0: through mask
	bias   [16]float32
	mask   [16]int32 // -1 for the channels stored
	lo, hi float32
}

// convHWCF32AVX2 computes c = clamp(A·Wᵀ + bias), A the window values the
// tables t address, if the path's micro-kernel packed w and the bounds
// order as Go's do, and reports whether it did.
func convHWCF32AVX2(t *convF32Tables, w *PackedF32, bias, c []float32, ldc int, lo, hi float32) bool {
	if w.shape != avx2Shape || lo != lo || hi != hi || (hi == 0 && 1/hi < 0) {
		return false
	}
	n, k := t.n, w.k
	if n < 1 || len(t.taps) != k || len(t.pix) < roundUp(n, avx2MR) {
		panic("kernels: convHWCF32AVX2: tables do not match the weights")
	}
	// The last pixel's last window value is the furthest the kernel reads.
	_ = t.img[(t.pix[n-1]+int(t.taps[k-1]))/4]
	_ = c[(n-1)*ldc+w.n-1]
	args := f32ConvHWCArgsPool.Get()
	*args = f32ConvHWCArgs{img: &t.img[0], pix: &t.pix[0], taps: &t.taps[0], ldc: 4 * ldc, k: k, n: n, lo: lo, hi: hi}
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
		args.b, args.c, args.n = &w.data[q*k], &c[q], n // the kernel counts n down
		f32ConvHWC6x16FMA(args)
	}
	*args = f32ConvHWCArgs{}
	f32ConvHWCArgsPool.Put(args)
	return true
}

var f32ConvHWCArgsPool = newFreeList(func() *f32ConvHWCArgs { return new(f32ConvHWCArgs) }, nil)

//go:noescape
func f32ConvHWC6x16FMA(a *f32ConvHWCArgs)
