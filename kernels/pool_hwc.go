package kernels

import "unsafe"

// The driver of the SIMD pool kernels on HWC images, shared by int8 and
// float32: it cuts each output row into runs of pixels whose windows have
// the same taps, and hands a kernel byte offsets, so one kernel shape
// serves every element type.

// poolMaxTaps is the largest window the SIMD pool kernels take.
const poolMaxTaps = 64

// poolArgs describes a run of n output pixels of an HWC pool for a SIMD
// kernel: the first pixel's window is the taps cells at src+off[t], and
// each next pixel's lies step bytes further on. The kernel computes the
// bytes of each pixel up to the last multiple of 16; kernels read the
// fields at the offsets go_asm.h gives.
type poolArgs struct {
	src, dst unsafe.Pointer
	off      [poolMaxTaps]int // bytes
	taps     int
	step     int // bytes between consecutive pixels' windows
	n        int // pixels, >= 1
	c        int // bytes per pixel: the channels times the element size
}

// poolHWCRuns runs a SIMD pool kernel over every output row: the pixels
// whose windows lie inside the image columns as one run, those at the
// left and right edges one by one (padding is left out of their windows).
// tail(c0) computes the channels from c0, those past the last 16 bytes
// the kernel does.
func poolHWCRuns[T int8 | float32](src, dst []T, g ConvGeom, run func(*poolArgs), tail func(c0 int)) {
	size := int(unsafe.Sizeof(src[0]))
	if c16 := g.C * size / 16 * 16 / size; c16 < g.C {
		tail(c16)
		if c16 == 0 {
			return
		}
	}
	a := poolArgsPool.Get()
	*a = poolArgs{src: unsafe.Pointer(&src[0]), step: g.SW * g.C * size, c: g.C * size}
	lo, hi := g.insideColumns()
	for oh := range g.OutH {
		for ow := 0; ow < lo; ow++ {
			poolRun(a, dst, g, oh, ow, 1, run)
		}
		if lo < hi {
			poolRun(a, dst, g, oh, lo, hi-lo, run)
		}
		for ow := hi; ow < g.OutW; ow++ {
			poolRun(a, dst, g, oh, ow, 1, run)
		}
	}
	*a = poolArgs{}
	poolArgsPool.Put(a)
}

var poolArgsPool = newFreeList(func() *poolArgs { return new(poolArgs) }, nil)

// poolRun runs the kernel on n output pixels of row oh from column ow0,
// with the taps of the first pixel's window that lie inside the image.
func poolRun[T int8 | float32](a *poolArgs, dst []T, g ConvGeom, oh, ow0, n int, run func(*poolArgs)) {
	size := int(unsafe.Sizeof(dst[0]))
	h0, h1, w0, w1 := poolWindow(g, oh, ow0)
	a.taps = 0
	for ih := h0; ih < h1; ih++ {
		for iw := w0; iw < w1; iw++ {
			a.off[a.taps] = (ih*g.W + iw) * g.C * size
			a.taps++
		}
	}
	a.dst, a.n = unsafe.Pointer(&dst[(oh*g.OutW+ow0)*g.C]), n
	run(a)
}

// insideColumns returns the output columns [lo, hi) whose windows lie
// inside the image's columns.
func (g ConvGeom) insideColumns() (lo, hi int) {
	lo = min((g.PadL+g.SW-1)/g.SW, g.OutW)
	hi = g.OutW
	if last := g.W - g.KW + g.PadL; last < 0 {
		hi = 0
	} else {
		hi = min(hi, last/g.SW+1)
	}
	return lo, max(hi, lo)
}
