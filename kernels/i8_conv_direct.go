package kernels

import "math"

// The direct path of ConvInt8 for stride-1 convolutions, made for those
// with few input channels: the first layers of a network (LeNet-5 conv1 and
// conv2 with 1 and 6 channels, AlexNet conv1 with 1). directConv decides
// when it is taken.
//
// im2col writes every input value KH*KW times. With few channels there is
// little arithmetic per copied byte, and the copy costs more than the GEMM:
// LeNet-5 conv1 spent 10 µs in im2col and 5 µs in the GEMM. The direct path
// skips it. With stride 1, the im2col row of tap (c, kh, kw) restricted to
// output row oh is a contiguous run of the image with its padding,
//
//	P[c][oh+kh][kw : kw+OutW]        P: C × (OutH+KH-1) × (OutW+KW-1)
//
// so the packers of the SIMD paths read those runs where they lie: ConvInt8
// copies the image once into P (C*(OutH+KH-1)*(OutW+KW-1) bytes instead of
// C*KH*KW*OutH*OutW), builds the table of the k row offsets, and runs one
// GEMM segment of OutW columns per output row. What it costs is the tile
// columns past OutW in each row's last tile, which the kernel computes and
// drops.

// directConv reports whether ConvInt8 takes the direct path for weights w
// and geometry g on the path whose int8 kernels are i8. Both ways cost per
// kernel tap and output row: im2col one run of OutW copied values, the
// direct path the multiply-adds of the tile columns past OutW for every
// output channel. im2col's run costs about the same whatever its length
// (LeNet-5 conv1: 10 µs for 700 runs of 28 values), so the direct path wins
// while those dropped multiply-adds take less time than one run.
func directConv(i8 *int8Impl, w *PackedInt8, g ConvGeom) bool {
	if i8.gemmRows == nil || w.groups != 1 || g.SH != 1 || g.SW != 1 {
		return false
	}
	if hp, wp := g.paddedSize(); int64(g.C)*int64(hp)*int64(wp) > math.MaxInt32 {
		return false // its row offsets are int32
	}
	dropped := (roundUp(g.OutW, i8.tile) - g.OutW) * w.m
	return dropped <= i8.rowRunMACs
}

// directOffsets holds the row offset tables of concurrent direct
// convolutions, so that steady-state calls allocate nothing.
var directOffsets = newFreeList(func() *[]int32 { return new([]int32) }, func(d, s *[]int32) { fitSlice(d, *s) })

// paddedSize returns the rows and columns of each channel of P.
func (g ConvGeom) paddedSize() (hp, wp int) { return g.OutH + g.KH - 1, g.OutW + g.KW - 1 }

// prepareDirect writes P, the image src with its padding, into col.
func prepareDirect(src []int8, g ConvGeom, col []int8, inZeroPoint int8) {
	// P fits in col, checked to hold the im2col matrix:
	// (OutH+KH-1) <= KH*OutH and (OutW+KW-1) <= KW*OutW.
	hp, wp := g.paddedSize()
	padImage(src, g, hp, wp, inZeroPoint, col[:g.C*hp*wp])
}

// convDirectRows computes output rows [oh0, oh1) from P in col: one GEMM
// segment per output row.
func convDirectRows(i8 *int8Impl, col, dst []int8, w *PackedInt8, rq *Requant, g ConvGeom, oh0, oh1 int) {
	hp, wp := g.paddedSize()
	offp := directOffsets.Get()
	k := g.C * g.KH * g.KW
	if cap(*offp) < k {
		*offp = make([]int32, k)
	}
	off := (*offp)[:k]
	for c := range g.C {
		for kh := range g.KH {
			for kw := range g.KW {
				off[(c*g.KH+kh)*g.KW+kw] = int32((c*hp+kh)*wp + kw)
			}
		}
	}
	// All of col from the first row on goes to the packers: the runs of the
	// last rows may then be read in place, their values past OutW landing
	// in dropped columns.
	i8.gemmRows(w, col[oh0*wp:], off, g.OutW, oh1-oh0, wp, rq, dst[oh0*g.OutW:], g.OutH*g.OutW, g.OutW)
	directOffsets.Put(offp)
}

// padImage writes into p the hp × wp window of each channel of src ([C, H,
// W]) that starts at (-PadT, -PadL), with pad where it leaves the image.
func padImage(src []int8, g ConvGeom, hp, wp int, pad int8, p []int8) {
	lo, hi := min(g.PadL, wp), min(g.PadL+g.W, wp)
	for c := range g.C {
		for y := range hp {
			row := p[(c*hp+y)*wp:][:wp]
			ih := y - g.PadT
			if ih < 0 || ih >= g.H {
				fillInt8(row, pad)
				continue
			}
			fillInt8(row[:lo], pad)
			copy(row[lo:hi], src[(c*g.H+ih)*g.W:])
			fillInt8(row[hi:], pad)
		}
	}
}
