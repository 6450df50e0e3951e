//go:build unix

package kernels

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestConvInt8HWC checks ConvInt8HWC on every path against the definition
// (TestConvInt8's cases, the image and result in HWC order), whole and in
// bands of rows.
func TestConvInt8HWC(t *testing.T) {
	r := rand.New(rand.NewPCG(71, 72))
	n := 200
	if testing.Short() {
		n = 60
	}
	var cases []*convInt8Case
	for i := range n {
		groups := []int{1, 1, 2, 3}[r.IntN(4)]
		g := randConvGeom(r, groups*(1+r.IntN(4)))
		cases = append(cases, newConvInt8Case(r, g, groups*(1+r.IntN(20)), groups, i, r.IntN(4)))
	}
	cases = append(cases,
		newConvInt8Case(r, ConvGeom{C: 24, H: 7, W: 7, KH: 1, KW: 1, SH: 1, SW: 1, OutH: 7, OutW: 7}, 40, 1, 1, 0),
		newConvInt8Case(r, ConvGeom{C: 3, H: 15, W: 15, KH: 3, KW: 3, SH: 2, SW: 2, PadT: 1, PadL: 1, OutH: 8, OutW: 8}, 32, 1, 2, 1),
		newConvInt8Case(r, ConvGeom{C: 16, H: 9, W: 9, KH: 3, KW: 3, SH: 1, SW: 1, PadT: 1, PadL: 1, OutH: 9, OutW: 9}, 24, 1, 3, 0),
		newConvInt8Case(r, ConvGeom{C: 8, H: 9, W: 9, KH: 3, KW: 3, SH: 2, SW: 2, PadT: 1, PadL: 1, OutH: 5, OutW: 5}, 8, 8, 0, 1),
	)
	for _, c := range cases {
		g := c.g
		want := toHWC(c.naive(t), c.out, g.OutH, g.OutW)
		src := toHWC(c.src, g.C, g.H, g.W)
		col := make([]int8, g.C*g.KH*g.KW*g.OutH*g.OutW)
		for _, path := range Paths() {
			usePath(t, path)
			w := PackConvInt8HWC(c.w, c.out, g.C/c.groups, g.KH, g.KW, c.groups)
			rq := c.q.requant(w)
			dst := append([]int8(nil), c.dst0...)
			ConvInt8HWC(src, dst, w, rq, g, col, c.inZP)
			require.Equal(t, want, dst, "%s: %s", path, c.desc)
			dst = append([]int8(nil), c.dst0...)
			mid := r.IntN(g.OutH + 1)
			ConvInt8HWCRows(src, dst, w, rq, g, col, c.inZP, mid, g.OutH)
			ConvInt8HWCRows(src, dst, w, rq, g, col, c.inZP, 0, mid)
			require.Equal(t, want, dst, "%s in bands: %s", path, c.desc)
		}
	}
	c := cases[len(cases)-3]
	w := PackConvInt8HWC(c.w, c.out, c.g.C, 3, 3, 1)
	assert.Panics(t, func() { ConvInt8HWCRows(c.src, make([]int8, len(c.dst0)), w, c.q.requant(w), c.g, nil, 0, 0, 1) }, "nil col")
	assert.Panics(t, func() { PackConvInt8HWC(c.w, 24, 16, 3, 3, 5) }, "groups not dividing out")
}

// TestPoolInt8HWC checks the HWC pools against the CHW ones on the same
// images, including windows clipped by padding and global pools.
func TestPoolInt8HWC(t *testing.T) {
	r := rand.New(rand.NewPCG(73, 74))
	gs := []ConvGeom{
		{C: 64, H: 112, W: 112, KH: 3, KW: 3, SH: 2, SW: 2, PadT: 1, PadL: 1, OutH: 56, OutW: 56}, // ResNet stem
		{C: 1280, H: 7, W: 7, KH: 7, KW: 7, SH: 1, SW: 1, OutH: 1, OutW: 1},                       // global
		// Windows of more than 257 cells (the average pool folds its 16-bit
		// sums every 257), all 127 and random.
		{C: 24, H: 17, W: 17, KH: 17, KW: 17, SH: 1, SW: 1, OutH: 1, OutW: 1},
		{C: 5, H: 9, W: 8, KH: 2, KW: 3, SH: 2, SW: 1, PadT: 1, PadL: 2, OutH: 5, OutW: 8},
		{C: 17, H: 20, W: 20, KH: 20, KW: 15, SH: 1, SW: 5, OutH: 1, OutW: 2},
	}
	for range 100 {
		g := randConvGeom(r, 1+r.IntN(40))
		if g.PadT >= g.KH || g.PadL >= g.KW || (g.OutH-1)*g.SH-g.PadT >= g.H || (g.OutW-1)*g.SW-g.PadL >= g.W {
			continue
		}
		gs = append(gs, g)
	}
	for i, g := range gs {
		src := randInt8(r, g.C*g.H*g.W, i%4, -128)
		for _, isMax := range []bool{true, false} {
			want := make([]int8, g.C*g.OutH*g.OutW)
			got := make([]int8, len(want))
			if isMax {
				MaxPoolInt8(src, want, g)
				MaxPoolInt8HWC(toHWC(src, g.C, g.H, g.W), got, g)
			} else {
				AvgPoolInt8(src, want, g)
				AvgPoolInt8HWC(toHWC(src, g.C, g.H, g.W), got, g)
			}
			require.Equal(t, toHWC(want, g.C, g.OutH, g.OutW), got, "max %v %+v", isMax, g)
		}
	}
}

