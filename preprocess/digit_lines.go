package preprocess

import (
	"image"
	"math"
	"slices"
)

// houghAngles is the number of line directions tried, every 2 degrees.
const houghAngles = 90

// houghPeaks is how many candidate lines cutLine examines.
const houghPeaks = 6

// line is a straight line through a component's box: the pixels at
// distance r from the box's corner along direction (cos, sin).
type line struct {
	cos, sin float64
	r        int
	off      float64 // fractional part of the distance, after a fit
	box      image.Rectangle
	diag     int
}

// at returns a point's distance from the line and position along it
// (from 0).
func (l *line) at(x, y int) (d float64, t int) {
	fx, fy := float64(x-l.box.Min.X), float64(y-l.box.Min.Y)
	return float64(fx*l.cos) + float64(fy*l.sin) - float64(l.r) - l.off, int(math.Round(-float64(fx*l.sin)+float64(fy*l.cos))) + l.diag
}

// point returns the image point at position t on the line.
func (l *line) point(t int) image.Point {
	r := float64(l.r) + l.off
	fx := float64(r*l.cos) - float64(float64(t-l.diag)*l.sin) + float64(l.box.Min.X)
	fy := float64(r*l.sin) + float64(float64(t-l.diag)*l.cos) + float64(l.box.Min.Y)
	return image.Pt(int(math.Floor(fx)), int(math.Floor(fy)))
}

// cutLine looks for a straight line through component ci that is a stray
// pen line touching or crossing the digit rather than a stroke of it, and
// sets its pixels aside. It tries the strongest lines of the component's
// Hough transform. A stray line runs well past the rest of the component,
// which must hold some ink of its own (a "1" is a line too), and either
// is thinner than the digit's strokes and at least half as long as the
// digit is big, or is twice as long as the digit is big, or crosses it
// from side to side: both its ends free of the rest's ink, where a
// digit's own straight stroke (a 7's bar, a 4's) ends on the rest.
func (cs *components) cutLine(ci int) {
	c := &cs.list[ci]
	if c.area < 30 {
		return
	}
	lab := int32(ci + 1)
	b := c.box()
	diag := int(math.Ceil(math.Hypot(float64(b.Dx()), float64(b.Dy())))) + 1
	nr := 2*diag + 1
	cs.hough = grow(cs.hough, houghAngles*nr)
	acc := cs.hough
	clear(acc)
	// The votes in fixed point (12 fractional bits), cheaper than rounding
	// floats: a pixel 300 away from the box's corner votes within 0.1 of
	// its exact distance.
	var cosT, sinT [houghAngles]float64
	var cosQ, sinQ [houghAngles]int
	for a := range houghAngles {
		t := float64(a) * math.Pi / houghAngles
		cosT[a], sinT[a] = math.Cos(t), math.Sin(t)
		cosQ[a], sinQ[a] = int(math.Round(4096*cosT[a])), int(math.Round(4096*sinT[a]))
	}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if cs.lab[y*cs.w+x] != lab {
				continue
			}
			fx, fy := x-b.Min.X, y-b.Min.Y
			for a := range houghAngles {
				r := (fx*cosQ[a]+fy*sinQ[a]+2048)>>12 + diag
				acc[a*nr+r]++
			}
		}
	}
	// The strongest lines, each at least 10 degrees or 4 pixels from the
	// ones before it.
	type peak struct{ a, r, v int }
	var peaks []peak
	for range houghPeaks {
		best := peak{v: 0}
		for a := range houghAngles {
			for r := 1; r+1 < nr; r++ {
				v := int(acc[a*nr+r-1] + acc[a*nr+r] + acc[a*nr+r+1])
				if v <= best.v {
					continue
				}
				near := false
				for _, p := range peaks {
					da := min(abs(a-p.a), houghAngles-abs(a-p.a))
					if da < 5 && abs(r-p.r) < 4 {
						near = true
						break
					}
				}
				if !near {
					best = peak{a, r, v}
				}
			}
		}
		if best.v < 12 {
			break
		}
		peaks = append(peaks, best)
	}
	for _, p := range peaks {
		l := line{cos: cosT[p.a], sin: sinT[p.a], r: p.r - diag, box: b, diag: diag}
		if cs.tryCut(ci, &l) {
			return
		}
	}
}

