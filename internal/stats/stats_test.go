package stats

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSummarize(t *testing.T) {
	// numpy: mean 5.5, std(ddof=1) 3.0276503540974917, median 5.5, percentile(90) 9.1
	s := Summarize([]float64{10, 1, 9, 2, 8, 3, 7, 4, 6, 5})
	assert.Equal(t, 10, s.N)
	assert.InDelta(t, 5.5, s.Mean, 1e-12)
	assert.InDelta(t, 3.0276503540974917, s.Std, 1e-12)
	assert.Equal(t, 1.0, s.Min)
	assert.Equal(t, 5.5, s.Median)
	assert.InDelta(t, 9.1, s.P90, 1e-12)
	assert.Equal(t, 10.0, s.Max)

	assert.Equal(t, Summary{N: 1, Mean: 2, Min: 2, Median: 2, P90: 2, Max: 2}, Summarize([]float64{2}))
	assert.Equal(t, Summary{}, Summarize(nil))
}

func TestPercentile(t *testing.T) {
	sorted := []float64{1, 2, 3, 4}
	assert.Equal(t, 1.0, Percentile(sorted, 0))
	assert.Equal(t, 2.5, Percentile(sorted, 50))
	assert.Equal(t, 4.0, Percentile(sorted, 100))
}
