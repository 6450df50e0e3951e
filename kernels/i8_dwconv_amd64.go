//go:build !purego

package kernels

import "encoding/binary"

// The int8 depthwise convolution of the amd64 paths (i8_dwconv_amd64.s):
// one kernel, AVX2, for avx2, avxvnni and vnni alike. Per tap it
// sign-extends 16 channels to int16 (one VPMOVSXBW from memory) and
// multiplies them twice with VPMADDWD, by the even channels' weights with
// zeros between them and by the odd channels' likewise: each product
// lands alone in an int32 lane, exactly, even channels in one accumulator
// and odd ones in another. Interleaving two taps into int16 pairs instead
// would halve the multiplies but double the shuffles, and on Zen 3
// (llvm-mca -mcpu=znver3) shuffles and shifts share two ports while
// multiplies have two of their own. (VNNI's VPDPBUSD adds four byte
// products per lane, which would need four taps of one channel in
// adjacent bytes: a transposition per pixel.)
//
// The kernel walks the channels 16 at a time, the last 8 of a count that
// is 8 more than a multiple of 16 as a 16-channel block loaded and stored
// 8 bytes at a time, and for each block all the pixels of a run, so that
// the block's weights and requantize parameters stay in L1 across it.

// dwAVX2 computes channels in units of 8.
var dwAVX2 = &dwImpl{lanes: 8, prepare: prepareDwAVX2, run: runDwAVX2}

// The record of a block of 16 channels is taps units of weights, then the
// dwLane* parameters, a unit each. A unit is 64 bytes: 8 int32 (or 16
// int16) for the even channels 0, 2, ..., 14, then 8 for the odd ones.
// Tap t's unit holds, as int16, the even channels' weights each followed
// by a zero, then a zero before each odd channel's weight. Channels past
// the count are zero.
const (
	dwLaneBias    = iota // Requant.Bias
	dwLaneMult           // Requant.Multiplier
	dwLaneMultOdd        // lane j (even): the multiplier of lane j+1, for VPMULDQ's odd lanes
	dwLaneMask           // (1<<right)-1, right = max(-Shift, 0)
	dwLaneHalf           // mask>>1
	dwLaneRight          // right
	dwLaneLeft           // max(Shift, 0)
	dwLanes
)

// prepareDwAVX2 is dwImpl.prepare of the amd64 paths: the records of the
// channels' blocks, one after the other.
func prepareDwAVX2(w []int8, channels, taps int, l *i8Lanes) []byte {
	units := taps + dwLanes
	out := make([]byte, roundUp(channels, 16)/16*units*64)
	for b := 0; b < channels; b += 16 {
		rec := out[b/16*units*64:]
		for j := range min(16, channels-b) {
			c := b + j
			// Channel j sits in lane j/2 of half j%2 of each unit.
			lane := 32*(j%2) + 4*(j/2)
			for t := range taps {
				binary.LittleEndian.PutUint16(rec[t*64+lane+2*(j%2):], uint16(w[c*taps+t]))
			}
			put := func(field int, v int32) {
				binary.LittleEndian.PutUint32(rec[(taps+field)*64+lane:], uint32(v))
			}
			put(dwLaneBias, l.bias[c])
			put(dwLaneMult, l.mult[c])
			if (j/2)%2 == 0 && c+2 < b+min(16, channels-b) {
				put(dwLaneMultOdd, l.mult[c+2])
			}
			put(dwLaneMask, l.mask[c])
			put(dwLaneHalf, l.half[c])
			put(dwLaneRight, l.rsh[c])
			put(dwLaneLeft, l.lsh[c])
		}
	}
	return out
}

// runDwAVX2 is dwImpl.run of the amd64 paths.
func runDwAVX2(a *dwArgs) { i8Dw8cAVX2(a) }

// i8Dw8cAVX2 computes a run of a.n output pixels of a depthwise
// convolution, a.blocks*8 channels, as dwArgs describes it, from the
// records of prepareDwAVX2 (i8_dwconv_amd64.s). It reads and writes no
// byte past the a.blocks*8 channels of a pixel.
//
//go:noescape
func i8Dw8cAVX2(a *dwArgs)
