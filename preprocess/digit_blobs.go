package preprocess

import (
	"image"
	"slices"
)

// Chamfer steps of the distance transform (3-4: within 8% of Euclidean
// distance, in thirds of a pixel).
const (
	chamferStraight = 3
	chamferDiagonal = 4
)

// cutBlobs sets aside the blobs of component ci: regions far wider than
// its pen's strokes, such as a smudge that touches the digit. A pen draws
// strokes of one width; a smudge is a solid patch many strokes wide.
//
// The pen's half-width is the median distance to the paper along the
// ridges of the component (pixels at least as far from the paper as
// their neighbours): strokes have long ridges at the pen's half-width, a
// blob only a short one. Pixels much farther from the paper than that are
// a blob's core; the blob is the union of the discs they are the centres
// of, grown by a pixel for its soft rim. The pieces of the digit the blob
// leaves apart stay one component, specks aside.
func (cs *components) cutBlobs(ci int) {
	c := &cs.list[ci]
	if c.area < 30 {
		return
	}
	lab := int32(ci + 1)
	b := c.box().Inset(-1).Intersect(image.Rect(0, 0, cs.w, cs.h))
	bw, bh := b.Dx(), b.Dy()
	cs.dist = grow(cs.dist, bw*bh)
	dist := cs.dist
	// Two-pass chamfer distance from the nearest pixel outside the
	// component (the frame's edge counts as inside: a mark cut by it is
	// not thinner for that).
	const far = int32(1 << 20)
	in := func(x, y int) bool { return cs.lab[(b.Min.Y+y)*cs.w+b.Min.X+x] == lab }
	at := func(x, y int) int32 {
		if x < 0 || y < 0 || x >= bw || y >= bh {
			return 0
		}
		return dist[y*bw+x]
	}
	for y := range bh {
		for x := range bw {
			d := int32(0)
			if in(x, y) {
				d = min(far, at(x-1, y)+chamferStraight, at(x, y-1)+chamferStraight,
					at(x-1, y-1)+chamferDiagonal, at(x+1, y-1)+chamferDiagonal)
			}
			dist[y*bw+x] = d
		}
	}
	for y := bh - 1; y >= 0; y-- {
		for x := bw - 1; x >= 0; x-- {
			if d := dist[y*bw+x]; d > 0 {
				dist[y*bw+x] = min(d, at(x+1, y)+chamferStraight, at(x, y+1)+chamferStraight,
					at(x+1, y+1)+chamferDiagonal, at(x-1, y+1)+chamferDiagonal)
			}
		}
	}
	// Ridge pixels, and the pen's half-width: their median distance.
	ridge := cs.ridge[:0]
	for y := range bh {
		for x := range bw {
			d := dist[y*bw+x]
			if d == 0 {
				continue
			}
			top := true
			for j := y - 1; j <= y+1 && top; j++ {
				for i := x - 1; i <= x+1; i++ {
					if at(i, j) > d {
						top = false
						break
					}
				}
			}
			if top {
				ridge = append(ridge, image.Pt(x, y))
			}
		}
	}
	cs.ridge = ridge
	if len(ridge) < 8 {
		return
	}
	ds := cs.ridgeD[:0]
	for _, p := range ridge {
		ds = append(ds, dist[p.Y*bw+p.X])
	}
	cs.ridgeD = ds
	slices.Sort(ds)
	pen := ds[len(ds)/2]
	core := max(blobWidth*pen, pen+blobMargin)
	// Candidate blobs: discs around the ridge pixels of the core.
	cs.blob = grow(cs.blob, bw*bh)
	blob := cs.blob
	clear(blob)
	found := false
	for _, p := range ridge {
		d := dist[p.Y*bw+p.X]
		if d < core {
			continue
		}
		r := int(d)/chamferStraight + 1 // the disc, and the rim
		for y := max(p.Y-r, 0); y <= min(p.Y+r, bh-1); y++ {
			for x := max(p.X-r, 0); x <= min(p.X+r, bw-1); x++ {
				if dx, dy := x-p.X, y-p.Y; dx*dx+dy*dy <= r*r && in(x, y) {
					blob[y*bw+x] = 1
					found = true
				}
			}
		}
	}
	if !found {
		return
	}
	// A smudge fades out into the paper; a marker's thick stroke ends
	// sharply. Each candidate whose edge on the paper is mostly soft is
	// set aside.
	sharpAt := sharpEdge * (c.level() + float64(cs.thr))
	cut := 0
	for y := range bh {
		for x := range bw {
			if blob[y*bw+x] != 1 {
				continue
			}
			// Flood the candidate (marking it 2), counting its edge.
			region := cs.stack[:0]
			region = append(region, image.Pt(x, y))
			blob[y*bw+x] = 2
			edge, sharp := 0, 0
			for k := 0; k < len(region); k++ {
				p := region[k]
				onPaper := false
				for j := p.Y - 1; j <= p.Y+1; j++ {
					for i := p.X - 1; i <= p.X+1; i++ {
						if i < 0 || j < 0 || i >= bw || j >= bh {
							continue
						}
						if !in(i, j) {
							onPaper = true
						} else if blob[j*bw+i] == 1 {
							blob[j*bw+i] = 2
							region = append(region, image.Pt(i, j))
						}
					}
				}
				if onPaper {
					edge++
					if float64(cs.gradient(b.Min.X+p.X, b.Min.Y+p.Y)) >= sharpAt {
						sharp++
					}
				}
			}
			cs.stack = region
			if edge == 0 || float64(sharp) >= blobSharp*float64(edge) {
				continue
			}
			for _, p := range region {
				cs.lab[(b.Min.Y+p.Y)*cs.w+b.Min.X+p.X] = -1
				cs.add(c, b.Min.X+p.X, b.Min.Y+p.Y, -1)
			}
			cut += len(region)
			if debugCut != nil {
				debugCut("blob of %d pixels cut: pen half-width %.1f px, %d of %d edge pixels sharp", len(region), float64(pen)/chamferStraight, sharp, edge)
			}
		}
	}
	if cut > 0 {
		cs.keepParts(ci, nil)
	}
}

// A blob's core is at least blobWidth times as far from the paper as the
// pen's ridges, and blobMargin (in thirds of a pixel) farther.
const (
	blobWidth  = 3
	blobMargin = 3 * chamferStraight
	// blobSharp is the share of a blob's edge on the paper that must be
	// sharp for it to be ink, not a smudge.
	blobSharp = 0.5
)
