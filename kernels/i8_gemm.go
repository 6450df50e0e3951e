package kernels

import (
	"fmt"
	"math"
	"slices"
)

// This file is the API of the int8 kernels. They follow the int8 scheme of
// package quant (the definition of every result): int8 weights in
// [-127, 127] with zero point 0, int8 activations with a zero point,
// accumulation in int32, and quant.Requantize as the epilogue.

// Requant is the epilogue of an int8 GEMM or convolution, per output channel
// (row) i of the weights:
//
//	acc    = Bias[i] + Σ_p W[i][p] * X[p][j]                     (int32, wrapping)
//	C[i][j] = quant.Requantize(acc, Multiplier[i], int(Shift[i]), ZeroPoint, Min, Max)
//
// Bias must already hold the input zero point folded in, as
// FoldZeroPoint returns it: Bias[i] = qbias[i] - inZP*Σ_p W[i][p],
// so that the X values enter the sum as they are stored. Multiplier and Shift
// are the Q31 output multipliers of quant.OutputMultipliers: the factor is
// Multiplier[i] * 2^(Shift[i]-31), a positive shift meaning a left shift.
// Shift is an []int32, not quant's int, so that an assembly epilogue loads
// the shifts of a tile of channels into vector lanes beside their
// multipliers, as ruy does. Bias, Multiplier and Shift hold at least one
// value per row of the weights. A Requant is read-only to the kernels and may
// be shared by concurrent calls.
type Requant struct {
	Bias       []int32 // per output channel, with the input zero point folded in
	Multiplier []int32 // per output channel, Q31
	Shift      []int32 // per output channel, in [-31, 31], positive = left
	ZeroPoint  int32   // output zero point, in [-128, 127]
	Min, Max   int32   // output clamp (fused ReLU/ReLU6), -128 <= Min <= Max <= 127
}

// check panics unless rq holds m rows of valid parameters.
func (rq *Requant) check(fn string, m int) {
	if rq == nil {
		panic(fmt.Sprintf("kernels: %s: nil Requant", fn))
	}
	if len(rq.Bias) < m || len(rq.Multiplier) < m || len(rq.Shift) < m {
		panic(fmt.Sprintf("kernels: %s: Requant has %d biases, %d multipliers, %d shifts for %d output channels",
			fn, len(rq.Bias), len(rq.Multiplier), len(rq.Shift), m))
	}
	if rq.Min < math.MinInt8 || rq.Max > math.MaxInt8 || rq.Min > rq.Max {
		panic(fmt.Sprintf("kernels: %s: Requant clamp [%d, %d] is not within [-128, 127]", fn, rq.Min, rq.Max))
	}
	if rq.ZeroPoint < math.MinInt8 || rq.ZeroPoint > math.MaxInt8 {
		panic(fmt.Sprintf("kernels: %s: Requant zero point %d is not within [-128, 127]", fn, rq.ZeroPoint))
	}
	for i, s := range rq.Shift[:m] {
		if s < -31 || s > 31 {
			panic(fmt.Sprintf("kernels: %s: Requant.Shift[%d] = %d is not within [-31, 31]", fn, i, s))
		}
	}
}

// PackedInt8 holds the int8 weights of a GEMM or convolution, an m×k matrix
// W (m output channels, k the reduction), packed once, at model load, into
// the layout that the int8 GEMM of the path in use reads, together with the
// sum of each row. The rows may be split into groups (grouped and depthwise
// convolution): see PackInt8Grouped. A PackedInt8 is immutable and may be
// shared by concurrent calls.
//
// The packed layout belongs to the path that was in use when the weights were
// packed, which the PackedInt8 points at. If Use later switches to a path
// with another int8 GEMM, GemmInt8 and ConvInt8 panic with a message that
// says so: pack the weights again after Use. (Repacking behind the caller's
// back would need the original weights and would write to an object that
// other goroutines read.)
type PackedInt8 struct {
	m, k, groups int
	path         *impl   // the path that packed it
	data         []int8  // the weights in its int8 GEMM's layout
	rowSums      []int32 // Σ_p W[i][p] per row i
	// prepared is what the path's kernels lay out from the weights and
	// the Requant last used with them (the pixel-major GEMM's epilogue
	// parameters on amd64), kept so that steady-state calls prepare
	// nothing.
	prepared rqCache[any]
}

