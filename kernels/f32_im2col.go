package kernels

import (
	"fmt"
	"math"
)

// Im2colBatch is Im2col over n images stored channel-major, [C, n, H, W]:
// plane c of image s is src[(c*n+s)*H*W : (c*n+s+1)*H*W]. dst is the
// row-major [C*KH*KW, n*OutH*OutW] matrix, rows ld >= n*OutH*OutW apart,
// whose columns s*OutH*OutW ... (s+1)*OutH*OutW-1 hold image s, so that one
// Sgemm of the [OutC, C*KH*KW] weights by dst convolves all n images at
// once and gives the output channel-major too, [OutC, n, OutH, OutW]. With
// n == 1 and ld == OutH*OutW it is Im2col. (A caller whose n*OutH*OutW is a
// multiple of 4 KiB of floats gives the rows a little more room: Sgemm
// reads rows that far apart from the same few cache sets.)
func Im2colBatch(src []float32, g ConvGeom, n int, dst []float32, ld int) {
	checkBatch("Im2colBatch", n, ld, g)
	g.check("Im2colBatch", len(src), g.C*n*g.H*g.W, len(dst), batchCols(g, n, ld))
	im2colBatch(src, g, n, dst, ld)
}

// Col2imBatch is the adjoint of Im2colBatch: it adds every element of the
// [C*KH*KW, n*OutH*OutW] matrix col (rows ld apart) into the cell of the
// channel-major [C, n, H, W] images dst that Im2colBatch would have read it
// from, and drops the elements that fall on padding. Like Col2im it
// accumulates. It may set the elements of col that fall on padding to zero
// (col is a scratch gradient for its callers), which lets it add the rows
// of a "same" convolution as long runs.
func Col2imBatch(col []float32, ld int, g ConvGeom, n int, dst []float32) {
	checkBatch("Col2imBatch", n, ld, g)
	g.check("Col2imBatch", len(col), batchCols(g, n, ld), len(dst), g.C*n*g.H*g.W)
	col2imBatch(col, ld, g, n, dst)
}

// batchCols is the length of Im2colBatch's matrix.
func batchCols(g ConvGeom, n, ld int) int {
	rows := g.C * g.KH * g.KW
	if rows == 0 {
		return 0
	}
	return (rows-1)*ld + n*g.OutH*g.OutW
}

func checkBatch(fn string, n, ld int, g ConvGeom) {
	if n < 0 {
		panic("kernels: " + fn + ": negative image count")
	}
	if ld < n*g.OutH*g.OutW {
		panic(fmt.Sprintf("kernels: %s: rows %d apart hold %d images of %dx%d", fn, ld, n, g.OutH, g.OutW))
	}
}

// im2colBatch fills dst one image plane at a time, so that the plane (a few
// KiB) stays in L1 while its KH*KW rows are written. Per-row copies of a few
// dozen bytes cost far more than the bytes they move, so it makes as few as
// it can: the valid window of each (kh, kw) is computed once, not per output
// row, and the row of kh >= SH is the row of kh-SH moved by one output row
// (output row oh of the one reads the input row that output row oh+1 of the
// other reads), so all but its last output row are one block copy.
func im2colBatch(src []float32, g ConvGeom, n int, dst []float32, ld int) {
	p := g.OutH * g.OutW
	hw := g.H * g.W
	for c := range g.C {
		for s := range n {
			img := src[(c*n+s)*hw : (c*n+s+1)*hw]
			for kh := range g.KH {
				y0, y1 := validRange(g.OutH, g.SH, kh-g.PadT, g.H)
				for kw := range g.KW {
					r := (c*g.KH+kh)*g.KW + kw
					out := dst[r*ld+s*p : r*ld+(s+1)*p]
					switch {
					case kh >= g.SH && g.OutH > 1:
						prev := dst[(r-g.SH*g.KW)*ld+s*p:]
						copy(out[:(g.OutH-1)*g.OutW], prev[g.OutW:p])
						im2colRows(out, img, g, kh, kw, g.OutH-1, y0, y1)
					case kw >= g.SW && g.OutW > 1 && g.OutH > 0:
						prev := dst[(r-g.SW)*ld+s*p:]
						copy(out[:p-1], prev[1:p])
						im2colLastColumn(out, img, g, kh, kw)
					default:
						im2colRows(out, img, g, kh, kw, 0, y0, y1)
					}
				}
			}
		}
	}
}

// im2colLastColumn writes the last column, ow = OutW-1, of every output row
// of the im2col row (kh, kw) of one image plane.
func im2colLastColumn(out, img []float32, g ConvGeom, kh, kw int) {
	iw := (g.OutW-1)*g.SW - g.PadL + kw
	inside := iw >= 0 && iw < g.W
	for oh := range g.OutH {
		ih := oh*g.SH - g.PadT + kh
		var v float32
		if inside && ih >= 0 && ih < g.H {
			v = img[ih*g.W+iw]
		}
		out[oh*g.OutW+g.OutW-1] = v
	}
}

