//go:build !purego

package kernels

// biasClampAVX2 is the biasClamp field of the amd64 paths
// (f32_biasclamp_amd64.s): it takes every call but those with a NaN bound.
func biasClampAVX2(x []float32, rows, cols, ldx int, bias []float32, byCol bool, lo, hi float32) bool {
	if lo != lo || hi != hi || rows == 0 || cols == 0 {
		return rows == 0 || cols == 0
	}
	b := bias
	if b == nil {
		n := rows
		if byCol {
			n = cols
		}
		b = zeroF32(n)
	}
	f32BiasClampAVX2(&x[0], rows, cols, ldx, &b[0], byCol, lo, hi)
	return true
}

//go:noescape
func f32BiasClampAVX2(x *float32, rows, cols, ldx int, bias *float32, byCol bool, lo, hi float32)
