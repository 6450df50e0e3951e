package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"github.com/klauspost/cpuid/v2"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/quant"
)

// The int8 tests check every path in Paths against references written here
// from the definition in quant: the accumulator is computed in int64 from the
// unfolded bias and the zero-point-corrected activations, checked to fit in
// int32, and passed to quant.Requantize.

// requantParams are the unfolded parameters of an int8 layer, as a converter
// produces them.
type requantParams struct {
	bias       []int32 // quantized bias, input zero point not folded in
	multiplier []int32
	shift      []int32
	inZP       int32
	outZP      int32
	min, max   int32
}

// requant returns the Requant that GemmInt8 takes for weights w.
func (q *requantParams) requant(w *PackedInt8) *Requant {
	return &Requant{Bias: FoldZeroPoint(q.bias, w.RowSums(), q.inZP), Multiplier: q.multiplier, Shift: q.shift,
		ZeroPoint: q.outZP, Min: q.min, Max: q.max}
}

// output is the definition: the int64 accumulator must fit in int32, then
// quant.Requantize.
func (q *requantParams) output(tb testing.TB, i int, acc int64) int8 {
	acc += int64(q.bias[i])
	if acc < math.MinInt32 || acc > math.MaxInt32 {
		tb.Fatalf("test bug: accumulator %d of row %d does not fit in int32", acc, i)
	}
	return quant.Requantize(int32(acc), q.multiplier[i], int(q.shift[i]), q.outZP, q.min, q.max)
}

// zeroPoints are the classes of zero point every test covers.
func randZeroPoint(r *rand.Rand, class int) int32 {
	switch class % 4 {
	case 0:
		return -128
	case 1:
		return 0
	case 2:
		return 127
	}
	return int32(r.IntN(256) - 128)
}

// randRequant returns parameters for m rows whose accumulators (bias
// excluded) stay within ±accMax: random multipliers from reals in
// [1e-5, 2] (log-uniform, or scaled to the accumulator), biases that sometimes sit next to the int32
// limits, and a clamp that is none, ReLU-like or ReLU6-like.
func randRequant(r *rand.Rand, m int, accMax int64, inZP int32) *requantParams {
	q := &requantParams{inZP: inZP, outZP: randZeroPoint(r, r.IntN(4))}
	for range m {
		var b int64
		switch r.IntN(5) {
		case 0:
			b = 0
		case 1: // as far from 0 as the accumulator allows
			b = math.MaxInt32 - accMax - r.Int64N(3)
			if r.IntN(2) == 0 {
				b = math.MinInt32 + accMax + r.Int64N(3)
			}
		default:
			b = r.Int64N(1<<21) - 1<<20
		}
		q.bias = append(q.bias, int32(b))
		real := math.Exp(math.Log(1e-5) + r.Float64()*(math.Log(2)-math.Log(1e-5)))
		if r.IntN(2) == 0 {
			// Scaled to the typical accumulator (random data: about
			// 5500*sqrt(k)), so that most outputs fall inside the clamp.
			typical := 5500*math.Sqrt(float64(accMax)/(255*127)) + math.Abs(float64(b))
			real = min(2, (0.3+3*r.Float64())*60/typical)
		}
		mul, sh := quant.QuantizeMultiplier(real)
		q.multiplier = append(q.multiplier, mul)
		q.shift = append(q.shift, int32(sh))
	}
	switch r.IntN(3) {
	case 0:
		q.min, q.max = -128, 127
	case 1: // ReLU
		q.min, q.max = q.outZP, 127
	default: // ReLU6
		q.min = q.outZP
		q.max = min(q.outZP+int32(r.IntN(200)), 127)
	}
	return q
}

// randInt8 fills n values for one of the data classes: random, the
// extremes, or one constant extreme (all-max accumulations).
func randInt8(r *rand.Rand, n int, class int, lo int8) []int8 {
	s := make([]int8, n)
	for i := range s {
		switch class {
		case 0:
			s[i] = int8(int(lo) + r.IntN(128-int(lo)))
		case 1:
			s[i] = lo
			if r.IntN(2) == 0 {
				s[i] = 127
			}
		case 2:
			s[i] = 127
		case 3:
			s[i] = lo
		}
	}
	return s
}

type gemmInt8Case struct {
	m, n, k, groups int
	zpClass         int
	layout          int // 0 conv, 1 fully connected, 2 odd strides
	dataClass       int
}

func (c gemmInt8Case) String() string {
	return fmt.Sprintf("m%d_n%d_k%d_g%d/zp%d/layout%d/data%d", c.m, c.n, c.k, c.groups, c.zpClass, c.layout, c.dataClass)
}

