package kernels

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startPath is the path chosen at start-up, before any test switched.
var startPath string

func TestMain(m *testing.M) {
	startPath = Path()
	os.Exit(m.Run())
}

// usePath switches to path for the rest of the test.
func usePath(tb testing.TB, path string) {
	tb.Helper()
	old := Path()
	require.NoError(tb, Use(path))
	tb.Cleanup(func() { _ = Use(old) })
}

// naiveSgemm is the package definition of Sgemm written as plainly as
// possible, on top of fma32 and epilogue.
func naiveSgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	for i := range m {
		for j := range n {
			ci := &c[i*ldc+j]
			if alpha == 0 || k == 0 {
				if beta == 0 {
					*ci = 0
				} else {
					*ci *= beta
				}
				continue
			}
			var acc float32
			for p := range k {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				acc = fma32(av, bv, acc)
			}
			*ci = epilogue(acc, alpha, beta, *ci)
		}
	}
}

// randVal returns a float32 with a random sign, mostly of moderate
// magnitude, sometimes large or small, sometimes zero or an exact small
// integer (whose sums cancel exactly), never subnormal products.
func randVal(r *rand.Rand) float32 {
	switch r.IntN(16) {
	case 0:
		return 0
	case 1:
		return float32(r.IntN(9) - 4)
	case 2:
		return float32(r.NormFloat64()) * 1e15
	case 3:
		return float32(r.NormFloat64()) * 1e-15
	case 5: // products in the float32 subnormal range
		return float32(r.NormFloat64()) * 1e-22
	case 4: // few mantissa bits: products land on float32 midpoints
		return float32(r.IntN(1<<12)-1<<11) * 0x1p-11
	}
	return float32(r.NormFloat64())
}

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = randVal(r)
	}
	return s
}

type gemmCase struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	lda, ldb, ldc  int
}

func (c gemmCase) String() string {
	t := func(b bool) string {
		if b {
			return "T"
		}
		return "N"
	}
	return fmt.Sprintf("%s%s/m%d_n%d_k%d/a%g_b%g/ld%d,%d,%d", t(c.transA), t(c.transB), c.m, c.n, c.k, c.alpha, c.beta, c.lda, c.ldb, c.ldc)
}

// gemmCases returns the shapes every path is tested on: edge sizes around
// every tile size, then random ones.
func gemmCases(r *rand.Rand, random int) []gemmCase {
	var out []gemmCase
	add := func(m, n, k int) {
		trans := r.IntN(4)
		c := gemmCase{transA: trans&1 != 0, transB: trans&2 != 0, m: m, n: n, k: k}
		alphas := []float32{1, 0, -0.75, 3}
		betas := []float32{0, 1, 0.5, -2}
		c.alpha = alphas[r.IntN(len(alphas))]
		c.beta = betas[r.IntN(len(betas))]
		ac, bc := k, n
		if c.transA {
			ac = m
		}
		if c.transB {
			bc = k
		}
		c.lda, c.ldb, c.ldc = ac, bc, n
		if r.IntN(2) == 0 {
			c.lda += r.IntN(5)
			c.ldb += r.IntN(5)
			c.ldc += r.IntN(5)
		}
		out = append(out, c)
	}
	edges := []int{1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 13, 15, 16, 17, 18, 24, 25, 31, 32, 33}
	for _, m := range edges {
		for _, n := range edges {
			add(m, n, edges[r.IntN(len(edges))])
		}
	}
	for range random {
		add(1+r.IntN(70), 1+r.IntN(70), 1+r.IntN(70))
	}
	// Shapes of real layers and blocks bigger than one cache block.
	add(6, 784, 25)
	add(16, 100, 150)
	add(120, 64, 400)
	add(10, 1100, 250)
	add(300, 20, 500)
	// Few rows, more columns than one accumulator block of the rows kernels.
	add(1, 4100, 70)
	add(5, 900, 33)
	add(3, 1500, 20)
	add(7, 700, 9)
	return out
}

func bitsEqual(tb testing.TB, want, got []float32, msg string) {
	tb.Helper()
	for i := range want {
		if math.Float32bits(want[i]) != math.Float32bits(got[i]) && !(want[i] != want[i] && got[i] != got[i]) {
			tb.Fatalf("%s: element %d: want %g (%#08x), got %g (%#08x)", msg, i, want[i], math.Float32bits(want[i]), got[i], math.Float32bits(got[i]))
		}
	}
}

