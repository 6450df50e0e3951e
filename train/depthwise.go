package train

import (
	"github.com/edgecnn/edgecnn/engine"
	"github.com/edgecnn/edgecnn/kernels"
	"github.com/edgecnn/edgecnn/nn"
)

// depthwise is a convolution with one filter per channel (groups = input
// channels = output channels), computed directly: in a channel-major shard
// each channel's n planes are contiguous and share one filter. An im2col
// GEMM per group would multiply a 1 x KH*KW filter by a KH*KW x P matrix it
// had to build first, for as many groups as channels.
//
// With stride 1 (MobileNet's depthwise layers but the few that downsample)
// a channel's n planes are first copied into zero-padded planes laid end
// to end (padded). There output pixel (oh, ow) of a plane sits where its
// window's top left input does, so every tap of the filter is one
// multiply-add over the whole run of n padded planes, the input shifted by
// the tap's offset: KH*KW long loops per channel instead of KH*KW short
// ones per output row (rows are 4 to 32 values long in these networks).
// What this computes at the padding's positions is thrown away. Other
// strides add a shifted input row to an output row for every row and tap.
type depthwise struct {
	g     kernels.ConvGeom
	w, b  *param // b is nil for a convolution without bias
	spans []span // of each filter column kw
	pad   *padded
}

// span is the run of output columns [lo, hi) whose filter tap in one
// column reads inside the input row, and the input column ix that column
// lo reads. The inner loops run over it for every row and tap, so it is
// worked out once.
type span struct{ lo, hi, ix int }

// padded holds one channel's n planes, padded, for the stride-1 path: the
// input x (whose padding stays zero), the output or its gradient y, and the
// input gradient dx; wp and plane are a padded row's and plane's sizes.
type padded struct {
	x, y, dx  []float32
	wp, plane int
}

func newDepthwise(n *nn.Node, in, out nn.Shape, w, b *param, batch int) *depthwise {
	d := &depthwise{g: engine.Geometry(n, in, out), w: w, b: b}
	g := d.g
	for kw := range g.KW {
		off := kw - g.PadL // input column of output column 0
		lo := 0
		if off < 0 {
			lo = (-off + g.SW - 1) / g.SW
		}
		hi := 0
		if last := g.W - 1 - off; last >= 0 {
			hi = min(last/g.SW+1, g.OutW)
		}
		d.spans = append(d.spans, span{lo, max(hi, lo), lo*g.SW + off})
	}
	if g.SH == 1 && g.SW == 1 {
		hp, wp := g.OutH+g.KH-1, g.OutW+g.KW-1
		size := batch * hp * wp
		d.pad = &padded{x: make([]float32, size), y: make([]float32, size), dx: make([]float32, size), wp: wp, plane: hp * wp}
	}
	return d
}

// run returns how many padded values, from the first plane's start, hold
// the output pixels of n planes: the last plane's bottom rows are left
// out, so that every tap's input stays inside the planes.
func (d *depthwise) run(n int) int {
	return (n-1)*d.pad.plane + (d.g.OutH-1)*d.pad.wp + d.g.OutW
}

// tap returns where tap (kh, kw) of output pixel 0 reads in padded planes.
func (d *depthwise) tap(kh, kw int) int { return kh*d.pad.wp + kw }

// toPadded copies n planes of rows x cols values from src into padded
// planes at dst, each plane's first row at dst[s*plane]; fromPadded copies
// them back. The padding of dst is left as it is.
func (d *depthwise) toPadded(dst, src []float32, rows, cols, n int) {
	p := d.pad
	for s := range n {
		for r := range rows {
			copy(dst[s*p.plane+r*p.wp:][:cols], src[(s*rows+r)*cols:])
		}
	}
}

func (d *depthwise) fromPadded(dst, src []float32, rows, cols, n int) {
	p := d.pad
	for s := range n {
		for r := range rows {
			copy(dst[(s*rows+r)*cols:][:cols], src[s*p.plane+r*p.wp:])
		}
	}
}

func (d *depthwise) forward(x, y []float32, n int, _ bool) {
	if d.pad == nil {
		d.forwardRows(x, y, n)
		return
	}
	g, p := d.g, d.pad
	in, out, taps := g.H*g.W, g.OutH*g.OutW, g.KH*g.KW
	interior := g.PadT*p.wp + g.PadL // of the input in padded planes
	yp := p.y[:d.run(n)]
	for c := range g.C {
		d.toPadded(p.x[interior:], x[c*n*in:], g.H, g.W, n)
		bias := float32(0)
		if d.b != nil {
			bias = d.b.w[c]
		}
		for i := range yp {
			yp[i] = bias
		}
		w := d.w.w[c*taps : (c+1)*taps]
		for kh := range g.KH {
			if g.KW == 3 {
				axpy3(yp, w[kh*3:kh*3+3], p.x[d.tap(kh, 0):])
				continue
			}
			for kw := range g.KW {
				axpy(yp, w[kh*g.KW+kw], p.x[d.tap(kh, kw):], 1)
			}
		}
		d.fromPadded(y[c*n*out:], p.y, g.OutH, g.OutW, n)
	}
}

