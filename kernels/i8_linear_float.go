package kernels

import (
	"fmt"

	"github.com/edgecnn/edgecnn/quant"
)

// LinearInt8Float is a fully connected layer on int8 weights and inputs
// whose outputs are float32, dequantized from the int32 accumulators with
// no int8 rounding (a classifier's logits): for sample j < n and output
// i < m,
//
//	acc      = bias[i] + Σ_{p<k} w[i*k+p] * x[j*k+p]      (int32, wrapping)
//	y[j*ldy+i] = quant.DequantizeAccumulator(acc, scale[i])
//
// w is the m×k row-major weight matrix (not packed), x the batch [n][k] and
// y the outputs, sample j's at y[j*ldy:], ldy >= m (a block of rows of a
// larger layer writes into its outputs). bias holds the input zero point folded in, as
// FoldZeroPoint returns it; scale is quant.AccumulatorScale per output.
// The dot products of four rows at a time run on the path's dot4 where it
// has one (dotprod: SDOT), else in Go. It panics if a slice is too short.
func LinearInt8Float(w []int8, m, k int, x []int8, n int, bias []int32, scale []float32, y []float32, ldy int) {
	if m < 1 || k < 1 || n < 0 || ldy < m || len(w) < m*k || len(x) < n*k || len(bias) < m || len(scale) < m ||
		n > 0 && len(y) < (n-1)*ldy+m {
		panic(fmt.Sprintf("kernels: LinearInt8Float: %d×%d weights (%d given), %d samples (%d values), %d biases, %d scales, %d outputs %d apart",
			m, k, len(w), n, len(x), len(bias), len(scale), len(y), ldy))
	}
	dot4 := dot4Int8
	if d := active.Load().dot4; d != nil {
		dot4 = d
	}
	for j := range n {
		xj, yj := x[j*k:(j+1)*k], y[j*ldy:j*ldy+m]
		i := 0
		for ; i+4 <= m; i += 4 {
			a := dot4(w[i*k:(i+4)*k], xj)
			for r, v := range a {
				yj[i+r] = quant.DequantizeAccumulator(bias[i+r]+v, scale[i+r])
			}
		}
		for ; i < m; i++ {
			yj[i] = quant.DequantizeAccumulator(bias[i]+dotInt8(w[i*k:(i+1)*k], xj), scale[i])
		}
	}
}

// dot4Int8 returns the dot products of the four rows of w (4×len(x),
// row-major) with x, in int32 with wrap-around: each value of x is loaded
// once for the four rows.
func dot4Int8(w, x []int8) [4]int32 {
	k := len(x)
	w0, w1, w2, w3 := w[:k], w[k:2*k], w[2*k:3*k], w[3*k:4*k]
	var s0, s1, s2, s3 int32
	for p, v := range x {
		xv := int32(v)
		s0 += int32(w0[p]) * xv
		s1 += int32(w1[p]) * xv
		s2 += int32(w2[p]) * xv
		s3 += int32(w3[p]) * xv
	}
	return [4]int32{s0, s1, s2, s3}
}
