package photos

import (
	"image"
	"math"
)

// marks adds what the photo's conditions ask for beside the digit: a
// shadow, stray lines, smudges, scribbles and dots.
func (s *scene) marks() {
	rng := s.rng
	if s.has(CondShadow) {
		s.shadow()
	}
	if s.has("mark") {
		s.farMark(rng.IntN(4))
	}
	if s.has(CondMarks) {
		for range 2 + rng.IntN(4) {
			s.farMark(rng.IntN(4))
		}
	}
	if s.has(CondTouchLine) {
		s.strayLine(true)
	}
	if s.has(CondNearLine) {
		s.strayLine(false)
	}
	if s.has(CondSmudge) {
		s.smudgeNear()
	}
}

// penInk returns the ink of a stray mark: the digit's pen or another.
func (s *scene) penInk() uint8 {
	if s.rng.Float64() < 0.4 {
		return s.digitInk
	}
	return s.newInk(0.05 + 0.4*s.rng.Float64())
}

// farMark draws a mark of the given kind (0 line, 1 scribble, 2 smudge,
// 3 dot) somewhere at least 15 pixels from the digit.
func (s *scene) farMark(kind int) {
	rng := s.rng
	sc := s.scale()
	keep := s.digitBox.Inset(-int(15 * sc))
	frame := image.Rect(0, 0, s.w, s.h)
	for range 60 {
		x, y := rng.Float64()*float64(s.w), rng.Float64()*float64(s.h)
		switch kind {
		case 0:
			a := rng.Float64() * math.Pi
			l := (50 + 250*rng.Float64()) * sc
			x1, y1 := x+math.Cos(a)*l, y+math.Sin(a)*l
			wd := (1.5 + 2.5*rng.Float64()) * sc
			if box := segBox(x, y, x1, y1, wd); box.Overlaps(keep) || !box.In(frame) {
				continue
			}
			s.segment(x, y, x1, y1, wd, s.penInk())
		case 1:
			size := (20 + 50*rng.Float64()) * sc
			if image.Rect(int(x-size), int(y-size), int(x+size), int(y+size)).Overlaps(keep) {
				continue
			}
			s.scribble(x, y, size)
		case 2:
			r := (10 + 40*rng.Float64()) * sc
			if image.Rect(int(x-2*r), int(y-2*r), int(x+2*r), int(y+2*r)).Overlaps(keep) {
				continue
			}
			s.smudge(x, y, r)
		default:
			r := (1.5 + 3.5*rng.Float64()) * sc
			if image.Rect(int(x-r), int(y-r), int(x+r)+1, int(y+r)+1).Overlaps(keep) {
				continue
			}
			s.disc(x, y, r, s.penInk(), 1)
		}
		return
	}
}

func segBox(x0, y0, x1, y1, wd float64) image.Rectangle {
	return image.Rect(int(math.Min(x0, x1)-wd), int(math.Min(y0, y1)-wd), int(math.Max(x0, x1)+wd)+1, int(math.Max(y0, y1)+wd)+1)
}

// scribble draws a short curved pen stroke around (x, y).
func (s *scene) scribble(x, y, size float64) {
	rng := s.rng
	var p [3][2]float64
	for i := range p {
		p[i] = [2]float64{x + (rng.Float64()-0.5)*size, y + (rng.Float64()-0.5)*size}
	}
	wd := (1.5 + 2*rng.Float64()) * s.scale()
	ink := s.penInk()
	const steps = 24
	px, py := p[0][0], p[0][1]
	for i := 1; i <= steps; i++ {
		t := float64(i) / steps
		qx := (1-t)*(1-t)*p[0][0] + 2*(1-t)*t*p[1][0] + t*t*p[2][0]
		qy := (1-t)*(1-t)*p[0][1] + 2*(1-t)*t*p[1][1] + t*t*p[2][1]
		s.segment(px, py, qx, qy, wd, ink)
		px, py = qx, qy
	}
}