// tryCut sets aside the ink of component ci along line l if l is a stray
// line (see cutLine), and reports whether it did.
func (cs *components) tryCut(ci int, l *line) bool {
	c := &cs.list[ci]
	lab := int32(ci + 1)
	b, w := c.box(), cs.w
	// The Hough line's angle is 2 degrees coarse: over a long line that
	// drifts by pixels. Fit it to the ink near it, twice.
	for range 2 {
		cs.refit(lab, l, 2.5)
	}
	n := 2*l.diag + 2
	// Along the line: which positions have ink on it, and which offsets
	// across it (-31 to 32 pixels, as bits) have ink.
	onLine := make([]bool, n)
	across := make([]uint64, n)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if cs.lab[y*w+x] != lab {
				continue
			}
			d, t := l.at(x, y)
			if math.Abs(d) <= 1 {
				onLine[t] = true
			}
			if o := int(math.Round(d)) + 31; o >= 0 && o < 64 {
				across[t] |= 1 << o
			}
		}
	}
	// The longest run along the line with gaps of at most 3 pixels.
	runLo, runHi, start, gap := 0, -1, -1, 0
	for i, v := range onLine {
		switch {
		case v && start < 0:
			start, gap = i, 0
		case v:
			gap = 0
		case start >= 0:
			if gap++; gap > 3 {
				start = -1
			}
		}
		if v && start >= 0 && i-start > runHi-runLo {
			runLo, runHi = start, i
		}
	}
	runLen := runHi - runLo + 1
	if runLen < 12 {
		return false
	}
	// The line's width: the median, over the run, of the unbroken ink
	// across it through its centre (where it crosses a stroke it is wider).
	var widths []float64
	for t := runLo; t <= runHi; t++ {
		if onLine[t] {
			widths = append(widths, float64(spanAround(across[t], 31)))
		}
	}
	slices.Sort(widths)
	lineW := widths[len(widths)/2]
	half := float64(lineW/2) + 0.5
	// How straight it is: how far the centre of its ink strays from the
	// fitted line, where the ink is the line's alone (no wider), at the
	// 90th percentile: a curved stroke strays along much of its run, a
	// straight line only where noise or a JPEG block shifts an edge.
	var devs []float64
	for t := runLo; t <= runHi; t++ {
		if !onLine[t] {
			continue
		}
		lo, hi := spanBounds(across[t], 31)
		if float64(hi-lo+1) <= lineW+1 {
			devs = append(devs, math.Abs(float64(float64(lo+hi)/2)-31))
		}
	}
	bend, maxBend := 0.0, 0.0
	if len(devs) > 0 {
		slices.Sort(devs)
		bend, maxBend = devs[len(devs)*9/10], devs[len(devs)-1]
	}
	inLine := func(x, y int) bool {
		d, _ := l.at(x, y)
		return math.Abs(d) <= half
	}
	// The rest leaves out a margin beside the line, its blurred edges,
	// and its box counts only solid ink, not faint slivers.
	nearLine := func(x, y int) bool {
		d, _ := l.at(x, y)
		return math.Abs(d) <= half+2.5
	}
	solid := int(0.5*c.level()) + cs.thr
	// The rest of the component: its ink, box and stroke width.
	rest := image.Rectangle{Min: image.Pt(w, cs.h)}
	bw := b.Dx()
	restMask := make([]bool, bw*b.Dy())
	var restInk, lineInk int64
	restArea, restEdge := 0, 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if cs.lab[y*w+x] != lab {
				continue
			}
			v := int64(cs.con[y*w+x]) - int64(cs.thr)
			if nearLine(x, y) {
				lineInk += v
				continue
			}
			restInk += v
			restArea++
			if int(cs.con[y*w+x]) >= solid {
				rest = rest.Union(image.Rect(x, y, x+1, y+1))
				restMask[(y-b.Min.Y)*bw+x-b.Min.X] = true
			}
			for _, q := range [4]image.Point{{x - 1, y}, {x + 1, y}, {x, y - 1}, {x, y + 1}} {
				if q.X < 0 || q.Y < 0 || q.X >= w || q.Y >= cs.h || cs.lab[q.Y*w+q.X] != lab || nearLine(q.X, q.Y) {
					restEdge++
					break
				}
			}
		}
	}
	if rest.Empty() || restArea < 12 {
		if debugCut != nil {
			debugCut("line r %d cos %.2f: run %d, rest %d px ink %d, line ink %d: the line is the digit", l.r, l.cos, runLen, restArea, restInk, lineInk)
		}
		return false // the line is the digit
	}
	restSize := float64(max(rest.Dx(), rest.Dy()))
	restW := 2 * float64(restArea) / float64(max(restEdge, 1))
	// How much of the run lies past the rest's box, and at which ends.
	outside, before, after := 0, 0, 0
	inside := false
	for t := runLo; t <= runHi; t++ {
		if !onLine[t] {
			continue
		}
		if l.point(t).In(rest.Inset(-1)) {
			inside = true
			continue
		}
		outside++
		if inside {
			after++
		} else {
			before++
		}
	}
	// A line that crosses the digit: its ends are free, far from the
	// rest's ink (a digit's own straight stroke, a 7's bar or a 4's, ends
	// on the rest at one end at least).
	reach := max(2, int(math.Ceil(restW)))
	nearRest := func(t int) bool {
		p := l.point(t)
		for y := max(p.Y-reach, b.Min.Y); y <= min(p.Y+reach, b.Max.Y-1); y++ {
			for x := max(p.X-reach, b.Min.X); x <= min(p.X+reach, b.Max.X-1); x++ {
				if restMask[(y-b.Min.Y)*bw+x-b.Min.X] {
					return true
				}
			}
		}
		return false
	}
	freeBefore, freeAfter := 0, 0
	for t := runLo; t <= runHi && !(onLine[t] && nearRest(t)); t++ {
		freeBefore++
	}
	for t := runHi; t >= runLo && !(onLine[t] && nearRest(t)); t-- {
		freeAfter++
	}
	run := float64(runLen)
	// A long line thicker than the digit's strokes is another pen's: a
	// few stray centres (noise, a JPEG block) do not make it a curved
	// stroke.
	straight := maxBend <= 1+float64(0.01*run) ||
		lineW >= restW+1 && run >= 8*lineW && bend <= 1+float64(0.01*run)
	thin := lineW <= 0.6*restW && restW-lineW >= 2 && run >= 0.5*restSize && float64(outside) >= 0.4*run && restInk*3 >= lineInk
	long := straight && run >= 2*restSize && float64(max(before, after)) >= restSize
	crosses := freeBefore < runLen && float64(min(freeBefore, freeAfter)) >= max(3, 0.1*restSize)
	crossing := straight && lineW <= restW && restInk*4 >= lineInk &&
		(crosses || run >= 1.5*restSize && float64(min(before, after)) >= 0.25*restSize)
	// A small digit that a long line crosses holds little ink beside the
	// line's; it is one when the line runs past it by its size on both
	// sides and is no thinner than its strokes (a "1" with a blob or a
	// serif beside it is the line: the blob is thicker, the serif at an
	// end).
	crossesSmall := straight && lineW >= restW && restArea >= 40 && float64(min(before, after)) >= restSize
	if restInk*10 < lineInk && !crossesSmall {
		if debugCut != nil {
			debugCut("line r %d cos %.2f: run %d, rest %d px ink %d, line ink %d: the line is the digit", l.r, l.cos, runLen, restArea, restInk, lineInk)
		}
		return false // the line is the digit
	}
	if debugCut != nil {
		debugCut("line r %d cos %.2f: run %d lineW %.1f bend %.1f restW %.1f restSize %.0f outside %d before %d after %d free %d %d restInk %d lineInk %d thin %v long %v crossing %v crossesSmall %v",
			l.r, l.cos, runLen, lineW, bend, restW, restSize, outside, before, after, freeBefore, freeAfter, restInk, lineInk, thin, long, crossing, crossesSmall)
	}
	if !thin && !long && !crossing && !crossesSmall {
		return false
	}
	// Where a line sure to be stray (long, or crossing) runs alone (its ink
	// no wider than itself across), its blurred edges go too: left, they
	// would hang on the digit as spurs. A thin line may be a digit's own
	// thin stroke, and cut narrowly.
	alone := make([]bool, n)
	for t := runLo; t <= runHi && (long || crossing || crossesSmall); t++ {
		if onLine[t] {
			lo, hi := spanBounds(across[t], 31)
			alone[t] = float64(hi-lo+1) <= lineW+1
		}
	}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			d, t := l.at(x, y)
			if cs.lab[y*w+x] == lab && (inLine(x, y) || (math.Abs(d) <= half+min(2.5, half) && alone[t])) {
				cs.lab[y*w+x] = -1
				cs.add(c, x, y, -1)
			}
		}
	}
	cs.keepParts(ci, func(x, y int) bool {
		d, _ := l.at(x, y)
		return math.Abs(d) <= half+3
	})
	return true
}

