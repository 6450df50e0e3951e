package camera

// Test JPEGs for the stream and source tests; the decoder itself is tested
// in package preprocess.

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// testJPEG encodes a noisy photo-like test image: a shaded background, a
// dark ring and sensor noise.
func testJPEG(t testing.TB, w, h, quality int, gray bool) []byte {
	t.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	var img image.Image
	shade := func(x, y int) uint8 {
		v := 210 - x*40/w - y*20/h + r.IntN(16) - 8
		dx, dy := x-w/2, y-h/2
		if d := dx*dx + dy*dy; d < h*h/12 && d > h*h/30 {
			v = 40 + r.IntN(10)
		}
		return uint8(v)
	}
	if gray {
		m := image.NewGray(image.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				m.SetGray(x, y, color.Gray{shade(x, y)})
			}
		}
		img = m
	} else {
		m := image.NewRGBA(image.Rect(0, 0, w, h))
		for y := range h {
			for x := range w {
				v := shade(x, y)
				m.SetRGBA(x, y, color.RGBA{v, v, v - min(v, 12), 255})
			}
		}
		img = m
	}
	var b bytes.Buffer
	require.NoError(t, jpeg.Encode(&b, img, &jpeg.Options{Quality: quality}))
	return b.Bytes()
}
