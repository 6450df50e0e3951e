package quant_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/quant"
)

func sample(seed uint64, n int, f func(r *rand.Rand) float64) []float32 {
	r := rand.New(rand.NewPCG(seed, seed+1))
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(f(r))
	}
	return x
}

func uniform(r *rand.Rand) float64  { return 2*r.Float64() - 1 }
func gaussian(r *rand.Rand) float64 { return r.NormFloat64() }
func relu(r *rand.Rand) float64     { return math.Max(0, r.NormFloat64()) }
func laplace(r *rand.Rand) float64  { return r.ExpFloat64() * float64(1-2*r.IntN(2)) }

// studentT3 is Student's t with 3 degrees of freedom: heavy, polynomial tails.
func studentT3(r *rand.Rand) float64 {
	c := 0.0
	for range 3 {
		g := r.NormFloat64()
		c += g * g
	}
	return r.NormFloat64() / math.Sqrt(c/3)
}

// withOutliers puts k values of magnitude in [20, 50] into x, spread out,
// with alternating signs, or all positive.
func withOutliers(x []float32, k int, positive bool) []float32 {
	r := rand.New(rand.NewPCG(99, 100))
	for i := range k {
		sign := float64(1 - 2*(i%2))
		if positive {
			sign = 1
		}
		x[(i*7919)%len(x)] = float32((20 + 30*r.Float64()) * sign)
	}
	return x
}

func extremes(x []float32) (lo, hi float32) {
	lo, hi = x[0], x[0]
	for _, v := range x {
		lo, hi = min(lo, v), max(hi, v)
	}
	return lo, hi
}

// batches feeds x to o in pieces of varying size.
func batches(o quant.Observer, x []float32, seed uint64) {
	r := rand.New(rand.NewPCG(seed, seed))
	for len(x) > 0 {
		n := min(1+r.IntN(5000), len(x))
		o.Observe(x[:n])
		x = x[n:]
	}
}

func TestMinMax(t *testing.T) {
	var o quant.MinMax // the zero value works
	lo, hi := o.Range()
	assert.Zero(t, lo)
	assert.Zero(t, hi)

	o.Observe([]float32{float32(math.NaN()), float32(math.Inf(1))})
	lo, hi = o.Range()
	assert.Zero(t, lo, "non-finite values are ignored")
	assert.Zero(t, hi)

	o.Observe([]float32{3, 5, 4})
	o.Observe(nil)
	o.Observe([]float32{4.5, float32(math.Inf(-1)), 3.25})
	lo, hi = o.Range()
	assert.Equal(t, float32(3), lo, "not widened to 0")
	assert.Equal(t, float32(5), hi)

	x := sample(1, 10000, gaussian)
	m := quant.NewMinMax()
	batches(m, x, 2)
	wlo, whi := extremes(x)
	lo, hi = m.Range()
	assert.Equal(t, wlo, lo)
	assert.Equal(t, whi, hi)
}

func TestPercentile(t *testing.T) {
	x := sample(3, 100_000, uniform)
	o := quant.NewPercentile(99)
	batches(o, x, 4)
	lo, hi := o.Range()
	assert.InDelta(t, -0.98, lo, 0.005)
	assert.InDelta(t, 0.98, hi, 0.005)

	// p = 100 is MinMax.
	all := quant.NewPercentile(100)
	all.Observe(x)
	wlo, whi := extremes(x)
	lo, hi = all.Range()
	assert.Equal(t, wlo, lo)
	assert.Equal(t, whi, hi)

	// Gaussian with 6 outliers in 100 000 (3e-5 a side, below 1e-4): clipped.
	g := withOutliers(sample(5, 100_000, gaussian), 6, false)
	o = quant.NewPercentile(99.99)
	o.Observe(g)
	lo, hi = o.Range()
	wlo, whi = extremes(g)
	require.Greater(t, float64(whi), 20.0, "the outliers are there")
	assert.InDelta(t, -3.8, lo, 0.4, "the 0.01%% quantile of N(0,1) is -3.72")
	assert.InDelta(t, 3.8, hi, 0.4)
	assert.Greater(t, lo, wlo)

	// Post-ReLU: half zeros, the lower percentile is 0.
	o = quant.NewPercentile(99.9)
	o.Observe(sample(6, 50_000, relu))
	lo, hi = o.Range()
	assert.Zero(t, lo)
	assert.InDelta(t, 3.09, hi, 0.2) // the 99.9% point of relu(N(0,1)) is the 99.8% of N(0,1)

	empty := quant.NewPercentile(99.9)
	lo, hi = empty.Range()
	assert.Zero(t, lo)
	assert.Zero(t, hi)

	for _, p := range []float64{49.9, 100.1, math.NaN()} {
		assert.Panics(t, func() { quant.NewPercentile(p) }, "%v", p)
	}
}

