// Package photos makes camera-like photos of handwritten digits: MNIST test
// digits rendered as dark ink on unevenly lit white paper, rotated, at a
// random size and place, blurred, with sensor noise and JPEG artefacts, some
// with a stray pen line or a smudge. The photos are a deterministic function
// of the seed and their number, so tests and the embedded sample clip are
// reproducible.
//
// They stand in for photos of handwritten digits taken with a Raspberry Pi
// camera: the camera package is measured on them.
package photos

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"

	"github.com/edgecnn/edgecnn/dataset"
)

// Options describe a set of photos. Zero values take the defaults.
type Options struct {
	Seed          uint64
	Width, Height int // the photo size (640x480)
	// MinDigit and MaxDigit bound the digit's height in pixels (60, 220).
	MinDigit, MaxDigit int
	// MaxAngle is the largest rotation, in degrees (12).
	MaxAngle float64
	// Marks is the share of photos with a stray pen line or a smudge (0.3;
	// negative for none).
	Marks float64
	// MinQuality and MaxQuality bound the JPEG quality (55, 90).
	MinQuality, MaxQuality int
}

func (o Options) withDefaults() Options {
	if o.Width == 0 || o.Height == 0 {
		o.Width, o.Height = 640, 480
	}
	if o.MinDigit == 0 {
		o.MinDigit = 60
	}
	if o.MaxDigit == 0 {
		o.MaxDigit = 220
	}
	if o.MaxAngle == 0 {
		o.MaxAngle = 12
	}
	if o.Marks == 0 {
		o.Marks = 0.3
	}
	if o.MinQuality == 0 {
		o.MinQuality = 55
	}
	if o.MaxQuality == 0 {
		o.MaxQuality = 90
	}
	return o
}

// Photo is one generated photo.
type Photo struct {
	JPEG  []byte
	Label int // the digit
	Index int // its index in the MNIST set
	// Box is the digit's bounding box in the photo.
	Box image.Rectangle
	// Mark is "line", "smudge" or "".
	Mark string
}

// Generate makes n photos from the digits of set (28x28 MNIST digits padded
// to 32x32, as dataset.LoadMNIST returns them), on every core. Photo i is
// Render(set, i, opt).
func Generate(set *dataset.Set, n int, opt Options) ([]Photo, error) {
	out := make([]Photo, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				out[i], errs[i] = Render(set, i, opt)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Render makes photo number i of the set described by opt.
func Render(set *dataset.Set, i int, opt Options) (Photo, error) {
	opt = opt.withDefaults()
	if set.Channels != 1 || set.Len() == 0 {
		return Photo{}, fmt.Errorf("photos: need a 1-channel digit set, got %d channels, %d images", set.Channels, set.Len())
	}
	rng := rand.New(rand.NewPCG(opt.Seed, uint64(i)*0x9E3779B97F4A7C15+1))
	r := &renderer{rng: rng, w: opt.Width, h: opt.Height}
	idx := rng.IntN(set.Len())
	p := Photo{Label: set.Labels[idx], Index: idx}
	r.paper()
	box, ok := r.digit(set.Image(idx), set.Width, set.Height, opt)
	if !ok {
		return Photo{}, fmt.Errorf("photos: digit %d of %s is blank", idx, set.Name)
	}
	p.Box = box
	if rng.Float64() < opt.Marks {
		if rng.IntN(2) == 0 {
			p.Mark = "line"
			r.line(box)
		} else {
			p.Mark = "smudge"
			r.smudge(box)
		}
	}
	r.blur(rng.Float64()*1.5 + 0.3)
	img := r.compose(rng.Float64()*5 + 1)
	q := opt.MinQuality + rng.IntN(opt.MaxQuality-opt.MinQuality+1)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q}); err != nil {
		return Photo{}, err
	}
	p.JPEG = WithComment(buf.Bytes(), fmt.Sprintf("edgecnn-photos seed=%d photo=%d label=%d mnist=%d", opt.Seed, i, p.Label, idx))
	return p, nil
}

