package preprocess

import (
	"image"
	"math"
)

// component is one connected set of ink pixels of the working image (or,
// after a stray line is cut out of it, the parts of one).
type component struct {
	area           int
	ink, ink2      int64 // sums of contrast above the threshold, and of its square
	x0, y0, x1, y1 int   // bounding box, x1 and y1 exclusive
	sx, sy         int64 // sums of coordinates
	sxx, syy, sxy  int64
	core           int // pixels at least 60% as dark as the component's level
	edge, sharp    int // boundary pixels, and those where the contrast rises steeply
	border         int // pixels on the frame's edge
	chosen         bool
}

// level is the component's typical contrast above the threshold: the
// contrast-weighted mean, which leans to its darkest pixels (a pen's).
func (c *component) level() float64 { return float64(c.ink2) / math.Max(float64(c.ink), 1) }

func (c *component) box() image.Rectangle { return image.Rect(c.x0, c.y0, c.x1, c.y1) }

func (c *component) size() int { return max(c.x1-c.x0, c.y1-c.y0) }

// solidity is the share of its pixels near its level: low for a smudge,
// whose darkness fades out.
func (c *component) solidity() float64 { return float64(c.core) / math.Max(float64(c.area), 1) }

// sharpness is the share of its boundary where the ink rises steeply: a
// pen's stroke has crisp edges, a smudge soft ones.
func (c *component) sharpness() float64 { return float64(c.sharp) / math.Max(float64(c.edge), 1) }

// elongation is length over width of the pixel cloud, from its principal
// axes (a line segment of length L and width W has variances L^2/12 and
// W^2/12 along them): about 1 for a blob, 20 for a thin line. The width
// is the larger of the minor axis and the area over the length: the area
// alone calls a ring drawn with a thin pen (little ink for its extent) a
// line, the minor axis alone calls a thick bar round.
func (c *component) elongation() float64 {
	n := float64(c.area)
	mx, my := float64(c.sx)/n, float64(c.sy)/n
	vxx := float64(c.sxx)/n - float64(mx*mx) + 1.0/12
	vyy := float64(c.syy)/n - float64(my*my) + 1.0/12
	vxy := float64(c.sxy)/n - float64(mx*my)
	tr, det := vxx+vyy, float64(vxx*vyy)-float64(vxy*vxy)
	disc := math.Sqrt(math.Max(float64(float64(tr*tr)/4)-det, 0))
	length := math.Sqrt(12 * (float64(tr/2) + disc))
	minor := math.Sqrt(12 * math.Max(float64(tr/2)-disc, 0))
	width := math.Max(n/math.Max(length, 1), minor)
	return length / math.Max(width, 0.5)
}

// components labels the ink of a contrast image and chooses the digit.
type components struct {
	con    []uint8
	w, h   int
	thr    int
	lab    []int32 // component index + 1 per pixel; 0 for paper, -1 for ink set aside
	parent []int32
	idx    []int32
	list   []component
	hough  []int32
	stack  []image.Point
	dist   []int32 // distance transform of cutBlobs
	ridge  []image.Point
	ridgeD []int32
	blob   []uint8
}

