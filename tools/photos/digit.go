package photos

import (
	"image"
	"math"
)

// digit draws the MNIST digit img (w x h, ink white on black) and returns
// its box and how it was drawn.
func (s *scene) digit(img []uint8, w, h int) (image.Rectangle, string, bool) {
	rng := s.rng
	x0, y0, x1, y1 := w, h, 0, 0
	for y := range h {
		for x := range w {
			if img[y*w+x] > 0 {
				x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x+1), max(y1, y+1)
			}
		}
	}
	if x1 <= x0 {
		return image.Rectangle{}, "", false
	}
	sc := s.scale()
	var height, maxAngle float64
	switch {
	case s.has(CondSmall):
		height = (22 + 23*rng.Float64()) * sc
	case s.level == Easy:
		height = (90 + 130*rng.Float64()) * sc
	case s.has(CondThinPen):
		height = (110 + 130*rng.Float64()) * sc
	default:
		height = (55 + 170*rng.Float64()) * sc
	}
	height = math.Min(height, 0.8*float64(s.h))
	maxAngle = 15
	if s.level == Easy {
		maxAngle = 8
	}
	s.height = height
	k := height / float64(y1-y0) // photo pixels per MNIST pixel
	angle := (rng.Float64()*2 - 1) * maxAngle * math.Pi / 180
	shear := (rng.Float64()*2 - 1) * 0.15
	aspect := 0.85 + 0.3*rng.Float64()
	// The map from MNIST coordinates (u, v) to the photo: scale, aspect,
	// shear, rotation, placement.
	mcx, mcy := float64(x0+x1)/2, float64(y0+y1)/2
	cos, sin := math.Cos(angle), math.Sin(angle)
	fwd := func(u, v float64) (float64, float64) {
		a := (u - mcx) * k * aspect
		b := (v - mcy) * k
		a += shear * b
		return cos*a - sin*b, sin*a + cos*b
	}
	// The rotated extent, then a place with a margin.
	ex, ey := 0.0, 0.0
	for _, c := range [][2]float64{{float64(x0), float64(y0)}, {float64(x1), float64(y0)}, {float64(x0), float64(y1)}, {float64(x1), float64(y1)}} {
		dx, dy := fwd(c[0], c[1])
		ex, ey = math.Max(ex, math.Abs(dx)), math.Max(ey, math.Abs(dy))
	}
	margin := 20 * sc
	cx := ex + margin + rng.Float64()*math.Max(float64(s.w)-2*(ex+margin), 0)
	cy := ey + margin + rng.Float64()*math.Max(float64(s.h)-2*(ey+margin), 0)
	dark := 0.04 + 0.26*rng.Float64()
	if s.has(CondFaint) {
		dark = 0.45 + 0.27*rng.Float64()
	}
	s.digitInk = s.newInk(dark)
	style := "scan"
	if s.has(CondThinPen) || rng.Float64() < 0.5 {
		style = "pen"
	}
	if style == "pen" {
		width := (0.06 + 0.1*rng.Float64()) * height
		if s.has(CondThinPen) {
			width = 1.6 + 1.6*rng.Float64()*sc
		}
		// No wider than the narrowest loop: a thick pen fills the loops
		// of 8s, 9s and 6s and draws another digit than the label.
		s.loop = LoopRadius(img, w, h) * minStretch(k*aspect, shear*k, 0, k)
		width = math.Max(math.Min(width, s.loop), 1.6)
		// Each skeleton pixel joined to its neighbours by a pen stroke
		// (fwd takes pixel-edge coordinates: centres at +0.5).
		for _, seg := range Skeleton(img, w, h) {
			ax, ay := fwd(seg[0]+0.5, seg[1]+0.5)
			bx, by := fwd(seg[2]+0.5, seg[3]+0.5)
			s.segment(cx+ax, cy+ay, cx+bx, cy+by, width, s.digitInk)
		}
	} else {
		// The MNIST grey levels, scaled up: the threshold of the grey
		// level that makes the stroke's edge sets the pen's width.
		edge := 0.25 + 0.3*rng.Float64()
		box := image.Rect(int(cx-ex)-2, int(cy-ey)-2, int(cx+ex)+3, int(cy+ey)+3).Intersect(image.Rect(0, 0, s.w, s.h))
		// The inverse of fwd.
		for py := box.Min.Y; py < box.Max.Y; py++ {
			for px := box.Min.X; px < box.Max.X; px++ {
				cov := 0.0
				for q := range 4 {
					dx := float64(px) + 0.25 + 0.5*float64(q&1) - cx
					dy := float64(py) + 0.25 + 0.5*float64(q>>1) - cy
					a, b := cos*dx+sin*dy, -sin*dx+cos*dy
					a -= shear * b
					u := a/(k*aspect) + mcx - 0.5
					v := b/k + mcy - 0.5
					g := bilinear(img, w, h, u, v) / 255
					cov += math.Min(math.Max((g-edge)/0.2+0.5, 0), 1)
				}
				if cov > 0 {
					s.paint(px, py, float32(cov/4), s.digitInk)
				}
			}
		}
	}
	// The digit's ink: its mask and box.
	s.digitMask = make([]bool, s.w*s.h)
	s.digitBox = image.Rectangle{}
	for y := range s.h {
		for x := range s.w {
			i := y*s.w + x
			if s.inkID[i] == s.digitInk && s.cover[i] > 0.5 {
				s.digitMask[i] = true
				s.digitBox = s.digitBox.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return s.digitBox, style, !s.digitBox.Empty()
}

// minStretch returns the smallest singular value of the matrix [a b; c d]:
// the radius of the largest disc inside the image of the unit disc.
func minStretch(a, b, c, d float64) float64 {
	sum := a*a + b*b + c*c + d*d
	det := a*d - b*c
	return math.Sqrt(math.Max(sum/2-math.Sqrt(math.Max(sum*sum/4-det*det, 0)), 0))
}

// bilinear samples img at (u, v), 0 outside.
func bilinear(img []uint8, w, h int, u, v float64) float64 {
	x0, y0 := int(math.Floor(u)), int(math.Floor(v))
	tx, ty := u-float64(x0), v-float64(y0)
	at := func(x, y int) float64 {
		if x < 0 || y < 0 || x >= w || y >= h {
			return 0
		}
		return float64(img[y*w+x])
	}
	return (at(x0, y0)*(1-tx)+at(x0+1, y0)*tx)*(1-ty) + (at(x0, y0+1)*(1-tx)+at(x0+1, y0+1)*tx)*ty
}

// skelUp is how much the MNIST digit is enlarged before thinning, for a
// smooth skeleton.
const skelUp = 4

// thinned returns the centre line of the digit's strokes on a grid skelUp
// times finer than the digit's: the digit enlarged, thresholded, and
// thinned to one pixel (Zhang and Suen's method, which keeps every loop).
func thinned(img []uint8, w, h int) (on []bool, W, H int) {
	W, H = w*skelUp, h*skelUp
	on = make([]bool, W*H)
	for y := range H {
		for x := range W {
			u := (float64(x)+0.5)/skelUp - 0.5
			v := (float64(y)+0.5)/skelUp - 0.5
			on[y*W+x] = bilinear(img, w, h, u, v) > 110
		}
	}
	at := func(x, y int) int {
		if x < 0 || y < 0 || x >= W || y >= H || !on[y*W+x] {
			return 0
		}
		return 1
	}
	var del []int
	for changed := true; changed; {
		changed = false
		for pass := range 2 {
			del = del[:0]
			for y := range H {
				for x := range W {
					if !on[y*W+x] {
						continue
					}
					// Neighbours P2..P9 clockwise from north.
					p := [8]int{at(x, y-1), at(x+1, y-1), at(x+1, y), at(x+1, y+1), at(x, y+1), at(x-1, y+1), at(x-1, y), at(x-1, y-1)}
					b := 0
					for _, v := range p {
						b += v
					}
					a := 0
					for i := range 8 {
						if p[i] == 0 && p[(i+1)%8] == 1 {
							a++
						}
					}
					if b < 2 || b > 6 || a != 1 {
						continue
					}
					if pass == 0 && (p[0]*p[2]*p[4] != 0 || p[2]*p[4]*p[6] != 0) {
						continue
					}
					if pass == 1 && (p[0]*p[2]*p[6] != 0 || p[0]*p[4]*p[6] != 0) {
						continue
					}
					del = append(del, y*W+x)
				}
			}
			for _, i := range del {
				on[i] = false
			}
			changed = changed || len(del) > 0
		}
	}
	return on, W, H
}

// Skeleton returns the centre line of the digit's strokes as segments
// x0, y0, x1, y1 between neighbouring skeleton pixels, in MNIST pixel
// coordinates (pixel centres at integers): the digit enlarged skelUp
// times, thresholded, and thinned to one pixel.
func Skeleton(img []uint8, w, h int) [][4]float64 {
	on, W, H := thinned(img, w, h)
	at := func(x, y int) int {
		if x < 0 || y < 0 || x >= W || y >= H || !on[y*W+x] {
			return 0
		}
		return 1
	}
	coord := func(x, y int) (float64, float64) {
		return (float64(x)+0.5)/skelUp - 0.5, (float64(y)+0.5)/skelUp - 0.5
	}
	var segs [][4]float64
	for y := range H {
		for x := range W {
			if !on[y*W+x] {
				continue
			}
			ax, ay := coord(x, y)
			lone := true
			// Join to the neighbours after this pixel in scan order (and the
			// one before on the next row), so each pair is joined once.
			for _, d := range [4][2]int{{1, 0}, {-1, 1}, {0, 1}, {1, 1}} {
				if at(x+d[0], y+d[1]) == 1 {
					bx, by := coord(x+d[0], y+d[1])
					segs = append(segs, [4]float64{ax, ay, bx, by})
					lone = false
				}
			}
			if lone {
				segs = append(segs, [4]float64{ax, ay, ax, ay})
			}
		}
	}
	return segs
}

// minLoop is the radius, in digit pixels, below which a loop of the centre
// line is not counted: the digit itself shows it all but shut.
const minLoop = 1.5

// LoopRadius returns the radius, in digit pixels, of the largest disc
// inside the narrowest loop of the digit's centre line (loops the digit
// shows shut are not counted), or +Inf for a digit without loops. A pen
// no wider than this keeps every loop at least half open, so that a
// traced 8 stays an 8 instead of a blob that reads as another digit.
func LoopRadius(img []uint8, w, h int) float64 {
	on, W, H := thinned(img, w, h)
	radius := math.Inf(1)
	for _, r := range holeRadii(on, W, H) {
		if r /= skelUp; r >= minLoop {
			radius = math.Min(radius, r)
		}
	}
	return radius
}

// holeRadii returns, for each hole of the mask (a region of the
// background, 4-connected, that does not reach the border), the radius in
// pixels of the largest disc inside it, measured with a chamfer distance
// (within 8% of the true one).
func holeRadii(on []bool, W, H int) []float64 {
	// The distance of every pixel to the mask, in two passes.
	dist := make([]float64, W*H)
	for i, v := range on {
		if !v {
			dist[i] = math.Inf(1)
		}
	}
	relax := func(i, x, y int, steps [4][3]int) {
		for _, s := range steps {
			nx, ny := x+s[0], y+s[1]
			if nx < 0 || ny < 0 || nx >= W || ny >= H {
				continue
			}
			step := 1.0
			if s[2] == 1 {
				step = math.Sqrt2
			}
			dist[i] = math.Min(dist[i], dist[ny*W+nx]+step)
		}
	}
	for y := range H {
		for x := range W {
			relax(y*W+x, x, y, [4][3]int{{-1, 0, 0}, {-1, -1, 1}, {0, -1, 0}, {1, -1, 1}})
		}
	}
	for y := H - 1; y >= 0; y-- {
		for x := W - 1; x >= 0; x-- {
			relax(y*W+x, x, y, [4][3]int{{1, 0, 0}, {1, 1, 1}, {0, 1, 0}, {-1, 1, 1}})
		}
	}
	seen := make([]bool, W*H)
	var radii []float64
	var stack []int
	for start := range on {
		if on[start] || seen[start] {
			continue
		}
		seen[start] = true
		stack = append(stack[:0], start)
		outside, far := false, 0.0
		for len(stack) > 0 {
			i := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			far = math.Max(far, dist[i])
			x, y := i%W, i/W
			if x == 0 || y == 0 || x == W-1 || y == H-1 {
				outside = true
			}
			for _, d := range [4][2]int{{1, 0}, {-1, 0}, {0, 1}, {0, -1}} {
				nx, ny := x+d[0], y+d[1]
				if nx < 0 || ny < 0 || nx >= W || ny >= H {
					continue
				}
				if j := ny*W + nx; !on[j] && !seen[j] {
					seen[j] = true
					stack = append(stack, j)
				}
			}
		}
		if !outside {
			// A pixel next to the mask is one pixel from it: the disc
			// reaches half a pixel less far.
			radii = append(radii, far-0.5)
		}
	}
	return radii
}

// traceable reports whether the digit, traced along its skeleton with a
// pen as wide as MNIST's strokes, still looks like itself. Digits whose
// loop is a filled blob (a thick 9, 6 or 8) are not: the skeleton of a
// blob is a short spur, and the traced 9 reads as a 7 or a 1.
func traceable(img []uint8, w, h int) bool {
	const pen = 2.4 // digit pixels
	trace := make([]uint8, w*h)
	for _, s := range Skeleton(img, w, h) {
		x0, x1 := int(math.Min(s[0], s[2])-pen), int(math.Max(s[0], s[2])+pen)+1
		y0, y1 := int(math.Min(s[1], s[3])-pen), int(math.Max(s[1], s[3])+pen)+1
		for y := max(y0, 0); y <= min(y1, h-1); y++ {
			for x := max(x0, 0); x <= min(x1, w-1); x++ {
				d := segDist(float64(x), float64(y), s[0], s[1], s[2], s[3])
				if v := uint8(255 * math.Min(math.Max(pen/2-d+0.5, 0), 1)); v > trace[y*w+x] {
					trace[y*w+x] = v
				}
			}
		}
	}
	return covered(img, trace, w, h) >= 0.92 && covered(trace, img, w, h) >= 0.85
}
