// Package stats summarises repeated measurements (timings) the way
// benchmark tools report them: count, mean, standard deviation, minimum,
// median, 90th percentile and maximum.
package stats

import (
	"math"
	"slices"
)

// Summary describes a set of samples.
type Summary struct {
	N      int
	Mean   float64
	Std    float64 // sample standard deviation (n-1 in the denominator); 0 for one sample
	Min    float64
	Median float64
	P90    float64
	Max    float64
}

// Summarize returns the summary of samples, which it sorts. Percentiles
// interpolate linearly between the nearest ranks (NumPy's default), so the
// median of an even count is the mean of the middle two. An empty slice
// gives the zero Summary.
func Summarize(samples []float64) Summary {
	n := len(samples)
	if n == 0 {
		return Summary{}
	}
	slices.Sort(samples)
	var sum float64
	for _, v := range samples {
		sum += v
	}
	mean := sum / float64(n)
	var sq float64
	for _, v := range samples {
		sq += (v - mean) * (v - mean)
	}
	s := Summary{N: n, Mean: mean, Min: samples[0], Max: samples[n-1],
		Median: Percentile(samples, 50), P90: Percentile(samples, 90)}
	if n > 1 {
		s.Std = math.Sqrt(sq / float64(n-1))
	}
	return s
}

// Percentile returns the p-th percentile (0 <= p <= 100) of sorted, a
// non-empty sorted slice, interpolating linearly between closest ranks.
func Percentile(sorted []float64, p float64) float64 {
	pos := p / 100 * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(sorted)-1)
	return sorted[lo] + (pos-float64(lo))*(sorted[hi]-sorted[lo])
}