func gemmInt8Cases(r *rand.Rand, random int) []gemmInt8Case {
	var out []gemmInt8Case
	add := func(m, n, k, groups int) {
		out = append(out, gemmInt8Case{m: m, n: n, k: k, groups: groups, zpClass: r.IntN(4), layout: r.IntN(3), dataClass: r.IntN(4)})
	}
	edges := []int{1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 67}
	for _, m := range edges {
		for _, n := range edges {
			add(m, n, edges[r.IntN(len(edges))], 1)
		}
	}
	for range random {
		g := 1 + r.IntN(4)
		add(g*(1+r.IntN(70/g)), 1+r.IntN(70), 1+r.IntN(70), g)
	}
	for _, k := range edges {
		add(1+r.IntN(20), 1+r.IntN(20), k, 1)
	}
	for zp := range 4 { // every zero point class with the extreme data
		for data := range 4 {
			out = append(out, gemmInt8Case{m: 13, n: 11, k: 71, groups: 1, zpClass: zp, layout: data % 3, dataClass: data})
		}
	}
	add(6, 784, 25, 1)   // LeNet conv1
	add(16, 100, 150, 1) // LeNet conv2
	add(120, 1, 400, 1)  // LeNet fc1
	add(10, 1, 84, 1)    // LeNet fc3
	add(12, 49, 9, 12)   // depthwise 3×3
	return out
}

// gemmInt8Data holds the operands of one case; each run writes to a fresh
// copy of c0.
type gemmInt8Data struct {
	gemmInt8Case
	w, x, c0           []int8
	xRS, xCS, cRS, cCS int
	q                  *requantParams
}

func newGemmInt8Data(r *rand.Rand, c gemmInt8Case) *gemmInt8Data {
	d := &gemmInt8Data{gemmInt8Case: c}
	rows := c.groups * c.k
	switch c.layout {
	case 0: // conv: X [rows][n], C [m][n], sometimes with padded rows
		pad := r.IntN(3)
		d.xRS, d.xCS, d.cRS, d.cCS = c.n+pad, 1, c.n+pad, 1
	case 1: // fully connected: X [n][rows], C [n][m]
		pad := r.IntN(3)
		d.xRS, d.xCS, d.cRS, d.cCS = 1, rows+pad, 1, c.m+pad
	default: // strided both ways
		d.xRS, d.xCS, d.cRS, d.cCS = 2*c.n+1, 2, 1, c.m+2
	}
	inZP := randZeroPoint(r, c.zpClass)
	d.w = randInt8(r, c.m*c.k, c.dataClass, -127)
	d.x = randInt8(r, (rows-1)*d.xRS+(c.n-1)*d.xCS+1, c.dataClass, -128)
	d.c0 = randInt8(r, (c.m-1)*d.cRS+(c.n-1)*d.cCS+1, 0, -128)
	d.q = randRequant(r, c.m, int64(c.k)*255*127, inZP)
	return d
}

// naive computes C from the definition.
func (d *gemmInt8Data) naive(tb testing.TB) []int8 {
	c := append([]int8(nil), d.c0...)
	mg := d.m / d.groups
	for i := range d.m {
		g := i / mg
		for j := range d.n {
			var acc int64
			for p := range d.k {
				xv := int64(d.x[(g*d.k+p)*d.xRS+j*d.xCS])
				acc += (xv - int64(d.q.inZP)) * int64(d.w[i*d.k+p])
			}
			c[i*d.cRS+j*d.cCS] = d.q.output(tb, i, acc)
		}
	}
	return c
}

// run packs the weights on the path in use and calls GemmInt8.
func (d *gemmInt8Data) run() []int8 {
	w := PackInt8Grouped(d.w, d.m, d.k, d.groups)
	c := append([]int8(nil), d.c0...)
	GemmInt8(w, d.x, d.n, d.xRS, d.xCS, d.q.requant(w), c, d.cRS, d.cCS)
	return c
}

// TestGemmInt8 checks every path against the definition. A new path needs
// no new test code.
func TestGemmInt8(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	old := Path()
	t.Cleanup(func() { _ = Use(old) })
	for _, c := range gemmInt8Cases(r, numRandom()/2) {
		d := newGemmInt8Data(r, c)
		want := d.naive(t)
		for _, path := range Paths() {
			require.NoError(t, Use(path))
			got := d.run()
			if !assert.Equal(t, want, got, "%s/%s", path, c) {
				return
			}
		}
	}
}

// TestGemmInt8Wrap checks that the int32 arithmetic may wrap in between:
// the folded bias overflows int32, the final accumulator fits.
func TestGemmInt8Wrap(t *testing.T) {
	w := []int8{127, 127}
	x := []int8{-128, -100}
	const inZP = -128 // Σ (x-zp)*w = 0 + 28*127 = 3556
	bias := []int32{math.MaxInt32 - 4000}
	folded := FoldZeroPoint(bias, []int32{254}, inZP)
	assert.Equal(t, int64(bias[0])+128*254-1<<32, int64(folded[0]), "the folded bias wraps")
	want := quant.Requantize(math.MaxInt32-4000+3556, 1<<30, -24, 0, -128, 127)
	assert.Equal(t, int8(64), want, "not saturated")
	for _, path := range Paths() {
		usePath(t, path)
		p := PackInt8(w, 1, 2)
		rq := &Requant{Bias: FoldZeroPoint(bias, p.RowSums(), inZP), Multiplier: []int32{1 << 30}, Shift: []int32{-24},
			ZeroPoint: 0, Min: -128, Max: 127}
		c := []int8{0}
		GemmInt8(p, x, 1, 1, 1, rq, c, 1, 1)
		assert.Equal(t, want, c[0], path)
	}
}

