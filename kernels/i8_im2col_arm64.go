//go:build !purego

package kernels

// i8Im2colRunsARM64 is the im2colRuns field of the arm64 paths
// (i8_im2col_arm64.s): each run as 8-byte words, the last ending at the
// run's end.
//
//go:noescape
func i8Im2colRunsARM64(out, in *byte, n, run, rows, step, pitch, k int)