// gemmData holds the operands of one case; the result goes to a fresh copy
// of c0 for every run.
type gemmData struct {
	gemmCase
	a, b, c0 []float32
}

func newGemmData(r *rand.Rand, c gemmCase) gemmData {
	ar, br := c.m, c.k
	if c.transA {
		ar = c.k
	}
	if c.transB {
		br = c.n
	}
	d := gemmData{gemmCase: c, a: randSlice(r, ar*c.lda), b: randSlice(r, br*c.ldb), c0: randSlice(r, c.m*c.ldc)}
	if c.beta == 0 && len(d.c0) > 0 {
		d.c0[0] = float32(math.NaN()) // beta == 0 must overwrite NaN
	}
	return d
}

type sgemmFunc func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)

func (d gemmData) run(f sgemmFunc) []float32 {
	c := append([]float32(nil), d.c0...)
	f(d.transA, d.transB, d.m, d.n, d.k, d.alpha, d.a, d.lda, d.b, d.ldb, d.beta, c, d.ldc)
	return c
}

// numRandom is the number of random Sgemm shapes; -short (for qemu) keeps
// the edge sizes and fewer random shapes.
func numRandom() int {
	if testing.Short() {
		return 40
	}
	return 400
}

// TestSgemmGeneric checks the generic path, through Sgemm, against the
// plain triple loop of the definition.
func TestSgemmGeneric(t *testing.T) {
	usePath(t, PathGeneric)
	r := rand.New(rand.NewPCG(1, 2))
	for _, c := range gemmCases(r, numRandom()/2) {
		d := newGemmData(r, c)
		bitsEqual(t, d.run(naiveSgemm), d.run(Sgemm), c.String())
	}
}

// TestSgemmPaths checks every other path this CPU runs against generic, bit
// for bit. A new path needs no new test code.
func TestSgemmPaths(t *testing.T) {
	paths := Paths()[1:]
	if len(paths) == 0 {
		t.Skip("only the generic path runs here")
	}
	r := rand.New(rand.NewPCG(3, 4))
	old := Path()
	t.Cleanup(func() { _ = Use(old) })
	for _, c := range gemmCases(r, numRandom()) {
		d := newGemmData(r, c)
		require.NoError(t, Use(PathGeneric))
		want := d.run(Sgemm)
		for _, path := range paths {
			require.NoError(t, Use(path))
			bitsEqual(t, want, d.run(Sgemm), path+"/"+c.String())
		}
	}
}