func TestPackInt8(t *testing.T) {
	w := []int8{1, -2, 3, 127, -127, 0}
	p := PackInt8(w, 2, 3)
	assert.Equal(t, []int32{2, 0}, p.RowSums())
	assert.Equal(t, 2, p.Rows())
	assert.Equal(t, 3, p.Cols())
	assert.Equal(t, 1, p.Groups())
	p.RowSums()[0] = 99
	assert.Equal(t, []int32{2, 0}, p.RowSums(), "RowSums returns a copy")
	w[0] = 100
	assert.Equal(t, []int32{2, 0}, p.RowSums(), "PackInt8 copies")

	assert.PanicsWithValue(t, "kernels: PackInt8: weight (1, 1) is -128; int8 weights must lie in [-127, 127]", func() {
		PackInt8([]int8{1, 2, 3, 4, -128, 6}, 2, 3)
	})
	assert.Panics(t, func() { PackInt8(w, 3, 3) }, "short")
	assert.Panics(t, func() { PackInt8(w, 0, 3) }, "no rows")
	assert.Panics(t, func() { PackInt8Grouped(w, 3, 2, 2) }, "groups do not divide m")

	assert.Equal(t, []int32{10 - 3*2, 20}, FoldZeroPoint([]int32{10, 20}, []int32{2, 0}, 3))
	assert.Equal(t, []int32{6, 0}, FoldZeroPoint(nil, []int32{2, 0}, -3))
	assert.Panics(t, func() { FoldZeroPoint([]int32{1}, []int32{2, 0}, 3) })
}

func TestGemmInt8Panics(t *testing.T) {
	p := PackInt8([]int8{1, 2, 3, 4, 5, 6}, 2, 3)
	ok := func() *Requant {
		return &Requant{Bias: []int32{0, 0}, Multiplier: []int32{1 << 30, 1 << 30}, Shift: []int32{0, 0}, Min: -128, Max: 127}
	}
	x, c := make([]int8, 12), make([]int8, 8)
	GemmInt8(p, x, 4, 4, 1, ok(), c, 4, 1)
	GemmInt8(p, nil, 0, 1, 1, ok(), nil, 1, 1) // n == 0: nothing to do

	assert.PanicsWithValue(t, "kernels: GemmInt8: len(x)=11 < 12 for 3×4 with strides (4, 1)", func() { GemmInt8(p, x[:11], 4, 4, 1, ok(), c, 4, 1) })
	assert.PanicsWithValue(t, "kernels: GemmInt8: len(c)=7 < 8 for 2×4 with strides (4, 1)", func() { GemmInt8(p, x, 4, 4, 1, ok(), c[:7], 4, 1) })
	assert.Panics(t, func() { GemmInt8(p, x, 4, 0, 1, ok(), c, 4, 1) }, "zero stride")
	assert.Panics(t, func() { GemmInt8(nil, x, 4, 4, 1, ok(), c, 4, 1) }, "nil weights")
	assert.Panics(t, func() { GemmInt8(p, x, 4, 4, 1, nil, c, 4, 1) }, "nil Requant")
	bad := []struct {
		msg string
		f   func(*Requant)
	}{
		{"kernels: GemmInt8: Requant has 1 biases, 2 multipliers, 2 shifts for 2 output channels", func(rq *Requant) { rq.Bias = rq.Bias[:1] }},
		{"kernels: GemmInt8: Requant.Shift[1] = 32 is not within [-31, 31]", func(rq *Requant) { rq.Shift[1] = 32 }},
		{"kernels: GemmInt8: Requant clamp [10, 5] is not within [-128, 127]", func(rq *Requant) { rq.Min, rq.Max = 10, 5 }},
		{"kernels: GemmInt8: Requant clamp [-129, 127] is not within [-128, 127]", func(rq *Requant) { rq.Min = -129 }},
		{"kernels: GemmInt8: Requant zero point 128 is not within [-128, 127]", func(rq *Requant) { rq.ZeroPoint = 128 }},
	}
	for _, b := range bad {
		rq := ok()
		b.f(rq)
		assert.PanicsWithValue(t, b.msg, func() { GemmInt8(p, x, 4, 4, 1, rq, c, 4, 1) })
	}
}

// TestGemmInt8Layout fakes a path whose packed layout differs from
// generic's: weights packed for one must not be read by the other.
func TestGemmInt8Layout(t *testing.T) {
	saved := table
	old := Path()
	t.Cleanup(func() {
		table = saved
		_ = Use(old)
	})
	other := &int8Impl{pack: packInt8Generic, gemm: gemmInt8Generic}
	table = []*impl{genericImpl, {name: PathAVX2, sgemm: sgemmGeneric, i8: other}}

	require.NoError(t, Use(PathGeneric))
	w := []int8{1, 2, 3, 4}
	pg := PackInt8(w, 2, 2)
	rq := &Requant{Bias: []int32{0, 0}, Multiplier: []int32{1 << 30, 1 << 30}, Shift: []int32{1, 1}, Min: -128, Max: 127}
	x, c := []int8{1, 2}, []int8{0, 0}
	GemmInt8(pg, x, 1, 1, 1, rq, c, 1, 1)
	assert.Equal(t, []int8{5, 11}, c)

	require.NoError(t, Use(PathAVX2))
	assert.PanicsWithValue(t, `kernels: GemmInt8: the weights were packed for path generic, but avx2 is in use: pack them again after kernels.Use`,
		func() { GemmInt8(pg, x, 1, 1, 1, rq, c, 1, 1) })
	assert.Panics(t, func() {
		ConvInt8(x, c, pg, rq, ConvGeom{C: 2, H: 1, W: 1, KH: 1, KW: 1, SH: 1, SW: 1, OutH: 1, OutW: 1}, nil, 0)
	})
	pt := PackInt8(w, 2, 2)
	clear(c)
	GemmInt8(pt, x, 1, 1, 1, rq, c, 1, 1)
	assert.Equal(t, []int8{5, 11}, c)

	require.NoError(t, Use(PathGeneric))
	assert.Panics(t, func() { GemmInt8(pt, x, 1, 1, 1, rq, c, 1, 1) })
}

