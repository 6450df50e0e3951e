package preprocess

import (
	"errors"
	"fmt"
	"image"
	"time"

	"github.com/edgecnn/edgecnn/nn"
)

// Options tune a Preprocessor.
type Options struct {
	// ROI is the region of interest in image pixels; only it is looked
	// at. Empty means the whole image.
	ROI image.Rectangle
	// Draft lets the image path decode a JPEG at any n/8 of its size
	// (libjpeg's scale_num, PIL's Image.draft) that keeps it at least
	// draftGap times the resized size, rather than only at 1/2, 1/4 or
	// 1/8 and at reducingGap times, up to 4/8 (draftMaxScaled: larger
	// n/8 decode at full size, which is faster). It is for camera frames
	// when speed matters more than exactness: a 1280x720 frame decodes at
	// 4/8 (a 640x480 one stays exact), and the pixels are no longer
	// torchvision's on the full image (on TestImageNetParity's photos:
	// mean difference 0.3/255, worst 53/255 at sharp edges). Off by
	// default, so that eval, run and training see the same pixels;
	// BENCHMARKS.md has the figures.
	Draft bool
}

// Preprocessor executes one model's input contract (nn.Input) on images:
// the digit path or the image path. It keeps its buffers between images
// and is not safe for concurrent use; make one per goroutine.
type Preprocessor struct {
	in    nn.Input
	opt   Options
	out   []uint8
	dec   Decoder
	digit digitFinder
	image imagePath
	res   Result
}

// Result is an image prepared for the model.
type Result struct {
	// Pixels is the model input, C*H*W bytes (CHW), owned by the
	// Preprocessor until its next call. The engine normalises it.
	Pixels []uint8
	// Found is false when the digit path found no ink (Pixels is then
	// black); the image path always sets it.
	Found bool
	// Box is the part of the image that became the input, in image
	// pixels: the digit's bounding box, or the crop.
	Box image.Rectangle
	// Width and Height are the image's size.
	Width, Height int
	// Scale is the reduction the image was decoded at (1, 2, 4 or 8), or
	// with ScaleNum above 0, the image was decoded at ScaleNum/Scale of its
	// size (Options.Draft).
	Scale, ScaleNum int
	// Decode and Preprocess are the time spent in each stage.
	Decode, Preprocess time.Duration
}

// New prepares images for a model with input contract in.
func New(in nn.Input, opt Options) (*Preprocessor, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	if in.Channels != 1 && in.Channels != 3 {
		return nil, fmt.Errorf("preprocess: the model takes %d channels; images give 1 (gray) or 3 (RGB)", in.Channels)
	}
	if in.Digit && (in.Height < mnistBox || in.Width < mnistBox) {
		return nil, fmt.Errorf("preprocess: the digit path needs an input of at least %dx%d, not %dx%d", mnistBox, mnistBox, in.Width, in.Height)
	}
	return &Preprocessor{in: in, opt: opt, out: make([]uint8, in.Shape().Size())}, nil
}

// Input returns the contract p executes.
func (p *Preprocessor) Input() nn.Input { return p.in }

// digitSide is the length of the longer side the digit path wants to see
// of its region: enough for a digit a tenth of the frame tall.
const digitSide = 640

// reducingGap is how much larger than the resized size an image path
// picture must stay when it is shrunk while decoding: 2 keeps the
// result close to resampling from full size (Pillow's thumbnail uses the
// same idea and default).
const reducingGap = 2

// draftGap is reducingGap for Options.Draft: the resampler still shrinks
// the picture, by 1.25 at least, so that its antialiasing, not the DCT
// scaling, shapes the result.
const draftGap = 1.25

// draftMaxScaled is the largest n at which Options.Draft decodes at n/8 of
// the size: a 5/8 to 7/8 decode leaves the resampler about as much to do
// as a full one and trades the full-size transform (a SIMD kernel) for
// the scalar shrunk one. At 6/8, 640x480 frames were slower than on the
// exact path with the AVX2 kernels (medians of 3 alternated runs, 270
// against 277 frames per CPU-second), faster only in pure Go (165 against
// 142; arm64 has the full-size transform in NEON too, 32-bit arm runs pure
// Go); pixels must not depend on the CPU, so those frames take the exact
// path everywhere.
const draftMaxScaled = 4