func benchShape(b *testing.B, m, n, k int) {
	r := rand.New(rand.NewPCG(5, 6))
	a := randNorm(r, m*k)
	bb := randNorm(r, k*n)
	c := make([]float32, m*n)
	b.ResetTimer()
	for b.Loop() {
		Sgemm(false, false, m, n, k, 1, a, k, bb, n, 0, c, n)
	}
	b.ReportMetric(2*float64(m)*float64(n)*float64(k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

func BenchmarkSgemm(b *testing.B) {
	shapes := []struct{ m, n, k int }{
		{512, 512, 512},
		{6, 784, 25},   // LeNet conv1 (28x28 output)
		{16, 100, 150}, // LeNet conv2
		{64, 120, 400}, // LeNet fc1, batch 64
	}
	for _, path := range Paths() {
		for _, s := range shapes {
			b.Run(fmt.Sprintf("%s/%dx%dx%d", path, s.m, s.n, s.k), func(b *testing.B) {
				usePath(b, path)
				benchShape(b, s.m, s.n, s.k)
			})
		}
	}
}

// fmaCases returns float32 triples (a, b, c) for fma32, rich in the hard
// cases: products that land on or next to a float32 rounding midpoint with a
// tiny addend, cancellation, and results in the subnormal range.
func fmaCases(r *rand.Rand, n int) [][3]float32 {
	out := [][3]float32{
		{1 + 0x1p-12, 1 + 0x1p-12, 0x1p-80},  // 1+2^-11+2^-24 is a midpoint; the addend breaks the tie
		{1 + 0x1p-12, 1 + 0x1p-12, -0x1p-80}, // the same, downwards
		{1 + 0x1p-12, 1 + 0x1p-12, 0},
		{0x1p-75, 0x1p-75 * (1 + 0x1p-23), 0x1p-140},
		{0x1p-75, 0x1p-75, -0x1p-149},
		{3, 5, -15}, {-2, 3, 6}, {0, -1, 0}, {-0.0, 1, -0.0},
		{float32(math.Inf(1)), 1, 1}, {math.MaxFloat32, 2, -math.MaxFloat32},
	}
	mant := func() float32 { return 1 + float32(r.IntN(1<<12))*0x1p-12 }
	for range n {
		var a, b, c float32
		switch r.IntN(4) {
		case 0: // raw random bits, exponents kept in range
			f := func(lo, hi int) float32 {
				return math.Float32frombits(uint32(r.IntN(2))<<31 | uint32(lo+r.IntN(hi-lo))<<23 | uint32(r.IntN(1<<23)))
			}
			a, b, c = f(64, 190), f(64, 190), f(1, 254)
		case 1: // short mantissas: a*b often a midpoint, c tiny or near
			a, b = mant(), -mant()
			c = float32(math.Ldexp(float64(mant()), -20-r.IntN(60)))
		case 2: // cancellation
			a, b = randVal(r), randVal(r)
			c = -a * b * (1 + float32(r.IntN(5)-2)*0x1p-23)
		default: // subnormal-range results
			a = float32(math.Ldexp(float64(mant()), -60-r.IntN(20)))
			b = float32(math.Ldexp(float64(mant()), -60-r.IntN(20)))
			c = float32(math.Ldexp(float64(r.IntN(1<<10)-1<<9), -149))
		}
		out = append(out, [3]float32{a, b, c})
	}
	return out
}

// exactFMA rounds a*b+c computed exactly with math/big.
func exactFMA(a, b, c float32) float32 {
	if math.IsInf(float64(a), 0) || math.IsInf(float64(b), 0) || math.IsInf(float64(c), 0) {
		return float32(float64(a)*float64(b) + float64(c))
	}
	x := new(big.Float).SetPrec(400).SetFloat64(float64(a))
	x.Mul(x, new(big.Float).SetFloat64(float64(b)))
	x.Add(x, new(big.Float).SetFloat64(float64(c)))
	f, _ := x.Float32()
	return f
}

func TestFMA32(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, tc := range fmaCases(r, 20000) {
		a, b, c := tc[0], tc[1], tc[2]
		want, got := exactFMA(a, b, c), fma32(a, b, c)
		if want == 0 && got == 0 {
			continue // math/big does not follow IEEE for the sign of an exact zero
		}
		require.Equal(t, math.Float32bits(want), math.Float32bits(got), "fma32(%g, %g, %g)", a, b, c)
	}
}

// TestFMA32Hardware checks fma32 against the FMA instruction of every path:
// with k = 2 and the first product c*1, Sgemm computes fma(a, b, c).
func TestFMA32Hardware(t *testing.T) {
	cases := fmaCases(rand.New(rand.NewPCG(9, 10)), 5000)
	for _, path := range Paths() {
		usePath(t, path)
		for _, tc := range cases {
			a, b, c := tc[0], tc[1], tc[2]
			got := []float32{0}
			Sgemm(false, false, 1, 1, 2, 1, []float32{c, a}, 2, []float32{1, b}, 1, 0, got, 1)
			require.Equal(t, math.Float32bits(fma32(a, b, c)), math.Float32bits(got[0]), "%s: fma(%g, %g, %g)", path, a, b, c)
		}
	}
}

func TestSgemmAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	r := rand.New(rand.NewPCG(11, 12))
	m, n, k := 50, 70, 90
	a, b, c := randSlice(r, 100*100), randSlice(r, 100*100), make([]float32, m*n)
	for _, path := range Paths() {
		usePath(t, path)
		for _, tr := range []bool{false, true} {
			allocs := testing.AllocsPerRun(20, func() {
				Sgemm(tr, tr, m, n, k, 1, a, max(k, m), b, max(n, k), 0.5, c, n)
			})
			assert.Zero(t, allocs, "%s: allocations per Sgemm", path)
		}
	}
}

func TestSgemmPanics(t *testing.T) {
	a := make([]float32, 12)
	assert.PanicsWithValue(t, "kernels: Sgemm: len(a)=12 < 15 for 3×5 with ld 5", func() {
		Sgemm(false, false, 3, 2, 5, 1, a, 5, a, 2, 0, a, 2)
	})
	assert.Panics(t, func() { Sgemm(false, false, 2, 2, 2, 1, a, 1, a, 2, 0, a, 2) }, "lda < k")
	assert.Panics(t, func() { Sgemm(false, false, -1, 2, 2, 1, a, 2, a, 2, 0, a, 2) }, "negative m")
	// Nothing to do: no panic, C untouched.
	Sgemm(false, false, 0, 5, 5, 1, nil, 5, nil, 5, 0, nil, 5)
}

func TestSgemmScaleOnly(t *testing.T) {
	c := []float32{1, 2, float32(math.NaN()), 4}
	Sgemm(false, false, 2, 2, 0, 1, nil, 1, nil, 2, 3, c, 2) // k == 0: C = beta*C
	assert.Equal(t, []float32{3, 6}, c[:2])
	Sgemm(false, false, 2, 2, 3, 0, nil, 3, nil, 2, 0, c, 2) // alpha == 0, beta == 0: C = 0
	assert.Equal(t, []float32{0, 0, 0, 0}, c)
}

func TestPaths(t *testing.T) {
	paths := Paths()
	t.Logf("paths %v of %v compiled in, in use %s", paths, Compiled(), Path())
	assert.Subset(t, Compiled(), paths)
	require.NotEmpty(t, paths)
	assert.Equal(t, PathGeneric, paths[0])
	assert.Contains(t, paths, Path())
	for _, p := range paths {
		require.NoError(t, Use(p))
		assert.Equal(t, p, Path())
	}
	require.NoError(t, Use(paths[len(paths)-1]))

	var pe *PathError
	err := Use("sse9")
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "sse9", pe.Path)
	assert.ErrorContains(t, err, `kernels: path "sse9": unknown path (want one of generic, avx2, avxvnni, vnni, neon, dotprod)`)

	// A path of the other architecture, or left out by purego.
	other := PathNEON
	if runtime.GOARCH == "arm64" {
		other = PathAVX2
	}
	err = Use(other)
	require.ErrorAs(t, err, &pe)
	assert.ErrorContains(t, err, "needs")
	assert.Equal(t, paths[len(paths)-1], Path(), "a failed Use keeps the path")
	if purego {
		assert.ErrorContains(t, Use(map[string]string{"amd64": PathAVX2, "arm64": PathNEON}[runtime.GOARCH]), "purego")
	}
}

// TestUseMissingFeature fakes a CPU without AVX2 in the dispatch table.
func TestUseMissingFeature(t *testing.T) {
	saved := table
	t.Cleanup(func() { table = saved })
	table = []*impl{genericImpl, {name: PathAVX2, missing: "AVX2, FMA3", sgemm: sgemmGeneric}}
	assert.Equal(t, []string{PathGeneric}, Paths())
	assert.Equal(t, []string{PathGeneric, PathAVX2}, Compiled(), "a path the CPU lacks is still compiled in")
	assert.EqualError(t, Use(PathAVX2), `kernels: path "avx2": this CPU lacks AVX2, FMA3`)

	old := Path()
	t.Cleanup(func() { _ = Use(old) })
	err := applyEnv(" avx2 ")
	assert.EqualError(t, err, `EDGECNN_KERNELS=avx2: kernels: path "avx2": this CPU lacks AVX2, FMA3 (using generic)`)
	assert.Equal(t, PathGeneric, Path())
}

func TestEnv(t *testing.T) {
	old := Path()
	t.Cleanup(func() { _ = Use(old) })
	// The variable of this test run, if any, took effect or was reported.
	switch v := os.Getenv(EnvVar); {
	case v == "" || v == "auto":
		assert.Equal(t, Paths()[len(Paths())-1], startPath)
		assert.NoError(t, EnvError())
	case EnvError() == nil:
		assert.Equal(t, v, startPath)
	default:
		assert.Equal(t, PathGeneric, startPath)
		assert.ErrorContains(t, EnvError(), EnvVar+"="+v+": ")
	}
	for _, p := range Paths() {
		require.NoError(t, applyEnv(p))
		assert.Equal(t, p, Path())
	}
	require.NoError(t, applyEnv(""))
	require.NoError(t, applyEnv("auto"))
	err := applyEnv("fastest")
	assert.ErrorContains(t, err, `EDGECNN_KERNELS=fastest: kernels: path "fastest": unknown path`)
	assert.Equal(t, PathGeneric, Path())
}

// TestIm2colHand checks a 3×3 image, 2×2 window, stride 2, padding 1 above
// and left, by hand.
func TestIm2colHand(t *testing.T) {
	src := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9}
	g := ConvGeom{C: 1, H: 3, W: 3, KH: 2, KW: 2, SH: 2, SW: 2, PadT: 1, PadL: 1, OutH: 2, OutW: 2}
	dst := make([]float32, 16)
	for i := range dst {
		dst[i] = -1 // overwritten everywhere, padding included
	}
	Im2col(src, g, dst)
	assert.Equal(t, []float32{
		0, 0, 0, 5, // kh=0 kw=0
		0, 0, 4, 6, // kh=0 kw=1
		0, 2, 0, 8, // kh=1 kw=0
		1, 3, 7, 9, // kh=1 kw=1
	}, dst)

	img := []float32{100, 100, 100, 100, 100, 100, 100, 100, 100}
	Col2im(dst, g, img)
	assert.Equal(t, []float32{101, 102, 103, 104, 105, 106, 107, 108, 109}, img, "accumulates")

	// Stride 1 with padding on every side: each cell of a 2×2 image is seen
	// by all four 2×2 windows of the 3×3 output.
	g = ConvGeom{C: 2, H: 2, W: 2, KH: 2, KW: 2, SH: 1, SW: 1, PadT: 1, PadL: 1, OutH: 3, OutW: 3}
	col := make([]float32, 2*4*9)
	for i := range col {
		col[i] = 1
	}
	img = make([]float32, 8)
	Col2im(col, g, img)
	assert.Equal(t, []float32{4, 4, 4, 4, 4, 4, 4, 4}, img)
}

