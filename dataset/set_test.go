package dataset

import (
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tinySet returns n 2x1x2 images; pixel p of image i is 4*i+p (n <= 64).
func tinySet(n int) *Set {
	s := &Set{Name: "tiny", Channels: 2, Height: 1, Width: 2, Classes: []string{"a", "b", "c"}}
	for i := range n {
		for p := range 4 {
			s.Images = append(s.Images, uint8(4*i+p))
		}
		s.Labels = append(s.Labels, i%3)
	}
	return s
}

func TestSet(t *testing.T) {
	s := tinySet(5)
	assert.Equal(t, 5, s.Len())
	assert.Equal(t, 4, s.ImageSize())
	assert.Equal(t, []uint8{8, 9, 10, 11}, s.Image(2))
	assert.Equal(t, 4, cap(s.Image(2)), "appending to an image must not reach the next")
	assert.Equal(t, []int{2, 2, 1}, s.ClassCounts())

	sub := s.Subset([]int{4, 1, 1})
	assert.Equal(t, "tiny", sub.Name)
	assert.Equal(t, []int{1, 1, 1}, sub.Labels)
	assert.Equal(t, []uint8{16, 17, 18, 19, 4, 5, 6, 7, 4, 5, 6, 7}, sub.Images)
	sub.Images[0] = 99
	assert.Equal(t, uint8(16), s.Image(4)[0], "Subset copies")
	assert.Panics(t, func() { s.Subset([]int{5}) })

	head := s.Head(2)
	assert.Equal(t, "tiny[:2]", head.Name)
	assert.Equal(t, 2, head.Len())
	assert.Equal(t, []int{0, 1}, head.Labels)
	assert.Equal(t, s.Images[:8], head.Images)
	assert.Equal(t, 5, s.Head(9).Len())
	assert.Equal(t, 0, s.Head(-1).Len())
	assert.Empty(t, s.Head(0).Images)
}

func TestSample(t *testing.T) {
	s := tinySet(50)
	a := s.Sample(10, 7)
	b := s.Sample(10, 7)
	c := s.Sample(10, 8)
	assert.Equal(t, "tiny[sample 10 seed 7]", a.Name)
	require.Equal(t, 10, a.Len())
	assert.Equal(t, a.Images, b.Images, "same seed, same sample")
	assert.NotEqual(t, a.Images, c.Images, "another seed, another sample")

	// Distinct images, each with its own label.
	seen := map[uint8]bool{}
	for i := range a.Len() {
		img := a.Image(i)
		orig := int(img[0]) / 4
		assert.False(t, seen[img[0]], "image %d drawn twice", orig)
		seen[img[0]] = true
		assert.Equal(t, s.Labels[orig], a.Labels[i])
	}
	assert.Equal(t, 50, s.Sample(100, 1).Len())
}

func TestShuffle(t *testing.T) {
	for _, n := range []int{0, 1, 2, 10, 1000} {
		p := Shuffle(n, NewRand(3))
		sorted := slices.Sorted(slices.Values(p))
		for i, v := range sorted {
			require.Equal(t, i, v, "Shuffle(%d) is not a permutation", n)
		}
	}
	assert.Equal(t, Shuffle(1000, NewRand(3)), Shuffle(1000, NewRand(3)))
	assert.NotEqual(t, Shuffle(1000, NewRand(3)), Shuffle(1000, NewRand(4)))

	// Consecutive epochs from one generator differ.
	rng := NewRand(3)
	assert.NotEqual(t, Shuffle(100, rng), Shuffle(100, rng))

	// Pinned: the order must not change with the Go release or the machine.
	assert.Equal(t, []int{0, 5, 2, 3, 1, 4, 8, 7, 6, 9}, Shuffle(10, NewRand(1)))
	assert.Equal(t, []int{9, 5, 1, 7, 6, 3, 2, 4, 0, 8}, Shuffle(10, NewRand(2)))
}

func TestBelowIsUniform(t *testing.T) {
	rng := NewRand(9)
	var counts [6]int
	for range 60000 {
		counts[below(rng, 6)]++
	}
	for v, c := range counts {
		assert.InDelta(t, 10000, c, 500, "value %d", v)
	}
}

func TestSplitHoldsOutEveryClass(t *testing.T) {
	s := &Set{Name: "d", Channels: 1, Height: 1, Width: 1, Classes: []string{"a", "b", "c"}}
	for i := range 43 {
		l := i % 3
		if i >= 30 {
			l = 0
		}
		s.Labels = append(s.Labels, l)
		s.Images = append(s.Images, uint8(i))
		s.Files = append(s.Files, fmt.Sprint(i))
	}
	train, test := s.Split(0.1, 7)
	require.Equal(t, s.Len(), train.Len()+test.Len())
	require.Equal(t, []int{21, 9, 9}, train.ClassCounts())
	require.Equal(t, []int{2, 1, 1}, test.ClassCounts())
	for i := range test.Len() {
		require.Equal(t, test.Files[i], fmt.Sprint(test.Image(i)[0]), "files follow their images")
	}
	again, _ := s.Split(0.1, 7)
	require.Equal(t, train.Images, again.Images, "the seed decides")
	other, _ := s.Split(0.1, 8)
	require.NotEqual(t, train.Images, other.Images)
}
