//go:build !purego

package kernels

// i8Im2colRunsAMD64 is the im2colRuns field of the amd64 paths
// (i8_im2col_amd64.s): each run as 8-byte words, the last ending at the
// run's end.
//
//go:noescape
func i8Im2colRunsAMD64(out, in *byte, n, run, rows, step, pitch, k int)
