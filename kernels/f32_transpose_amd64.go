//go:build !purego

package kernels

// transpose8Fast runs transpose8 in AVX2 (f32_transpose_amd64.s) on every
// amd64 path but generic (all of them require AVX2), eight columns at a
// time, and returns how many columns it did.
func transpose8Fast(t []float32, ldt int, r *[8][]float32) int {
	w := len(r[0]) / 8 * 8
	if w == 0 || active.Load() == genericImpl {
		return 0
	}
	var rows [8]*float32
	for k := range rows {
		rows[k] = &r[k][:w][0]
	}
	_ = t[(w-1)*ldt+7]
	f32Transpose8AVX2(&t[0], ldt, &rows, w)
	return w
}

//go:noescape
func f32Transpose8AVX2(t *float32, ldt int, rows *[8]*float32, w int)