func TestEntropy(t *testing.T) {
	tests := []struct {
		name string
		x    []float32
		// check receives the observer's range and the exact extremes.
		check func(t *testing.T, lo, hi, wlo, whi float32)
	}{
		{"uniform keeps the range", sample(7, 100_000, uniform), func(t *testing.T, lo, hi, wlo, whi float32) {
			assert.Less(t, float64(lo), -0.95)
			assert.Greater(t, float64(hi), 0.95)
		}},
		{"gaussian with outliers clips them", withOutliers(sample(8, 100_000, gaussian), 20, false), func(t *testing.T, lo, hi, wlo, whi float32) {
			require.Greater(t, float64(whi), 20.0)
			assert.InDelta(t, 4, hi, 1)
			assert.InDelta(t, -4, lo, 1)
		}},
		{"laplace is clipped", sample(9, 100_000, laplace), func(t *testing.T, lo, hi, wlo, whi float32) {
			assert.Less(t, hi, whi)
			assert.Greater(t, lo, wlo)
		}},
		{"student t3 is clipped hard", sample(10, 100_000, studentT3), func(t *testing.T, lo, hi, wlo, whi float32) {
			assert.Less(t, float64(hi), 0.6*float64(max(-wlo, whi)))
			assert.Equal(t, -hi, lo, "both signs: one symmetric threshold")
		}},
		{"relu keeps min 0", withOutliers(sample(11, 100_000, relu), 20, true), func(t *testing.T, lo, hi, wlo, whi float32) {
			assert.Zero(t, lo)
			require.Greater(t, float64(whi), 20.0)
			assert.InDelta(t, 4, hi, 1)
		}},
		{"all negative mirrors relu", negate(withOutliers(sample(11, 100_000, relu), 20, true)), func(t *testing.T, lo, hi, wlo, whi float32) {
			r := quant.NewEntropy()
			r.Observe(withOutliers(sample(11, 100_000, relu), 20, true))
			rlo, rhi := r.Range()
			assert.Equal(t, -rhi, lo)
			assert.Equal(t, -rlo, hi)
		}},
		{"all positive, away from 0", offset(sample(12, 10_000, uniform), 3), func(t *testing.T, lo, hi, wlo, whi float32) {
			assert.Equal(t, wlo, lo, "min is the smallest value")
			assert.Greater(t, float64(hi), 3.9)
		}},
		{"only zeros", make([]float32, 100), func(t *testing.T, lo, hi, wlo, whi float32) {
			assert.Zero(t, lo)
			assert.Zero(t, hi)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var o quant.Entropy // the zero value works
			batches(&o, tt.x, 13)
			lo, hi := o.Range()
			wlo, whi := extremes(tt.x)
			require.LessOrEqual(t, wlo, lo)
			require.LessOrEqual(t, lo, hi)
			require.LessOrEqual(t, hi, whi)
			tt.check(t, lo, hi, wlo, whi)
		})
	}

	empty := quant.NewEntropy()
	lo, hi := empty.Range()
	assert.Zero(t, lo)
	assert.Zero(t, hi)
}

func negate(x []float32) []float32 {
	for i := range x {
		x[i] = -x[i]
	}
	return x
}

func offset(x []float32, d float32) []float32 {
	for i := range x {
		x[i] += d
	}
	return x
}

// TestObserversIgnoreBatching: one batch or many, in any order, with the
// range growing by orders of magnitude late: the same Range, exactly.
func TestObserversIgnoreBatching(t *testing.T) {
	small := sample(14, 20_000, laplace)
	for i := range small {
		small[i] *= 1e-3
	}
	large := sample(15, 20_000, gaussian)
	for i := range large {
		large[i] *= 1e3
	}
	all := append(append([]float32{}, small...), large...)
	shuffled := append([]float32{}, all...)
	rand.New(rand.NewPCG(16, 17)).Shuffle(len(shuffled), func(i, j int) {
		shuffled[i], shuffled[j] = shuffled[j], shuffled[i]
	})
	for _, method := range []string{"minmax", "percentile", "entropy", "mse"} {
		t.Run(method, func(t *testing.T) {
			one, err := quant.NewObserver(method)
			require.NoError(t, err)
			one.Observe(all)
			growing, _ := quant.NewObserver(method)
			batches(growing, small, 18) // a narrow range first
			batches(growing, large, 19) // then 10^6 times wider
			mixed, _ := quant.NewObserver(method)
			batches(mixed, shuffled, 20)

			lo, hi := one.Range()
			glo, ghi := growing.Range()
			mlo, mhi := mixed.Range()
			assert.Equal(t, lo, glo)
			assert.Equal(t, hi, ghi)
			assert.Equal(t, lo, mlo)
			assert.Equal(t, hi, mhi)
		})
	}
}

func TestEntropyRangeFollowsObserve(t *testing.T) {
	o := quant.NewEntropy()
	o.Observe(sample(21, 10_000, uniform))
	_, hi := o.Range()
	assert.InDelta(t, 1, hi, 0.05)
	o.Observe(offset(sample(22, 10_000, uniform), 9)) // now up to 10
	_, hi = o.Range()
	assert.Greater(t, float64(hi), 9.5, "the cached range is refreshed")
}

func TestNewObserver(t *testing.T) {
	for method, want := range map[string]quant.Observer{
		"minmax":     quant.NewMinMax(),
		"percentile": quant.NewPercentile(quant.DefaultPercentile),
		"entropy":    quant.NewEntropy(),
		"mse":        quant.NewMSE(),
	} {
		got, err := quant.NewObserver(method)
		require.NoError(t, err)
		assert.IsType(t, want, got)
	}
	_, err := quant.NewObserver("kl")
	assert.ErrorContains(t, err, `"kl"`)
}
