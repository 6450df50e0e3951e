package dataset

import (
	"math/bits"
	"math/rand/v2"
)

// pcgStream is the fixed second word of the PCG seed used by NewRand.
const pcgStream = 0x9e3779b97f4a7c15

// NewRand returns a random generator seeded with seed. Its source is a PCG
// (math/rand/v2), whose output is fixed by the seed on every machine.
func NewRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, pcgStream))
}

// Shuffle returns a random permutation of 0..n-1 drawn from rng: a
// Fisher-Yates shuffle that reads only rng.Uint64, so the order is fixed by
// the state of rng and does not change with the Go release.
func Shuffle(n int, rng *rand.Rand) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	for i := n - 1; i > 0; i-- {
		j := below(rng, uint64(i)+1)
		p[i], p[j] = p[j], p[i]
	}
	return p
}

// below returns a uniform integer in [0, n), n > 0, by Lemire's
// multiply-and-reject method.
func below(rng *rand.Rand, n uint64) uint64 {
	hi, lo := bits.Mul64(rng.Uint64(), n)
	if lo < n {
		threshold := -n % n
		for lo < threshold {
			hi, lo = bits.Mul64(rng.Uint64(), n)
		}
	}
	return hi
}
