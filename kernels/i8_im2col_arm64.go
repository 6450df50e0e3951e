//go:build !purego

package kernels

// im2colRunsARM64 is the im2colRuns field of the arm64 paths: runs of up
// to 16 bytes as two words with no loop over words (a 3-channel stem's
// 9), longer ones word by word.
func im2colRunsARM64(out, in *byte, n, run, rows, step, pitch, k int) {
	if run <= 16 {
		i8Im2colRuns16ARM64(out, in, n, run, rows, step, pitch, k)
		return
	}
	i8Im2colRunsARM64(out, in, n, run, rows, step, pitch, k)
}

// i8Im2colRunsARM64 copies each run as 8-byte words, the last ending at
// the run's end (i8_im2col_arm64.s).
//
//go:noescape
func i8Im2colRunsARM64(out, in *byte, n, run, rows, step, pitch, k int)

// i8Im2colRuns16ARM64 is i8Im2colRunsARM64 for runs of 8 to 16 bytes, as
// two words (i8_im2col_arm64.s).
//
//go:noescape
func i8Im2colRuns16ARM64(out, in *byte, n, run, rows, step, pitch, k int)
