package dataset

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ramp returns a c x h x w image whose pixels are 1, 2, 3, ... (never 0).
func ramp(c, h, w int) []uint8 {
	img := make([]uint8, c*h*w)
	for i := range img {
		img[i] = uint8(i%250 + 1)
	}
	return img
}

func TestTranslate(t *testing.T) {
	src := []uint8{
		1, 2, 3,
		4, 5, 6,
	}
	dst := make([]uint8, 6)
	for _, tt := range []struct {
		dx, dy int
		flip   bool
		want   []uint8
	}{
		{0, 0, false, []uint8{1, 2, 3, 4, 5, 6}},
		{1, 0, false, []uint8{0, 1, 2, 0, 4, 5}},
		{-1, 0, false, []uint8{2, 3, 0, 5, 6, 0}},
		{0, 1, false, []uint8{0, 0, 0, 1, 2, 3}},
		{-2, -1, false, []uint8{6, 0, 0, 0, 0, 0}},
		{3, 0, false, []uint8{0, 0, 0, 0, 0, 0}},
		{-5, 0, false, []uint8{0, 0, 0, 0, 0, 0}},
		{0, 0, true, []uint8{3, 2, 1, 6, 5, 4}},
		{1, 0, true, []uint8{0, 3, 2, 0, 6, 5}},
		{-1, 1, true, []uint8{0, 0, 0, 2, 1, 0}},
	} {
		for i := range dst {
			dst[i] = 99
		}
		translate(dst, src, 1, 2, 3, tt.dx, tt.dy, tt.flip)
		assert.Equal(t, tt.want, dst, "dx %d dy %d flip %v", tt.dx, tt.dy, tt.flip)
	}

	// Channels move together.
	src = ramp(2, 2, 2)
	dst = make([]uint8, 8)
	translate(dst, src, 2, 2, 2, 1, 0, false)
	assert.Equal(t, []uint8{0, 1, 0, 3, 0, 5, 0, 7}, dst)
}

func TestAugment(t *testing.T) {
	const c, h, w = 3, 8, 10
	src := ramp(c, h, w)
	dst := make([]uint8, c*h*w)

	Augment(dst, src, c, h, w, Augmentation{}, NewRand(1))
	assert.Equal(t, src, dst, "the zero Augmentation copies")

	opt := Augmentation{Shift: 2, Flip: true}
	run := func(seed uint64) [][]uint8 {
		rng := NewRand(seed)
		var out [][]uint8
		for range 20 {
			d := make([]uint8, c*h*w)
			Augment(d, src, c, h, w, opt, rng)
			out = append(out, d)
		}
		return out
	}
	a := run(5)
	assert.Equal(t, a, run(5), "same seed, same images")
	assert.NotEqual(t, a, run(6))

	// Every output is the input moved by at most 2 pixels, maybe mirrored,
	// and over many draws every offset and both orientations occur.
	seen := map[[3]int]bool{}
	for _, d := range run(7) {
		found := false
		for dy := -2; dy <= 2 && !found; dy++ {
			for dx := -2; dx <= 2 && !found; dx++ {
				for _, flip := range []bool{false, true} {
					want := make([]uint8, c*h*w)
					translate(want, src, c, h, w, dx, dy, flip)
					if assert.ObjectsAreEqual(want, d) {
						found = true
						f := 0
						if flip {
							f = 1
						}
						seen[[3]int{dx, dy, f}] = true
						break
					}
				}
			}
		}
		require.True(t, found, "output is not a shift of the input by <= 2 pixels")
	}
	many := map[[3]int]bool{}
	rng := NewRand(8)
	for range 2000 {
		Augment(dst, src, c, h, w, opt, rng)
		for dy := -2; dy <= 2; dy++ {
			for dx := -2; dx <= 2; dx++ {
				for f, flip := range []bool{false, true} {
					want := make([]uint8, c*h*w)
					translate(want, src, c, h, w, dx, dy, flip)
					if assert.ObjectsAreEqual(want, dst) {
						many[[3]int{dx, dy, f}] = true
					}
				}
			}
		}
	}
	assert.Len(t, many, 5*5*2)

	assert.Panics(t, func() { Augment(dst[:10], src, c, h, w, opt, rng) })
}
