package photos

import (
	"image"
	"math"
	"math/rand/v2"
)

// scene builds one photo: the light falling on the paper (with any
// shadow), the paper's albedo, and layers of ink (coverage and colour per
// pixel) composited over it.
type scene struct {
	rng        *rand.Rand
	w, h       int
	level      Level
	conditions []string

	light  []float32    // illumination per pixel
	albedo []float32    // the paper's reflectance per pixel (texture)
	tint   [3]float32   // colour of the paper
	cover  []float32    // ink coverage 0..1 per pixel
	inkC   [][3]float32 // ink colour (reflectance per channel) per ink
	inkID  []uint8      // which ink covers each pixel

	digitInk  uint8           // the digit's ink
	digitBox  image.Rectangle // where the digit's ink is
	digitMask []bool          // pixels of the digit's ink (coverage > 0.5)
	height    float64         // the digit's height
	loop      float64         // the narrowest loop of a pen-drawn digit: the radius of the largest disc inside (+Inf: none)
	noise     float64
	blur      float64
}

// newScene draws the scene's parameters: the hard conditions of a hard
// photo first, since the others depend on them.
func newScene(rng *rand.Rand, w, h int, level Level) *scene {
	s := &scene{rng: rng, w: w, h: h, level: level}
	switch level {
	case Hard:
		perm := rng.Perm(len(HardConditions))
		n := 1 + rng.IntN(3)
		for _, k := range perm[:n] {
			c := HardConditions[k]
			// One stray line at most; a small digit is not also thin-penned.
			if (c == CondNearLine && s.has(CondTouchLine)) || (c == CondTouchLine && s.has(CondNearLine)) ||
				(c == CondThinPen && s.has(CondSmall)) || (c == CondSmall && s.has(CondThinPen)) {
				continue
			}
			s.conditions = append(s.conditions, c)
		}
	case Medium:
		if rng.Float64() < 0.5 {
			s.conditions = append(s.conditions, "mark")
		}
	}
	switch level {
	case Easy:
		s.noise, s.blur = 1+2*rng.Float64(), 0.3+0.6*rng.Float64()
	default:
		s.noise, s.blur = 1.5+6*rng.Float64(), 0.3+1.4*rng.Float64()
	}
	return s
}

func (s *scene) has(c string) bool {
	for _, x := range s.conditions {
		if x == c {
			return true
		}
	}
	return false
}

// scale is the photo's size relative to 640x480, for sizes in pixels.
func (s *scene) scale() float64 { return math.Sqrt(float64(s.w*s.h) / (640 * 480)) }

// paper lays out the light (a base level, a linear gradient, vignetting, a
// soft mottle, and a shadow), the paper's texture and tint.
func (s *scene) paper() {
	rng := s.rng
	var base, grad, vig float64
	switch s.level {
	case Easy:
		base, grad, vig = 0.78+0.18*rng.Float64(), 0.15, 0.1*rng.Float64()
	default:
		base, grad, vig = 0.55+0.4*rng.Float64(), 0.6, 0.4*rng.Float64()
	}
	gx, gy := (rng.Float64()-0.5)*grad, (rng.Float64()-0.5)*grad
	cx, cy := float64(s.w)*(0.2+0.6*rng.Float64()), float64(s.h)*(0.2+0.6*rng.Float64())
	const gs = 6
	var mottle [gs + 1][gs + 1]float64
	for j := range mottle {
		for i := range mottle[j] {
			mottle[j][i] = (rng.Float64() - 0.5) * 0.08
		}
	}
	switch rng.IntN(3) {
	case 0: // warm
		warm := rng.Float64() * 0.1
		s.tint = [3]float32{1, float32(1 - warm/2), float32(1 - warm)}
	case 1: // cool (daylight, blue-ish paper)
		cool := rng.Float64() * 0.06
		s.tint = [3]float32{float32(1 - cool), float32(1 - cool/2), 1}
	default:
		s.tint = [3]float32{1, 1, 1}
	}
	s.light = make([]float32, s.w*s.h)
	diag2 := (float64(s.w)*float64(s.w) + float64(s.h)*float64(s.h)) / 4
	col := make([]float64, s.w)
	for x := range s.w {
		fx := float64(x) / float64(s.w)
		dx := float64(x) - cx
		col[x] = gx*(fx-0.5) - vig*dx*dx/diag2
	}
	for y := range s.h {
		fy := float64(y) / float64(s.h)
		my := fy * gs
		j := min(int(my), gs-1)
		ty := my - float64(j)
		dy := float64(y) - cy
		rowTerm := 1 + gy*(fy-0.5) - vig*dy*dy/diag2
		for x := range s.w {
			mx := float64(x) * gs / float64(s.w)
			i := min(int(mx), gs-1)
			tx := mx - float64(i)
			m := (mottle[j][i]*(1-tx)+mottle[j][i+1]*tx)*(1-ty) + (mottle[j+1][i]*(1-tx)+mottle[j+1][i+1]*tx)*ty
			s.light[y*s.w+x] = float32(base * (rowTerm + col[x] + m))
		}
	}
	s.texture()
	s.clearInk()
}

