//go:build !purego

package kernels

// i8MaxPoolHWCAVX2 is the maxPoolHWC field of the amd64 paths
// (i8_maxpool_hwc_amd64.s): a run of pixels of MaxPoolInt8HWC, VPMAXSB over
// the window's taps, 32 or 16 channels at a time.
//
//go:noescape
func i8MaxPoolHWCAVX2(a *poolArgs)
