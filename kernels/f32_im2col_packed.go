package kernels

import "fmt"

// Im2colPacked unfolds n images straight into the panels SgemmPacked reads,
// skipping the im2col matrix that Sgemm would pack again: dst becomes the
// packed n*OutH*OutW × C*KH*KW matrix colᵀ, row j (pixel j, image j/(OutH*OutW))
// holding what column j of Im2colBatch's matrix holds, so that
//
//	SgemmPacked(OutC, w, C*KH*KW, dst, y, ldy)
//
// convolves the n images with the [OutC, C*KH*KW] weights w, output
// channel-major ([OutC, n*OutH*OutW], rows ldy apart), each element the
// same FMA chain as Sgemm of w by the im2col matrix, so bit for bit its
// result.
//
// Plane c of image i is src[c*stride+i*H*W:][:H*W] (a channel-major shard
// of several images has stride = images*H*W). dst's panels are kept in buf,
// which must hold Im2colPackedLen(g, n) floats; dst is valid until buf is
// written again or kernels.Use changes the path.
func Im2colPacked(dst *PackedF32, buf, src []float32, stride int, g ConvGeom, n int) {
	hw := g.H * g.W
	if n < 0 || stride < n*hw {
		panic(fmt.Sprintf("kernels: Im2colPacked: %d images of %dx%d with channels %d apart", n, g.H, g.W, stride))
	}
	need := Im2colPackedLen(g, n)
	srcLen := 0
	if g.C > 0 && n > 0 {
		srcLen = (g.C-1)*stride + n*hw
	}
	g.check("Im2colPacked", len(src), srcLen, len(buf), need)
	cols, k := n*g.OutH*g.OutW, g.C*g.KH*g.KW
	p := active.Load()
	s := p.f32Shape(cols)
	size := roundUp(cols, s.nr) * k
	*dst = PackedF32{n: cols, k: k, path: p, shape: s, data: buf[:size]}
	if cols == 0 || k == 0 {
		return
	}
	if g.SH == 1 && g.SW == 1 {
		padded := buf[size:need]
		padPlanes(padded, src, stride, g, n)
		im2colPanelsPadded(dst.data, padded, g, n, s.nr)
		return
	}
	im2colPanels(dst.data, src, stride, g, n, s.nr)
}

// padPlanes copies the n images of src into dst, plane after plane
// (channel-major, [C, n]), each inside the zero border of paddedPlane.
func padPlanes(dst, src []float32, stride int, g ConvGeom, n int) {
	hp, wp := g.OutH+g.KH-1, g.OutW+g.KW-1
	// Image rows and columns that land inside the padded plane.
	h := min(g.H, hp-g.PadT)
	w := min(g.W, wp-g.PadL)
	for c := range g.C {
		for i := range n {
			plane := dst[(c*n+i)*hp*wp : (c*n+i+1)*hp*wp]
			img := src[c*stride+i*g.H*g.W:]
			clear(plane[:g.PadT*wp])
			for y := range h {
				row := plane[(g.PadT+y)*wp : (g.PadT+y+1)*wp]
				clear(row[:g.PadL])
				copy(row[g.PadL:g.PadL+w], img[y*g.W:y*g.W+w])
				clear(row[g.PadL+w:])
			}
			clear(plane[(g.PadT+h)*wp:])
		}
	}
}

// im2colPanelsPadded is im2colPanels for stride 1 from zero-bordered
// planes (padPlanes): every tap of a run is one unclipped stretch of a
// padded row, moved as a whole array when it is a full panel row of 8 or
// 16 pixels (a few vector moves, not a call of copy).
func im2colPanelsPadded(data, padded []float32, g ConvGeom, n, nr int) {
	p := g.OutH * g.OutW
	hp, wp := g.OutH+g.KH-1, g.OutW+g.KW-1
	k := g.C * g.KH * g.KW
	cols := n * p
	for q := 0; q*nr < cols; q++ {
		pan := data[q*nr*k : (q+1)*nr*k]
		j0 := q * nr
		w := min(nr, cols-j0)
		if w < nr {
			clear(pan)
		}
		for j := j0; j < j0+w; {
			img, pix := j/p, j%p
			oh, ow0 := pix/g.OutW, pix%g.OutW
			run := min(g.OutW-ow0, j0+w-j)
			e0 := j - j0
			for c := range g.C {
				plane := padded[(c*n+img)*hp*wp : (c*n+img+1)*hp*wp]
				for kh := range g.KH {
					row := plane[(oh+kh)*wp+ow0:]
					t := (c*g.KH + kh) * g.KW
					for kw := range g.KW {
						d := pan[(t+kw)*nr+e0:]
						s := row[kw:]
						switch run {
						case 16:
							*(*[16]float32)(d) = *(*[16]float32)(s)
						case 8:
							*(*[8]float32)(d) = *(*[8]float32)(s)
						default:
							copy(d[:run], s)
						}
					}
				}
			}
			j += run
		}
	}
}