// label finds the 8-connected components of the pixels of con (w x h)
// above thr, with their statistics.
func (cs *components) label(con []uint8, w, h int, thr uint8) {
	cs.con, cs.w, cs.h, cs.thr = con, w, h, int(thr)
	cs.lab = grow(cs.lab, w*h)
	cs.parent = append(cs.parent[:0], 0) // label 0: paper
	find := func(a int32) int32 {
		for cs.parent[a] != a {
			cs.parent[a] = cs.parent[cs.parent[a]]
			a = cs.parent[a]
		}
		return a
	}
	for y := range h {
		row := con[y*w : (y+1)*w]
		lab := cs.lab[y*w : (y+1)*w]
		var up []int32
		if y > 0 {
			up = cs.lab[(y-1)*w : y*w]
		}
		for x, c := range row {
			if c <= thr {
				lab[x] = 0
				continue
			}
			l := int32(0)
			if x > 0 && lab[x-1] != 0 {
				l = lab[x-1]
			}
			if up != nil {
				for xx := max(x-1, 0); xx <= min(x+1, w-1); xx++ {
					if u := up[xx]; u != 0 {
						if l == 0 {
							l = u
						} else if u != l {
							a, b := find(l), find(u)
							if a < b {
								cs.parent[b] = a
							} else {
								cs.parent[a] = b
							}
							l = min(a, b)
						}
					}
				}
			}
			if l == 0 {
				l = int32(len(cs.parent))
				cs.parent = append(cs.parent, l)
			}
			lab[x] = l
		}
	}
	// Dense component indices, 1-based.
	cs.idx = grow(cs.idx, len(cs.parent))
	clear(cs.idx)
	cs.list = cs.list[:0]
	for l := int32(1); l < int32(len(cs.parent)); l++ {
		r := find(l)
		if cs.idx[r] == 0 {
			cs.list = append(cs.list, component{x0: w, y0: h})
			cs.idx[r] = int32(len(cs.list))
		}
		cs.idx[l] = cs.idx[r]
	}
	for i := range cs.lab {
		if l := cs.lab[i]; l != 0 {
			ci := cs.idx[l]
			cs.lab[i] = ci
			cs.add(&cs.list[ci-1], i%w, i/w, 1)
		}
	}
	cs.finish(image.Rect(0, 0, w, h), 0)
}

// add adds (sign 1) or removes (-1) pixel (x, y) to c's sums; adding
// grows its box.
func (cs *components) add(c *component, x, y int, sign int64) {
	if sign > 0 {
		c.x0, c.y0, c.x1, c.y1 = min(c.x0, x), min(c.y0, y), max(c.x1, x+1), max(c.y1, y+1)
	}
	v := int64(cs.con[y*cs.w+x]) - int64(cs.thr)
	c.area += int(sign)
	c.ink += sign * v
	c.ink2 += sign * v * v
	c.sx += sign * int64(x)
	c.sy += sign * int64(y)
	c.sxx += sign * int64(x*x)
	c.syy += sign * int64(y*y)
	c.sxy += sign * int64(x*y)
}

// gradient is the steepness of the contrast at pixel (x, y): the larger
// central difference along x or y.
func (cs *components) gradient(x, y int) int {
	w, con := cs.w, cs.con
	at := func(x, y int) int {
		x, y = min(max(x, 0), w-1), min(max(y, 0), cs.h-1)
		return int(con[y*w+x])
	}
	gx := at(x+1, y) - at(x-1, y)
	gy := at(x, y+1) - at(x, y-1)
	return max(abs(gx), abs(gy)) / 2
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// sharpEdge is how steep, relative to a component's level, the contrast
// must rise at its boundary to count as a pen's edge.
const sharpEdge = 0.12

// finish computes the core, boundary, sharpness and border counts (and,
// for one component ci > 0, the box) of the components of the pixels of
// region r, whose sums are done.
func (cs *components) finish(r image.Rectangle, ci int32) {
	w := cs.w
	for i := range cs.list {
		if c := &cs.list[i]; ci == 0 || int32(i+1) == ci {
			c.core, c.edge, c.sharp, c.border = 0, 0, 0, 0
			if ci > 0 {
				c.x0, c.y0, c.x1, c.y1 = w, cs.h, 0, 0
			}
		}
	}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			l := cs.lab[y*w+x]
			if l <= 0 || (ci > 0 && l != ci) {
				continue
			}
			c := &cs.list[l-1]
			lv := c.level()
			if v := float64(int(cs.con[y*w+x]) - cs.thr); v >= 0.6*lv {
				c.core++
			}
			if ci > 0 {
				c.x0, c.y0, c.x1, c.y1 = min(c.x0, x), min(c.y0, y), max(c.x1, x+1), max(c.y1, y+1)
			}
			if x == 0 || y == 0 || x == w-1 || y == cs.h-1 {
				c.border++
				c.edge++
				continue
			}
			if cs.lab[y*w+x-1] != l || cs.lab[y*w+x+1] != l || cs.lab[(y-1)*w+x] != l || cs.lab[(y+1)*w+x] != l {
				c.edge++
				if float64(cs.gradient(x, y)) >= sharpEdge*(lv+float64(cs.thr)) {
					c.sharp++
				}
			}
		}
	}
}