// int8Impl is the int8 GEMM of a path.
type int8Impl struct {
	// pack returns w (m×k row-major, groups blocks of m/groups rows, values
	// in [-127, 127]) in this layout.
	pack func(w []int8, m, k, groups int) []int8
	// gemm is GemmInt8 for validated arguments, with n >= 1 and w packed in
	// this layout.
	gemm func(w *PackedInt8, x []int8, n, xRowStride, xColStride int, rq *Requant, c []int8, cRowStride, cColStride int)
	// gemmRows, if not nil, is the GEMM of the direct convolution path
	// (i8_conv_direct.go), whose X rows start at arbitrary ascending offsets:
	// for one group of weights, each segment s < segs and j < n,
	//     c[i*cRowStride + s*cSeg + j] = requant(Σ_r W[i][r] * x[s*xSeg + off[r] + j])
	// It may read up to a tile width of values past x[s*xSeg + off[r] + n-1]
	// when they lie inside x.
	gemmRows func(w *PackedInt8, x []int8, off []int32, n, segs, xSeg int, rq *Requant, c []int8, cRowStride, cSeg int)
	// tile is the columns of gemmRows' tiles, and rowRunMACs how many
	// multiply-adds take about as long as one run of im2col (one kernel
	// tap of one output row): directConv weighs the two.
	tile, rowRunMACs int
}

// PackInt8 packs the m×k row-major int8 weight matrix w (m output channels,
// k values each) for GemmInt8 and ConvInt8 on the path in use. Weights must
// lie in [-127, 127] (quant.QuantizeWeights never produces -128; the NEON
// kernels rely on it): PackInt8 panics on -128, and if m < 1, k < 1 or w is
// shorter than m*k.
func PackInt8(w []int8, m, k int) *PackedInt8 {
	return packInt8("PackInt8", w, m, k, 1)
}

// PackInt8Grouped is PackInt8 for a grouped convolution: the m rows of w
// form groups consecutive blocks of m/groups rows, and block g multiplies
// rows g*k ... g*k+k-1 of X (see GemmInt8). Weights of a convolution with
// groups, laid out [out, C/groups, KH, KW], are such a matrix with m = out
// and k = C/groups*KH*KW. groups must divide m.
func PackInt8Grouped(w []int8, m, k, groups int) *PackedInt8 {
	return packInt8("PackInt8Grouped", w, m, k, groups)
}

func packInt8(fn string, w []int8, m, k, groups int) *PackedInt8 {
	if m < 1 || k < 1 || groups < 1 || m%groups != 0 {
		panic(fmt.Sprintf("kernels: %s: bad shape m=%d k=%d groups=%d (want m, k >= 1 and groups dividing m)", fn, m, k, groups))
	}
	if len(w) < m*k {
		panic(fmt.Sprintf("kernels: %s: len(w)=%d < %d for %d×%d", fn, len(w), m*k, m, k))
	}
	w = w[:m*k]
	sums := make([]int32, m)
	for i := range m {
		for p, v := range w[i*k : (i+1)*k] {
			if v == math.MinInt8 {
				panic(fmt.Sprintf("kernels: %s: weight (%d, %d) is -128; int8 weights must lie in [-127, 127]", fn, i, p))
			}
			sums[i] += int32(v)
		}
	}
	p := active.Load()
	return &PackedInt8{m: m, k: k, groups: groups, path: p, data: p.i8.pack(w, m, k, groups), rowSums: sums}
}

