package preprocess

import (
	"image"
	"math"
)

// digitLayout lays out a digit as MNIST does, keeping its buffers.
type digitLayout struct {
	ink, thick, img []uint8
	rs              Resampler
}

// SoftBinarize maps the ink contrasts of a digit, whose strokes reach
// level, to strokes of 255 with soft edges, as MNIST's are: 40% of level
// and below to 0, 70% and above to 255, linearly between. The digit path
// does it before LayoutDigit; tools that make training digits too.
func SoftBinarize(ink []uint8, level int) {
	lo, hi := level*4/10, level*7/10
	var lut [256]uint8
	for v := range 256 {
		lut[v] = uint8(min(max((v-lo)*255/max(hi-lo, 1), 0), 255))
	}
	for i, v := range ink {
		ink[i] = lut[v]
	}
}

// InkLevel is the level of a digit's strokes in ink: the 90th percentile
// of its non-zero values.
func InkLevel(ink []uint8) int {
	var hist [256]int
	n := 0
	for _, v := range ink {
		if v > 0 {
			hist[v]++
			n++
		}
	}
	seen := 0
	for v := 255; v > 0; v-- {
		if seen += hist[v]; seen*10 >= n {
			return v
		}
	}
	return 0
}

// LayoutDigit lays out the digit of ink (iw x ih, ink white on black,
// strokes at 128 and above) MNIST-style into dst (w x h, at least 20x20):
// its box scaled to fit 20x20 keeping its aspect ratio (strokes too thin
// for that size thickened to an MNIST pen first), its centre of mass at
// the centre. It reports false when ink holds no stroke. The digit path
// ends with it; tools that make training digits use it to match.
func LayoutDigit(dst []uint8, w, h int, ink []uint8, iw, ih int) bool {
	var l digitLayout
	clear(dst[:w*h])
	_, ok := l.layout(dst, w, h, ink, iw, ih)
	return ok
}

// layout is LayoutDigit; it may change ink (the thickening) and returns
// the box of the strokes in ink.
func (l *digitLayout) layout(out []uint8, w, h int, ink []uint8, pw, ph int) (image.Rectangle, bool) {
	tb := image.Rectangle{Min: image.Pt(pw, ph)}
	for y := range ph {
		for x, v := range ink[y*pw : (y+1)*pw] {
			if v >= 128 {
				tb.Min.X, tb.Min.Y = min(tb.Min.X, x), min(tb.Min.Y, y)
				tb.Max.X, tb.Max.Y = max(tb.Max.X, x+1), max(tb.Max.Y, y+1)
			}
		}
	}
	if tb.Empty() {
		return image.Rectangle{}, false
	}
	// Stroke width: twice the area over the perimeter of the strokes.
	area, edges := 0, 0
	for y := tb.Min.Y; y < tb.Max.Y; y++ {
		for x := tb.Min.X; x < tb.Max.X; x++ {
			if ink[y*pw+x] < 128 {
				continue
			}
			area++
			if x == 0 || y == 0 || x == pw-1 || y == ph-1 || ink[y*pw+x-1] < 128 || ink[y*pw+x+1] < 128 ||
				ink[(y-1)*pw+x] < 128 || ink[(y+1)*pw+x] < 128 {
				edges++
			}
		}
	}
	inkBox := tb
	bw, bh := tb.Dx(), tb.Dy()
	size := max(bw, bh)
	stroke := 2 * float64(area) / float64(max(edges, 1))
	// MNIST's pens draw strokes about a ninth of the 20-pixel box wide; a
	// thinner stroke is thickened before it is shrunk.
	src := ink
	if want := float64(size) / 9; stroke < 0.75*want {
		if r := int(math.Round((want - stroke) / 2)); r > 0 {
			tb = l.thicken(ink, pw, ph, tb, r)
			src = l.thick
			bw, bh = tb.Dx(), tb.Dy()
			size = max(bw, bh)
		}
	}
	// Scale the box to fit mnistBox x mnistBox, keeping its aspect ratio.
	tw := max(1, (bw*mnistBox+size/2)/size)
	th := max(1, (bh*mnistBox+size/2)/size)
	l.img = grow(l.img, tw*th)
	l.rs.resizePlane(l.img, src[tb.Min.Y*pw+tb.Min.X:], bw, bh, pw, tw, th)
	// Centre of mass to the centre of the output.
	var sum, sx, sy int64
	for y := range th {
		for x := range tw {
			v := int64(l.img[y*tw+x])
			sum += v
			sx += v * int64(2*x+1)
			sy += v * int64(2*y+1)
		}
	}
	if sum == 0 {
		return image.Rectangle{}, false
	}
	ox := int(math.Round(float64(float64(w)/2) - float64(sx)/float64(2*sum)))
	oy := int(math.Round(float64(float64(h)/2) - float64(sy)/float64(2*sum)))
	for y := range th {
		yy := y + oy
		if yy < 0 || yy >= h {
			continue
		}
		for x := range tw {
			if xx := x + ox; xx >= 0 && xx < w {
				out[yy*w+xx] = l.img[y*tw+x]
			}
		}
	}
	return inkBox, true
}

// thicken writes into l.thick the ink image (pw x ph) dilated by a disc
// of radius r within box tb grown by r, and returns the grown box.
func (l *digitLayout) thicken(ink []uint8, pw, ph int, tb image.Rectangle, r int) image.Rectangle {
	gb := tb.Inset(-r).Intersect(image.Rect(0, 0, pw, ph))
	l.thick = grow(l.thick, pw*ph)
	copy(l.thick, ink[:pw*ph])
	for y := gb.Min.Y; y < gb.Max.Y; y++ {
		for x := gb.Min.X; x < gb.Max.X; x++ {
			m := ink[y*pw+x]
			for j := max(y-r, 0); j <= min(y+r, ph-1); j++ {
				for i := max(x-r, 0); i <= min(x+r, pw-1); i++ {
					if (i-x)*(i-x)+(j-y)*(j-y) <= r*r {
						m = max(m, ink[j*pw+i])
					}
				}
			}
			l.thick[y*pw+x] = m
		}
	}
	return gb
}
