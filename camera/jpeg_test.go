package camera

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

// refLuma decodes data with image/jpeg and shrinks its luma by scale (box
// average).
func refLuma(t *testing.T, data []byte, scale int) (w, h int, pix []float64) {
	img, err := jpeg.Decode(bytes.NewReader(data))
	require.NoError(t, err)
	b := img.Bounds()
	at := func(x, y int) float64 {
		switch m := img.(type) {
		case *image.YCbCr:
			return float64(m.Y[m.YOffset(x, y)])
		case *image.Gray:
			return float64(m.Pix[y*m.Stride+x])
		}
		t.Fatalf("unexpected %T", img)
		return 0
	}
	w, h = b.Dx()/scale, b.Dy()/scale
	pix = make([]float64, w*h)
	for y := range h {
		for x := range w {
			s := 0.0
			for j := range scale {
				for i := range scale {
					s += at(x*scale+i, y*scale+j)
				}
			}
			pix[y*w+x] = s / float64(scale*scale)
		}
	}
	return w, h, pix
}

func TestJPEGLumaMatchesImageJPEG(t *testing.T) {
	for _, tc := range []struct {
		name          string
		w, h, quality int
		gray          bool
		scaledRMS     float64 // shrinking drops high frequencies: a looser bound
	}{
		{"color 640x480 q80", 640, 480, 80, false, 4},
		{"gray 100x70 q90", 100, 70, 90, true, 4},
		{"color 33x17 q50", 33, 17, 50, false, 8},
	} {
		data := testJPEG(t, tc.w, tc.h, tc.quality, tc.gray)
		for _, scale := range []int{1, 2, 4, 8} {
			var d Decoder
			f := &Frame{Format: FormatMJPEG, Data: data, Name: "t.jpg"}
			p, err := d.Luma(f, scale)
			require.NoError(t, err, tc.name)
			require.Equal(t, tc.w, f.Width)
			require.Equal(t, tc.h, f.Height)
			require.Equal(t, (tc.w+scale-1)/scale, p.Width)
			rw, rh, ref := refLuma(t, data, scale)
			var sum, worst float64
			for y := range rh {
				for x := range rw {
					diff := float64(p.At(x, y)) - ref[y*rw+x]
					sum += diff * diff
					worst = max(worst, abs(diff))
				}
			}
			rms := sqrt(sum / float64(rw*rh))
			limit := 1.5
			if scale > 1 {
				limit = tc.scaledRMS
			}
			require.Less(t, rms, limit, "%s scale %d: rms %.2f worst %.0f", tc.name, scale, rms, worst)
		}
	}
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

func sqrt(v float64) float64 {
	x := v
	if x == 0 {
		return 0
	}
	for range 50 {
		x = (x + v/x) / 2
	}
	return x
}

func BenchmarkJPEGLuma(b *testing.B) {
	data := testJPEG(b, 640, 480, 80, false)
	for _, scale := range []int{1, 2, 4} {
		b.Run("scale"+string(rune('0'+scale)), func(b *testing.B) {
			var d Decoder
			f := &Frame{Format: FormatMJPEG, Data: data}
			for b.Loop() {
				if _, err := d.Luma(f, scale); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("image/jpeg", func(b *testing.B) {
		for b.Loop() {
			jpeg.Decode(bytes.NewReader(data))
		}
	})
}