func (d *depthwise) backward(x, y, dy, dx []float32, n int) {
	if d.pad == nil {
		d.backwardRows(x, y, dy, dx, n)
		return
	}
	g, p := d.g, d.pad
	in, out, taps := g.H*g.W, g.OutH*g.OutW, g.KH*g.KW
	interior := g.PadT*p.wp + g.PadL
	dyp := p.y[:d.run(n)]
	for c := range g.C {
		// The gradient is zero at the padding's output positions, so
		// each tap's sums over the whole run count real pixels only.
		d.toPadded(p.x[interior:], x[c*n*in:], g.H, g.W, n)
		clear(dyp)
		d.toPadded(p.y, dy[c*n*out:], g.OutH, g.OutW, n)
		w, dw := d.w.w[c*taps:(c+1)*taps], d.w.grad[c*taps:(c+1)*taps]
		if d.b != nil {
			d.b.grad[c] = sum(dy[c*n*out : (c+1)*n*out])
		}
		for kh := range g.KH {
			if g.KW == 3 {
				dot3(dw[kh*3:kh*3+3], dyp, p.x[d.tap(kh, 0):])
				continue
			}
			for kw := range g.KW {
				dw[kh*g.KW+kw] = dot(dyp, p.x[d.tap(kh, kw):], 1)
			}
		}
		if dx == nil {
			continue
		}
		clear(p.dx[:n*p.plane])
		for kh := range g.KH {
			if g.KW == 3 {
				scatter3(p.dx[d.tap(kh, 0):], w[kh*3:kh*3+3], dyp)
				continue
			}
			for kw := range g.KW {
				scatter(p.dx[d.tap(kh, kw):], w[kh*g.KW+kw], dyp, 1)
			}
		}
		d.fromPadded(dx[c*n*in:], p.dx[interior:], g.H, g.W, n)
	}
}

// forwardRows and backwardRows are the passes of strided convolutions.
func (d *depthwise) forwardRows(x, y []float32, n int) {
	g := d.g
	taps := g.KH * g.KW
	in, out := g.H*g.W, g.OutH*g.OutW
	for c := range g.C {
		bias := float32(0)
		if d.b != nil {
			bias = d.b.w[c]
		}
		w := d.w.w[c*taps : (c+1)*taps]
		for s := range n {
			p := c*n + s
			xp, yp := x[p*in:(p+1)*in], y[p*out:(p+1)*out]
			for i := range yp {
				yp[i] = bias
			}
			for oh := range g.OutH {
				yr := yp[oh*g.OutW : (oh+1)*g.OutW]
				for kh := range g.KH {
					iy := oh*g.SH - g.PadT + kh
					if iy < 0 || iy >= g.H {
						continue
					}
					xr := xp[iy*g.W : (iy+1)*g.W]
					for kw, sp := range d.spans {
						if sp.lo < sp.hi {
							axpy(yr[sp.lo:sp.hi], w[kh*g.KW+kw], xr[sp.ix:], g.SW)
						}
					}
				}
			}
		}
	}
}

func (d *depthwise) backwardRows(x, _, dy, dx []float32, n int) {
	g := d.g
	taps := g.KH * g.KW
	in, out := g.H*g.W, g.OutH*g.OutW
	if dx != nil {
		clear(dx[:g.C*n*in])
	}
	for c := range g.C {
		w, dw := d.w.w[c*taps:(c+1)*taps], d.w.grad[c*taps:(c+1)*taps]
		clear(dw)
		var db float32
		for s := range n {
			p := c*n + s
			xp, dyp := x[p*in:(p+1)*in], dy[p*out:(p+1)*out]
			for _, v := range dyp {
				db += v
			}
			for oh := range g.OutH {
				dyr := dyp[oh*g.OutW : (oh+1)*g.OutW]
				for kh := range g.KH {
					iy := oh*g.SH - g.PadT + kh
					if iy < 0 || iy >= g.H {
						continue
					}
					xr := xp[iy*g.W : (iy+1)*g.W]
					for kw, sp := range d.spans {
						if sp.lo == sp.hi {
							continue
						}
						dw[kh*g.KW+kw] += dot(dyr[sp.lo:sp.hi], xr[sp.ix:], g.SW)
						if dx != nil {
							scatter(dx[p*in+iy*g.W+sp.ix:], w[kh*g.KW+kw], dyr[sp.lo:sp.hi], g.SW)
						}
					}
				}
			}
		}
		if d.b != nil {
			d.b.grad[c] = db
		}
	}
}

