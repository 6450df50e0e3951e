package camera

import (
	"errors"
	"fmt"
	"image"
	"time"

	"github.com/edgecnn/edgecnn/nn"
)

// PreOptions tune a Preprocessor.
type PreOptions struct {
	// ROI is the region of interest in frame pixels; only it is looked at.
	// Empty means the whole frame.
	ROI image.Rectangle
	// Generic forces the generic path (crop, resize) for a model that asks
	// for digit preprocessing.
	Generic bool
}

// Preprocessor turns frames into the input of one model, as the model's
// input contract (nn.Input) says: the MNIST-style digit path when
// Input.Digit is set, else the generic path. It keeps its buffers between
// frames and is not safe for concurrent use.
//
// The generic path centre-crops the ROI to the aspect ratio of the model
// input and shrinks it (area average) to the input size, in gray (1
// channel) or RGB (3 channels); the engine applies the mean and std.
//
// The digit path finds one dark-ink digit on light paper and lays it out as
// MNIST does: it works on the luma, estimates the paper's brightness
// (lighting) over the frame, measures ink as darkness relative to it,
// thresholds, picks the connected component most like a digit (dark, not a
// thin stray line, not a pale smudge, not cut by the border) with the
// pieces that belong to it, scales its bounding box to fit 20x20 keeping the
// aspect ratio, places its centre of mass at the centre of 28x28 and pads to
// the model's size (32x32 for LeNet-5). Ink is white on black, as in MNIST.
type Preprocessor struct {
	in    nn.Input
	opt   PreOptions
	digit bool
	dec   Decoder
	out   []uint8
	d     digitFinder
	gen   genericResizer
	res   Input
}

// Input is a frame prepared for the model.
type Input struct {
	// Pixels is the model input, C*H*W bytes, owned by the Preprocessor
	// until its next call.
	Pixels []uint8
	// Found is false when the digit path found no ink (Pixels is then
	// blank); the generic path always sets it.
	Found bool
	// Box is the part of the frame that became the input, in frame pixels:
	// the digit's bounding box, or the crop.
	Box image.Rectangle
	// Width and Height are the frame's size.
	Width, Height int
	// Decode and Preprocess are the time spent in each stage.
	Decode, Preprocess time.Duration
}

// NewPreprocessor prepares frames for a model with input contract in.
func NewPreprocessor(in nn.Input, opt PreOptions) (*Preprocessor, error) {
	if in.Height <= 0 || in.Width <= 0 || in.Height > 4096 || in.Width > 4096 {
		return nil, fmt.Errorf("camera: model input %dx%d out of range", in.Width, in.Height)
	}
	if in.Channels != 1 && in.Channels != 3 {
		return nil, fmt.Errorf("camera: model input has %d channels, want 1 (gray) or 3 (RGB)", in.Channels)
	}
	p := &Preprocessor{in: in, opt: opt, digit: in.Digit && !opt.Generic}
	if p.digit && (in.Channels != 1 || in.Height < 20 || in.Width < 20) {
		return nil, fmt.Errorf("camera: digit preprocessing needs a 1-channel input of at least 20x20, not %v", in.Shape())
	}
	p.out = make([]uint8, in.Channels*in.Height*in.Width)
	return p, nil
}

// Digit reports whether p uses the digit path.
func (p *Preprocessor) Digit() bool { return p.digit }

// jpegScale chooses how much to shrink a JPEG of width w while decoding:
// the digit path needs about 320 pixels across, the generic path about
// twice the model input.
func (p *Preprocessor) jpegScale(f *Frame) int {
	w := f.Width
	if w == 0 {
		if cw, _, err := jpegConfig(f.Data); err == nil {
			w = cw
		}
	}
	if r := p.opt.ROI; !r.Empty() {
		w = min(w, r.Dx())
	}
	want := 320
	if !p.digit {
		want = 2 * p.in.Width
	}
	s := 1
	for s < 8 && w/(2*s) >= want {
		s *= 2
	}
	return s
}