// convInt8Case is one random convolution.
type convInt8Case struct {
	g              ConvGeom
	out, groups    int
	w, src         []int8
	q              *requantParams
	inZP           int8
	wantDst, dst0  []int8
	desc           string
	k, pixels, ocg int
}

func newConvInt8Case(r *rand.Rand, g ConvGeom, out, groups int, zpClass, dataClass int) *convInt8Case {
	c := &convInt8Case{g: g, out: out, groups: groups, ocg: out / groups, k: g.C / groups * g.KH * g.KW, pixels: g.OutH * g.OutW}
	c.inZP = int8(randZeroPoint(r, zpClass))
	c.w = randInt8(r, out*c.k, dataClass, -127)
	c.src = randInt8(r, g.C*g.H*g.W, dataClass, -128)
	c.q = randRequant(r, out, int64(c.k)*255*127, int32(c.inZP))
	c.dst0 = randInt8(r, out*c.pixels, 0, -128)
	c.desc = fmt.Sprintf("%+v out %d groups %d zp %d", g, out, groups, c.inZP)
	return c
}

// naive is a direct-loop convolution from the definition: padding cells
// hold the input zero point.
func (c *convInt8Case) naive(tb testing.TB) []int8 {
	g := c.g
	dst := make([]int8, c.out*c.pixels)
	cg := g.C / c.groups
	for oc := range c.out {
		grp := oc / c.ocg
		for oh := range g.OutH {
			for ow := range g.OutW {
				var acc int64
				for ci := range cg {
					for kh := range g.KH {
						for kw := range g.KW {
							ih, iw := oh*g.SH-g.PadT+kh, ow*g.SW-g.PadL+kw
							v := int64(c.inZP)
							if ih >= 0 && ih < g.H && iw >= 0 && iw < g.W {
								v = int64(c.src[((grp*cg+ci)*g.H+ih)*g.W+iw])
							}
							acc += (v - int64(c.inZP)) * int64(c.w[((oc*cg+ci)*g.KH+kh)*g.KW+kw])
						}
					}
				}
				dst[(oc*g.OutH+oh)*g.OutW+ow] = c.q.output(tb, oc, acc)
			}
		}
	}
	return dst
}

func (c *convInt8Case) run() []int8 {
	w := PackInt8Grouped(c.w, c.out, c.k, c.groups)
	dst := append([]int8(nil), c.dst0...)
	col := make([]int8, c.g.C*c.g.KH*c.g.KW*c.pixels)
	ConvInt8(c.src, dst, w, c.q.requant(w), c.g, col, c.inZP)
	return dst
}

// runRows is run through PrepareConvInt8 and ConvInt8Rows over random
// bands of output rows, last band first, with col holding garbage at the
// start: each band must unfold what it reads.
func (c *convInt8Case) runRows(r *rand.Rand) []int8 {
	w := PackInt8Grouped(c.w, c.out, c.k, c.groups)
	rq := c.q.requant(w)
	dst := append([]int8(nil), c.dst0...)
	col := make([]int8, c.g.C*c.g.KH*c.g.KW*c.pixels)
	for i := range col {
		col[i] = int8(r.Uint32())
	}
	PrepareConvInt8(c.src, w, c.g, col, c.inZP)
	cut := r.IntN(c.g.OutH + 1)
	ConvInt8Rows(c.src, dst, w, rq, c.g, col, c.inZP, cut, c.g.OutH)
	ConvInt8Rows(c.src, dst, w, rq, c.g, col, c.inZP, 0, cut)
	return dst
}

func randConvGeom(r *rand.Rand, c int) ConvGeom {
	for {
		g := ConvGeom{C: c, H: 1 + r.IntN(10), W: 1 + r.IntN(10), KH: 1 + r.IntN(4), KW: 1 + r.IntN(4),
			SH: 1 + r.IntN(3), SW: 1 + r.IntN(3), PadT: r.IntN(3), PadL: r.IntN(3)}
		padB, padR := r.IntN(3), r.IntN(3)
		if g.H+g.PadT+padB < g.KH || g.W+g.PadL+padR < g.KW {
			continue
		}
		g.OutH = (g.H+g.PadT+padB-g.KH)/g.SH + 1
		g.OutW = (g.W+g.PadL+padR-g.KW)/g.SW + 1
		return g
	}
}