// axpy adds a*x[j*stride] to y[j] for every j.
func axpy(y []float32, a float32, x []float32, stride int) {
	if stride == 1 {
		x = x[:len(y)]
		for j := range y {
			y[j] += float32(a * x[j])
		}
		return
	}
	for j := range y {
		y[j] += float32(a * x[j*stride])
	}
}

// dot returns the sum of y[j]*x[j*stride], with stride 1 in four
// interleaved partial sums (see sum).
func dot(y, x []float32, stride int) float32 {
	if stride == 1 {
		x = x[:len(y)]
		var s [4]float32
		j := 0
		for ; j+4 <= len(y); j += 4 {
			s[0] += float32(y[j] * x[j])
			s[1] += float32(y[j+1] * x[j+1])
			s[2] += float32(y[j+2] * x[j+2])
			s[3] += float32(y[j+3] * x[j+3])
		}
		for ; j < len(y); j++ {
			s[0] += float32(y[j] * x[j])
		}
		return (s[0] + s[1]) + (s[2] + s[3])
	}
	var s float32
	for j, v := range y {
		s += float32(v * x[j*stride])
	}
	return s
}

// scatter adds a*y[j] to x[j*stride] for every j.
func scatter(x []float32, a float32, y []float32, stride int) {
	if stride == 1 {
		x = x[:len(y)]
		for j, v := range y {
			x[j] += float32(a * v)
		}
		return
	}
	for j, v := range y {
		x[j*stride] += float32(a * v)
	}
}

// axpy3, dot3 and scatter3 are axpy, dot and scatter for the three taps of
// one filter row of a 3x3 convolution, input shifted by 0, 1 and 2, in one
// pass: each value of y (or dy, or dx) is loaded and stored once for the
// three taps instead of once per tap.

// axpy3 adds w[0]*x[j] + w[1]*x[j+1] + w[2]*x[j+2] to y[j] for every j.
func axpy3(y, w, x []float32) {
	w0, w1, w2 := w[0], w[1], w[2]
	x = x[:len(y)+2]
	for j := range y {
		y[j] += float32(w0*x[j]) + float32(w1*x[j+1]) + float32(w2*x[j+2])
	}
}

// dot3 sets dw[k] to the sum of dy[j]*x[j+k], k = 0, 1, 2, each in two
// interleaved partial sums (see sum).
func dot3(dw, dy, x []float32) {
	x = x[:len(dy)+2]
	var a0, a1, a2, b0, b1, b2 float32
	j := 0
	for ; j+2 <= len(dy); j += 2 {
		d, e := dy[j], dy[j+1]
		a0 += float32(d * x[j])
		a1 += float32(d * x[j+1])
		a2 += float32(d * x[j+2])
		b0 += float32(e * x[j+1])
		b1 += float32(e * x[j+2])
		b2 += float32(e * x[j+3])
	}
	if j < len(dy) {
		d := dy[j]
		a0 += float32(d * x[j])
		a1 += float32(d * x[j+1])
		a2 += float32(d * x[j+2])
	}
	dw[0], dw[1], dw[2] = a0+b0, a1+b1, a2+b2
}

// scatter3 adds w[k]*dy[j] to dx[j+k] for every j and k = 0, 1, 2: dx[i]
// gets w[0]*dy[i] + w[1]*dy[i-1] + w[2]*dy[i-2], the terms that exist.
func scatter3(dx, w, dy []float32) {
	n := len(dy)
	if n < 2 {
		for k, wk := range w {
			scatter(dx[k:], wk, dy, 1)
		}
		return
	}
	w0, w1, w2 := w[0], w[1], w[2]
	dx = dx[:n+2]
	dx[0] += float32(w0 * dy[0])
	dx[1] += float32(w0*dy[1]) + float32(w1*dy[0])
	for i := 2; i < n; i++ {
		dx[i] += float32(w0*dy[i]) + float32(w1*dy[i-1]) + float32(w2*dy[i-2])
	}
	dx[n] += float32(w1*dy[n-1]) + float32(w2*dy[n-2])
	dx[n+1] += float32(w2 * dy[n-1])
}