// WithComment returns a JPEG with a comment (COM) segment after its start
// marker.
func WithComment(jpg []byte, text string) []byte {
	if len(text) > 60000 || len(jpg) < 2 {
		return jpg
	}
	n := len(text) + 2
	out := make([]byte, 0, len(jpg)+n+2)
	out = append(out, jpg[:2]...)
	out = append(out, 0xFF, 0xFE, byte(n>>8), byte(n))
	out = append(out, text...)
	return append(out, jpg[2:]...)
}

// renderer builds one photo: the paper's colour under its lighting, and an
// ink layer (coverage and colour) composited over it.
type renderer struct {
	rng   *rand.Rand
	w, h  int
	light []float32    // brightness of the paper per pixel
	tint  [3]float32   // colour of the paper
	cover []float32    // ink coverage 0..1 per pixel
	inkC  [][3]float32 // ink colour (multiplier of the light) per mark
	inkID []uint8      // which ink covers each pixel
	dirty image.Rectangle
}

// paper lays out the lighting: a base level, a linear gradient, vignetting
// and a soft low-frequency mottle.
func (r *renderer) paper() {
	rng := r.rng
	base := 0.70 + 0.26*rng.Float64()
	gx, gy := (rng.Float64()-0.5)*0.5, (rng.Float64()-0.5)*0.5
	vig := rng.Float64() * 0.35
	cx, cy := float64(r.w)*(0.3+0.4*rng.Float64()), float64(r.h)*(0.3+0.4*rng.Float64())
	const gs = 6
	var mottle [gs + 1][gs + 1]float64
	for j := range mottle {
		for i := range mottle[j] {
			mottle[j][i] = (rng.Float64() - 0.5) * 0.08
		}
	}
	warm := rng.Float64() * 0.08
	r.tint = [3]float32{1, float32(1 - warm/2), float32(1 - warm)}
	r.light = make([]float32, r.w*r.h)
	diag2 := (float64(r.w)*float64(r.w) + float64(r.h)*float64(r.h)) / 4
	col := make([]float64, r.w) // per column: gradient and vignetting terms
	for x := range r.w {
		fx := float64(x) / float64(r.w)
		dx := float64(x) - cx
		col[x] = gx*(fx-0.5) - vig*dx*dx/diag2
	}
	for y := range r.h {
		fy := float64(y) / float64(r.h)
		my := fy * gs
		j := min(int(my), gs-1)
		ty := my - float64(j)
		dy := float64(y) - cy
		rowTerm := 1 + gy*(fy-0.5) - vig*dy*dy/diag2
		for x := range r.w {
			mx := float64(x) * gs / float64(r.w)
			i := min(int(mx), gs-1)
			tx := mx - float64(i)
			m := (mottle[j][i]*(1-tx)+mottle[j][i+1]*tx)*(1-ty) + (mottle[j+1][i]*(1-tx)+mottle[j+1][i+1]*tx)*ty
			r.light[y*r.w+x] = float32(base * (rowTerm + col[x] + m))
		}
	}
	r.cover = make([]float32, r.w*r.h)
	r.inkID = make([]uint8, r.w*r.h)
}

// newInk adds an ink colour: near-black or blue, as a fraction of the
// light reflected.
func (r *renderer) newInk(dark float64) uint8 {
	rng := r.rng
	c := [3]float32{float32(dark), float32(dark), float32(dark)}
	if rng.IntN(3) == 0 { // blue ballpoint
		c = [3]float32{float32(dark * 0.8), float32(dark * 1.0), float32(min(dark*2.6, 0.6))}
	}
	r.inkC = append(r.inkC, c)
	return uint8(len(r.inkC) - 1)
}