// Rows returns m, the number of rows (output channels) of the weights.
func (p *PackedInt8) Rows() int { return p.m }

// Bytes returns the memory the packed weights and their row sums hold,
// and what a path's kernels lay out on the first call with a Requant (at
// most 28 bytes per row, rounded up to 16 rows per group).
func (p *PackedInt8) Bytes() int {
	return len(p.data) + 4*len(p.rowSums) + 28*p.groups*roundUp(p.m/p.groups, 16)
}

// Cols returns k, the number of columns of the weights: the length of the
// reduction of each group.
func (p *PackedInt8) Cols() int { return p.k }

// Groups returns the number of groups the rows are split into (1 unless
// packed by PackInt8Grouped).
func (p *PackedInt8) Groups() int { return p.groups }

// RowSums returns a copy of the sums of the rows of the weights: element i
// is Σ_p W[i][p].
func (p *PackedInt8) RowSums() []int32 { return slices.Clone(p.rowSums) }

// FoldZeroPoint returns the biases for Requant.Bias: element i is
// bias[i] - inZeroPoint*rowSums[i], computed in int32 with wrap-around (two's
// complement, as Go's int32 arithmetic), where rowSums is
// PackedInt8.RowSums of the weights. Because the accumulator wraps the same
// way, the final acc equals that of the definition,
// bias[i] + Σ_p (X[p][j]-inZeroPoint)*W[i][p], whenever the latter fits in
// int32 (see quant's package documentation). A nil bias counts as zeros;
// otherwise it must be as long as rowSums. The result is a new slice.
func FoldZeroPoint(bias, rowSums []int32, inZeroPoint int32) []int32 {
	if bias != nil && len(bias) != len(rowSums) {
		panic(fmt.Sprintf("kernels: FoldZeroPoint: len(bias)=%d, but %d row sums", len(bias), len(rowSums)))
	}
	out := make([]int32, len(rowSums))
	for i, s := range rowSums {
		var b int32
		if bias != nil {
			b = bias[i]
		}
		out[i] = b - inZeroPoint*s
	}
	return out
}

// GemmInt8 computes the int8 product C = requant(W·X) for the packed m×k
// weights W and the int8 matrix X, with its epilogue fused: for row i of W
// (in group g = i/(m/groups)) and column j < n of X,
//
//	acc = rq.Bias[i] + Σ_{p<k} W[i][p] * X[g*k+p][j]      (int32, wrapping)
//	C[i][j] = quant.Requantize(acc, rq.Multiplier[i], int(rq.Shift[i]), rq.ZeroPoint, rq.Min, rq.Max)
//
// X has groups*k rows and n columns; element (p, j) is
// x[p*xRowStride + j*xColStride], and element (i, j) of C is stored at
// c[i*cRowStride + j*cColStride]. The two layouts in use are:
//
//	convolution, X the im2col matrix [k][n] and C the image [m][n]:
//	    xRowStride = n, xColStride = 1; cRowStride = n, cColStride = 1
//	fully connected, X the batch [n][k] and C the output [n][m]:
//	    xRowStride = 1, xColStride = k; cRowStride = 1, cColStride = m
//
// The strides must be >= 1 and C must not overlap X. GemmInt8 may read any
// value of x, also outside the matrix (such values do not change C), so no
// part of x may be written while it runs. GemmInt8 allocates nothing. It panics if a slice is too short, rq is invalid (see Requant), or
// w was packed for a layout the path in use does not read (see PackedInt8).
func GemmInt8(w *PackedInt8, x []int8, n, xRowStride, xColStride int, rq *Requant, c []int8, cRowStride, cColStride int) {
	i8 := checkGemmInt8("GemmInt8", w, n, rq)
	if n == 0 {
		return
	}
	if xRowStride < 1 || xColStride < 1 || cRowStride < 1 || cColStride < 1 {
		panic(fmt.Sprintf("kernels: GemmInt8: strides must be >= 1: x (%d, %d), c (%d, %d)", xRowStride, xColStride, cRowStride, cColStride))
	}
	rows := w.groups * w.k
	if need := (rows-1)*xRowStride + (n-1)*xColStride + 1; len(x) < need {
		panic(fmt.Sprintf("kernels: GemmInt8: len(x)=%d < %d for %d×%d with strides (%d, %d)", len(x), need, rows, n, xRowStride, xColStride))
	}
	if need := (w.m-1)*cRowStride + (n-1)*cColStride + 1; len(c) < need {
		panic(fmt.Sprintf("kernels: GemmInt8: len(c)=%d < %d for %d×%d with strides (%d, %d)", len(c), need, w.m, n, cRowStride, cColStride))
	}
	i8.gemm(w, x, n, xRowStride, xColStride, rq, c, cRowStride, cColStride)
}

