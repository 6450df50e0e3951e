package preprocess

import (
	"image"
	"testing"
)

func BenchmarkShrink(b *testing.B) {
	pix := make([]byte, 640*480)
	for i := range pix {
		pix[i] = byte(i * 7)
	}
	pl := Plane{Pix: pix, Width: 640, Height: 480, Stride: 640, Step: 1}
	var f digitFinder
	for b.Loop() {
		f.shrink(pl, image.Rect(0, 0, 640, 480))
	}
}

func BenchmarkBackground(b *testing.B) {
	pix := make([]byte, 640*480)
	for i := range pix {
		pix[i] = byte(i * 7)
	}
	pl := Plane{Pix: pix, Width: 640, Height: 480, Stride: 640, Step: 1}
	var f digitFinder
	f.shrink(pl, image.Rect(0, 0, 640, 480))
	for b.Loop() {
		f.background()
	}
}

func TestShrinkFastPathsMatchGeneric(t *testing.T) {
	for _, step := range []int{1, 2} {
		w, h := 2564, 1444
		pix := make([]byte, (w*step+6)*h)
		for i := range pix {
			pix[i] = byte(i*131 + i/7)
		}
		pl := Plane{Pix: pix, Width: w, Height: h, Stride: w*step + 6, Step: step}
		roi := image.Rect(1, 2, 2561, 1442)
		var fast digitFinder
		fast.shrink(pl, roi)
		if fast.d != 4 {
			t.Fatalf("d = %d", fast.d)
		}
		for sy := range fast.sh {
			for sx := range fast.sw {
				s := 0
				for j := range 4 {
					for i := range 4 {
						s += int(pl.At(roi.Min.X+4*sx+i, roi.Min.Y+4*sy+j))
					}
				}
				if want := uint8((s + 8) / 16); fast.small[sy*fast.sw+sx] != want {
					t.Fatalf("step %d: small(%d,%d) = %d, want %d", step, sx, sy, fast.small[sy*fast.sw+sx], want)
				}
			}
		}
	}
}

func TestMorphFilterMatchesBruteForce(t *testing.T) {
	w, h := 37, 23
	src := make([]uint8, w*h)
	for i := range src {
		src[i] = uint8(i*97 + i/5*31)
	}
	var m morphBuf
	for _, r := range []int{1, 3, 8, 40} {
		for _, isMax := range []bool{true, false} {
			got := make([]uint8, w*h)
			m.filter(got, src, w, h, r, isMax)
			for y := range h {
				for x := range w {
					want := src[y*w+x]
					for j := max(y-r, 0); j <= min(y+r, h-1); j++ {
						for i := max(x-r, 0); i <= min(x+r, w-1); i++ {
							if v := src[j*w+i]; (isMax && v > want) || (!isMax && v < want) {
								want = v
							}
						}
					}
					if got[y*w+x] != want {
						t.Fatalf("r %d max %v: (%d,%d) = %d, want %d", r, isMax, x, y, got[y*w+x], want)
					}
				}
			}
		}
	}
}
