//go:build !purego

package kernels

// Register-only loops that measure the peak rate of the instruction
// sequences the int8 micro-kernels use, without loads or stores
// (peak_amd64.s). Each runs iters iterations; the benchmarks in
// peak_amd64_test.go turn them into MAC/s. They compute nothing useful.

// peakMaddwd runs the AVX2 inner loop's arithmetic on int16 operands: per
// iteration 12 VPMADDWD + 12 VPADDD (a 6×16 tile, two k values): 192 MACs.
//
//go:noescape
func peakMaddwd(iters int)

// peakSxMaddwd is peakMaddwd with a VPMOVSXBW before every VPMADDWD
// operand pair, as a kernel that sign-extends int8 in its inner loop would
// run: 192 MACs per iteration.
//
//go:noescape
func peakSxMaddwd(iters int)

// peakDpbusdZ runs 16 independent VPDPBUSD on ZMM registers per iteration
// (an 8×32 tile, four k values): 1024 MACs.
//
//go:noescape
func peakDpbusdZ(iters int)

// peakDpbusdY runs 12 independent VPDPBUSD on YMM registers per iteration:
// 384 MACs.
//
//go:noescape
func peakDpbusdY(iters int)
