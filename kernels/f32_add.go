package kernels

import "fmt"

// AddF32 sets dst[i] = min(max(a[i]+b[i], lo), hi) with Go's max and min:
// the float32 residual add with a fused ReLU (lo = 0, hi = +Inf) or ReLU6
// (hi = 6); -Inf and +Inf clamp nothing. dst may be a or b.
func AddF32(dst, a, b []float32, lo, hi float32) {
	if len(a) != len(dst) || len(b) != len(dst) {
		panic(fmt.Sprintf("kernels.AddF32: lengths %d + %d -> %d", len(a), len(b), len(dst)))
	}
	done := 0
	if add := active.Load().addF32; add != nil {
		done = add(dst, a, b, lo, hi)
	}
	addF32Generic(dst[done:], a[done:], b[done:], lo, hi)
}

// addF32Generic is the definition of AddF32.
func addF32Generic(dst, a, b []float32, lo, hi float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = min(max(a[i]+b[i], lo), hi)
	}
}