// Process prepares frame f. An error means the frame could not be decoded
// (it wraps ErrCorrupt) or the ROI misses it.
func (p *Preprocessor) Process(f *Frame) (*Input, error) {
	t0 := time.Now()
	res := &p.res
	*res = Input{Pixels: p.out}
	if p.digit || p.in.Channels == 1 {
		scale := 1
		if f.Format == FormatMJPEG {
			scale = p.jpegScale(f)
		}
		pl, err := p.dec.Luma(f, scale)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		t1 := time.Now()
		res.Decode = t1.Sub(t0)
		res.Width, res.Height = f.Width, f.Height
		roi, err := p.roi(pl)
		if err != nil {
			return nil, err
		}
		if p.digit {
			box, found := p.d.find(pl, roi, p.out, p.in.Width, p.in.Height)
			res.Found = found
			res.Box = image.Rect(box.Min.X*pl.Scale, box.Min.Y*pl.Scale, box.Max.X*pl.Scale, box.Max.Y*pl.Scale)
		} else {
			res.Found = true
			box := cropToAspect(roi, p.in.Width, p.in.Height)
			p.gen.resize(p.out, pl, box, p.in.Width, p.in.Height)
			res.Box = image.Rect(box.Min.X*pl.Scale, box.Min.Y*pl.Scale, box.Max.X*pl.Scale, box.Max.Y*pl.Scale)
		}
		res.Preprocess = time.Since(t1)
		return res, nil
	}
	// Colour: decode the whole frame (not the fast path).
	img, err := Image(f)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	t1 := time.Now()
	res.Decode = t1.Sub(t0)
	res.Width, res.Height = f.Width, f.Height
	roi, err := p.roi(Plane{Width: f.Width, Height: f.Height, Scale: 1})
	if err != nil {
		return nil, err
	}
	box := cropToAspect(roi, p.in.Width, p.in.Height)
	p.gen.resizeRGB(p.out, img, box, p.in.Width, p.in.Height)
	res.Found, res.Box = true, box
	res.Preprocess = time.Since(t1)
	return res, nil
}

// roi returns the region of interest in plane coordinates.
func (p *Preprocessor) roi(pl Plane) (image.Rectangle, error) {
	full := image.Rect(0, 0, pl.Width, pl.Height)
	if p.opt.ROI.Empty() {
		return full, nil
	}
	s := pl.Scale
	r := image.Rect(p.opt.ROI.Min.X/s, p.opt.ROI.Min.Y/s, p.opt.ROI.Max.X/s, p.opt.ROI.Max.Y/s).Intersect(full)
	if r.Dx() < 4 || r.Dy() < 4 {
		return r, errors.New("camera: the region of interest lies outside the frame")
	}
	return r, nil
}

// cropToAspect returns the largest centred part of r with the aspect ratio
// w:h.
func cropToAspect(r image.Rectangle, w, h int) image.Rectangle {
	rw, rh := r.Dx(), r.Dy()
	if rw*h > rh*w { // too wide
		cw := rh * w / h
		x := r.Min.X + (rw-cw)/2
		return image.Rect(x, r.Min.Y, x+cw, r.Max.Y)
	}
	ch := rw * h / w
	y := r.Min.Y + (rh-ch)/2
	return image.Rect(r.Min.X, y, r.Max.X, y+ch)
}

// axisWeights spreads n source pixels over m output pixels by area: source
// pixel x covers [x*m, (x+1)*m) and output pixel o covers [o*n, (o+1)*n),
// in units of 1/(n*m); each output pixel receives weights summing to n.
type axisWeights struct {
	n, m int
	// For source pixel x: spans[x] is the range of entries of out/weight.
	spans  []int32
	out    []int32
	weight []int32
}

func (a *axisWeights) set(n, m int) {
	if a.n == n && a.m == m {
		return
	}
	a.n, a.m = n, m
	a.spans = a.spans[:0]
	a.out, a.weight = a.out[:0], a.weight[:0]
	for x := range n {
		a.spans = append(a.spans, int32(len(a.out)))
		lo, hi := x*m, (x+1)*m
		for o := lo / n; o < m && o*n < hi; o++ {
			ov := min(hi, (o+1)*n) - max(lo, o*n)
			if ov > 0 {
				a.out = append(a.out, int32(o))
				a.weight = append(a.weight, int32(ov))
			}
		}
	}
	a.spans = append(a.spans, int32(len(a.out)))
}

// areaResizer shrinks or enlarges one 8-bit channel by area averaging.
type areaResizer struct {
	xs, ys axisWeights
	row    []int32 // one source row resampled horizontally, weights summed
	acc    []int64 // the output, weights summed
}

