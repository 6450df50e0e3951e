package quant

import (
	"math"
	"slices"
)

// magHist is a histogram of magnitudes v > 0 over [0, 2^exp) in len(counts)
// bins (a power of two) of width 2^exp/len(counts).
//
// The range only ever doubles: exp is the smallest integer with v < 2^exp for
// the largest v seen. Doubling merges pairs of adjacent bins, which is exact
// because the bin edges of the wider histogram are edges of the narrower one;
// and a value's bin is floor(v * 2^(log2(bins)-exp)), a product by a power of
// two, exact in float64. So the counts are those of a histogram built in one
// go over the final range, whatever the batches and their order.
type magHist struct {
	counts []uint64 // nil until the first value
	exp    int
}

// grow makes the range cover magnitudes up to maxMag (> 0).
func (m *magHist) grow(maxMag float64, bins int) {
	_, e := math.Frexp(maxMag) // maxMag < 2^e
	if m.counts == nil {
		m.counts = make([]uint64, bins)
		m.exp = e
		return
	}
	if e > m.exp {
		m.merge(e - m.exp)
		m.exp = e
	}
}

// merge sums groups of 2^d adjacent bins, so that the histogram covers a
// range 2^d times wider with the same number of bins.
func (m *magHist) merge(d int) {
	n := len(m.counts)
	if d >= log2(n) { // everything lands in bin 0
		var total uint64
		for _, c := range m.counts {
			total += c
		}
		clear(m.counts)
		m.counts[0] = total
		return
	}
	g := 1 << d
	for k := 0; k < n/g; k++ {
		var s uint64
		for _, c := range m.counts[k*g : (k+1)*g] {
			s += c
		}
		m.counts[k] = s
	}
	clear(m.counts[n/g:])
}

// log2 returns log2(n) for a power of two n.
func log2(n int) int {
	b := 0
	for ; n > 0; n >>= 1 {
		b++
	}
	return b - 1
}

// scale returns the factor that maps a magnitude to its bin index.
func (m *magHist) scale() float64 {
	return math.Ldexp(1, log2(len(m.counts))-m.exp)
}

// width returns the width of one bin.
func (m *magHist) width() float64 {
	return math.Ldexp(1, m.exp-log2(len(m.counts)))
}

// resized returns the counts on the range [0, 2^exp), exp >= m.exp.
func (m *magHist) resized(exp int, bins int) []uint64 {
	c := &magHist{counts: slices.Clone(m.counts), exp: m.exp}
	if c.counts == nil {
		return make([]uint64, bins)
	}
	if exp > c.exp {
		c.merge(exp - c.exp)
	}
	return c.counts
}

// signedHist is the histogram of a stream of float32 values: the negative
// values' magnitudes, the positive values and the exact zeros are counted
// apart. Non-finite values are ignored. It also keeps the exact extremes.
type signedHist struct {
	bins     int // per side, a power of two
	neg, pos magHist
	zeros    uint64
	n        uint64 // finite values seen
	min, max float32
}

func (h *signedHist) observe(x []float32) {
	// First pass: extremes, so that each side grows at most once per batch.
	var negMax, posMax float64
	for _, v := range x {
		if !isFinite(v) {
			continue
		}
		if h.n == 0 {
			h.min, h.max = v, v
		}
		h.n++
		h.min = min(h.min, v)
		h.max = max(h.max, v)
		f := float64(v)
		if f < 0 {
			negMax = max(negMax, -f)
		} else {
			posMax = max(posMax, f)
		}
	}
	if negMax > 0 {
		h.neg.grow(negMax, h.bins)
	}
	if posMax > 0 {
		h.pos.grow(posMax, h.bins)
	}
	var negScale, posScale float64
	if h.neg.counts != nil {
		negScale = h.neg.scale()
	}
	if h.pos.counts != nil {
		posScale = h.pos.scale()
	}
	for _, v := range x {
		if !isFinite(v) {
			continue
		}
		f := float64(v)
		switch {
		case f < 0:
			h.neg.counts[int(-f*negScale)]++
		case f > 0:
			h.pos.counts[int(f*posScale)]++
		default:
			h.zeros++
		}
	}
}

// quantile returns the value below which a fraction q in [0, 1] of the data
// lies, interpolating linearly inside a bin and clamped to the exact
// extremes. The data must not be empty.
func (h *signedHist) quantile(q float64) float32 {
	target := float64(q * float64(h.n))
	cum := 0.0
	v, found := 0.0, false
	if h.neg.counts != nil {
		w := h.neg.width()
		for k := len(h.neg.counts) - 1; k >= 0 && !found; k-- {
			c := float64(h.neg.counts[k])
			if c > 0 && cum+c >= target {
				v, found = -float64(float64(k+1)*w)+float64((target-cum)/c*w), true
			}
			cum += c
		}
	}
	if !found && h.zeros > 0 {
		if cum+float64(h.zeros) >= target {
			v, found = 0, true
		}
		cum += float64(h.zeros)
	}
	if !found && h.pos.counts != nil {
		w := h.pos.width()
		for k, cnt := range h.pos.counts {
			c := float64(cnt)
			if c > 0 && cum+c >= target {
				v, found = float64(float64(k)*w)+float64((target-cum)/c*w), true
				break
			}
			cum += c
		}
	}
	if !found { // only through rounding of target near q = 1
		return h.max
	}
	return max(h.min, min(float32(v), h.max))
}