// TestConvInt8 checks ConvInt8 on every path against a direct-loop
// convolution: strides, asymmetric padding, groups, 1×1 and LeNet shapes.
func TestConvInt8(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	var cases []*convInt8Case
	n := 200
	if testing.Short() {
		n = 60
	}
	for i := range n {
		groups := []int{1, 1, 2, 3}[r.IntN(4)]
		g := randConvGeom(r, groups*(1+r.IntN(4)))
		cases = append(cases, newConvInt8Case(r, g, groups*(1+r.IntN(5)), groups, i, r.IntN(4)))
	}
	lenet1 := ConvGeom{C: 1, H: 32, W: 32, KH: 5, KW: 5, SH: 1, SW: 1, OutH: 28, OutW: 28}
	lenet2 := ConvGeom{C: 6, H: 14, W: 14, KH: 5, KW: 5, SH: 1, SW: 1, OutH: 10, OutW: 10}
	pointwise := ConvGeom{C: 6, H: 5, W: 7, KH: 1, KW: 1, SH: 1, SW: 1, OutH: 5, OutW: 7}
	depthwise := ConvGeom{C: 8, H: 9, W: 9, KH: 3, KW: 3, SH: 2, SW: 2, PadT: 1, PadL: 1, OutH: 5, OutW: 5}
	// AlexNet conv1 takes the direct path on vnni and im2col on avx2.
	alex1 := ConvGeom{C: 1, H: 32, W: 32, KH: 11, KW: 11, SH: 1, SW: 1, PadT: 1, PadL: 1, OutH: 24, OutW: 24}
	cases = append(cases,
		newConvInt8Case(r, alex1, 96, 1, 1, 3),
		newConvInt8Case(r, lenet1, 6, 1, 0, 0),
		newConvInt8Case(r, lenet2, 16, 1, 3, 0),
		newConvInt8Case(r, pointwise, 9, 3, 2, 1),
		newConvInt8Case(r, depthwise, 8, 8, 1, 0),
	)
	old := Path()
	t.Cleanup(func() { _ = Use(old) })
	for _, c := range cases {
		want := c.naive(t)
		for _, path := range Paths() {
			require.NoError(t, Use(path))
			if !assert.Equal(t, want, c.run(), "%s: %s", path, c.desc) ||
				!assert.Equal(t, want, c.runRows(r), "%s: in bands of rows: %s", path, c.desc) {
				return
			}
		}
	}

	// A 1×1 convolution with stride 1 and no padding needs no col.
	c := newConvInt8Case(r, pointwise, 4, 2, 3, 0)
	w := PackInt8Grouped(c.w, c.out, c.k, c.groups)
	dst := make([]int8, len(c.dst0))
	ConvInt8(c.src, dst, w, c.q.requant(w), c.g, nil, c.inZP)
	assert.Equal(t, c.naive(t), dst)
	assert.Panics(t, func() { ConvInt8(c.src, dst, PackInt8(c.w, c.out, c.k), c.q.requant(w), c.g, nil, c.inZP) }, "groups mismatch")

	// Row bands out of range, and a col too short for the im2col matrix.
	pw1 := newConvInt8Case(r, ConvGeom{C: 1, H: 32, W: 32, KH: 5, KW: 5, SH: 1, SW: 1, OutH: 28, OutW: 28}, 6, 1, 0, 0)
	w1 := PackInt8(pw1.w, pw1.out, pw1.k)
	col := make([]int8, pw1.k*pw1.pixels)
	dst1 := make([]int8, len(pw1.dst0))
	for _, rows := range [][2]int{{-1, 3}, {3, 2}, {0, 29}} {
		assert.PanicsWithValue(t, fmt.Sprintf("kernels: ConvInt8Rows: rows [%d, %d) outside [0, 28)", rows[0], rows[1]), func() {
			ConvInt8Rows(pw1.src, dst1, w1, pw1.q.requant(w1), pw1.g, col, pw1.inZP, rows[0], rows[1])
		})
	}
	assert.PanicsWithValue(t, fmt.Sprintf("kernels: ConvInt8: col has 100 values, need %d for %+v", len(col), pw1.g), func() {
		ConvInt8(pw1.src, dst1, w1, pw1.q.requant(w1), pw1.g, col[:100], pw1.inZP)
	})
}

func TestIm2colInt8(t *testing.T) {
	src := []int8{1, 2, 3, 4, 5, 6, 7, 8, 9}
	g := ConvGeom{C: 1, H: 3, W: 3, KH: 2, KW: 2, SH: 2, SW: 2, PadT: 1, PadL: 1, OutH: 2, OutW: 2}
	dst := make([]int8, 16)
	Im2colInt8(src, g, -7, dst)
	assert.Equal(t, []int8{
		-7, -7, -7, 5, // kh=0 kw=0
		-7, -7, 4, 6, // kh=0 kw=1
		-7, 2, -7, 8, // kh=1 kw=0
		1, 3, 7, 9, // kh=1 kw=1
	}, dst)
	assert.Panics(t, func() { Im2colInt8(src, g, 0, dst[:15]) })
}