// TestCol2imAdjoint checks <Im2col(x), y> == <x, Col2im(y)> on random
// geometries.
func TestCol2imAdjoint(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for range 300 {
		g := ConvGeom{C: 1 + r.IntN(3), H: 1 + r.IntN(9), W: 1 + r.IntN(9), KH: 1 + r.IntN(4), KW: 1 + r.IntN(4),
			SH: 1 + r.IntN(3), SW: 1 + r.IntN(3), PadT: r.IntN(3), PadL: r.IntN(3)}
		g.OutH = max((g.H+g.PadT+r.IntN(3)-g.KH)/g.SH+1, 0)
		g.OutW = max((g.W+g.PadL+r.IntN(3)-g.KW)/g.SW+1, 0)
		x := randNorm(r, g.C*g.H*g.W)
		y := randNorm(r, g.C*g.KH*g.KW*g.OutH*g.OutW)
		ix := make([]float32, len(y))
		Im2col(x, g, ix)
		cy := make([]float32, len(x))
		Col2im(y, g, cy)
		assert.InDelta(t, dot(ix, y), dot(x, cy), 1e-4*(1+math.Sqrt(float64(len(y)))), "%+v", g)
		// Im2col against its definition.
		for row := range g.C * g.KH * g.KW {
			c, kh, kw := row/(g.KH*g.KW), row/g.KW%g.KH, row%g.KW
			for oh := range g.OutH {
				for ow := range g.OutW {
					ih, iw := oh*g.SH-g.PadT+kh, ow*g.SW-g.PadL+kw
					var want float32
					if ih >= 0 && ih < g.H && iw >= 0 && iw < g.W {
						want = x[(c*g.H+ih)*g.W+iw]
					}
					require.Equal(t, want, ix[row*g.OutH*g.OutW+oh*g.OutW+ow], "%+v row %d (%d,%d)", g, row, oh, ow)
				}
			}
		}
	}
}