// stats recomputes component ci's box and counts from its pixels.
func (cs *components) stats(ci int32) {
	c := &cs.list[ci-1]
	b := c.box()
	if c.area <= 0 || b.Empty() {
		*c = component{}
		return
	}
	cs.finish(b, ci)
}

// score is how digit-like component c is: its ink, discounted for lines,
// smudges, specks and marks cut by the frame.
func (cs *components) score(c *component) float64 {
	if c.area < 4 || c.size() < 3 {
		return 0
	}
	s := float64(c.ink)
	// Long thin lines: a digit is at most as elongated as a thick "1".
	if e := c.elongation(); e > 8 {
		s *= math.Pow(8/e, 3)
	}
	// Smudges: soft edges, no solid core of dark pixels.
	if sh := c.sharpness(); sh < 0.5 {
		s *= math.Pow(sh/0.5, 3)
	}
	if solid := c.solidity(); solid < 0.4 {
		s *= math.Pow(solid/0.4, 2)
	}
	// Marks cut by the frame, and the false ink of a shadow's corner.
	if c.border > 0 {
		s *= 0.3 / (1 + float64(float64(c.border)/4))
	}
	if c.size() < 6 {
		s *= 0.1
	}
	cx, cy := float64(float64(cs.w)/2), float64(float64(cs.h)/2)
	dist := math.Hypot(float64(float64(c.x0+c.x1)/2)-cx, float64(float64(c.y0+c.y1)/2)-cy)
	return s * (1 - float64(0.2*dist)/math.Hypot(cx, cy))
}

// choose returns the index of the most digit-like component, or -1.
func (cs *components) choose() int {
	best, bestScore := -1, 0.0
	for i := range cs.list {
		if s := cs.score(&cs.list[i]); s > bestScore {
			best, bestScore = i, s
		}
	}
	return best
}

// near reports whether component j lies within reach of component i, as
// a piece of the same digit would: inside i's box grown by a quarter of
// its size.
func (cs *components) near(i, j int) bool {
	b := cs.list[i].box()
	return cs.list[j].box().Overlaps(b.Inset(-max(2, max(b.Dx(), b.Dy())/4)))
}

// chosenAt reports whether working pixel i belongs to a chosen component.
func (cs *components) chosenAt(i int) bool {
	l := cs.lab[i]
	return l > 0 && cs.list[l-1].chosen
}

// merge marks component best and the pieces around it written with the
// same pen as chosen, and returns their bounding box.
func (cs *components) merge(best int) image.Rectangle {
	for i := range cs.list {
		cs.list[i].chosen = false
	}
	b := &cs.list[best]
	if b.area == 0 {
		return image.Rectangle{}
	}
	b.chosen = true
	box := b.box()
	blv := b.level()
	for changed := true; changed; {
		changed = false
		gap := max(2, max(box.Dx(), box.Dy())/4)
		grown := box.Inset(-gap)
		for i := range cs.list {
			c := &cs.list[i]
			if c.chosen || c.area < 2 || !c.box().Overlaps(grown) {
				continue
			}
			if lv := c.level(); lv < 0.5*blv || lv > 2*blv {
				continue // another pen
			}
			if c.area > 8 && (c.elongation() > 10 || c.sharpness() < 0.3 || c.solidity() < 0.3) {
				continue // a line or a smudge
			}
			// A piece may grow the digit by half, or double it when it
			// nearly touches (the tail of a 9, a 5's detached bar).
			size := max(box.Dx(), box.Dy())
			limit := size*3/2 + 2
			if near := c.box().Intersect(box.Inset(-max(2, size/8))); !near.Empty() {
				limit = 2*size + 2
			}
			if u := box.Union(c.box()); max(u.Dx(), u.Dy()) > limit {
				continue // not a piece of the digit
			}
			c.chosen = true
			box = box.Union(c.box())
			changed = true
		}
	}
	return box
}
