package kernels

import (
	"fmt"
	"unsafe"
)

// Int8 convolution and pooling on HWC images ([H][W][C], channels
// innermost), the engine's layout for int8 networks: a convolution is then
// a pixel-major GemmInt8, X and C each a run of contiguous channels per
// pixel. A 1×1 convolution with stride 1 reads the image itself as X; any
// other unfolds it first (im2colHWC), each window tap a copy of C
// contiguous bytes. The weights' reduction runs over (kh, kw, c) in that
// order, so PackConvInt8HWC reorders PyTorch's [out][C][KH][KW].

// PackConvInt8HWC packs the int8 weights of a convolution, [out][cg][kh][kw]
// (cg = input channels per group), for ConvInt8HWC on the path in use:
// PackInt8Grouped of the weights reordered to [out][kh][kw][cg]. Weights
// must lie in [-127, 127].
func PackConvInt8HWC(w []int8, out, cg, kh, kw, groups int) *PackedInt8 {
	if out < 1 || cg < 1 || kh < 1 || kw < 1 || groups < 1 || out%groups != 0 {
		panic(fmt.Sprintf("kernels: PackConvInt8HWC: bad shape out=%d cg=%d kh=%d kw=%d groups=%d", out, cg, kh, kw, groups))
	}
	k := cg * kh * kw
	if len(w) < out*k {
		panic(fmt.Sprintf("kernels: PackConvInt8HWC: len(w)=%d < %d", len(w), out*k))
	}
	r := make([]int8, out*k)
	for o := range out {
		for c := range cg {
			for t := range kh * kw {
				r[o*k+t*cg+c] = w[(o*cg+c)*kh*kw+t]
			}
		}
	}
	return packInt8("PackConvInt8HWC", r, out, k, groups)
}

// ConvInt8HWC computes one image of an int8 convolution with groups on HWC
// images: src is [H][W][C] with zero point inZeroPoint, dst [OutH][OutW][out],
// w the weights packed by PackConvInt8HWC, rq the epilogue of the out
// channels with its Bias folded with inZeroPoint (FoldZeroPoint of
// w.RowSums()). Padding cells count as inZeroPoint. It computes what
// ConvInt8 computes on the same image in CHW order, and stores it in HWC
// order.
//
// col is scratch for the unfolded image, C*KH*KW*OutH*OutW values; a 1×1
// convolution with stride 1 and no padding reads src in place and may pass
// a nil col. dst must not overlap src or col. It allocates nothing once
// it has run with w and rq (see GemmInt8).
func ConvInt8HWC(src, dst []int8, w *PackedInt8, rq *Requant, g ConvGeom, col []int8, inZeroPoint int8) {
	checkConvInt8("ConvInt8HWC", src, dst, w, rq, g)
	convHWCRows(src, dst, w, rq, g, col, inZeroPoint, 0, g.OutH)
}

// ConvInt8HWCRows computes output rows [oh0, oh1) of ConvInt8HWC. Calls
// on disjoint rows may run concurrently: each unfolds its own rows of col.
func ConvInt8HWCRows(src, dst []int8, w *PackedInt8, rq *Requant, g ConvGeom, col []int8, inZeroPoint int8, oh0, oh1 int) {
	checkConvInt8("ConvInt8HWCRows", src, dst, w, rq, g)
	if oh0 < 0 || oh1 > g.OutH || oh0 > oh1 {
		panic(fmt.Sprintf("kernels: ConvInt8HWCRows: rows [%d, %d) outside [0, %d)", oh0, oh1, g.OutH))
	}
	convHWCRows(src, dst, w, rq, g, col, inZeroPoint, oh0, oh1)
}

// convHWCRows is ConvInt8HWCRows for checked arguments.
func convHWCRows(src, dst []int8, w *PackedInt8, rq *Requant, g ConvGeom, col []int8, inZP int8, oh0, oh1 int) {
	if oh0 == oh1 || g.OutW == 0 {
		return
	}
	p0, n := oh0*g.OutW, (oh1-oh0)*g.OutW
	if g.pointwise() {
		GemmInt8(w, src[p0*g.C:], n, 1, g.C, rq, dst[p0*w.m:], 1, w.m)
		return
	}
	g.checkCol("ConvInt8HWCRows", col)
	k := g.C * g.KH * g.KW
	im2colHWC(src, g, w.groups, inZP, col, oh0, oh1)
	// col ends at these rows: a GEMM may read a column's bytes past k
	// (they meet zero weights), and other threads write the next rows.
	GemmInt8(w, col[p0*k:(p0+n)*k], n, 1, k, rq, dst[p0*w.m:], 1, w.m)
}

