package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/quant"
)

// The matrix-vector kernels run inside GemmInt8 when n is small (a fully
// connected layer at batch 1). These tests drive GemmInt8 with few columns
// on every path and compare it with the generic path bit for bit: a new
// path needs no new test code.

// gemvCases returns GemmInt8 cases with 1 to 9 columns: every row count
// around the panel sizes of the paths (4, 6, 8, 16), k around their steps
// (2, 4, 8, 16), groups, every zero point class and data class, and the
// three layouts of gemmInt8Data (contiguous fully connected, strided
// convolution rows, odd strides on both sides). Columns go up to two
// blocks of four and one more; the 300-row cases fill more than one call's
// worth of the tile buffer when C is strided.
func gemvCases(r *rand.Rand, random int) []gemmInt8Case {
	ms := []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 15, 16, 17, 23, 24, 31, 32, 33, 47, 48, 50, 97}
	ks := []int{1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65}
	var out []gemmInt8Case
	add := func(m, n, k, groups int) {
		out = append(out, gemmInt8Case{m: m, n: n, k: k, groups: groups,
			zpClass: len(out) % 4, layout: len(out) % 3, dataClass: (len(out) / 4) % 4})
	}
	for _, m := range ms {
		for _, k := range ks {
			add(m, 1, k, 1)
		}
	}
	for range random {
		g := 1 + r.IntN(4)
		add(g*(1+r.IntN(40)), 1+r.IntN(9), 1+r.IntN(150), g)
	}
	for _, n := range []int{1, 2, 3, 4, 5, 8} {
		for range 3 {
			add(300, n, 1+r.IntN(40), 1)
		}
	}
	add(120, 1, 400, 1) // LeNet fc1
	add(84, 1, 120, 1)  // LeNet fc2
	add(10, 1, 84, 1)   // LeNet fc3
	add(300, 1, 1000, 1)
	add(12, 1, 9, 12) // depthwise 3×3, one pixel
	add(64, 1, 18, 32)
	return out
}

// TestGemvInt8 checks GemmInt8 with few columns on every path against the
// generic path.
func TestGemvInt8(t *testing.T) {
	r := rand.New(rand.NewPCG(71, 72))
	old := Path()
	t.Cleanup(func() { _ = Use(old) })
	for _, c := range gemvCases(r, numRandom()) {
		d := newGemmInt8Data(r, c)
		require.NoError(t, Use(PathGeneric))
		want := d.run()
		for _, path := range Paths()[1:] {
			require.NoError(t, Use(path))
			if !assert.Equal(t, want, d.run(), "%s/%s", path, c) {
				return
			}
		}
	}
}

// TestGemvInt8Extremes checks the largest accumulators a column can give:
// all weights ±127 against activations -128 or 127 and the zero point at
// the other end, with k long enough that only int32 holds the sums.
func TestGemvInt8Extremes(t *testing.T) {
	old := Path()
	t.Cleanup(func() { _ = Use(old) })
	const m, k = 37, 1031
	for _, wv := range []int8{127, -127} {
		for _, xv := range []int8{-128, 127} {
			for _, zp := range []int32{-128, 127} {
				w := make([]int8, m*k)
				for i := range w {
					w[i] = wv
				}
				x := make([]int8, k)
				for i := range x {
					x[i] = xv
				}
				q := &requantParams{inZP: zp, outZP: 0, min: -128, max: 127}
				for i := range m {
					q.bias = append(q.bias, int32(i*1000-18000))
					mul, sh := quant.QuantizeMultiplier(math.Pow(2, float64(i%12)-24))
					q.multiplier = append(q.multiplier, mul)
					q.shift = append(q.shift, int32(sh))
				}
				d := &gemmInt8Data{gemmInt8Case: gemmInt8Case{m: m, n: 1, k: k, groups: 1}, w: w, x: x,
					c0: make([]int8, m), xRS: 1, xCS: k, cRS: 1, cCS: m, q: q}
				want := d.naive(t)
				for _, path := range Paths() {
					require.NoError(t, Use(path))
					require.Equal(t, want, d.run(), "%s: w %d x %d zp %d", path, wv, xv, zp)
				}
			}
		}
	}
}

