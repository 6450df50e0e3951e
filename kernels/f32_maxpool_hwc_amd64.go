//go:build !purego

package kernels

// f32MaxPoolHWCAVX2 is the maxPoolHWCF32 field of the amd64 paths
// (f32_maxpool_hwc_amd64.s): a run of pixels of MaxPoolF32HWC, VMAXPS over
// the window's taps with the tap as first operand, which keeps the maximum
// so far unless the tap is strictly greater (NaN and signed zeros as the
// Go loop), 32, 8 or 4 channels at a time.
//
//go:noescape
func f32MaxPoolHWCAVX2(a *poolArgs)
