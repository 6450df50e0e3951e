//go:build !purego

package kernels

// The int8 addition and HWC max pool of the neon and dotprod paths
// (i8_add_arm64.s): AddInt8 16 elements per step, each input centred,
// shifted left by AddLeftShift, scaled with SQRDMULH and a rounding shift
// in int32 lanes, summed and scaled to the output; MaxPoolInt8HWC with
// SMAX over the window's taps, 16 channels at a time.

// The template shifts by 20: AddLeftShift must stay 20 (the two
// constants below do not compile otherwise).
const (
	_ = uint(AddLeftShift - 20)
	_ = uint(20 - AddLeftShift)
)

// addArgsNEON is an AddParams for i8AddNEON, read at the offsets go_asm.h
// gives: the right shifts negative, as SRSHL takes them.
type addArgsNEON struct {
	zpA, zpB, multA, multB, multOut, rightA, rightB, rightOut int32
	zpOut, lo, hi                                             int32
}

// addInt8NEON is the add field of the arm64 paths: the whole steps of 16
// elements when no multiplier shifts left and the input zero points are
// int8 values (always, for the parameters the engine derives).
func addInt8NEON(dst, a, b []int8, p *AddParams) int {
	steps := len(dst) / 16
	if steps == 0 || p.InShift[0] > 0 || p.InShift[1] > 0 || p.OutShift > 0 ||
		p.InZeroPoint[0] != int32(int8(p.InZeroPoint[0])) || p.InZeroPoint[1] != int32(int8(p.InZeroPoint[1])) {
		return 0
	}
	v := addArgsNEON{zpA: p.InZeroPoint[0], zpB: p.InZeroPoint[1], multA: p.InMultiplier[0], multB: p.InMultiplier[1],
		multOut: p.OutMultiplier, rightA: p.InShift[0], rightB: p.InShift[1], rightOut: p.OutShift,
		zpOut: p.OutZeroPoint, lo: p.Min, hi: p.Max}
	i8AddNEON(&dst[0], &a[0], &b[0], steps, &v)
	return 16 * steps
}

// i8AddNEON computes steps*16 elements of AddInt8.
//
//go:noescape
func i8AddNEON(dst, a, b *int8, steps int, v *addArgsNEON)

// i8MaxPoolHWCNEON is the maxPoolHWC field of the arm64 paths.
//
//go:noescape
func i8MaxPoolHWCNEON(a *poolArgs)
