package kernels

import "fmt"

// ResampleRowsU8 is the vertical pass of a separable fixed-point
// resampler (package preprocess's PIL filter): it sets
//
//	out[i] = clamp((1<<(shift-1) + sum_j k[j]*src[j*stride+i]) >> shift)
//
// for every i, clamp saturating to 0..255, in int32 arithmetic that wraps
// as Go's does, so that every path gives the same bytes for any weights.
// k holds at least one weight and shift is 1 to 31.
func ResampleRowsU8(out, src []uint8, stride int, k []int32, shift uint) {
	if len(out) == 0 {
		return
	}
	if len(k) == 0 || shift < 1 || shift > 31 || stride < 0 || len(src) < (len(k)-1)*stride+len(out) {
		panic(fmt.Sprintf("kernels.ResampleRowsU8: %d outputs from %d bytes, %d taps of stride %d, shift %d", len(out), len(src), len(k), stride, shift))
	}
	done := 0
	if rows := active.Load().resampleRows; rows != nil {
		done = rows(out, src, stride, k, shift)
	}
	if done < len(out) {
		resampleRowsGeneric(out[done:], src[done:], stride, k, shift)
	}
}

// resampleRowsGeneric is the definition of ResampleRowsU8.
func resampleRowsGeneric(out, src []uint8, stride int, k []int32, shift uint) {
	half := int32(1) << (shift - 1)
	if len(k) <= 5 {
		// Up to 5 taps (a resampler shrinking by up to 2), in one pass:
		// the taps past the count weigh 0 on the first row.
		var w [5]int32
		var rows [5][]uint8
		for j := range rows {
			rows[j] = src[:len(out)]
		}
		for j, v := range k {
			w[j], rows[j] = v, src[j*stride:j*stride+len(out)]
		}
		n := len(out)
		r0, r1, r2, r3, r4 := rows[0][:n], rows[1][:n], rows[2][:n], rows[3][:n], rows[4][:n]
		for i, v := range r0 {
			out[i] = clampShift(half+int32(v)*w[0]+int32(r1[i])*w[1]+int32(r2[i])*w[2]+int32(r3[i])*w[3]+int32(r4[i])*w[4], shift)
		}
		return
	}
	var acc [256]int32
	for lo := 0; lo < len(out); lo += len(acc) {
		n := min(len(acc), len(out)-lo)
		a := acc[:n]
		for i := range a {
			a[i] = half
		}
		for j, w := range k {
			row := src[j*stride+lo : j*stride+lo+n]
			for i, v := range row {
				a[i] += int32(v) * w
			}
		}
		for i, v := range a {
			out[lo+i] = clampShift(v, shift)
		}
	}
}

// clampShift shifts v right (arithmetic) and clamps it to 0..255.
func clampShift(v int32, shift uint) uint8 {
	return clampU8(v >> shift)
}