func randNorm(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

func dot(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

func TestPoolHand(t *testing.T) {
	src := []float32{-1, -2, -3, -4, -5, -6, -7, -8, -9, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	g := ConvGeom{C: 2, H: 3, W: 3, KH: 2, KW: 2, SH: 2, SW: 2, PadT: 1, PadL: 1, OutH: 2, OutW: 2}
	dst := make([]float32, 8)
	MaxPoolF32(src, dst, g)
	// Windows {1}, {2,3}, {4,7}, {5,6,8,9}: padding never wins the max.
	assert.Equal(t, []float32{-1, -2, -4, -5, 1, 3, 7, 9}, dst)
	AvgPoolF32(src, dst, g)
	assert.Equal(t, []float32{-1, -2.5, -5.5, -7, 1, 2.5, 5.5, 7}, dst)

	// 2×2 stride 2 without padding on a 4×4 image, and a window that is
	// all padding (PadL 3 with a 2-wide window).
	src = []float32{
		1, 5, 2, 0,
		3, 4, 8, 1,
		0, 0, 6, 7,
		-1, 2, 5, 5,
	}
	g = ConvGeom{C: 1, H: 4, W: 4, KH: 2, KW: 2, SH: 2, SW: 2, OutH: 2, OutW: 2}
	dst = make([]float32, 4)
	MaxPoolF32(src, dst, g)
	assert.Equal(t, []float32{5, 8, 2, 7}, dst)
	AvgPoolF32(src, dst, g)
	assert.Equal(t, []float32{3.25, 2.75, 0.25, 5.75}, dst)
	g = ConvGeom{C: 1, H: 4, W: 4, KH: 2, KW: 2, SH: 2, SW: 2, PadL: 3, OutH: 1, OutW: 1}
	dst = []float32{42}
	MaxPoolF32(src, dst, g)
	assert.Equal(t, []float32{0}, dst)
	dst = []float32{42}
	AvgPoolF32(src, dst, g)
	assert.Equal(t, []float32{0}, dst)
}

func TestBiasClamp(t *testing.T) {
	x := []float32{-3, 1, 9, 99, 2, -1, 5, 99}
	BiasClampF32(x, 2, 3, 4, []float32{1, -1}, 0, 6)
	assert.Equal(t, []float32{0, 2, 6, 99, 1, 0, 4, 99}, x)
	inf := float32(math.Inf(1))
	BiasClampColsF32(x, 2, 3, 4, []float32{1, 2, 3}, -inf, inf)
	assert.Equal(t, []float32{1, 4, 9, 99, 2, 2, 7, 99}, x)
	BiasClampF32(x, 2, 3, 4, nil, 2, 8)
	assert.Equal(t, []float32{2, 4, 8, 99, 2, 2, 7, 99}, x)
}

// sameF32 reports whether a and b have the same bits, or are both NaN.
func sameF32(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b) || a != a && b != b
}

// TestBiasClampPaths checks both layouts on every path against the Go
// loop, bit for bit: values with NaN, infinities and signed zeros,
// columns with every tail of 8, padded rows, no bias, and the bounds of
// no clamp, ReLU, ReLU6, NaN and -0.
func TestBiasClampPaths(t *testing.T) {
	r := rand.New(rand.NewPCG(91, 92))
	inf := float32(math.Inf(1))
	nan := float32(math.NaN())
	negZero := float32(math.Copysign(0, -1))
	bounds := [][2]float32{{-inf, inf}, {0, inf}, {0, 6}, {nan, 6}, {-1, negZero}, {negZero, 1}}
	for i := range 300 {
		rows, cols := 1+r.IntN(9), 1+r.IntN(40)
		ldx := cols + r.IntN(3)
		x := make([]float32, rows*ldx)
		for j := range x {
			x[j] = float32(r.NormFloat64() * 4)
			if r.IntN(20) == 0 {
				x[j] = []float32{nan, inf, -inf, 0, negZero}[r.IntN(5)]
			}
		}
		byCol := i%2 == 0
		n := rows
		if byCol {
			n = cols
		}
		var bias []float32
		if i%3 != 0 {
			bias = make([]float32, n)
			for j := range bias {
				bias[j] = float32(r.NormFloat64())
			}
			bias[r.IntN(n)] = negZero
		}
		lo, hi := bounds[i%len(bounds)][0], bounds[i%len(bounds)][1]
		want := append([]float32(nil), x...)
		biasClampGeneric(want, rows, cols, ldx, bias, byCol, lo, hi)
		for _, path := range Paths() {
			usePath(t, path)
			got := append([]float32(nil), x...)
			if byCol {
				BiasClampColsF32(got, rows, cols, ldx, bias, lo, hi)
			} else {
				BiasClampF32(got, rows, cols, ldx, bias, lo, hi)
			}
			for j := range want {
				if !sameF32(want[j], got[j]) {
					t.Fatalf("%s: %d×%d ld %d byCol %v bounds [%v, %v]: element %d of %v: got %v (%#x), want %v (%#x)", path, rows, cols, ldx, byCol, lo, hi, j, x[j], got[j], math.Float32bits(got[j]), want[j], math.Float32bits(want[j]))
				}
			}
		}
	}
}