// refit moves line l onto the least-squares line (the principal axis) of
// component lab's pixels within dist of it, when there are enough.
func (cs *components) refit(lab int32, l *line, dist float64) {
	b := l.box
	var n, sx, sy, sxx, syy, sxy float64
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if cs.lab[y*cs.w+x] != lab {
				continue
			}
			if d, _ := l.at(x, y); math.Abs(d) <= dist {
				fx, fy := float64(x-b.Min.X), float64(y-b.Min.Y)
				n++
				sx, sy = sx+fx, sy+fy
				sxx, syy, sxy = sxx+float64(fx*fx), syy+float64(fy*fy), sxy+float64(fx*fy)
			}
		}
	}
	if n < 8 {
		return
	}
	mx, my := sx/n, sy/n
	vxx, vyy, vxy := sxx/n-float64(mx*mx), syy/n-float64(my*my), sxy/n-float64(mx*my)
	// The direction of largest variance; the normal is across it.
	theta := 0.5 * math.Atan2(2*vxy, vxx-vyy)
	dx, dy := math.Cos(theta), math.Sin(theta)
	l.cos, l.sin = -dy, dx
	l.r = int(math.Round(float64(mx*l.cos) + float64(my*l.sin)))
	// Keep r exact: store the offset as a float through the centroid.
	l.off = float64(mx*l.cos) + float64(my*l.sin) - float64(l.r)
}