// TestGemvInt8Epilogue drives the per-lane requantize epilogue of the
// matrix-vector kernels with accumulators anywhere in int32: with k = 1,
// acc = Bias + W*X (wrapping), so biases at the int32 limits, multipliers
// including MinInt32 and negative ones, every shift in [-31, 31] and
// rounding ties meet quant.Requantize directly. Each row of a panel gets
// its own parameters, 53 rows leave a tail on every path, and 1, 3 and 4
// columns (activations 0, 1, -1, 2) cover one-column and multi-column
// kernels.
func TestGemvInt8Epilogue(t *testing.T) {
	r := rand.New(rand.NewPCG(73, 74))
	const m = 53
	w := make([]int8, m)
	for i := range w {
		w[i] = []int8{1, -1, 127}[i%3]
	}
	rounds := 200
	if testing.Short() {
		rounds = 40
	}
	for _, path := range Paths() {
		usePath(t, path)
		p := PackInt8(w, m, 1)
		for round := range rounds {
			rq := &Requant{Bias: make([]int32, m), Multiplier: make([]int32, m), Shift: make([]int32, m),
				ZeroPoint: randZeroPoint(r, round), Min: -128, Max: 127}
			if round%3 == 1 {
				rq.Min = int32(r.IntN(256) - 128)
				rq.Max = rq.Min + int32(r.IntN(128-int(rq.Min)))
			}
			for i := range m {
				sh := int32(r.IntN(63) - 31)
				rq.Shift[i] = sh
				rq.Multiplier[i] = []int32{math.MinInt32, math.MaxInt32, -1 << 30, 1 << 30, int32(r.Uint32()),
					int32(1<<30 + r.IntN(1<<30))}[r.IntN(6)]
				switch r.IntN(4) {
				case 0:
					rq.Bias[i] = []int32{math.MinInt32, math.MaxInt32, -1, 0, 1, math.MinInt32 + 1}[r.IntN(6)]
				case 1: // a tie of the rounding right shift after halving
					rq.Multiplier[i] = 1 << 30
					rq.Bias[i] = int32((2*int64(r.IntN(64)-32) + 1) << max(-sh, 1))
				default:
					rq.Bias[i] = int32(r.Uint32())
				}
			}
			n := []int{1, 3, 4}[round%3]
			x := []int8{0, 1, -1, 2}[:n]
			c := make([]int8, m*n)
			GemmInt8(p, x, n, 1, 1, rq, c, 1, m)
			for j := range n {
				for i := range m {
					acc := rq.Bias[i] + int32(w[i])*int32(x[j])
					want := quant.Requantize(acc, rq.Multiplier[i], int(rq.Shift[i]), rq.ZeroPoint, rq.Min, rq.Max)
					if got := c[j*m+i]; got != want {
						t.Fatalf("%s: row %d column %d: acc %d multiplier %d shift %d zp %d [%d, %d]: got %d, want %d",
							path, i, j, acc, rq.Multiplier[i], rq.Shift[i], rq.ZeroPoint, rq.Min, rq.Max, got, want)
					}
				}
			}
		}
	}
}

// TestGemvInt8Allocs checks that a fully connected layer at batch 1
// allocates nothing in steady state on any path.
func TestGemvInt8Allocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	r := rand.New(rand.NewPCG(75, 76))
	const m, k = 50, 70
	for _, path := range Paths() {
		usePath(t, path)
		w := PackInt8(randInt8(r, m*k, 0, -127), m, k)
		rq := randRequant(r, m, k*255*127, 3).requant(w)
		x, c := randInt8(r, k, 0, -128), make([]int8, m)
		allocs := testing.AllocsPerRun(20, func() { GemmInt8(w, x, 1, 1, k, rq, c, 1, m) })
		assert.Zero(t, allocs, "%s: allocations per GemmInt8 with n = 1", path)
	}
}

// BenchmarkGemvInt8 times fully connected layers at batch 1 (AlexNet's
// 4096×4096, LeNet-5's 120×400) and at small batches on every path, in
// GMAC/s.
func BenchmarkGemvInt8(b *testing.B) {
	shapes := []struct{ m, k int }{{4096, 4096}, {120, 400}}
	for _, path := range Paths() {
		for _, s := range shapes {
			for _, n := range []int{1, 2, 3, 4, 6, 8} {
				b.Run(fmt.Sprintf("%s/%dx%d/n%d", path, s.m, s.k, n), func(b *testing.B) {
					usePath(b, path)
					r := rand.New(rand.NewPCG(77, 78))
					w := PackInt8(randInt8(r, s.m*s.k, 0, -127), s.m, s.k)
					rq := randRequant(r, s.m, int64(s.k)*255*127, 3).requant(w)
					x, c := randInt8(r, n*s.k, 0, -128), make([]int8, n*s.m)
					for b.Loop() {
						GemmInt8(w, x, n, 1, s.k, rq, c, 1, s.m)
					}
					b.ReportMetric(float64(n*s.m*s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
				})
			}
		}
	}
}