// clearInk makes the page free of ink.
func (s *scene) clearInk() {
	s.cover = make([]float32, s.w*s.h)
	s.inkID = make([]uint8, s.w*s.h)
	s.inkC = append(s.inkC[:0], [3]float32{}) // ink 0: none
}

// texture gives the paper a fine grain: white noise smoothed over a pixel
// or two, a few percent of the albedo.
func (s *scene) texture() {
	rng := s.rng
	amp := 0.01 + 0.035*rng.Float64()
	if s.level == Easy {
		amp /= 2
	}
	raw := make([]float32, s.w*s.h)
	for i := range raw {
		raw[i] = float32(rng.NormFloat64())
	}
	s.albedo = make([]float32, s.w*s.h)
	// A 3x3 box blur of the grain: away from the edges with the rows at
	// hand (adding in the same order as at the edges, so the same sums).
	w := s.w
	for y := range s.h {
		inner := y > 0 && y < s.h-1
		for x := range w {
			sum := float32(0)
			if inner && x > 0 && x < w-1 {
				a, b, c := raw[(y-1)*w+x-1:(y-1)*w+x+2], raw[y*w+x-1:y*w+x+2], raw[(y+1)*w+x-1:(y+1)*w+x+2]
				sum = a[0] + a[1] + a[2] + b[0] + b[1] + b[2] + c[0] + c[1] + c[2]
			} else {
				for j := max(y-1, 0); j <= min(y+1, s.h-1); j++ {
					for i := max(x-1, 0); i <= min(x+1, w-1); i++ {
						sum += raw[j*w+i]
					}
				}
			}
			s.albedo[y*w+x] = 1 + float32(amp)*sum/3
		}
	}
}

// shadow darkens the light on one side of a line through a point near the
// digit: a sharp edge (a little soft at most) across the whole paper.
func (s *scene) shadow() {
	rng := s.rng
	px := float64(s.digitBox.Min.X+s.digitBox.Max.X)/2 + (rng.Float64()-0.5)*float64(s.digitBox.Dx()+80)
	py := float64(s.digitBox.Min.Y+s.digitBox.Max.Y)/2 + (rng.Float64()-0.5)*float64(s.digitBox.Dy()+80)
	a := rng.Float64() * math.Pi
	nx, ny := math.Cos(a), math.Sin(a)
	factor := 0.3 + 0.4*rng.Float64()
	soft := 0.2 + 2.3*rng.Float64()
	for y := range s.h {
		for x := range s.w {
			d := (float64(x)-px)*nx + (float64(y)-py)*ny
			t := 0.5 + 0.5*math.Tanh(d/soft) // 0 on the dark side
			s.light[y*s.w+x] *= float32(factor + (1-factor)*t)
		}
	}
}

// newInk adds an ink: black, blue or grey of the given darkness (the share
// of light it reflects).
func (s *scene) newInk(dark float64) uint8 {
	c := [3]float32{float32(dark), float32(dark), float32(dark)}
	switch s.rng.IntN(4) {
	case 0: // blue ballpoint
		c = [3]float32{float32(dark * 0.75), float32(dark * 0.95), float32(min(dark*2.4+0.15, 0.85))}
	case 1: // brownish
		c = [3]float32{float32(min(dark*1.3, 1)), float32(dark), float32(dark * 0.8)}
	}
	s.inkC = append(s.inkC, c)
	return uint8(len(s.inkC) - 1)
}

// paint covers pixel (x, y) with ink id to coverage c.
func (s *scene) paint(x, y int, c float32, id uint8) {
	if x < 0 || y < 0 || x >= s.w || y >= s.h {
		return
	}
	i := y*s.w + x
	if c > s.cover[i] {
		s.cover[i] = c
		s.inkID[i] = id
	}
}

