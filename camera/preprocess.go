package camera

import (
	"errors"
	"fmt"
	"image"

	"github.com/edgecnn/edgecnn/nn"
	"github.com/edgecnn/edgecnn/preprocess"
)

// PreOptions tune a Preprocessor.
type PreOptions struct {
	// ROI is the region of interest in frame pixels; only it is looked at.
	// Empty means the whole frame.
	ROI image.Rectangle
	// Generic uses the image path (crop and resize) for a model that asks
	// for digit preprocessing.
	Generic bool
	// Draft lets the image path decode MJPEG frames at any n/8 of their
	// size, faster but no longer exactly as training saw them
	// (preprocess.Options.Draft).
	Draft bool
}

// Preprocessor turns frames into the input of one model, as the model's
// input contract (nn.Input) says, through package preprocess: raw frames
// are read in place, MJPEG and PNG frames decoded (JPEGs shrunk in the DCT
// domain when the model needs much less than the frame). It keeps its
// buffers between frames and is not safe for concurrent use.
type Preprocessor struct {
	p *preprocess.Preprocessor
	// pic is the raw frame's view, kept here so that preparing a frame
	// allocates nothing: a fresh Picture would escape through the
	// pointer Picture takes, once per frame.
	pic preprocess.Picture
}

// Input is a frame prepared for the model.
type Input = preprocess.Result

// NewPreprocessor prepares frames for a model with input contract in.
func NewPreprocessor(in nn.Input, opt PreOptions) (*Preprocessor, error) {
	if opt.Generic {
		in.Digit = false
	}
	p, err := preprocess.New(in, preprocess.Options{ROI: opt.ROI, Draft: opt.Draft})
	if err != nil {
		return nil, fmt.Errorf("camera: %w", err)
	}
	return &Preprocessor{p: p}, nil
}

// Digit reports whether p uses the digit path.
func (p *Preprocessor) Digit() bool { return p.p.Input().Digit }

// Describe names the preprocessing, for messages.
func (p *Preprocessor) Describe() string { return p.p.Input().Describe() }

// Process prepares frame f. An error means the frame could not be decoded
// (it wraps ErrCorrupt) or the ROI misses it. Decoding an MJPEG or PNG
// frame sets its Width and Height.
func (p *Preprocessor) Process(f *Frame) (*Input, error) {
	if f.Format == FormatMJPEG || f.Format == FormatPNG {
		if err := f.check(); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		res, err := p.p.File(f.Data)
		if errors.Is(err, preprocess.ErrOutside) {
			return nil, err
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrCorrupt, f.Name, err)
		}
		f.Width, f.Height = res.Width, res.Height
		return res, nil
	}
	pic, err := RawPicture(f)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	p.pic = pic
	res, err := p.p.Picture(&p.pic)
	if err != nil {
		if errors.Is(err, preprocess.ErrOutside) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return res, nil
}

// Input returns the contract p executes (with Digit cleared when
// PreOptions.Generic asked for the image path).
func (p *Preprocessor) Input() nn.Input { return p.p.Input() }
