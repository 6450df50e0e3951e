package kernels

import "fmt"

// TransposeF32 writes the transpose of the rows×cols row-major matrix a
// (leading dimension lda) into t, a cols×ldt row-major matrix:
// t[j*ldt+i] = a[i*lda+j] for i < rows and j < cols. The rest of each row
// of t, columns rows ... ldt-1, is set to zero, so that t can be handed to
// Sgemm with its rows padded to a multiple of the micro-kernel's width.
func TransposeF32(t []float32, ldt int, a []float32, lda, rows, cols int) {
	if rows < 0 || cols < 0 {
		panic(fmt.Sprintf("kernels: TransposeF32: negative dimension rows=%d cols=%d", rows, cols))
	}
	checkMatrix("TransposeF32", "A", rows, cols, a, lda)
	if ldt < max(rows, 1) {
		panic(fmt.Sprintf("kernels: TransposeF32: ldt=%d < %d rows", ldt, rows))
	}
	if len(t) < cols*ldt {
		panic(fmt.Sprintf("kernels: TransposeF32: len(t)=%d < %d for %d rows of %d", len(t), cols*ldt, cols, ldt))
	}
	transposeF32(t, ldt, a, lda, rows, cols)
}

// transposeBlock is how many columns of a transposeF32 turns into rows of t
// before it moves on, few enough that those rows stay in L1 while all of a's
// rows are read.
const transposeBlock = 64

// zeroRow stands in for the rows of a past its end, which give t's padding.
var zeroRow [transposeBlock]float32

// transposeF32 reads a eight rows at a time, so that each row of t gets
// eight consecutive values per pass and each row of a is read sequentially.
// The last rows and the padding go through the same loop, with zero rows
// standing in for the missing ones, as long as eight columns of t remain.
func transposeF32(t []float32, ldt int, a []float32, lda, rows, cols int) {
	var r [8][]float32
	for j0 := 0; j0 < cols; j0 += transposeBlock {
		w := min(transposeBlock, cols-j0)
		i0 := 0
		for ; i0+8 <= ldt; i0 += 8 {
			for k := range r {
				r[k] = zeroRow[:w]
				if i := i0 + k; i < rows {
					r[k] = a[i*lda+j0 : i*lda+j0+w]
				}
			}
			transpose8(t[j0*ldt+i0:], ldt, &r)
		}
		for j := range w {
			row := t[(j0+j)*ldt : (j0+j+1)*ldt]
			for i := i0; i < ldt; i++ {
				row[i] = 0
				if i < rows {
					row[i] = a[i*lda+j0+j]
				}
			}
		}
	}
}

// transpose8 writes the columns of the eight rows r, all of one length, as
// eight consecutive values of as many rows of t (ldt apart): as many as it
// can with transpose8Fast, the rest here.
func transpose8(t []float32, ldt int, r *[8][]float32) {
	r0 := r[0]
	r1, r2, r3 := r[1][:len(r0)], r[2][:len(r0)], r[3][:len(r0)]
	r4, r5, r6, r7 := r[4][:len(r0)], r[5][:len(r0)], r[6][:len(r0)], r[7][:len(r0)]
	for j := transpose8Fast(t, ldt, r); j < len(r0); j++ {
		d := t[j*ldt : j*ldt+8 : j*ldt+8]
		d[0], d[1], d[2], d[3] = r0[j], r1[j], r2[j], r3[j]
		d[4], d[5], d[6], d[7] = r4[j], r5[j], r6[j], r7[j]
	}
}