// decodeSize returns the size, n/8 of the image's (n 1 to 8), at which
// to decode a JPEG of w x h pixels for this model.
func (p *Preprocessor) decodeSize(w, h int) int {
	r := image.Rect(0, 0, w, h)
	if !p.opt.ROI.Empty() {
		r = r.Intersect(p.opt.ROI)
	}
	s := 1
	if p.in.Digit {
		for s < 8 && max(r.Dx(), r.Dy())/(2*s) >= digitSide {
			s *= 2
		}
		return 8 / s
	}
	rw, rh := resizedSize(p.in, r.Dx(), r.Dy())
	short, want := min(r.Dx(), r.Dy()), min(rw, rh)
	if p.opt.Draft {
		n := 1
		for n < 8 && float64(short*n/8) < draftGap*float64(want) {
			n++
		}
		if n > draftMaxScaled {
			return 8
		}
		return n
	}
	for s < 8 && short/(2*s) >= reducingGap*want {
		s *= 2
	}
	return 8 / s
}

// LumaOnly reports whether the model reads only luma (gray models).
func (p *Preprocessor) LumaOnly() bool { return p.in.Channels == 1 }

// File decodes an image file (JPEG or PNG) and prepares it.
func (p *Preprocessor) File(data []byte) (*Result, error) {
	t0 := time.Now()
	hd, err := ReadHeader(data)
	if err != nil {
		return nil, err
	}
	n := p.decodeSize(hd.Width, hd.Height)
	// The image path reads only the part of the picture its crop covers:
	// only those blocks need a full decode.
	var need image.Rectangle
	if !p.in.Digit {
		pw, ph := scaledSize(hd.Width, n), scaledSize(hd.Height, n)
		roiFull, roi := p.regionOfInterest(hd.Width, hd.Height, pw, ph, n, 8)
		if roi.Dx() >= 4 && roi.Dy() >= 4 {
			need = p.image.source(p.in, roi, roiFull.Dx(), roiFull.Dy())
		}
	}
	pic, err := p.dec.decode(data, n, p.LumaOnly(), need)
	if err != nil {
		return nil, err
	}
	pic.FullWidth, pic.FullHeight = hd.Width, hd.Height
	d := time.Since(t0)
	res, err := p.Picture(&pic)
	if err != nil {
		return nil, err
	}
	res.Decode = d
	return res, nil
}

// ErrOutside is returned when the region of interest misses the image.
var ErrOutside = errors.New("preprocess: the region of interest lies outside the image")

// regionOfInterest returns the region of interest of an image of fw x fh
// pixels in its own pixels and in those of its pw x ph picture at num/den
// of its size.
func (p *Preprocessor) regionOfInterest(fw, fh, pw, ph, num, den int) (roiFull, roi image.Rectangle) {
	roiFull = image.Rect(0, 0, fw, fh)
	if !p.opt.ROI.Empty() {
		roiFull = p.opt.ROI.Intersect(roiFull)
	}
	r := roiFull
	roi = image.Rect(r.Min.X*num/den, r.Min.Y*num/den, toPicture(r.Max.X, num, den), toPicture(r.Max.Y, num, den)).
		Intersect(image.Rect(0, 0, pw, ph))
	return roiFull, roi
}

// Picture prepares a decoded picture.
func (p *Preprocessor) Picture(pic *Picture) (*Result, error) {
	t0 := time.Now()
	if err := pic.Check(); err != nil {
		return nil, err
	}
	fw, fh := pic.full()
	num, den := pic.ratio()
	res := &p.res
	*res = Result{Pixels: p.out, Width: fw, Height: fh, Scale: pic.Scale, ScaleNum: pic.ScaleNum}
	full := image.Rect(0, 0, fw, fh)
	roiFull, roi := p.regionOfInterest(fw, fh, pic.Width, pic.Height, num, den)
	if !p.opt.ROI.Empty() && (roi.Dx() < 4 || roi.Dy() < 4) {
		return nil, ErrOutside
	}
	var box image.Rectangle
	switch {
	case p.in.Digit && (roi.Dx() < 4 || roi.Dy() < 4):
		clear(p.out) // too small to hold a digit
	case p.in.Digit:
		luma := pic.Planes[0]
		if pic.Model == RGB {
			luma = p.digit.lumaOf(pic)
		}
		box, res.Found = p.digit.find(luma, roi, p.out, p.in.Width, p.in.Height)
	default:
		box = p.image.run(p.out, p.in, pic, roi, roiFull.Dx(), roiFull.Dy())
		res.Found = true
	}
	res.Box = image.Rect(box.Min.X*den/num, box.Min.Y*den/num, toPicture(box.Max.X, den, num), toPicture(box.Max.Y, den, num)).Intersect(full)
	res.Preprocess = time.Since(t0)
	return res, nil
}