// Im2colPackedLen is how many floats Im2colPacked's buf must hold for n
// images of geometry g on the path in use: the panels, and for stride 1
// the zero-bordered planes it copies the images into first.
func Im2colPackedLen(g ConvGeom, n int) int {
	cols := n * g.OutH * g.OutW
	panels := roundUp(cols, active.Load().f32Shape(cols).nr) * g.C * g.KH * g.KW
	if g.SH == 1 && g.SW == 1 {
		panels += g.C * n * paddedPlane(g)
	}
	return panels
}

// paddedPlane is the size of an image plane with the zero border a
// stride-1 convolution reads: every window inside it.
func paddedPlane(g ConvGeom) int { return (g.OutH + g.KH - 1) * (g.OutW + g.KW - 1) }

// im2colPanels fills the panels of nr pixels: panel q holds pixel q*nr+e
// of tap t ((c*KH+kh)*KW+kw) at data[q*nr*K + t*nr + e]. A panel's pixels
// are cut into runs along one output row, and each run is filled a tap at
// a time: with stride 1 a tap's run is one stretch of an input row, clipped
// to the image. The runs are short (a panel is 8 to 32 pixels), so the
// moves are loops, not calls of copy and clear, and the clipping window of
// each kw is worked out once, not per run.
func im2colPanels(data, src []float32, stride int, g ConvGeom, n, nr int) {
	p := g.OutH * g.OutW
	hw := g.H * g.W
	k := g.C * g.KH * g.KW
	cols := n * p
	var windows [8][2]int
	x01 := windows[:0]
	if g.KW > len(windows) {
		x01 = make([][2]int, 0, g.KW)
	}
	for kw := range g.KW {
		x0, x1 := validRange(g.OutW, g.SW, kw-g.PadL, g.W)
		x01 = append(x01, [2]int{x0, x1})
	}
	for q := 0; q*nr < cols; q++ {
		pan := data[q*nr*k : (q+1)*nr*k]
		j0 := q * nr
		w := min(nr, cols-j0)
		if w < nr {
			clear(pan)
		}
		for j := j0; j < j0+w; {
			img, pix := j/p, j%p
			oh, ow0 := pix/g.OutW, pix%g.OutW
			run := min(g.OutW-ow0, j0+w-j)
			e0 := j - j0
			for c := range g.C {
				plane := src[c*stride+img*hw : c*stride+(img+1)*hw]
				for kh := range g.KH {
					ih := oh*g.SH - g.PadT + kh
					t := (c*g.KH + kh) * g.KW
					if ih < 0 || ih >= g.H {
						for kw := range g.KW {
							zero(pan[(t+kw)*nr+e0 : (t+kw)*nr+e0+run])
						}
						continue
					}
					row := plane[ih*g.W : (ih+1)*g.W]
					for kw, x := range x01 {
						d := pan[(t+kw)*nr+e0 : (t+kw)*nr+e0+run]
						// Columns a ... b-1 of the run read inside the image.
						a, b := min(max(x[0]-ow0, 0), run), min(max(x[1]-ow0, 0), run)
						if b <= a {
							zero(d)
							continue
						}
						zero(d[:a])
						zero(d[b:])
						iw := (ow0+a)*g.SW - g.PadL + kw
						d = d[a:b]
						if g.SW == 1 {
							s := row[iw : iw+len(d)]
							for i := range d {
								d[i] = s[i]
							}
							continue
						}
						for i := range d {
							d[i] = row[iw]
							iw += g.SW
						}
					}
				}
			}
			j += run
		}
	}
}

// zero sets the few elements of d to 0 in a loop: clear calls the
// runtime, which costs more than the stores.
func zero(d []float32) {
	for i := range d {
		d[i] = 0
	}
}
