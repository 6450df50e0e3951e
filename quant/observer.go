package quant

import (
	"fmt"
	"math"
)

// An Observer watches the float32 values of one tensor over a calibration set
// and proposes the range its int8 parameters should cover:
//
//	p := quant.ChooseParams(obs.Range())
//
// Observe may be called any number of times, with batches of any size;
// non-finite values (NaN, ±Inf) are ignored. Range is deterministic and does
// not depend on how the values were split into batches nor on the order of
// the batches. Before any finite value, Range returns (0, 0). The range is
// not widened to contain 0: ChooseParams does that. Observers are not safe
// for concurrent use.
type Observer interface {
	Observe(x []float32)
	Range() (min, max float32)
}

// NewObserver returns a new observer for a calibration method named on the
// command line: "minmax" (NewMinMax), "percentile" (NewPercentile with
// DefaultPercentile), "entropy" (NewEntropy) or "mse" (NewMSE).
func NewObserver(method string) (Observer, error) {
	switch method {
	case "minmax":
		return NewMinMax(), nil
	case "percentile":
		return NewPercentile(DefaultPercentile), nil
	case "entropy":
		return NewEntropy(), nil
	case "mse":
		return NewMSE(), nil
	}
	return nil, fmt.Errorf("quant: unknown calibration method %q (want minmax, percentile, entropy or mse)", method)
}

// MinMax is the Observer of the exact extremes: Range returns the smallest
// and the largest finite value seen. Its zero value is ready to use.
type MinMax struct {
	min, max float32
	seen     bool
}

// NewMinMax returns a new MinMax observer.
func NewMinMax() *MinMax { return &MinMax{} }

// Observe records the extremes of x.
func (o *MinMax) Observe(x []float32) {
	for _, v := range x {
		if !isFinite(v) {
			continue
		}
		if !o.seen {
			o.min, o.max, o.seen = v, v, true
		}
		o.min = min(o.min, v)
		o.max = max(o.max, v)
	}
}

// Range returns the smallest and largest value seen, or (0, 0).
func (o *MinMax) Range() (min, max float32) { return o.min, o.max }

// DefaultPercentile is the percentile that NewObserver("percentile") uses.
const DefaultPercentile = 99.99

// percentileBins is the number of histogram bins per sign of a Percentile
// observer: the data fill at least half of them (see magHist), so a
// percentile is located within 1/2048 of the largest magnitude before the
// interpolation inside its bin.
const percentileBins = 4096

// Percentile is the Observer that clips both tails: Range returns the
// (100-p)th and the pth percentiles of the values seen. They are read from
// a histogram of 4096 bins per sign, with linear interpolation inside a bin,
// and clamped to the exact extremes; memory stays at 64 KiB whatever the
// number of values. p = 100 gives the exact extremes, like MinMax.
type Percentile struct {
	p float64
	h signedHist
}

// NewPercentile returns a Percentile observer of the pth percentile, p in
// [50, 100] (typically 99.9 to 99.999). It panics for another p.
func NewPercentile(p float64) *Percentile {
	if !(p >= 50 && p <= 100) {
		panic(fmt.Sprintf("quant: NewPercentile(%v): want p in [50, 100]", p))
	}
	return &Percentile{p: p, h: signedHist{bins: percentileBins}}
}

// Observe adds x to the histogram.
func (o *Percentile) Observe(x []float32) { o.h.observe(x) }

// Range returns the (100-p)th and pth percentiles, or (0, 0).
func (o *Percentile) Range() (min, max float32) {
	if o.h.n == 0 {
		return 0, 0
	}
	if o.p == 100 {
		return o.h.min, o.h.max
	}
	return o.h.quantile((100 - o.p) / 100), o.h.quantile(o.p / 100)
}

// entropyBins is the number of histogram bins per sign of an Entropy
// observer. The data fill at least half of them (2048, TensorRT's count).
// The search starts at one bin per level, so the smallest threshold it can
// reach is 128/4096 of the histogram's range (1/32 to 1/16 of the largest
// magnitude) for data of both signs and 255/4096 (1/16 to 1/8) for one sign.
const entropyBins = 4096