func TestPoolInt8Hand(t *testing.T) {
	src := []int8{-1, -2, -3, -4, -5, -6, -7, -8, -9, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	g := ConvGeom{C: 2, H: 3, W: 3, KH: 2, KW: 2, SH: 2, SW: 2, PadT: 1, PadL: 1, OutH: 2, OutW: 2}
	dst := make([]int8, 8)
	MaxPoolInt8(src, dst, g)
	// Windows {1}, {2,3}, {4,7}, {5,6,8,9}: padding never wins the max.
	assert.Equal(t, []int8{-1, -2, -4, -5, 1, 3, 7, 9}, dst)
	AvgPoolInt8(src, dst, g)
	// Means -1, -2.5, -5.5, -7 and their negatives: ties away from zero.
	assert.Equal(t, []int8{-1, -3, -6, -7, 1, 3, 6, 7}, dst)

	src = []int8{
		1, 5, 2, 0,
		3, 4, 8, 1,
		0, 0, 6, 7,
		-1, 2, 5, 5,
	}
	g = ConvGeom{C: 1, H: 4, W: 4, KH: 2, KW: 2, SH: 2, SW: 2, OutH: 2, OutW: 2}
	dst = make([]int8, 4)
	MaxPoolInt8(src, dst, g)
	assert.Equal(t, []int8{5, 8, 2, 7}, dst)
	AvgPoolInt8(src, dst, g)
	// Means 3.25, 2.75, 0.25, 5.75.
	assert.Equal(t, []int8{3, 3, 0, 6}, dst)

	// Extremes: a global pool of an all -128 and an all 127 channel (the sum
	// of 64×64 cells needs more than int16).
	src = make([]int8, 2*64*64)
	for i := range src {
		src[i] = -128
		if i >= 64*64 {
			src[i] = 127
		}
	}
	g = ConvGeom{C: 2, H: 64, W: 64, KH: 64, KW: 64, SH: 1, SW: 1, OutH: 1, OutW: 1}
	dst = make([]int8, 2)
	AvgPoolInt8(src, dst, g)
	assert.Equal(t, []int8{-128, 127}, dst)
	MaxPoolInt8(src, dst, g)
	assert.Equal(t, []int8{-128, 127}, dst)

	// A window in the padding only is refused.
	g = ConvGeom{C: 1, H: 4, W: 4, KH: 2, KW: 2, SH: 2, SW: 2, PadL: 2, OutH: 1, OutW: 1}
	assert.Panics(t, func() { MaxPoolInt8(src, dst, g) })
	g = ConvGeom{C: 1, H: 4, W: 4, KH: 2, KW: 2, SH: 2, SW: 2, OutH: 3, OutW: 1}
	assert.PanicsWithValue(t, fmt.Sprintf("kernels: AvgPoolInt8: a window of %+v lies entirely in the padding", g), func() { AvgPoolInt8(src, make([]int8, 3), g) })
	assert.Panics(t, func() {
		MaxPoolInt8(src[:3], dst, ConvGeom{C: 1, H: 2, W: 2, KH: 1, KW: 1, SH: 1, SW: 1, OutH: 1, OutW: 1})
	}, "short")
}

// TestPoolInt8 checks the pools against their definition on random
// geometries: the max, and the exact mean rounded half away from zero.
func TestPoolInt8(t *testing.T) {
	r := rand.New(rand.NewPCG(25, 26))
	for i := range 300 {
		g := randConvGeom(r, 1+r.IntN(3))
		if g.PadT >= g.KH || g.PadL >= g.KW || (g.OutH-1)*g.SH-g.PadT >= g.H || (g.OutW-1)*g.SW-g.PadL >= g.W {
			continue
		}
		src := randInt8(r, g.C*g.H*g.W, i%4, -128)
		wantMax, wantAvg := make([]int8, g.C*g.OutH*g.OutW), make([]int8, g.C*g.OutH*g.OutW)
		for c := range g.C {
			for oh := range g.OutH {
				for ow := range g.OutW {
					m, sum, n := math.MinInt, 0, 0
					for kh := range g.KH {
						for kw := range g.KW {
							ih, iw := oh*g.SH-g.PadT+kh, ow*g.SW-g.PadL+kw
							if ih >= 0 && ih < g.H && iw >= 0 && iw < g.W {
								v := int(src[(c*g.H+ih)*g.W+iw])
								m, sum, n = max(m, v), sum+v, n+1
							}
						}
					}
					o := (c*g.OutH+oh)*g.OutW + ow
					wantMax[o] = int8(m)
					wantAvg[o] = int8(math.Round(float64(sum) / float64(n))) // math.Round: half away from zero
				}
			}
		}
		dst := make([]int8, len(wantMax))
		MaxPoolInt8(src, dst, g)
		require.Equal(t, wantMax, dst, "max %+v", g)
		AvgPoolInt8(src, dst, g)
		require.Equal(t, wantAvg, dst, "avg %+v", g)
	}
}

func TestRoundDiv(t *testing.T) {
	for n := int32(1); n <= 20; n++ {
		for sum := -300 * n; sum <= 300*n; sum++ {
			want := int32(math.Round(float64(sum) / float64(n)))
			if got := roundDiv(sum, n); got != want {
				t.Fatalf("roundDiv(%d, %d) = %d, want %d", sum, n, got, want)
			}
		}
	}
}

func TestLookupInt8(t *testing.T) {
	var relu [256]int8
	for i := range relu {
		relu[i] = max(int8(i), 0) // int8(i): 0 ... 127, then -128 ... -1
	}
	src := []int8{-128, -1, 0, 1, 127, -5}
	dst := make([]int8, 7)
	dst[6] = 42
	LookupInt8(dst, src, &relu)
	assert.Equal(t, []int8{0, 0, 0, 1, 127, 0, 42}, dst)
	var neg [256]int8
	for i := range neg {
		neg[i] = int8(min(127, -int(int8(i))))
	}
	LookupInt8(src, src, &neg) // in place
	assert.Equal(t, []int8{127, 1, 0, -1, -127, 5}, src)
	assert.Panics(t, func() { LookupInt8(dst[:2], src, &neg) })
}

func TestInt8Allocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	r := rand.New(rand.NewPCG(27, 28))
	g := ConvGeom{C: 6, H: 14, W: 14, KH: 5, KW: 5, SH: 1, SW: 1, OutH: 10, OutW: 10}
	c := newConvInt8Case(r, g, 16, 2, 0, 0)
	col := make([]int8, g.C*g.KH*g.KW*c.pixels)
	dst := make([]int8, len(c.dst0))
	for _, path := range Paths() {
		usePath(t, path)
		w := PackInt8Grouped(c.w, c.out, c.k, c.groups)
		rq := c.q.requant(w)
		allocs := testing.AllocsPerRun(20, func() { ConvInt8(c.src, dst, w, rq, g, col, c.inZP) })
		assert.Zero(t, allocs, "%s: allocations per ConvInt8", path)
		wf := PackInt8(c.w, c.out, c.k)
		allocs = testing.AllocsPerRun(20, func() { GemmInt8(wf, col, c.pixels, c.pixels, 1, rq, dst, c.pixels, 1) })
		assert.Zero(t, allocs, "%s: allocations per GemmInt8", path)
		allocs = testing.AllocsPerRun(20, func() { GemmInt8(wf, col, 4, 1, c.k, rq, dst, 1, c.out) })
		assert.Zero(t, allocs, "%s: allocations per GemmInt8 (fully connected)", path)
	}
}