func TestTransposeInt8(t *testing.T) {
	r := rand.New(rand.NewPCG(75, 76))
	for _, s := range [][2]int{{1, 1}, {3, 70}, {64, 3136}, {33, 31}} {
		rows, cols := s[0], s[1]
		a := randInt8(r, rows*cols, 0, -128)
		tr := make([]int8, rows*cols)
		TransposeInt8(tr, rows, a, cols, rows, cols)
		require.Equal(t, toHWC(a, rows, 1, cols), tr, "%dx%d", rows, cols)
	}
	assert.Panics(t, func() { TransposeInt8(make([]int8, 5), 2, make([]int8, 6), 3, 2, 3) })
}

// TestMaxPoolInt8HWCGuarded runs the HWC max pool on every path with src
// and dst ending at an inaccessible page, channel counts with every tail
// of the 32- and 16-channel steps, against the reference loop.
func TestMaxPoolInt8HWCGuarded(t *testing.T) {
	r := rand.New(rand.NewPCG(77, 78))
	srcMem, dstMem := guarded(t, 1<<16), guarded(t, 1<<16)
	for i := range 300 {
		g := randConvGeom(r, []int{1, 15, 16, 17, 31, 32, 33, 48, 64, 70}[i%10])
		if g.PadT >= g.KH || g.PadL >= g.KW || (g.OutH-1)*g.SH-g.PadT >= g.H || (g.OutW-1)*g.SW-g.PadL >= g.W {
			continue
		}
		src := srcMem[len(srcMem)-g.C*g.H*g.W:]
		copy(src, randInt8(r, len(src), i%4, -128))
		want := make([]int8, g.C*g.OutH*g.OutW)
		maxPoolHWCInt8Generic(src, want, g, 0)
		dst := dstMem[len(dstMem)-len(want):]
		for _, path := range Paths() {
			usePath(t, path)
			MaxPoolInt8HWC(src, dst, g)
			require.Equal(t, want, []int8(dst), "%s %+v", path, g)
		}
	}
}

// TestIm2colHWCGuarded unfolds HWC images on every path against the
// tap-by-tap reference, src and col each ending at an inaccessible page:
// window rows of 1 to 20 values (the assembly copies those of 8 or more),
// strides, padding on every side, and bands of output rows.
func TestIm2colHWCGuarded(t *testing.T) {
	r := rand.New(rand.NewPCG(95, 96))
	srcMem, colMem := guarded(t, 1<<14), guarded(t, 1<<16)
	for i := range 150 {
		g := randConvGeom(r, 1+i%5)
		g.H, g.W = g.H+4, g.W+4
		g.OutH = (g.H+2*g.PadT-g.KH)/g.SH + 1
		g.OutW = (g.W+2*g.PadL-g.KW)/g.SW + 1
		k := g.C * g.KH * g.KW
		src := srcMem[len(srcMem)-g.C*g.H*g.W:]
		copy(src, randInt8(r, len(src), 0, -128))
		want := make([]int8, k*g.OutH*g.OutW)
		for oh := range g.OutH {
			im2colHWCTaps(src, g, 1, -7, want, oh, 0, g.OutW)
		}
		col := colMem[len(colMem)-len(want):]
		for _, path := range Paths() {
			usePath(t, path)
			fillInt8(col, 99)
			mid := r.IntN(g.OutH + 1)
			im2colHWC(src, g, 1, -7, col, mid, g.OutH)
			im2colHWC(src, g, 1, -7, col, 0, mid)
			require.Equal(t, want, []int8(col), "%s %+v", path, g)
		}
	}
}