// im2colHWC unfolds output rows [oh0, oh1) of the HWC image src into col,
// one row of C*KH*KW values per output pixel: for each group, for each
// tap (kh, kw), the group's channels of the input pixel under the tap, or
// padValue where it is padding. Without groups, the KW taps of a window
// row that lies inside the image are one run of KW*C values, which the
// pixels whose windows lie inside the image columns copy as such (a
// stem's im2col is most of its time outside the GEMM).
func im2colHWC(src []int8, g ConvGeom, groups int, padValue int8, col []int8, oh0, oh1 int) {
	// Output columns [ow0, ow1) have windows inside the image columns.
	ow0 := min(g.OutW, (g.PadL+g.SW-1)/g.SW)
	ow1 := ow0
	if g.W >= g.KW && groups == 1 {
		ow1 = max(ow0, min(g.OutW, (g.W-g.KW+g.PadL)/g.SW+1))
	}
	sb, cb := bytesOf(src), bytesOf(col)
	for oh := oh0; oh < oh1; oh++ {
		im2colHWCTaps(src, g, groups, padValue, col, oh, 0, ow0)
		im2colHWCRuns(sb, cb, g, byte(padValue), oh, ow0, ow1)
		im2colHWCTaps(src, g, groups, padValue, col, oh, ow1, g.OutW)
	}
}

// im2colHWCRuns is im2colHWC without groups for output pixels [ow0, ow1)
// of row oh, whose windows lie inside the image columns: one run of KW*C
// values per window row. Runs of 8 to 64 values (the stem's are 9) are
// copied as 8-byte words, the last one overlapping the one before, in a
// loop with no calls: a memmove call costs more than such a copy, and
// makes the loop keep its variables on the stack. Rows whose windows lie
// inside the image rows too go to the path's im2colRuns, where it has
// one, which copies the same words in assembly.
func im2colHWCRuns(sb, cb []byte, g ConvGeom, pad byte, oh, ow0, ow1 int) {
	k := g.C * g.KH * g.KW
	run, pitch := g.KW*g.C, g.W*g.C
	ih0 := oh*g.SH - g.PadT
	if run < 8 || run > 64 {
		for ow := ow0; ow < ow1; ow++ {
			at := ih0*pitch + (ow*g.SW-g.PadL)*g.C
			for kh := range g.KH {
				out := cb[(oh*g.OutW+ow)*k+kh*run:][:run]
				if uint(ih0+kh) < uint(g.H) {
					copy(out, sb[at+kh*pitch:])
				} else {
					fill(out, pad)
				}
			}
		}
		return
	}
	if copyRuns := active.Load().im2colRuns; copyRuns != nil && ow0 < ow1 && ih0 >= 0 && ih0+g.KH <= g.H {
		// Every window row inside the image: the assembly copies them.
		n, step := ow1-ow0, g.SW*g.C
		at, o := ih0*pitch+(ow0*g.SW-g.PadL)*g.C, (oh*g.OutW+ow0)*k
		_ = sb[at+(n-1)*step+(g.KH-1)*pitch+run-1]
		_ = cb[o+n*k-1]
		copyRuns(&cb[o], &sb[at], n, run, g.KH, step, pitch, k)
		return
	}
	// The words move through pointers: the slicing of row and in checks
	// their bounds once per run, where slices of each word would check
	// them and mask their pointers again (most of the loop).
	for ow := ow0; ow < ow1; ow++ {
		row := cb[(oh*g.OutW+ow)*k:][:k]
		at := ih0*pitch + (ow*g.SW-g.PadL)*g.C
		for kh := range g.KH {
			if uint(ih0+kh) >= uint(g.H) {
				fill(row[kh*run:(kh+1)*run], pad)
			} else {
				out, in := unsafe.Pointer(&row[kh*run]), unsafe.Pointer(&sb[at:][:run][0])
				for i := 0; i < run-8; i += 8 {
					*(*[8]byte)(unsafe.Add(out, i)) = *(*[8]byte)(unsafe.Add(in, i))
				}
				*(*[8]byte)(unsafe.Add(out, run-8)) = *(*[8]byte)(unsafe.Add(in, run-8))
			}
			at += pitch
		}
	}
}

// im2colHWCTaps is im2colHWC for output pixels [ow0, ow1) of row oh, tap
// by tap.
func im2colHWCTaps(src []int8, g ConvGeom, groups int, padValue int8, col []int8, oh, ow0, ow1 int) {
	cg := g.C / groups
	k := g.C * g.KH * g.KW
	for ow := ow0; ow < ow1; ow++ {
		row := col[(oh*g.OutW+ow)*k:][:k]
		iw0 := ow*g.SW - g.PadL
		o := 0
		for gr := range groups {
			for kh := range g.KH {
				ih := oh*g.SH - g.PadT + kh
				for kw := range g.KW {
					out := row[o : o+cg]
					o += cg
					if iw := iw0 + kw; ih >= 0 && ih < g.H && iw >= 0 && iw < g.W {
						copy(out, src[(ih*g.W+iw)*g.C+gr*cg:])
						continue
					}
					fill(out, padValue)
				}
			}
		}
	}
}