// checkGemmInt8 validates the arguments common to GemmInt8 and ConvInt8 and
// returns the int8 kernels of the path in use.
func checkGemmInt8(fn string, w *PackedInt8, n int, rq *Requant) *int8Impl {
	if w == nil {
		panic(fmt.Sprintf("kernels: %s: nil weights", fn))
	}
	if n < 0 {
		panic(fmt.Sprintf("kernels: %s: negative n=%d", fn, n))
	}
	a := active.Load()
	if w.path.i8 != a.i8 {
		panic(fmt.Sprintf("kernels: %s: the weights were packed for path %s, but %s is in use: pack them again after kernels.Use",
			fn, w.path.name, a.name))
	}
	rq.check(fn, w.m)
	return a.i8
}

// Im2colInt8 is Im2col for int8 images: it unfolds the [C, H, W] image src
// into dst, a row-major [C*KH*KW, OutH*OutW] matrix whose element
// ((c*KH+kh)*KW+kw, oh*OutW+ow) is src[c, oh*SH-PadT+kh, ow*SW-PadL+kw], or
// padValue where that cell is padding. Pass the input zero point as padValue:
// it is the quantized real 0, so padding adds nothing to a convolution.
func Im2colInt8(src []int8, g ConvGeom, padValue int8, dst []int8) {
	g.check("Im2colInt8", len(src), g.C*g.H*g.W, len(dst), g.C*g.KH*g.KW*g.OutH*g.OutW)
	im2colInt8Rows(src, g, padValue, dst, 0, g.OutH)
}

// ConvInt8 computes one image of an int8 convolution with groups:
// dst ([out, OutH, OutW]) = requant(w ∗ src), where src is [C, H, W] with
// zero point inZeroPoint, w holds the weights [out, C/groups, KH, KW] packed
// by PackInt8Grouped(weights, out, C/groups*KH*KW, groups) (or PackInt8 when
// groups is 1), and rq is the epilogue of the out channels, its Bias folded
// with inZeroPoint. Padding cells count as inZeroPoint, that is, as real 0.
//
// It is Im2colInt8 into col, then one GemmInt8 over the groups: the rows of
// col for group g are rows g*k ... g*k+k-1, k = C/groups*KH*KW; or, for a
// stride-1 convolution with few input channels on a SIMD path, the direct
// path of i8_conv_direct.go, which skips im2col. col is scratch for at least
// C*KH*KW*OutH*OutW values; a 1×1 convolution with stride 1 and no padding
// reads src directly and may pass a nil col. dst must not overlap src or
// col. ConvInt8 allocates nothing.
//
// ConvInt8 is PrepareConvInt8 followed by ConvInt8Rows over all the output
// rows; threads sharing one image call those two instead.
func ConvInt8(src, dst []int8, w *PackedInt8, rq *Requant, g ConvGeom, col []int8, inZeroPoint int8) {
	i8 := checkConvInt8("ConvInt8", src, dst, w, rq, g)
	if g.OutH*g.OutW == 0 {
		return
	}
	prepareConv("ConvInt8", i8, src, w, g, col, inZeroPoint)
	convRows(i8, src, col, dst, w, rq, g, inZeroPoint, 0, g.OutH)
}