// klSmoothing is the probability mass, spread uniformly over the support of
// P, that is mixed into Q so that KL(P||Q) stays finite where Q is 0.
const klSmoothing = 1e-4

// klMaxClipped is the largest fraction of the values that a threshold may
// clip. TensorRT's divergence only sees clipping through the difference
// between the outliers piled on P's last bin and Q's share of it, and that
// difference vanishes when the clipped data collapse into a group of their
// own: data away from 0, say uniform on [2, 4], have divergence 0 at a
// threshold just above 2, clipping half of them. The cap rules such
// thresholds out; on the distributions the method is meant for (a bulk and
// a tail) the optimum clips far less (typically under 0.1%), so it does not
// bind.
const klMaxClipped = 0.01

// klThreshold returns the number i of leading bins of the histogram h whose
// clipped distribution loses the least information when quantized to levels
// levels: TensorRT's entropy calibration. For each i from levels to the last
// non-empty bin (inclusive):
//
//   - P is h[0:i] with the mass of all later bins (the outliers that clipping
//     at the threshold i*width saturates) added to bin i-1;
//   - Q quantizes h[0:i] (without the outliers) into levels groups of
//     adjacent bins, bin k going to group k*levels/i, and expands each group's
//     count evenly over the bins of the group where P is non-zero;
//   - both are normalised, Q is mixed with klSmoothing of the uniform
//     distribution on P's support, and KL(P||Q) = Σ P log(P/Q) is computed.
//
// Thresholds that clip more than klMaxClipped of the values are skipped.
// Products are rounded before they are summed (explicit float64 conversions
// forbid fused multiply-adds), so the choice is the same on every GOARCH.
// The i with the smallest KL wins; on a tie the larger i (less clipping).
// If the data fill at most levels bins, the last non-empty bin is used.
//
// Since Q is constant over the support of P inside a group, the divergence
// is Σ_k P_k log P_k - Σ_j P(group j) log Q_j, where the first sum is a
// prefix sum except for bin i-1: each i costs O(levels), not O(i).
func klThreshold(h []uint64, levels int) int {
	n := 0
	for k, c := range h {
		if c > 0 {
			n = k + 1
		}
	}
	if n <= levels {
		return n
	}
	total := 0.0
	for _, c := range h[:n] {
		total += float64(c)
	}
	// prefix[k] = Σ h[0:k]; nonzero[k] = #{j < k : h[j] > 0};
	// plogp[k] = Σ_{j<k} P_j log P_j with P_j = h[j]/total.
	prefix := make([]uint64, n+1)
	nonzero := make([]int, n+1)
	plogp := make([]float64, n+1)
	for k, c := range h[:n] {
		prefix[k+1] = prefix[k] + c
		nonzero[k+1] = nonzero[k]
		plogp[k+1] = plogp[k]
		if c > 0 {
			nonzero[k+1]++
			p := float64(c) / total
			plogp[k+1] += float64(p * math.Log(p))
		}
	}
	best, bestKL := n, math.Inf(1)
	for i := levels; i <= n; i++ {
		inRange := prefix[i]
		if inRange == 0 {
			continue
		}
		outliers := prefix[n] - inRange
		if float64(outliers) > klMaxClipped*total {
			continue
		}
		// P's support: the non-empty bins below i-1, and bin i-1 if it or
		// the outliers are non-empty.
		last := h[i-1] + outliers
		support := nonzero[i-1]
		kl := plogp[i-1]
		if last > 0 {
			support++
			p := float64(last) / total
			kl += float64(p * math.Log(p))
		}
		uniform := klSmoothing / float64(support)
		for j := range levels {
			start, stop := j*i/levels, (j+1)*i/levels
			count := prefix[stop] - prefix[start] // Q's count for the group
			mass := count                         // P's count for the group
			groupSupport := nonzero[stop] - nonzero[start]
			if stop == i && outliers > 0 {
				mass += outliers
				if h[i-1] == 0 {
					groupSupport++ // bin i-1 is in P's support through the outliers
				}
			}
			if mass == 0 {
				continue
			}
			q := (1-klSmoothing)*float64(count)/float64(groupSupport)/float64(inRange) + uniform
			kl -= float64(float64(mass) / total * math.Log(q))
		}
		if kl <= bestKL {
			best, bestKL = i, kl
		}
	}
	return best
}