// The number of quantization levels that Entropy simulates. Data of one sign
// get all 256 codes on [0, T] once ChooseParams has moved the zero point to
// an end: 255 steps. Data of both signs share them on [-T, T]: 128 steps a
// side, as in TensorRT's symmetric calibration.
const (
	oneSidedLevels = 255
	twoSidedLevels = 128
)

// Entropy is the Observer that chooses the clipping threshold T minimising
// the Kullback-Leibler divergence between the float distribution and its
// int8 quantization (TensorRT's entropy calibration; klThreshold in
// histogram.go defines the divergence exactly). Its zero value is ready to
// use.
//
// Values go into histograms of 4096 bins per sign whose range doubles as
// larger values arrive (a single pass, 64 KiB, independent of batching and
// order; see magHist). Exact zeros are counted apart and left out of the
// divergence: ChooseParams makes 0 exactly representable, and the spike of
// zeros after a ReLU would otherwise dominate the first level and distort
// the search.
//
// Range then depends on the signs seen:
//
//   - none negative (e.g. after ReLU): min is the smallest value (>= 0) and
//     max = min(T, largest value), T searched over the positive histogram
//     with 255 levels, because an asymmetric int8 tensor on [0, T] has 255
//     steps, not the 128 that TensorRT's symmetric scheme gives one sign;
//   - none positive: the mirror image;
//   - both signs: T is searched over the histogram of |x| with 128 levels (the
//     symmetric case), and the range is [max(-T, min), min(T, max)]. Both
//     tails are clipped at the same T: a one-sided outlier does not get a
//     range of its own.
//
// Thresholds that would clip more than 1% of the non-zero values are not
// considered (klMaxClipped explains the failure of the divergence they
// avoid). T is the upper edge of the last bin kept, within one bin (1/2048 of
// the largest magnitude) of the optimum. The search costs O(bins*levels), about
// a million logarithms, per Range call; the result is cached until the next
// Observe.
type Entropy struct{ s searchedHist }

// NewEntropy returns a new Entropy observer.
func NewEntropy() *Entropy { return &Entropy{} }

// Observe adds x to the histograms.
func (o *Entropy) Observe(x []float32) { o.s.observe(x, entropyBins) }

// Range returns the range that minimises the KL divergence, or (0, 0).
func (o *Entropy) Range() (min, max float32) { return o.s.rangeBy(entropyRange) }

// searchedHist is the state of an observer whose range is searched for
// over its histograms: the search runs in Range, once per new data.
type searchedHist struct {
	h        signedHist
	cached   bool
	min, max float32
}

// observe adds x to histograms of the given bins per sign.
func (s *searchedHist) observe(x []float32, bins int) {
	if s.h.bins == 0 {
		s.h.bins = bins
	}
	s.h.observe(x)
	s.cached = false
}

// rangeBy returns search's range, running it only after new data.
func (s *searchedHist) rangeBy(search func(*signedHist) (lo, hi float32)) (min, max float32) {
	if !s.cached {
		s.min, s.max = search(&s.h)
		s.cached = true
	}
	return s.min, s.max
}

// entropyRange is the Entropy observer's search.
func entropyRange(h *signedHist) (lo, hi float32) {
	switch {
	case h.n == 0:
		return 0, 0
	case h.neg.counts == nil && h.pos.counts == nil: // only zeros
		return h.min, h.max
	case h.neg.counts == nil:
		t := float64(klThreshold(h.pos.counts, oneSidedLevels)) * h.pos.width()
		return h.min, min(float32(t), h.max)
	case h.pos.counts == nil:
		t := float64(klThreshold(h.neg.counts, oneSidedLevels)) * h.neg.width()
		return max(float32(-t), h.min), h.max
	}
	exp := max(h.neg.exp, h.pos.exp)
	abs := h.neg.resized(exp, h.bins)
	for k, c := range h.pos.resized(exp, h.bins) {
		abs[k] += c
	}
	t := float64(klThreshold(abs, twoSidedLevels)) * math.Ldexp(1, exp-log2(h.bins))
	return max(float32(-t), h.min), min(float32(t), h.max)
}