// begin prepares resampling a sw x sh region to dw x dh.
func (r *areaResizer) begin(sw, sh, dw, dh int) {
	r.xs.set(sw, dw)
	r.ys.set(sh, dh)
	if cap(r.row) < dw {
		r.row = make([]int32, dw)
	}
	r.row = r.row[:dw]
	if cap(r.acc) < dw*dh {
		r.acc = make([]int64, dw*dh)
	}
	r.acc = r.acc[:dw*dh]
	clear(r.acc)
}

// addRow adds source row y, given as values src (len sw).
func (r *areaResizer) addRow(y int, src []uint8) {
	clear(r.row)
	xs := &r.xs
	for x, v := range src {
		if v == 0 {
			continue
		}
		for k := xs.spans[x]; k < xs.spans[x+1]; k++ {
			r.row[xs.out[k]] += int32(v) * xs.weight[k]
		}
	}
	ys := &r.ys
	dw := len(r.row)
	for k := ys.spans[y]; k < ys.spans[y+1]; k++ {
		acc, wy := r.acc[int(ys.out[k])*dw:int(ys.out[k]+1)*dw], int64(ys.weight[k])
		for i, v := range r.row {
			acc[i] += int64(v) * wy
		}
	}
}

// finish writes the averages, rounded, to dst (dw*dh bytes).
func (r *areaResizer) finish(dst []uint8) {
	den := int64(r.xs.n) * int64(r.ys.n)
	for i, v := range r.acc {
		dst[i] = uint8((v + den/2) / den)
	}
}

// genericResizer is the generic path.
type genericResizer struct {
	r   areaResizer
	buf []uint8
	rgb [3][]uint8
}

// resize shrinks box of plane pl into dst (w x h).
func (g *genericResizer) resize(dst []uint8, pl Plane, box image.Rectangle, w, h int) {
	g.r.begin(box.Dx(), box.Dy(), w, h)
	if cap(g.buf) < box.Dx() {
		g.buf = make([]uint8, box.Dx())
	}
	row := g.buf[:box.Dx()]
	for y := box.Min.Y; y < box.Max.Y; y++ {
		base := y*pl.Stride + box.Min.X*pl.Step
		for x := range row {
			row[x] = pl.Pix[base+x*pl.Step]
		}
		g.r.addRow(y-box.Min.Y, row)
	}
	g.r.finish(dst[:w*h])
}

// resizeRGB shrinks box of img into dst as 3 planes R, G, B of w x h.
func (g *genericResizer) resizeRGB(dst []uint8, img image.Image, box image.Rectangle, w, h int) {
	n := box.Dx()
	for c := range 3 {
		if cap(g.rgb[c]) < n*box.Dy() {
			g.rgb[c] = make([]uint8, n*box.Dy())
		}
		g.rgb[c] = g.rgb[c][:n*box.Dy()]
	}
	b := img.Bounds()
	for y := box.Min.Y; y < box.Max.Y; y++ {
		for x := box.Min.X; x < box.Max.X; x++ {
			var r, gr, bl uint8
			switch m := img.(type) {
			case *image.YCbCr:
				yi, ci := m.YOffset(b.Min.X+x, b.Min.Y+y), m.COffset(b.Min.X+x, b.Min.Y+y)
				r, gr, bl = ycbcrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
			default:
				cr, cg, cb, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
				r, gr, bl = uint8(cr>>8), uint8(cg>>8), uint8(cb>>8)
			}
			i := (y-box.Min.Y)*n + x - box.Min.X
			g.rgb[0][i], g.rgb[1][i], g.rgb[2][i] = r, gr, bl
		}
	}
	for c := range 3 {
		g.r.begin(n, box.Dy(), w, h)
		for y := range box.Dy() {
			g.r.addRow(y, g.rgb[c][y*n:(y+1)*n])
		}
		g.r.finish(dst[c*w*h : (c+1)*w*h])
	}
}

// ycbcrToRGB converts full-range (JFIF) YCbCr to RGB, rounded and clamped.
func ycbcrToRGB(y, cb, cr uint8) (uint8, uint8, uint8) {
	fy := float32(y)
	fcb := float32(cb) - 128
	fcr := float32(cr) - 128
	return clamp8(fy + 1.402*fcr), clamp8(fy - 0.344136*fcb - 0.714136*fcr), clamp8(fy + 1.772*fcb)
}