// PrepareConvInt8 writes into col what every call of ConvInt8Rows reads for
// the image src: the padded image of the direct path, or nothing otherwise
// (each ConvInt8Rows unfolds the columns of the im2col matrix its rows
// need, so threads share that work). Arguments are ConvInt8's.
func PrepareConvInt8(src []int8, w *PackedInt8, g ConvGeom, col []int8, inZeroPoint int8) {
	if w == nil {
		panic("kernels: PrepareConvInt8: nil weights")
	}
	g.check("PrepareConvInt8", len(src), g.C*g.H*g.W, 0, 0)
	prepareConv("PrepareConvInt8", active.Load().i8, src, w, g, col, inZeroPoint)
}

// ConvInt8Rows computes output rows [oh0, oh1) of every output channel of
// ConvInt8(src, dst, w, rq, g, col, inZeroPoint), with col as
// PrepareConvInt8 left it. Calls on disjoint row ranges may run concurrently: they read src and
// what PrepareConvInt8 wrote, and write disjoint parts of col and dst.
func ConvInt8Rows(src, dst []int8, w *PackedInt8, rq *Requant, g ConvGeom, col []int8, inZeroPoint int8, oh0, oh1 int) {
	i8 := checkConvInt8("ConvInt8Rows", src, dst, w, rq, g)
	if oh0 < 0 || oh1 > g.OutH || oh0 > oh1 {
		panic(fmt.Sprintf("kernels: ConvInt8Rows: rows [%d, %d) outside [0, %d)", oh0, oh1, g.OutH))
	}
	if oh0 == oh1 || g.OutW == 0 {
		return
	}
	if !g.pointwise() {
		g.checkCol("ConvInt8Rows", col)
	}
	convRows(i8, src, col, dst, w, rq, g, inZeroPoint, oh0, oh1)
}

// checkConvInt8 validates the arguments of a convolution and returns the
// int8 kernels of the path in use.
func checkConvInt8(fn string, src, dst []int8, w *PackedInt8, rq *Requant, g ConvGeom) *int8Impl {
	i8 := checkGemmInt8(fn, w, g.OutH*g.OutW, rq)
	if w.groups*w.k != g.C*g.KH*g.KW {
		panic(fmt.Sprintf("kernels: %s: weights of %d groups × %d values per output channel do not match %d channels of %d×%d windows",
			fn, w.groups, w.k, g.C, g.KH, g.KW))
	}
	g.check(fn, len(src), g.C*g.H*g.W, len(dst), w.m*g.OutH*g.OutW)
	return i8
}

// pointwise reports whether the convolution g reads its image as the GEMM's
// X in place: 1×1, stride 1, no padding.
func (g ConvGeom) pointwise() bool {
	return g.KH == 1 && g.KW == 1 && g.SH == 1 && g.SW == 1 && g.PadT == 0 && g.PadL == 0 && g.OutH == g.H && g.OutW == g.W
}

// prepareConv is PrepareConvInt8 on the path whose kernels are i8; fn
// names the caller in panics.
func prepareConv(fn string, i8 *int8Impl, src []int8, w *PackedInt8, g ConvGeom, col []int8, inZeroPoint int8) {
	if g.pointwise() {
		return
	}
	g.checkCol(fn, col)
	if directConv(i8, w, g) {
		prepareDirect(src, g, col, inZeroPoint)
	}
}

