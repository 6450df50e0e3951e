package quant

import "math"

// mseCuts is the number of candidate ends per sign that an MSE observer
// tries: the largest magnitude seen on that side times k/mseCuts, k = 1 ..
// mseCuts.
const mseCuts = 128

// MSE is the Observer that chooses the range whose int8 quantization
// (ChooseParams) has the least squared error over the values seen: the
// rounding error of the values inside, step²/12 each (exact zeros, which
// ChooseParams represents exactly, excepted), plus the clipping error of
// those outside, their squared distance to the end that clamps them. A few
// far outliers widen a min/max range, and so coarsen the step for every
// value, for little error of their own; the MSE range clips them where that
// costs less than the steps they take.
//
// The values go into histograms of 4096 bins per sign (see magHist: one
// pass, 64 KiB, independent of batching and order), and each side's end is
// searched over mseCuts fractions of its extreme, the two ends together
// (mseCuts² candidates), the values of a bin counted at its centre. Its
// zero value is ready to use.
type MSE struct{ s searchedHist }

// NewMSE returns a new MSE observer.
func NewMSE() *MSE { return &MSE{} }

// Observe adds x to the histograms.
func (o *MSE) Observe(x []float32) { o.s.observe(x, percentileBins) }

// Range returns the range of least squared error, or (0, 0).
func (o *MSE) Range() (min, max float32) { return o.s.rangeBy(mseRange) }

// mseRange is the MSE observer's search.
func mseRange(h *signedHist) (lo, hi float32) {
	if h.n == 0 || (h.neg.counts == nil && h.pos.counts == nil) {
		return h.min, h.max
	}
	neg := newTails(&h.neg, float64(-min(h.min, 0)))
	pos := newTails(&h.pos, float64(max(h.max, 0)))
	nonzero := float64(h.n - h.zeros)
	best, bestNeg, bestPos := math.Inf(1), neg.extreme, pos.extreme
	for i := range neg.cuts() {
		a := neg.cut(i)
		for j := range pos.cuts() {
			b := pos.cut(j)
			step := (a + b) / (qmax - qmin)
			e := float64(float64(nonzero*step)*step)/12 + neg.clipped(a) + pos.clipped(b)
			if e < best {
				best, bestNeg, bestPos = e, a, b
			}
		}
	}
	return max(h.min, float32(-bestNeg)), min(h.max, float32(bestPos))
}

// tails holds, for one sign's histogram, the count, sum and sum of squares
// of the magnitudes (at their bins' centres) in every bin and above.
type tails struct {
	extreme          float64 // the largest magnitude, 0 for an empty side
	width            float64 // of a bin
	count, sum, sum2 []float64
}

func newTails(m *magHist, extreme float64) tails {
	t := tails{extreme: extreme}
	if m.counts == nil {
		return t
	}
	t.width = m.width()
	n := len(m.counts)
	t.count, t.sum, t.sum2 = make([]float64, n+1), make([]float64, n+1), make([]float64, n+1)
	for k := n - 1; k >= 0; k-- {
		c, x := float64(m.counts[k]), float64(float64(k)+0.5)*t.width
		t.count[k] = t.count[k+1] + c
		t.sum[k] = t.sum[k+1] + float64(c*x)
		t.sum2[k] = t.sum2[k+1] + float64(float64(c*x)*x)
	}
	return t
}

// cuts returns the number of candidate ends: mseCuts, or 1 (the end 0)
// for an empty side.
func (t *tails) cuts() int {
	if t.count == nil {
		return 1
	}
	return mseCuts
}

// cut returns candidate end i. (Rounded as it is returned, so that the
// compiler does not fuse its product into the sums it feeds.)
func (t *tails) cut(i int) float64 {
	return float64(t.extreme * float64(i+1) / mseCuts)
}

// clipped returns the squared error of clamping this side's magnitudes to
// c: the sum over the bins whose centre lies above c of count (x - c)².
func (t *tails) clipped(c float64) float64 {
	if t.count == nil {
		return 0
	}
	k := min(int(math.Floor(c/t.width+0.5)), len(t.count)-1)
	// Σ n (x-c)² = Σ n x² - 2c Σ n x + c² Σ n
	return max(0, float64(t.sum2[k]-float64(float64(2*c)*t.sum[k]))+float64(float64(c*c)*t.count[k]))
}
