package preprocess

import (
	"math/rand/v2"
	"testing"
)

// upsampleRef is chroma upsampling written for clarity, one output sample
// at a time: the definition upsampleRow is tested against.
func upsampleRef(pl Plane, sx, sy, x, y int) uint8 {
	cw, ch := pl.Width, pl.Height
	at := func(c, r int) int32 {
		return int32(pl.At(min(max(c, 0), cw-1), min(max(r, 0), ch-1)))
	}
	cx, cy := x/sx, min(y/sy, ch-1)
	if sx != 2 || sy > 2 {
		return uint8(at(cx, cy))
	}
	// Horizontal neighbour: left for even columns, right for odd ones.
	nx := cx - 1
	if x&1 == 1 {
		nx = cx + 1
	}
	if sy == 1 {
		if x&1 == 0 {
			return uint8((3*at(cx, cy) + at(nx, cy) + 1) >> 2)
		}
		return uint8((3*at(cx, cy) + at(nx, cy) + 2) >> 2)
	}
	ny := cy - 1
	if y&1 == 1 {
		ny = cy + 1
	}
	col := func(c int) int32 { return 3*at(c, cy) + at(c, ny) }
	if x&1 == 0 {
		return uint8((3*col(cx) + col(nx) + 8) >> 4)
	}
	return uint8((3*col(cx) + col(nx) + 7) >> 4)
}

func TestUpsampleRowMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var sc upsampleScratch
	for _, sub := range [][2]int{{1, 1}, {2, 1}, {2, 2}, {1, 2}, {4, 1}, {4, 2}, {2, 4}} {
		for _, w := range []int{1, 2, 3, 16, 37, 90} {
			for _, step := range []int{1, 2, 4} {
				sx, sy := sub[0], sub[1]
				h := 9
				cw, ch := (w+sx-1)/sx, (h+sy-1)/sy
				pl := Plane{Width: cw, Height: ch, Stride: cw*step + 3, Step: step}
				pl.Pix = make([]uint8, ch*pl.Stride)
				for i := range pl.Pix {
					pl.Pix[i] = uint8(r.IntN(256))
				}
				for y := range h {
					for x0 := range w {
						// Spans of 1 to 3 samples (every start and end
						// parity) and to the right edge.
						for _, x1 := range []int{x0 + 1, x0 + 2, x0 + 3, w} {
							if x1 > w {
								continue
							}
							dst := make([]uint8, x1-x0)
							upsampleRow(dst, pl, sx, sy, y, x0, &sc)
							for i, v := range dst {
								if want := upsampleRef(pl, sx, sy, x0+i, y); v != want {
									t.Fatalf("subsampling %dx%d, width %d, step %d, pixel (%d, %d) of [%d, %d): %d, want %d",
										sx, sy, w, step, x0+i, y, x0, x1, v, want)
								}
							}
						}
					}
				}
			}
		}
	}
}