// disc paints an antialiased disc of radius r at (cx, cy).
func (s *scene) disc(cx, cy, r float64, id uint8, strength float32) {
	for y := int(cy - r - 1); y <= int(cy+r+1); y++ {
		for x := int(cx - r - 1); x <= int(cx+r+1); x++ {
			d := math.Hypot(float64(x)+0.5-cx, float64(y)+0.5-cy)
			if c := r - d + 0.5; c > 0 {
				s.paint(x, y, strength*float32(min(c, 1)), id)
			}
		}
	}
}

// segment paints a pen stroke of width wd from (x0, y0) to (x1, y1).
func (s *scene) segment(x0, y0, x1, y1, wd float64, id uint8) {
	box := image.Rect(int(math.Min(x0, x1)-wd-2), int(math.Min(y0, y1)-wd-2),
		int(math.Max(x0, x1)+wd+3), int(math.Max(y0, y1)+wd+3)).Intersect(image.Rect(0, 0, s.w, s.h))
	for y := box.Min.Y; y < box.Max.Y; y++ {
		for x := box.Min.X; x < box.Max.X; x++ {
			d := segDist(float64(x)+0.5, float64(y)+0.5, x0, y0, x1, y1)
			if c := math.Min(math.Max(wd/2-d+0.5, 0), 1); c > 0 {
				s.paint(x, y, float32(c), id)
			}
		}
	}
}

// segDist is the distance from (px, py) to the segment.
func segDist(px, py, x0, y0, x1, y1 float64) float64 {
	dx, dy := x1-x0, y1-y0
	l2 := dx*dx + dy*dy
	if l2 == 0 {
		return math.Hypot(px-x0, py-y0)
	}
	t := ((px-x0)*dx + (py-y0)*dy) / l2
	t = math.Min(math.Max(t, 0), 1)
	return math.Hypot(px-(x0+t*dx), py-(y0+t*dy))
}

// compose renders the photo: light times (paper or ink), blurred like a
// slightly defocused lens, plus sensor noise.
func (s *scene) compose() *image.RGBA {
	rng := s.rng
	n := s.w * s.h
	var planes [3][]float32
	for ch := range 3 {
		p := make([]float32, n)
		for i := range n {
			c := s.cover[i]
			ink := s.inkC[s.inkID[i]]
			p[i] = s.light[i] * 255 * (s.albedo[i]*s.tint[ch]*(1-c) + ink[ch]*c)
		}
		planes[ch] = gaussBlur(p, s.w, s.h, s.blur)
	}
	img := image.NewRGBA(image.Rect(0, 0, s.w, s.h))
	table := make([]float32, 4096)
	for i := range table {
		table[i] = float32(rng.NormFloat64() * s.noise)
	}
	for y := range s.h {
		off := rng.IntN(len(table))
		row := img.Pix[y*img.Stride : y*img.Stride+4*s.w]
		for x := range s.w {
			for ch := range 3 {
				v := planes[ch][y*s.w+x] + table[(off+3*x+ch)&4095]
				row[4*x+ch] = uint8(min(max(v+0.5, 0), 255))
			}
			row[4*x+3] = 255
		}
	}
	return img
}

// gaussBlur blurs a plane with a Gaussian of the given sigma.
func gaussBlur(src []float32, w, h int, sigma float64) []float32 {
	rad := int(math.Ceil(3 * sigma))
	k := make([]float32, 2*rad+1)
	sum := float32(0)
	for i := range k {
		d := float64(i - rad)
		k[i] = float32(math.Exp(-d * d / (2 * sigma * sigma)))
		sum += k[i]
	}
	for i := range k {
		k[i] /= sum
	}
	// Along rows, tap by tap over the pixels whose taps all fall inside
	// the row (each pixel's sum adds its taps in order, as the clamped
	// loop at the row's ends does).
	tmp := make([]float32, w*h)
	lo, hi := min(rad, w), max(w-rad, min(rad, w))
	for y := range h {
		row, dst := src[y*w:(y+1)*w], tmp[y*w:(y+1)*w]
		for x := range w {
			if x >= lo && x < hi {
				continue
			}
			acc := float32(0)
			for i, kv := range k {
				acc += kv * row[min(max(x+i-rad, 0), w-1)]
			}
			dst[x] = acc
		}
		if hi <= lo {
			continue
		}
		mid := dst[lo:hi]
		for i, kv := range k {
			for x, v := range row[lo-rad+i : hi-rad+i] {
				mid[x] += kv * v
			}
		}
	}
	out := make([]float32, w*h)
	for y := range h {
		for i, kv := range k {
			yy := min(max(y+i-rad, 0), h-1)
			src := tmp[yy*w : (yy+1)*w]
			dst := out[y*w : (y+1)*w]
			for x, v := range src {
				dst[x] += kv * v
			}
		}
	}
	return out
}
