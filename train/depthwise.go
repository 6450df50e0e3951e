package train

import (
	"github.com/edgecnn/edgecnn/engine"
	"github.com/edgecnn/edgecnn/kernels"
	"github.com/edgecnn/edgecnn/nn"
)

// depthwise is a convolution with one filter per channel (groups = input
// channels = output channels), computed directly: in a channel-major shard
// each channel's n planes are contiguous, and every tap of the filter adds
// a shifted row of the input to a row of the output. An im2col GEMM per
// group would multiply a 1 x KH*KW filter by a KH*KW x P matrix it had to
// build first, for as many groups as channels.
type depthwise struct {
	g    kernels.ConvGeom
	w, b *param // b is nil for a convolution without bias
}

func newDepthwise(n *nn.Node, in, out nn.Shape, w, b *param) *depthwise {
	return &depthwise{g: engine.Geometry(n, in, out), w: w, b: b}
}

// span returns the output columns [lo, hi) whose tap kw reads inside the
// input row, and the input column that column lo reads.
func (d *depthwise) span(kw int) (lo, hi, ix int) {
	g := d.g
	off := kw - g.PadL // input column of output column 0
	lo = 0
	if off < 0 {
		lo = (-off + g.SW - 1) / g.SW
	}
	hi = 0
	if last := g.W - 1 - off; last >= 0 {
		hi = min(last/g.SW+1, g.OutW)
	}
	return lo, max(hi, lo), lo*g.SW + off
}

func (d *depthwise) forward(x, y []float32, n int, _ bool) {
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
					for kw := range g.KW {
						lo, hi, ix := d.span(kw)
						if lo == hi {
							continue
						}
						axpy(yr[lo:hi], w[kh*g.KW+kw], xr[ix:], g.SW)
					}
				}
			}
		}
	}
}

func (d *depthwise) backward(x, _, dy, dx []float32, n int) {
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
					for kw := range g.KW {
						lo, hi, ix := d.span(kw)
						if lo == hi {
							continue
						}
						dw[kh*g.KW+kw] += dot(dyr[lo:hi], xr[ix:], g.SW)
						if dx != nil {
							scatter(dx[p*in+iy*g.W+ix:], w[kh*g.KW+kw], dyr[lo:hi], g.SW)
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
			y[j] += a * x[j]
		}
		return
	}
	for j := range y {
		y[j] += a * x[j*stride]
	}
}

// dot returns the sum of y[j]*x[j*stride].
func dot(y, x []float32, stride int) float32 {
	var s float32
	if stride == 1 {
		x = x[:len(y)]
		for j, v := range y {
			s += v * x[j]
		}
		return s
	}
	for j, v := range y {
		s += v * x[j*stride]
	}
	return s
}

// scatter adds a*y[j] to x[j*stride] for every j.
func scatter(x []float32, a float32, y []float32, stride int) {
	if stride == 1 {
		x = x[:len(y)]
		for j, v := range y {
			x[j] += a * v
		}
		return
	}
	for j, v := range y {
		x[j*stride] += a * v
	}
}