// convRows is ConvInt8Rows on the path whose kernels are i8, for a
// non-empty range of rows, with col checked.
func convRows(i8 *int8Impl, src, col, dst []int8, w *PackedInt8, rq *Requant, g ConvGeom, inZeroPoint int8, oh0, oh1 int) {
	p := g.OutH * g.OutW
	switch {
	case g.pointwise():
		i8.gemm(w, src[oh0*g.OutW:], (oh1-oh0)*g.OutW, p, 1, rq, dst[oh0*g.OutW:], p, 1)
	case directConv(i8, w, g):
		convDirectRows(i8, col, dst, w, rq, g, oh0, oh1)
	default:
		im2colInt8Rows(src, g, inZeroPoint, col, oh0, oh1)
		i8.gemm(w, col[oh0*g.OutW:], (oh1-oh0)*g.OutW, p, 1, rq, dst[oh0*g.OutW:], p, 1)
	}
}

// checkCol panics unless col can hold the im2col matrix of g, the size
// ConvInt8 asks of its scratch.
func (g ConvGeom) checkCol(fn string, col []int8) {
	if need := g.C * g.KH * g.KW * g.OutH * g.OutW; len(col) < need {
		panic(fmt.Sprintf("kernels: %s: col has %d values, need %d for %+v", fn, len(col), need, g))
	}
}

// checkPool panics unless g is a valid pooling geometry for src and dst and
// no window lies entirely in the padding. Windows move monotonically, so the
// first and the last in each direction decide.
func (g ConvGeom) checkPool(fn string, srcLen, dstLen int) {
	g.check(fn, srcLen, g.C*g.H*g.W, dstLen, g.C*g.OutH*g.OutW)
	if g.OutH == 0 || g.OutW == 0 || g.C == 0 {
		return
	}
	if !g.noEmptyWindow() {
		panic(fmt.Sprintf("kernels: %s: a window of %+v lies entirely in the padding", fn, g))
	}
}

// noEmptyWindow reports whether every window of g has a cell inside the
// image.
func (g ConvGeom) noEmptyWindow() bool {
	return g.PadT < g.KH && g.PadL < g.KW && (g.OutH-1)*g.SH-g.PadT < g.H && (g.OutW-1)*g.SW-g.PadL < g.W
}

// MaxPoolInt8 writes into dst ([C, OutH, OutW]) the maximum of each window
// of src ([C, H, W]). Padding cells are ignored. Input and output share their
// quantization parameters, so no requantization happens. It panics if a
// window lies entirely in the padding.
func MaxPoolInt8(src, dst []int8, g ConvGeom) {
	g.checkPool("MaxPoolInt8", len(src), len(dst))
	if g.inside() {
		if mp := active.Load().maxPool; mp == nil || !mp(src, dst, g) {
			maxPoolInt8Inside(src, dst, g)
		}
		return
	}
	maxPoolInt8Generic(src, dst, g)
}

// AvgPoolInt8 writes into dst ([C, OutH, OutW]) the mean of each window of
// src ([C, H, W]) over the cells inside the image (padding is excluded from
// both the sum and the count), rounded to the nearest integer with ties away
// from zero (-2.5 gives -3, 2.5 gives 3). Input and output share their
// quantization parameters, as in TFLite, so the zero point needs no
// correction. It panics if a window lies entirely in the padding.
func AvgPoolInt8(src, dst []int8, g ConvGeom) {
	g.checkPool("AvgPoolInt8", len(src), len(dst))
	if g.inside() {
		avgPoolInt8Inside(src, dst, g)
		return
	}
	avgPoolInt8Generic(src, dst, g)
}

// LookupInt8 maps every element through a 256-entry table:
// dst[i] = table[uint8(src[i])], so table[0] ... table[127] are the images
// of 0 ... 127 and table[128] ... table[255] those of -128 ... -1. It
// implements any element-wise int8 function (ReLU, ReLU6, Tanh, Sigmoid with
// their requantization). dst must be at least as long as src; dst and src may
// be the same slice. The destination comes first, as in copy and
// quant.QuantizeSlice.
func LookupInt8(dst, src []int8, table *[256]int8) {
	if len(dst) < len(src) {
		panic(fmt.Sprintf("kernels: LookupInt8: len(dst)=%d < len(src)=%d", len(dst), len(src)))
	}
	lookupInt8Generic(dst, src, table)
}