func benchGemmInt8(b *testing.B, m, n, k int) {
	r := rand.New(rand.NewPCG(29, 30))
	wq := randInt8(r, m*k, 0, -127)
	x := randInt8(r, k*n, 0, -128)
	q := randRequant(r, m, int64(k)*255*127, 3)
	c := make([]int8, m*n)
	w := PackInt8(wq, m, k)
	rq := q.requant(w)
	b.ResetTimer()
	for b.Loop() {
		GemmInt8(w, x, n, n, 1, rq, c, n, 1)
	}
	b.ReportMetric(float64(m)*float64(n)*float64(k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
}

func BenchmarkGemmInt8(b *testing.B) {
	shapes := []struct{ m, n, k int }{
		{512, 512, 512},
		{6, 784, 25},   // LeNet conv1 (28x28 output)
		{16, 100, 150}, // LeNet conv2
		{120, 1, 400},  // LeNet fc1, one image
	}
	for _, path := range Paths() {
		for _, s := range shapes {
			b.Run(fmt.Sprintf("%s/%dx%dx%d", path, s.m, s.n, s.k), func(b *testing.B) {
				usePath(b, path)
				benchGemmInt8(b, s.m, s.n, s.k)
			})
		}
	}
}

func BenchmarkConvInt8(b *testing.B) {
	geoms := []struct {
		name string
		g    ConvGeom
		out  int
	}{
		{"lenet-conv1", ConvGeom{C: 1, H: 32, W: 32, KH: 5, KW: 5, SH: 1, SW: 1, OutH: 28, OutW: 28}, 6},
		{"lenet-conv2", ConvGeom{C: 6, H: 14, W: 14, KH: 5, KW: 5, SH: 1, SW: 1, OutH: 10, OutW: 10}, 16},
		{"alexnet-conv1", ConvGeom{C: 1, H: 32, W: 32, KH: 11, KW: 11, SH: 1, SW: 1, PadT: 1, PadL: 1, OutH: 24, OutW: 24}, 96},
	}
	for _, path := range Paths() {
		for _, s := range geoms {
			b.Run(path+"/"+s.name, func(b *testing.B) {
				usePath(b, path)
				r := rand.New(rand.NewPCG(31, 32))
				c := newConvInt8Case(r, s.g, s.out, 1, 3, 0)
				w := PackInt8(c.w, c.out, c.k)
				rq := c.q.requant(w)
				col := make([]int8, s.g.C*s.g.KH*s.g.KW*c.pixels)
				dst := make([]int8, len(c.dst0))
				b.ResetTimer()
				for b.Loop() {
					ConvInt8(c.src, dst, w, rq, s.g, col, c.inZP)
				}
				b.ReportMetric(float64(c.out*c.k*c.pixels)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
			})
		}
	}
}

// TestGemmInt8Epilogue drives the requantize epilogue of every path with
// accumulators anywhere in int32: one weight of 1 times an activation of 0
// leaves acc = Bias, so random biases, multipliers (including MinInt32, the
// SQRDMULH saturation, and negative ones), every shift in [-31, 31], exact
// rounding ties and every zero point meet quant.Requantize directly. The 37
// channels and 11 columns leave tails in every tile shape.
func TestGemmInt8Epilogue(t *testing.T) {
	r := rand.New(rand.NewPCG(33, 34))
	const m, n = 37, 11
	w := make([]int8, m)
	for i := range w {
		w[i] = 1
	}
	x := make([]int8, n)
	rounds := 300
	if testing.Short() {
		rounds = 60
	}
	for _, path := range Paths() {
		usePath(t, path)
		p := PackInt8(w, m, 1)
		for round := range rounds {
			rq := randEpilogue(r, m, round)
			// The conv layout (C [m][n]) and the fully connected one (C
			// [n][m]), which the paths run on different kernels.
			c, cf := make([]int8, m*n), make([]int8, m*n)
			GemmInt8(p, x, n, n, 1, rq, c, n, 1)
			GemmInt8(p, x, n, 1, 1, rq, cf, 1, m)
			for i := range m {
				want := requantRef(rq, i, rq.Bias[i])
				for j := range n {
					if c[i*n+j] != want || cf[j*m+i] != want {
						t.Fatalf("%s: channel %d column %d: acc %d multiplier %d shift %d zp %d [%d, %d]: got %d and %d, want %d",
							path, i, j, rq.Bias[i], rq.Multiplier[i], rq.Shift[i], rq.ZeroPoint, rq.Min, rq.Max, c[i*n+j], cf[j*m+i], want)
					}
				}
			}
		}
	}
}

// randEpilogue returns a Requant of m channels for epilogue tests: the
// biases are the accumulators to requantize, anywhere in int32 (the
// extremes, small values with many exact ties in the right shift, ties
// after a halving multiplier, random); multipliers random, 2^30, near
// 2^31 or MinInt32 (the SQRDMULH saturation); every shift in [-31, 31];
// zero point class round%4, and a random clamp every third round.
func randEpilogue(r *rand.Rand, m, round int) *Requant {
	rq := &Requant{Bias: make([]int32, m), Multiplier: make([]int32, m), Shift: make([]int32, m)}
	rq.ZeroPoint = randZeroPoint(r, round)
	rq.Min, rq.Max = -128, 127
	if round%3 == 1 {
		rq.Min = int32(r.IntN(256) - 128)
		rq.Max = rq.Min + int32(r.IntN(128-int(rq.Min)))
	}
	for i := range m {
		sh := int32(r.IntN(63) - 31)
		if round%4 == 2 { // no channel shifts left: the kernels' shorter epilogue
			sh = -int32(r.IntN(32))
		}
		rq.Shift[i] = sh
		switch r.IntN(6) {
		case 0:
			rq.Multiplier[i] = math.MinInt32
		case 1:
			rq.Multiplier[i] = int32(r.Uint32())
		case 2:
			rq.Multiplier[i] = 1 << 30
		default:
			rq.Multiplier[i] = int32(1<<30 + r.IntN(1<<30))
		}
		var acc int32
		switch r.IntN(7) {
		case 0:
			acc = []int32{math.MinInt32, math.MaxInt32, -1, 0, 1, math.MinInt32 + 1}[r.IntN(6)]
		case 1: // small values: many exact ties in the right shift
			acc = int32(r.IntN(1<<12) - 1<<11)
		case 2: // a tie after SQRDMULH by 2^30 (halving): acc = (2q+1) * 2^(e-1) * 2
			e := max(-sh, 1)
			rq.Multiplier[i] = 1 << 30
			acc = int32((2*int64(r.IntN(64)-32) + 1) << e)
		case 3: // below -2^30 after SQRDMULH (bit 30 clear: the rounding's
			// sign fix-up must take bit 31 alone), at or one past a tie of
			// a right shift that brings it into the int8 range; SQRDMULH
			// by MaxInt32 maps acc to acc+1 there
			e := 24 + r.IntN(6)
			rq.Shift[i], rq.Multiplier[i] = -int32(e), math.MaxInt32
			x := -int64(3)<<29 - r.Int64N(1<<29)
			x = x>>e<<e + int64(1)<<(e-1) + r.Int64N(2)
			acc = int32(x - 1)
		default:
			acc = int32(r.Uint32())
		}
		rq.Bias[i] = acc
	}
	return rq
}

// requantRef is quant.Requantize of accumulator acc of channel i under rq.
func requantRef(rq *Requant, i int, acc int32) int8 {
	return quant.Requantize(acc, rq.Multiplier[i], int(rq.Shift[i]), rq.ZeroPoint, rq.Min, rq.Max)
}

// TestPathsArm64 checks the dispatch: on arm64 neon always runs, and
// dotprod runs exactly when the CPU has the dot product.
func TestPathsArm64(t *testing.T) {
	if runtime.GOARCH != "arm64" || purego {
		t.Skip("not an arm64 assembly build")
	}
	paths := Paths()
	assert.Contains(t, paths, PathNEON)
	assert.Equal(t, cpuid.CPU.Has(cpuid.ASIMDDP), slices.Contains(paths, PathDotProd), "dotprod in %v", paths)
	t.Logf("paths %v, ASIMDDP %v", paths, cpuid.CPU.Has(cpuid.ASIMDDP))
}