// im2colRows writes output rows from ... OutH-1 of the im2col row (kh, kw)
// of one image plane, of which rows y0 ... y1-1 read inside the image.
func im2colRows(out, img []float32, g ConvGeom, kh, kw, from, y0, y1 int) {
	y0, y1 = max(y0, from), max(y1, from)
	clear(out[from*g.OutW : y0*g.OutW])
	clear(out[y1*g.OutW:])
	x0, x1 := validRange(g.OutW, g.SW, kw-g.PadL, g.W)
	if x0 == x1 {
		clear(out[y0*g.OutW : y1*g.OutW])
		return
	}
	iw := x0*g.SW - g.PadL + kw
	for oh := y0; oh < y1; oh++ {
		o := out[oh*g.OutW : (oh+1)*g.OutW]
		ih := oh*g.SH - g.PadT + kh
		in := img[ih*g.W+iw : (ih+1)*g.W]
		if x0 > 0 {
			clear(o[:x0])
		}
		if x1 < g.OutW {
			clear(o[x1:])
		}
		if g.SW == 1 {
			copy(o[x0:x1], in)
			continue
		}
		o = o[x0:x1]
		for ow := range o {
			o[ow] = in[ow*g.SW]
		}
	}
}

// col2imBatch walks col in the order im2colBatch writes it, adding each
// valid run of an output row into its input row.
func col2imBatch(col []float32, ld int, g ConvGeom, n int, dst []float32) {
	if g.SH == 1 && g.SW == 1 && g.OutH == g.H && g.OutW == g.W {
		col2imSame(col, ld, g, n, dst)
		return
	}
	p := g.OutH * g.OutW
	hw := g.H * g.W
	for c := range g.C {
		for s := range n {
			img := dst[(c*n+s)*hw : (c*n+s+1)*hw]
			for kh := range g.KH {
				y0, y1 := validRange(g.OutH, g.SH, kh-g.PadT, g.H)
				for kw := range g.KW {
					x0, x1 := validRange(g.OutW, g.SW, kw-g.PadL, g.W)
					if x0 == x1 {
						continue
					}
					r := (c*g.KH+kh)*g.KW + kw
					in := col[r*ld+s*p : r*ld+(s+1)*p]
					iw := x0*g.SW - g.PadL + kw
					for oh := y0; oh < y1; oh++ {
						v := in[oh*g.OutW+x0 : oh*g.OutW+x1]
						ih := oh*g.SH - g.PadT + kh
						o := img[ih*g.W+iw : (ih+1)*g.W]
						if g.SW == 1 {
							o = o[:len(v)]
							for i, x := range v {
								o[i] += x
							}
							continue
						}
						for i, x := range v {
							o[i*g.SW] += x
						}
					}
				}
			}
		}
	}
}

// col2imSame is col2imBatch for a stride-1 convolution whose output planes
// are the size of its input's ("same" padding, as in every 3x3 convolution
// of a ResNet stage). There the elements of an im2col row that fall inside
// the images, over all n images, land at one constant offset from where
// they lie in the row: once the rest are zeroed, the row is added to the
// images as one long run (AddF32) rather than a short run per output row.
// Each input element still receives its contributions in the (kh, kw)
// order of col2imBatch, so the sums are the same.
func col2imSame(col []float32, ld int, g ConvGeom, n int, dst []float32) {
	hw := g.H * g.W
	inf := float32(math.Inf(1))
	for c := range g.C {
		img := dst[c*n*hw : (c+1)*n*hw]
		for kh := range g.KH {
			y0, y1 := validRange(g.OutH, 1, kh-g.PadT, g.H)
			for kw := range g.KW {
				x0, x1 := validRange(g.OutW, 1, kw-g.PadL, g.W)
				if x0 == x1 || y0 == y1 {
					continue
				}
				r := (c*g.KH+kh)*g.KW + kw
				in := col[r*ld : r*ld+n*hw]
				for s := range n {
					plane := in[s*hw : (s+1)*hw]
					clear(plane[:y0*g.W])
					clear(plane[y1*g.W:])
					for oh := y0; oh < y1; oh++ {
						row := plane[oh*g.W : (oh+1)*g.W]
						zeroEdges(row, x0, x1)
					}
				}
				// Output element e reads input element e + shift; the
				// first valid one is (y0, x0) of image 0, the last
				// (y1-1, x1-1) of image n-1.
				shift := (kh-g.PadT)*g.W + kw - g.PadL
				first, end := y0*g.W+x0, (n-1)*hw+(y1-1)*g.W+x1
				run := img[first+shift : end+shift]
				AddF32(run, run, in[first:end], -inf, inf)
			}
		}
	}
}

// zeroEdges sets row[:x0] and row[x1:] to zero. A "same" convolution's
// edges are a column or two, and clear would call the runtime for each:
// as many calls as output rows, taps and images.
func zeroEdges(row []float32, x0, x1 int) {
	if x0 > 2 || len(row)-x1 > 2 {
		clear(row[:x0])
		clear(row[x1:])
		return
	}
	for i := 0; i < x0; i++ {
		row[i] = 0
	}
	for i := x1; i < len(row); i++ {
		row[i] = 0
	}
}
