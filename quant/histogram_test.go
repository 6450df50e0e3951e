package quant

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// klNaive is the divergence of klThreshold for one i, computed bin by bin
// straight from the definition: build P and Q, normalise, smooth, sum.
func klNaive(h []uint64, i, levels int) float64 {
	n := 0
	for k, c := range h {
		if c > 0 {
			n = k + 1
		}
	}
	p := make([]float64, i)
	q := make([]float64, i)
	var total, inRange float64
	for k := range n {
		total += float64(h[k])
		if k < i {
			p[k] = float64(h[k])
			inRange += float64(h[k])
		} else {
			p[i-1] += float64(h[k])
		}
	}
	for j := range levels {
		start, stop := j*i/levels, (j+1)*i/levels
		var count float64
		support := 0
		for k := start; k < stop; k++ {
			count += float64(h[k])
			if p[k] > 0 {
				support++
			}
		}
		for k := start; k < stop; k++ {
			if p[k] > 0 {
				q[k] = count / float64(support)
			}
		}
	}
	support := 0
	for _, v := range p {
		if v > 0 {
			support++
		}
	}
	kl := 0.0
	for k := range i {
		if p[k] == 0 {
			continue
		}
		pk := p[k] / total
		qk := (1-klSmoothing)*q[k]/inRange + klSmoothing/float64(support)
		kl += pk * math.Log(pk/qk)
	}
	return kl
}

func total(h []uint64) uint64 {
	var s uint64
	for _, c := range h {
		s += c
	}
	return s
}

func klThresholdNaive(h []uint64, levels int) int {
	n := 0
	for k, c := range h {
		if c > 0 {
			n = k + 1
		}
	}
	if n <= levels {
		return n
	}
	best, bestKL := n, math.Inf(1)
	for i := levels; i <= n; i++ {
		var inRange uint64
		for _, c := range h[:i] {
			inRange += c
		}
		if inRange == 0 || float64(total(h)-inRange) > klMaxClipped*float64(total(h)) {
			continue
		}
		if kl := klNaive(h, i, levels); kl <= bestKL*(1+1e-12) {
			best, bestKL = i, kl
		}
	}
	return best
}

// TestKLThresholdMatchesNaive checks the O(levels)-per-threshold evaluation
// against the bin-by-bin definition on small histograms of several shapes:
// gaps, empty last groups, outliers far out.
func TestKLThresholdMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	const levels = 16
	for trial := range 300 {
		h := make([]uint64, 64+r.IntN(192))
		switch trial % 4 {
		case 0: // decaying, like |gaussian|
			for range 5000 {
				k := int(math.Abs(r.NormFloat64()) * float64(len(h)) / 8)
				if k < len(h) {
					h[k]++
				}
			}
		case 1: // sparse, with gaps
			for range 40 {
				h[r.IntN(len(h))] += uint64(1 + r.IntN(50))
			}
		case 2: // a bulk and a few far outliers
			for range 3000 {
				h[r.IntN(len(h)/5)]++
			}
			h[len(h)-1-r.IntN(10)] += uint64(1 + r.IntN(3))
		case 3: // uniform
			for k := range h {
				h[k] = uint64(50 + r.IntN(10))
			}
		}
		got := klThreshold(h, levels)
		want := klThresholdNaive(h, levels)
		if got != want {
			// Accept only a floating-point tie between the two choices.
			a, b := klNaive(h, got, levels), klNaive(h, want, levels)
			require.InDelta(t, b, a, 1e-12, "trial %d: threshold %d vs naive %d", trial, got, want)
		}
	}
}

func TestKLThresholdShapes(t *testing.T) {
	// Fewer non-empty bins than levels: keep everything.
	assert.Equal(t, 3, klThreshold([]uint64{1, 0, 5, 0, 0}, 8))
	assert.Equal(t, 0, klThreshold(make([]uint64, 8), 4))
	// A flat histogram is quantized best without clipping.
	flat := make([]uint64, 512)
	for k := range flat {
		flat[k] = 100
	}
	assert.Equal(t, 512, klThreshold(flat, 128))
}

func TestMagHistMergeIsExact(t *testing.T) {
	const bins = 16
	// Values binned on a narrow range, then widened by 2^d, equal values
	// binned on the wide range directly.
	r := rand.New(rand.NewPCG(33, 34))
	for d := 0; d <= 7; d++ {
		var narrow, wide magHist
		narrow.grow(1, bins) // [0, 2^1)
		wide.grow(math.Ldexp(1, d), bins)
		for range 1000 {
			v := 2 * r.Float64()
			if v == 0 {
				continue
			}
			narrow.counts[int(v*narrow.scale())]++
			wide.counts[int(v*wide.scale())]++
		}
		narrow.grow(math.Ldexp(1, d), bins)
		require.Equal(t, wide.exp, narrow.exp, "d %d", d)
		require.Equal(t, wide.counts, narrow.counts, "d %d", d)
	}
}

func TestSignedHistOrderIndependent(t *testing.T) {
	r := rand.New(rand.NewPCG(35, 36))
	x := make([]float32, 20000)
	for i := range x {
		x[i] = float32(r.NormFloat64() * math.Exp2(float64(r.IntN(30)-15)))
	}
	x[7] = 0
	x[8] = float32(math.NaN())
	one := signedHist{bins: 256}
	one.observe(x)

	// Growing order: magnitudes far apart arrive late.
	perm := r.Perm(len(x))
	batched := signedHist{bins: 256}
	for start := 0; start < len(x); {
		size := min(1+r.IntN(3000), len(x)-start)
		b := make([]float32, size)
		for i := range b {
			b[i] = x[perm[start+i]]
		}
		batched.observe(b)
		start += size
	}
	assert.Equal(t, one, batched)
	assert.Equal(t, uint64(len(x)-1), one.n, "NaN skipped")
	assert.Equal(t, uint64(1), one.zeros)
}

func TestQuantile(t *testing.T) {
	h := signedHist{bins: 1024}
	x := make([]float32, 0, 2001)
	for i := -1000; i <= 1000; i++ {
		x = append(x, float32(i)/1000)
	}
	h.observe(x)
	assert.Equal(t, float32(-1), h.quantile(0))
	assert.Equal(t, float32(1), h.quantile(1))
	assert.InDelta(t, 0, h.quantile(0.5), 2e-3)
	assert.InDelta(t, 0.5, h.quantile(0.75), 2e-3)
	assert.InDelta(t, -0.9, h.quantile(0.05), 2e-3)
}