// digit draws the MNIST digit img (w x h) and returns its box.
func (r *renderer) digit(img []uint8, w, h int, opt Options) (image.Rectangle, bool) {
	rng := r.rng
	// The digit's own bounding box in the MNIST image.
	x0, y0, x1, y1 := w, h, 0, 0
	for y := range h {
		for x := range w {
			if img[y*w+x] > 0 {
				x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x+1), max(y1, y+1)
			}
		}
	}
	if x1 <= x0 {
		return image.Rectangle{}, false
	}
	height := float64(opt.MinDigit) + rng.Float64()*float64(opt.MaxDigit-opt.MinDigit)
	k := height / float64(y1-y0) // photo pixels per MNIST pixel
	angle := (rng.Float64()*2 - 1) * opt.MaxAngle * math.Pi / 180
	cos, sin := math.Cos(angle), math.Sin(angle)
	// Centre of the digit box in MNIST coordinates, and its rotated extent.
	mcx, mcy := float64(x0+x1)/2, float64(y0+y1)/2
	hw, hh := float64(x1-x0)*k/2, float64(y1-y0)*k/2
	ex := math.Abs(cos)*hw + math.Abs(sin)*hh
	ey := math.Abs(sin)*hw + math.Abs(cos)*hh
	margin := 12.0
	cx := ex + margin + rng.Float64()*math.Max(float64(r.w)-2*(ex+margin), 0)
	cy := ey + margin + rng.Float64()*math.Max(float64(r.h)-2*(ey+margin), 0)
	ink := r.newInk(0.06 + 0.22*rng.Float64())
	// The threshold of the MNIST grey level that makes the stroke's edge:
	// varies the pen's width a little.
	edge := 0.3 + 0.25*rng.Float64()
	box := image.Rect(int(cx-ex)-2, int(cy-ey)-2, int(cx+ex)+3, int(cy+ey)+3).Intersect(image.Rect(0, 0, r.w, r.h))
	for py := box.Min.Y; py < box.Max.Y; py++ {
		for px := box.Min.X; px < box.Max.X; px++ {
			// Supersample 2x2 for smooth edges.
			cov := 0.0
			for s := range 4 {
				dx := float64(px) + 0.25 + 0.5*float64(s&1) - cx
				dy := float64(py) + 0.25 + 0.5*float64(s>>1) - cy
				// Inverse rotation, then into MNIST pixels.
				u := (cos*dx+sin*dy)/k + mcx - 0.5
				v := (-sin*dx+cos*dy)/k + mcy - 0.5
				g := bilinear(img, w, h, u, v) / 255
				cov += math.Min(math.Max((g-edge)/0.2+0.5, 0), 1)
			}
			if cov > 0 {
				r.paint(px, py, float32(cov/4), ink)
			}
		}
	}
	r.dirty = r.dirty.Union(box)
	return box, true
}