// fill sets every element of s to v.
func fill[T any](s []T, v T) {
	for i := range s {
		s[i] = v
	}
}

// MaxPoolInt8HWC is MaxPoolInt8 on HWC images: dst ([OutH][OutW][C])
// holds the maximum of each window of src ([H][W][C]), padding ignored.
// It panics if a window lies entirely in the padding.
func MaxPoolInt8HWC(src, dst []int8, g ConvGeom) {
	g.checkPool("MaxPoolInt8HWC", len(src), len(dst))
	if g.OutH*g.OutW*g.C == 0 {
		return
	}
	if run := active.Load().maxPoolHWC; run != nil && g.KH*g.KW <= poolMaxTaps {
		poolHWCRuns(src, dst, g, run, func(c0 int) { maxPoolHWCInt8Generic(src, dst, g, c0) })
		return
	}
	maxPoolHWCInt8Generic(src, dst, g, 0)
}

// AvgPoolInt8HWC is AvgPoolInt8 on HWC images: the mean of each window
// over the cells inside the image, rounded to nearest with ties away from
// zero. A window as large as the image is a global average pool.
func AvgPoolInt8HWC(src, dst []int8, g ConvGeom) {
	g.checkPool("AvgPoolInt8HWC", len(src), len(dst))
	if g.OutH*g.OutW*g.C == 0 {
		return
	}
	sc := poolPool.Get()
	if cap(*sc) < g.C {
		*sc = make([]int32, g.C)
	}
	acc := (*sc)[:g.C]
	for oh := range g.OutH {
		for ow := range g.OutW {
			h0, h1, w0, w1 := poolWindow(g, oh, ow)
			clear(acc)
			if w0 == 0 && w1 == g.W {
				// Whole image rows: one run of pixels.
				sumPixelsInt8(acc, src[h0*g.W*g.C:], (h1-h0)*g.W, g.C)
			} else {
				for ih := h0; ih < h1; ih++ {
					sumPixelsInt8(acc, src[(ih*g.W+w0)*g.C:], w1-w0, g.C)
				}
			}
			n := int32((h1 - h0) * (w1 - w0))
			out := dst[(oh*g.OutW+ow)*g.C:][:g.C]
			for i, sum := range acc {
				out[i] = int8(roundDiv(sum, n))
			}
		}
	}
	poolPool.Put(sc)
}

// maxPoolHWCInt8Generic is the reference of MaxPoolInt8HWC, on channels
// [c0, C): for each output pixel, the maximum of each channel over the
// window's rows and columns inside the image.
func maxPoolHWCInt8Generic(src, dst []int8, g ConvGeom, c0 int) {
	c := g.C
	for oh := range g.OutH {
		for ow := range g.OutW {
			h0, h1, w0, w1 := poolWindow(g, oh, ow)
			out := dst[(oh*g.OutW+ow)*c:][c0:c]
			copy(out, src[(h0*g.W+w0)*c:][c0:c])
			for ih := h0; ih < h1; ih++ {
				for iw := w0; iw < w1; iw++ {
					for i, v := range src[(ih*g.W+iw)*c:][c0:c] {
						out[i] = max(out[i], v)
					}
				}
			}
		}
	}
}

// poolPool holds the channel sums of the average pools.
var poolPool = newFreeList(func() *[]int32 { return new([]int32) }, func(d, s *[]int32) { fitSlice(d, *s) })

// TransposeInt8 writes the transpose of the rows×cols row-major matrix a
// (leading dimension lda) into t (leading dimension ldt): t[j*ldt+i] =
// a[i*lda+j]. It turns a CHW image (C rows of H*W) into HWC and back.
func TransposeInt8(t []int8, ldt int, a []int8, lda, rows, cols int) {
	if rows < 0 || cols < 0 || lda < max(cols, 1) || ldt < max(rows, 1) {
		panic(fmt.Sprintf("kernels: TransposeInt8: bad shape rows=%d cols=%d lda=%d ldt=%d", rows, cols, lda, ldt))
	}
	if rows == 0 || cols == 0 {
		return
	}
	if len(a) < (rows-1)*lda+cols || len(t) < (cols-1)*ldt+rows {
		panic(fmt.Sprintf("kernels: TransposeInt8: len(a)=%d or len(t)=%d too short for %d×%d", len(a), len(t), rows, cols))
	}
	// Blocks of 32×32 keep a block's rows of a and of t in L1.
	const b = 32
	for i0 := 0; i0 < rows; i0 += b {
		for j0 := 0; j0 < cols; j0 += b {
			for i := i0; i < min(i0+b, rows); i++ {
				row := a[i*lda+j0 : i*lda+min(j0+b, cols)]
				for j, v := range row {
					t[(j0+j)*ldt+i] = v
				}
			}
		}
	}
}
