//go:build !purego

package kernels

// The int8 addition of the amd64 paths (i8_add_amd64.s), AVX2: 16
// elements per step, each input centred, shifted left by AddLeftShift and
// scaled by its multiplier (the doubling high multiply, then the rounding
// divide), summed and scaled to the output, in int32 lanes, with every
// parameter broadcast from addArgs.

// addArgs is an AddParams laid out as the vectors the kernel reads, at
// the offsets go_asm.h gives.
type addArgs struct {
	zpA, zpB, multA, multB, multOut          [8]int32
	maskA, halfA, maskB, halfB, maskO, halfO [8]int32
	round                                    [4]int64 // 2^30
	zpOut                                    [16]int16
	lo, hi                                   [16]int8
	rightA, rightB, rightOut                 int64
}

// addInt8AVX2 is the add field of the amd64 paths: it runs the whole
// steps of 16 elements when no multiplier shifts left (always, for the
// parameters the engine derives: every scale ratio is below 1).
func addInt8AVX2(dst, a, b []int8, p *AddParams) int {
	steps := len(dst) / 16
	if steps == 0 || p.InShift[0] > 0 || p.InShift[1] > 0 || p.OutShift > 0 {
		return 0
	}
	var v addArgs
	fill := func(d *[8]int32, x int32) {
		for i := range d {
			d[i] = x
		}
	}
	mask := func(right int32) (int32, int32) { m := int32(int64(1)<<right - 1); return m, m >> 1 }
	fill(&v.zpA, p.InZeroPoint[0])
	fill(&v.zpB, p.InZeroPoint[1])
	fill(&v.multA, p.InMultiplier[0])
	fill(&v.multB, p.InMultiplier[1])
	fill(&v.multOut, p.OutMultiplier)
	ma, ha := mask(-p.InShift[0])
	mb, hb := mask(-p.InShift[1])
	mo, ho := mask(-p.OutShift)
	fill(&v.maskA, ma)
	fill(&v.halfA, ha)
	fill(&v.maskB, mb)
	fill(&v.halfB, hb)
	fill(&v.maskO, mo)
	fill(&v.halfO, ho)
	for i := range v.round {
		v.round[i] = 1 << 30
	}
	for i := range v.zpOut {
		v.zpOut[i] = int16(p.OutZeroPoint)
		v.lo[i], v.hi[i] = int8(p.Min), int8(p.Max)
	}
	v.rightA, v.rightB, v.rightOut = int64(-p.InShift[0]), int64(-p.InShift[1]), int64(-p.OutShift)
	i8AddAVX2(&dst[0], &a[0], &b[0], steps, &v)
	return 16 * steps
}

// i8AddAVX2 computes steps*16 elements of AddInt8 (i8_add_amd64.s).
//
//go:noescape
func i8AddAVX2(dst, a, b *int8, steps int, v *addArgs)