// paint covers pixel (x, y) with ink id to coverage c.
func (r *renderer) paint(x, y int, c float32, id uint8) {
	i := y*r.w + x
	if c > r.cover[i] {
		r.cover[i] = c
		r.inkID[i] = id
	}
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

// line draws a stray pen line that keeps clear of the digit's box.
func (r *renderer) line(digit image.Rectangle) {
	rng := r.rng
	keep := digit.Inset(-10)
	for range 50 {
		x0, y0 := rng.Float64()*float64(r.w), rng.Float64()*float64(r.h)
		a := rng.Float64() * math.Pi
		l := 60 + rng.Float64()*300
		x1, y1 := x0+math.Cos(a)*l, y0+math.Sin(a)*l
		width := 1.5 + rng.Float64()*2.5
		box := image.Rect(int(math.Min(x0, x1)-width-2), int(math.Min(y0, y1)-width-2),
			int(math.Max(x0, x1)+width+3), int(math.Max(y0, y1)+width+3)).Intersect(image.Rect(0, 0, r.w, r.h))
		if segmentNear(x0, y0, x1, y1, keep, width) || box.Empty() {
			continue
		}
		ink := r.newInk(0.08 + 0.25*rng.Float64())
		for y := box.Min.Y; y < box.Max.Y; y++ {
			for x := box.Min.X; x < box.Max.X; x++ {
				d := segDist(float64(x)+0.5, float64(y)+0.5, x0, y0, x1, y1)
				if c := math.Min(math.Max(width/2-d+0.5, 0), 1); c > 0 {
					r.paint(x, y, float32(c), ink)
				}
			}
		}
		r.dirty = r.dirty.Union(box)
		return
	}
}

// segmentNear reports whether the segment comes within width of box.
func segmentNear(x0, y0, x1, y1 float64, box image.Rectangle, width float64) bool {
	steps := int(math.Hypot(x1-x0, y1-y0)) + 1
	b := box.Inset(-int(width) - 1)
	for s := 0; s <= steps; s++ {
		t := float64(s) / float64(steps)
		if image.Pt(int(x0+(x1-x0)*t), int(y0+(y1-y0)*t)).In(b) {
			return true
		}
	}
	return false
}

// segDist is the distance from (px, py) to the segment.
func segDist(px, py, x0, y0, x1, y1 float64) float64 {
	dx, dy := x1-x0, y1-y0
	t := ((px-x0)*dx + (py-y0)*dy) / (dx*dx + dy*dy)
	t = math.Min(math.Max(t, 0), 1)
	return math.Hypot(px-(x0+t*dx), py-(y0+t*dy))
}

// smudge darkens a soft elliptical blob that keeps clear of the digit.
func (r *renderer) smudge(digit image.Rectangle) {
	rng := r.rng
	for range 50 {
		rx := 12 + rng.Float64()*50
		ry := rx * (0.5 + rng.Float64()*0.8)
		cx, cy := rng.Float64()*float64(r.w), rng.Float64()*float64(r.h)
		box := image.Rect(int(cx-2*rx), int(cy-2*ry), int(cx+2*rx)+1, int(cy+2*ry)+1)
		if box.Inset(int(rx / 2)).Overlaps(digit) {
			continue
		}
		box = box.Intersect(image.Rect(0, 0, r.w, r.h))
		if box.Empty() {
			continue
		}
		dark := 0.15 + 0.3*rng.Float64()
		lvl := 0.45 + 0.2*rng.Float64()
		ink := r.newInk(lvl)
		for y := box.Min.Y; y < box.Max.Y; y++ {
			for x := box.Min.X; x < box.Max.X; x++ {
				dx, dy := (float64(x)-cx)/rx, (float64(y)-cy)/ry
				c := dark * math.Exp(-(dx*dx+dy*dy)*1.5) / (1 - lvl)
				if c > 0.01 {
					r.paint(x, y, float32(math.Min(c, 1)), ink)
				}
			}
		}
		r.dirty = r.dirty.Union(box)
		return
	}
}

// blur blurs the ink coverage with a Gaussian of the given sigma, only
// around the ink: the paper is smooth already.
func (r *renderer) blur(sigma float64) {
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
	box := r.dirty.Inset(-2 * rad).Intersect(image.Rect(0, 0, r.w, r.h))
	bw, bh := box.Dx(), box.Dy()
	src := make([]float32, bw*bh)
	for y := range bh {
		copy(src[y*bw:(y+1)*bw], r.cover[(box.Min.Y+y)*r.w+box.Min.X:])
	}
	tmp := make([]float32, bw*bh)
	for y := range bh {
		for x := range bw {
			s := float32(0)
			for i, kv := range k {
				xx := min(max(x+i-rad, 0), bw-1)
				s += kv * src[y*bw+xx]
			}
			tmp[y*bw+x] = s
		}
	}
	for y := range bh {
		dst := r.cover[(box.Min.Y+y)*r.w+box.Min.X:]
		for x := range bw {
			s := float32(0)
			for i, kv := range k {
				yy := min(max(y+i-rad, 0), bh-1)
				s += kv * tmp[yy*bw+x]
			}
			dst[x] = s
		}
	}
}

// compose renders the photo: light times (paper or ink), plus noise.
func (r *renderer) compose(noise float64) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, r.w, r.h))
	rng := r.rng
	// A table of Gaussian noise, read at random offsets per row.
	table := make([]float32, 4096)
	for i := range table {
		table[i] = float32(rng.NormFloat64() * noise)
	}
	for y := range r.h {
		off := rng.IntN(len(table))
		row := img.Pix[y*img.Stride : y*img.Stride+4*r.w]
		for x := range r.w {
			i := y*r.w + x
			l := r.light[i] * 255
			c := r.cover[i]
			ink := r.inkC[0]
			if c > 0 {
				ink = r.inkC[r.inkID[i]]
			}
			for ch := range 3 {
				v := l * (r.tint[ch]*(1-c) + ink[ch]*c)
				v += table[(off+3*x+ch)&4095]
				row[4*x+ch] = uint8(min(max(v+0.5, 0), 255))
			}
			row[4*x+3] = 255
		}
	}
	return img
}