// keepParts splits component ci into its 8-connected parts (after a cut)
// and keeps those that look like pieces of a digit: not specks, and not
// slivers left beside the cut: long thin parts lying mostly where beside
// (nil: nowhere) reports pixels beside it. They stay one component.
func (cs *components) keepParts(ci int, beside func(x, y int) bool) {
	c := cs.list[ci]
	b := c.box()
	lab := int32(ci + 1)
	w := cs.w
	first := int32(len(cs.list) + 1)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if cs.lab[y*w+x] != lab {
				continue
			}
			nl := int32(len(cs.list) + 1)
			cs.list = append(cs.list, component{x0: w, y0: cs.h})
			cs.stack = append(cs.stack[:0], image.Pt(x, y))
			cs.lab[y*w+x] = nl
			for len(cs.stack) > 0 {
				p := cs.stack[len(cs.stack)-1]
				cs.stack = cs.stack[:len(cs.stack)-1]
				cs.add(&cs.list[nl-1], p.X, p.Y, 1)
				for j := max(p.Y-1, 0); j <= min(p.Y+1, cs.h-1); j++ {
					for i := max(p.X-1, 0); i <= min(p.X+1, w-1); i++ {
						if cs.lab[j*w+i] == lab {
							cs.lab[j*w+i] = nl
							cs.stack = append(cs.stack, image.Pt(i, j))
						}
					}
				}
			}
		}
	}
	last := int32(len(cs.list))
	var most int64
	for l := first; l <= last; l++ {
		most = max(most, cs.list[l-1].ink)
	}
	cs.list[ci] = component{x0: w, y0: cs.h}
	for l := first; l <= last; l++ {
		p := &cs.list[l-1]
		pb := p.box()
		keep := p.ink*20 >= most
		if keep && beside != nil && p.area > 8 && p.elongation() > 10 {
			near := 0
			for y := pb.Min.Y; y < pb.Max.Y; y++ {
				for x := pb.Min.X; x < pb.Max.X; x++ {
					if cs.lab[y*w+x] == l && beside(x, y) {
						near++
					}
				}
			}
			keep = near*2 < p.area
		}
		for y := pb.Min.Y; y < pb.Max.Y; y++ {
			for x := pb.Min.X; x < pb.Max.X; x++ {
				if cs.lab[y*w+x] != l {
					continue
				}
				if keep {
					cs.lab[y*w+x] = lab
					cs.add(&cs.list[ci], x, y, 1)
				} else {
					cs.lab[y*w+x] = -1
				}
			}
		}
	}
	cs.list = cs.list[:first-1]
	cs.stats(lab)
}

// spanAround is the length of the run of set bits of m through bit i (or
// through bit i-1 or i+1 when bit i is clear).
func spanAround(m uint64, i int) int {
	lo, hi := spanBounds(m, i)
	return hi - lo + 1
}

// spanBounds returns the first and last bit of the run of set bits of m
// through bit i (or i-1 or i+1 when bit i is clear); hi < lo when none.
func spanBounds(m uint64, i int) (lo, hi int) {
	if m&(1<<i) == 0 {
		switch {
		case i > 0 && m&(1<<(i-1)) != 0:
			i--
		case i < 63 && m&(1<<(i+1)) != 0:
			i++
		default:
			return i, i - 1
		}
	}
	lo, hi = i, i
	for lo > 0 && m&(1<<(lo-1)) != 0 {
		lo--
	}
	for hi < 63 && m&(1<<(hi+1)) != 0 {
		hi++
	}
	return lo, hi
}

// debugCut, when set (by a test), hears why cutLine cut or not.
var debugCut func(format string, args ...any)
