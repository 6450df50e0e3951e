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

// ResampleColsU8 is the horizontal pass of the same resampler: output i
// reads taps consecutive source bytes from first[i] on, with the weights
// laid out by tap (k[j*kstride+i] weighs src[first[i]+j]):
//
//	out[i] = clamp((1<<(shift-1) + sum_j k[j*kstride+i]*src[first[i]+j]) >> shift)
//
// in int32 arithmetic that wraps as Go's does. taps is at least 1, shift
// 1 to 31, and k holds (taps-1)*kstride+len(out) weights; a first[i]
// outside src (first[i]+taps past its end) panics as indexing does. The
// SIMD rows read 16 source bytes from a group of outputs' first input, so
// a source with 16 bytes of room past the last tap runs them to its end.
func ResampleColsU8(out, src []uint8, first, k []int32, kstride, taps int, shift uint) {
	n := len(out)
	if n == 0 {
		return
	}
	if taps < 1 || shift < 1 || shift > 31 || kstride < n || len(first) < n || len(k) < (taps-1)*kstride+n {
		panic(fmt.Sprintf("kernels.ResampleColsU8: %d outputs, %d firsts, %d weights of stride %d for %d taps, shift %d", n, len(first), len(k), kstride, taps, shift))
	}
	cols := active.Load().resampleCols
	for done := 0; done < n; {
		if cols != nil {
			done += cols(out[done:], src, first[done:n], k[done:], kstride, taps, shift)
		}
		// The Go loop takes a group the SIMD row left (its window too
		// wide or past the end of src), or all of them.
		next := n
		if cols != nil {
			next = min(done+8, n)
		}
		resampleColsGeneric(out[done:next], src, first[done:next], k[done:], kstride, taps, shift)
		done = next
	}
}

// resampleColsGeneric is the definition of ResampleColsU8.
func resampleColsGeneric(out, src []uint8, first, k []int32, kstride, taps int, shift uint) {
	half := int32(1) << (shift - 1)
	n := len(out)
	first = first[:n]
	// Shrinking by 1 to 2 and by 2 to 3, the common cases, unrolled.
	switch taps {
	case 5:
		k0, k1, k2, k3, k4 := k[:n], k[kstride:kstride+n], k[2*kstride:2*kstride+n], k[3*kstride:3*kstride+n], k[4*kstride:4*kstride+n]
		for i, f := range first {
			s := src[f : f+5 : f+5]
			out[i] = clampShift(half+int32(s[0])*k0[i]+int32(s[1])*k1[i]+int32(s[2])*k2[i]+int32(s[3])*k3[i]+int32(s[4])*k4[i], shift)
		}
		return
	case 7:
		k0, k1, k2, k3 := k[:n], k[kstride:kstride+n], k[2*kstride:2*kstride+n], k[3*kstride:3*kstride+n]
		k4, k5, k6 := k[4*kstride:4*kstride+n], k[5*kstride:5*kstride+n], k[6*kstride:6*kstride+n]
		for i, f := range first {
			s := src[f : f+7 : f+7]
			out[i] = clampShift(half+int32(s[0])*k0[i]+int32(s[1])*k1[i]+int32(s[2])*k2[i]+int32(s[3])*k3[i]+
				int32(s[4])*k4[i]+int32(s[5])*k5[i]+int32(s[6])*k6[i], shift)
		}
		return
	}
	for i, f := range first {
		acc := half
		for j, v := range src[f : int(f)+taps] {
			acc += int32(v) * k[j*kstride+i]
		}
		out[i] = clampShift(acc, shift)
	}
}
