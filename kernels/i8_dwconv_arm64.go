//go:build !purego

package kernels

import "encoding/binary"

// The int8 depthwise convolution of the neon and dotprod paths
// (i8_dwconv_arm64.s): 16 channels per step, each tap's int8 products in
// int16 (SMULL), two taps summed there, widened into int32 lanes, the
// requantize epilogue of the GEMM (SQRDMULH and a rounding shift) on the
// lanes; 3×3 windows have a kernel of their own with the weights in
// registers. The dot product instructions would need four taps of one
// channel in adjacent bytes, so dotprod runs the same kernels. Channels
// past the last multiple of 16 run in Go.
var dwNEON = &dwImpl{lanes: 16, prepare: prepareDwNEON, run: runDwNEON}

// prepareDwNEON lays out the record of each block of 16 channels: for each
// tap the 16 int8 weights, then the bias, the multiplier, the right shift
// (min(Shift, 0), negative, as SRSHL takes it) and the left shift
// (max(Shift, 0)), 16 int32 each.
func prepareDwNEON(w []int8, channels, taps int, l *i8Lanes) []byte {
	rec := taps*16 + 4*64
	out := make([]byte, channels/16*rec)
	for c := range channels {
		r := out[c/16*rec:]
		j := c % 16
		for t := range taps {
			r[t*16+j] = byte(w[c*taps+t])
		}
		lanes := r[taps*16:]
		for f, v := range []int32{l.bias[c], l.mult[c], -l.rsh[c], l.lsh[c]} {
			binary.LittleEndian.PutUint32(lanes[f*64+4*j:], uint32(v))
		}
	}
	return out
}

// runDwNEON is dwImpl.run of the arm64 paths.
func runDwNEON(a *dwArgs) {
	if a.taps == 9 {
		i8Dw16c9NEON(a)
		return
	}
	i8Dw16cNEON(a)
}

// i8Dw16cNEON computes a run of a.n output pixels, a.blocks*16 channels,
// as dwArgs describes it, from the records of prepareDwNEON
// (i8_dwconv_arm64.s). It overwrites a.off with the taps' pointers.
//
//go:noescape
func i8Dw16cNEON(a *dwArgs)

// i8Dw16c9NEON is i8Dw16cNEON for 9 taps.
//
//go:noescape
func i8Dw16c9NEON(a *dwArgs)