// smudge darkens a soft elliptical blob of radius about r at (cx, cy).
func (s *scene) smudge(cx, cy, r float64) {
	rng := s.rng
	ry := r * (0.5 + rng.Float64()*0.8)
	a := rng.Float64() * math.Pi
	ca, sa := math.Cos(a), math.Sin(a)
	dark := 0.15 + 0.3*rng.Float64()
	lvl := 0.35 + 0.3*rng.Float64()
	ink := s.newInk(lvl)
	box := image.Rect(int(cx-2*r), int(cy-2*r), int(cx+2*r)+1, int(cy+2*r)+1).Intersect(image.Rect(0, 0, s.w, s.h))
	for y := box.Min.Y; y < box.Max.Y; y++ {
		for x := box.Min.X; x < box.Max.X; x++ {
			dx, dy := float64(x)-cx, float64(y)-cy
			u, v := (ca*dx+sa*dy)/r, (-sa*dx+ca*dy)/ry
			c := dark * math.Exp(-(u*u+v*v)*1.5) / (1 - lvl)
			if c > 0.01 {
				s.paint(x, y, float32(math.Min(c, 1)), ink)
			}
		}
	}
}

// smudgeNear puts a smudge against the digit: its centre just outside the
// digit's box, so that it reaches the digit's edge.
func (s *scene) smudgeNear() {
	rng := s.rng
	r := (12 + 30*rng.Float64()) * s.scale()
	b := s.digitBox
	var x, y float64
	switch rng.IntN(4) {
	case 0:
		x, y = float64(b.Min.X)-r*0.6, float64(b.Min.Y)+rng.Float64()*float64(b.Dy())
	case 1:
		x, y = float64(b.Max.X)+r*0.6, float64(b.Min.Y)+rng.Float64()*float64(b.Dy())
	case 2:
		x, y = float64(b.Min.X)+rng.Float64()*float64(b.Dx()), float64(b.Min.Y)-r*0.6
	default:
		x, y = float64(b.Min.X)+rng.Float64()*float64(b.Dx()), float64(b.Max.Y)+r*0.6
	}
	s.smudge(x, y, r)
}

// strayLine draws a straight pen line that touches or crosses the digit's
// ink (touch), or passes 2 to 12 pixels from it.
func (s *scene) strayLine(touch bool) {
	rng := s.rng
	sc := s.scale()
	var ink []image.Point
	b := s.digitBox
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if s.digitMask[y*s.w+x] {
				ink = append(ink, image.Pt(x, y))
			}
		}
	}
	wd := (1.5 + 2.5*rng.Float64()) * sc
	for range 200 {
		a := rng.Float64() * math.Pi
		l := (60 + 240*rng.Float64()) * sc
		dx, dy := math.Cos(a), math.Sin(a)
		var x0, y0 float64
		if touch {
			p := ink[rng.IntN(len(ink))]
			t := rng.Float64() * 0.6 // where along the line the digit is: an end, or crossing it
			x0, y0 = float64(p.X)+0.5-dx*l*t, float64(p.Y)+0.5-dy*l*t
		} else {
			// A line through a point beside the box, then checked.
			x0 = float64(b.Min.X) + rng.Float64()*float64(b.Dx()) + (rng.Float64()-0.5)*40*sc - dx*l/2
			y0 = float64(b.Min.Y) + rng.Float64()*float64(b.Dy()) + (rng.Float64()-0.5)*40*sc - dy*l/2
		}
		x1, y1 := x0+dx*l, y0+dy*l
		if !segBox(x0, y0, x1, y1, wd).In(image.Rect(0, 0, s.w, s.h)) {
			continue
		}
		if !touch {
			gap := s.inkDistance(x0, y0, x1, y1) - wd/2
			if gap < 2*sc || gap > 12*sc {
				continue
			}
		}
		s.segment(x0, y0, x1, y1, wd, s.penInk())
		return
	}
}

// inkDistance is the distance from the segment to the nearest pixel of
// the digit's ink (large when far).
func (s *scene) inkDistance(x0, y0, x1, y1 float64) float64 {
	best := math.Inf(1)
	b := s.digitBox.Inset(-40)
	for y := max(b.Min.Y, 0); y < min(b.Max.Y, s.h); y++ {
		for x := max(b.Min.X, 0); x < min(b.Max.X, s.w); x++ {
			if s.digitMask[y*s.w+x] {
				best = math.Min(best, segDist(float64(x)+0.5, float64(y)+0.5, x0, y0, x1, y1))
			}
		}
	}
	return best
}
