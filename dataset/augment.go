package dataset

import (
	"fmt"
	"math/rand/v2"
)

// Augmentation says how Augment distorts a training image. The zero value
// leaves images unchanged.
type Augmentation struct {
	// Shift translates the image by a uniform random offset in
	// [-Shift, Shift] pixels on each axis; pixels moved in from outside are 0.
	Shift int
	// Flip mirrors the image left to right with probability 1/2. Leave it
	// off for digits and text.
	Flip bool
}

// Augment writes into dst a randomly translated and possibly mirrored copy
// of src, a c x h x w CHW image. The draws come from rng in a fixed order
// (vertical offset, horizontal offset, flip; each only when enabled), so the
// result is fixed by the state of rng. dst must not overlap src. It panics if
// either slice is shorter than c*h*w.
func Augment(dst, src []uint8, c, h, w int, opt Augmentation, rng *rand.Rand) {
	n := c * h * w
	if len(src) < n || len(dst) < n {
		panic(fmt.Sprintf("dataset.Augment: %dx%dx%d image needs %d pixels, src has %d, dst %d", c, h, w, n, len(src), len(dst)))
	}
	dx, dy := 0, 0
	if opt.Shift > 0 {
		span := uint64(2*opt.Shift + 1)
		dy = int(below(rng, span)) - opt.Shift
		dx = int(below(rng, span)) - opt.Shift
	}
	flip := opt.Flip && rng.Uint64()&1 == 1
	translate(dst[:n], src[:n], c, h, w, dx, dy, flip)
}

// translate writes dst(y, x) = f(y-dy, x-dx) for each channel, where f is src
// (mirrored left to right if flip) and 0 outside the image.
func translate(dst, src []uint8, c, h, w, dx, dy int, flip bool) {
	x0 := min(max(dx, 0), w)    // first column with a source pixel
	x1 := min(max(w+dx, x0), w) // one past the last
	for ch := range c {
		plane := ch * h * w
		for y := range h {
			row := dst[plane+y*w : plane+(y+1)*w]
			sy := y - dy
			if sy < 0 || sy >= h {
				clear(row)
				continue
			}
			srow := src[plane+sy*w : plane+(sy+1)*w]
			clear(row[:x0])
			clear(row[x1:])
			if x0 == x1 {
				continue
			}
			if !flip {
				copy(row[x0:x1], srow[x0-dx:x1-dx])
				continue
			}
			for x := x0; x < x1; x++ {
				row[x] = srow[w-1-(x-dx)]
			}
		}
	}
}
