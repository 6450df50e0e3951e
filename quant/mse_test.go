package quant_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/quant"
)

// quantizationMSE is the mean squared error of x quantized to int8 over
// the range [lo, hi] (ChooseParams), rounding and clipping.
func quantizationMSE(x []float32, lo, hi float32) float64 {
	p := quant.ChooseParams(lo, hi)
	var sum float64
	for _, v := range x {
		d := float64(quant.Dequantize(quant.Quantize(v, p), p)) - float64(v)
		sum += d * d
	}
	return sum / float64(len(x))
}

// TestMSE: the MSE observer's range quantizes the data with an error
// within 3% of the best of a brute-force search over both ends (each a
// fraction k/20 of the extremes), and keeps about the whole range of data
// without tails, and of data with a few far outliers (clipping 5 values of
// 20 to 50 in 2,000 costs more than the coarser step).
func TestMSE(t *testing.T) {
	for name, x := range map[string][]float32{
		"gaussian":          sample(31, 2_000, gaussian),
		"relu":              sample(32, 2_000, relu),
		"laplace":           sample(33, 2_000, laplace),
		"student-t3":        sample(34, 2_000, studentT3),
		"uniform":           sample(35, 2_000, uniform),
		"gaussian+outliers": withOutliers(sample(36, 2_000, gaussian), 5, false),
		"relu+outliers":     withOutliers(sample(37, 2_000, relu), 5, true),
	} {
		t.Run(name, func(t *testing.T) {
			o := quant.NewMSE()
			batches(o, x, 38)
			lo, hi := o.Range()
			xlo, xhi := extremes(x)
			require.True(t, xlo <= lo && lo <= 0 && 0 <= hi && hi <= xhi, "range [%v, %v] inside [%v, %v]", lo, hi, xlo, xhi)
			got := quantizationMSE(x, lo, hi)
			best := quantizationMSE(x, xlo, xhi)
			for i := 1; i <= 20; i++ {
				for j := 1; j <= 20; j++ {
					best = min(best, quantizationMSE(x, xlo*float32(i)/20, xhi*float32(j)/20))
				}
			}
			assert.LessOrEqual(t, got, 1.03*best, "range [%v, %v]", lo, hi)
			switch name {
			case "uniform":
				assert.InDelta(t, xhi, hi, 0.02)
				assert.InDelta(t, xlo, lo, 0.02)
			case "gaussian+outliers", "relu+outliers":
				assert.Greater(t, hi, xhi*0.9, "the outliers kept")
			}
		})
	}
}

func TestMSEEdges(t *testing.T) {
	o := quant.NewMSE()
	lo, hi := o.Range()
	assert.Equal(t, [2]float32{0, 0}, [2]float32{lo, hi}, "nothing seen")
	o.Observe([]float32{0, 0, 0})
	lo, hi = o.Range()
	assert.Equal(t, [2]float32{0, 0}, [2]float32{lo, hi}, "only zeros")
	o.Observe([]float32{2})
	lo, hi = o.Range()
	assert.Equal(t, [2]float32{0, 2}, [2]float32{lo, hi}, "one value: the range is cached until the next Observe")
}
