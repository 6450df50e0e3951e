package nn

import (
	"fmt"
	"math"

	"github.com/edgecnn/edgecnn/quant"
)

// Input is the preprocessing contract of a model: how a photo or camera
// frame becomes the tensor the model was trained on. Every command that
// feeds images to a model (train, eval, convert, run, capture, predict on
// images) executes it through the preprocess package, so a model sees the
// same pixels everywhere.
//
// There are two kinds of preprocessing:
//
//   - the digit path (Digit): MNIST-style, for handwritten digits on paper:
//     grayscale, paper brightness and shadows removed, the digit found among
//     other marks, scaled into a 20x20 box, its centre of mass placed at the
//     centre of 28x28, padded to the input size, white ink on black;
//   - the image path (otherwise): the shorter side resized to Resize with
//     antialiased bilinear filtering (as torchvision's Resize on a PIL
//     image), or the image scaled to just cover Height x Width when Resize
//     is 0; then a centre crop of Height x Width; gray (1 channel) or RGB
//     (3 channels, BGR when BGR is set).
//
// Either way the result is C*H*W bytes; a byte p of channel c becomes
// (p/255 - Mean[c]) / Std[c] (Normalize). Mean 0 and Std 1 scale to [0, 1],
// Mean 0.5 and Std 0.5 to [-1, 1].
type Input struct {
	Channels int       `json:"channels"`
	Height   int       `json:"height"`
	Width    int       `json:"width"`
	Mean     []float32 `json:"mean"`
	Std      []float32 `json:"std"`
	// Digit selects the MNIST-style digit path.
	Digit bool `json:"digit,omitempty"`
	// Resize is the length the shorter side of an image is resized to
	// before the centre crop (256 for ImageNet models); 0 scales the image
	// to just cover the input. The image path only.
	Resize int `json:"resize,omitempty"`
	// BGR orders the colour channels blue, green, red (models from Caffe
	// or OpenCV) instead of red, green, blue.
	BGR bool `json:"bgr,omitempty"`
	// Quant holds the int8 parameters of the normalised input in a
	// quantized model; nil in a float model.
	Quant *quant.Params `json:"quant,omitempty"`
}

// The bounds of an input contract.
const (
	// MaxInputSide bounds the input's height and width.
	MaxInputSide = 4096
	// MaxResize bounds Input.Resize.
	MaxResize = 8192
)

// ImageNet is the normalisation of torchvision's ImageNet models: mean and
// std per RGB channel, applied to pixel/255.
var ImageNet = struct{ Mean, Std []float32 }{
	Mean: []float32{0.485, 0.456, 0.406},
	Std:  []float32{0.229, 0.224, 0.225},
}

// Shape returns the input tensor shape [C, H, W].
func (in Input) Shape() Shape { return Shape{in.Channels, in.Height, in.Width} }

// Kind names the preprocessing: "digit" or "image".
func (in Input) Kind() string {
	if in.Digit {
		return "digit"
	}
	return "image"
}

// Describe says in a few words what the contract does, for messages.
func (in Input) Describe() string {
	if in.Digit {
		return fmt.Sprintf("digit (MNIST-style, %dx%d)", in.Width, in.Height)
	}
	colour := "gray"
	if in.Channels == 3 {
		colour = "RGB"
		if in.BGR {
			colour = "BGR"
		}
	}
	if in.Resize > 0 {
		return fmt.Sprintf("image (resize %d, centre crop %dx%d, %s)", in.Resize, in.Width, in.Height, colour)
	}
	return fmt.Sprintf("image (resize and centre crop to %dx%d, %s)", in.Width, in.Height, colour)
}

// Validate checks the contract on its own: sizes, normalisation and that
// the preprocessing options fit the input. Whether images can be prepared
// for it (the digit path needs at least 20x20) is preprocess's to say: a
// model is also usable on tensors.
func (in Input) Validate() error {
	if in.Channels <= 0 || in.Height <= 0 || in.Width <= 0 || in.Channels > 4 || in.Height > MaxInputSide || in.Width > MaxInputSide {
		return fmt.Errorf("input: invalid size %dx%dx%d", in.Channels, in.Height, in.Width)
	}
	if len(in.Mean) != in.Channels || len(in.Std) != in.Channels {
		return fmt.Errorf("input: need %d mean and std values, have %d and %d", in.Channels, len(in.Mean), len(in.Std))
	}
	for c := range in.Channels {
		if mean := float64(in.Mean[c]); math.IsNaN(mean) || math.IsInf(mean, 0) {
			return fmt.Errorf("input: mean %v is not finite", in.Mean[c])
		}
		if std := float64(in.Std[c]); !(std > 0) || math.IsInf(std, 0) {
			return fmt.Errorf("input: std %v must be positive and finite", in.Std[c])
		}
	}
	switch {
	case in.Digit && in.Channels != 1:
		return fmt.Errorf("input: digit preprocessing needs 1 channel, not %d", in.Channels)
	case in.Digit && (in.Resize != 0 || in.BGR):
		return fmt.Errorf("input: digit preprocessing takes no resize or BGR order")
	case in.Resize < 0 || in.Resize > MaxResize:
		return fmt.Errorf("input: resize %d out of range (0..%d)", in.Resize, MaxResize)
	case in.Resize > 0 && in.Resize < max(in.Height, in.Width):
		return fmt.Errorf("input: resize %d is smaller than the %dx%d crop", in.Resize, in.Width, in.Height)
	case in.BGR && in.Channels != 3:
		return fmt.Errorf("input: BGR order needs 3 channels, not %d", in.Channels)
	}
	return nil
}

// Normalize writes the model input for one image: pixels holds C*H*W bytes in
// CHW order, dst receives (p/255 - Mean[c]) / Std[c].
func (in Input) Normalize(dst []float32, pixels []uint8) {
	plane := in.Height * in.Width
	var table [256]float32
	for c := range in.Channels {
		// A pixel has 256 values: computing each once and looking the
		// plane up costs less than the conversion, product and sum per
		// pixel, and gives the same floats.
		scale := 1 / (255 * in.Std[c])
		shift := -in.Mean[c] / in.Std[c]
		for p := range table {
			table[p] = float32(float32(p)*scale) + shift
		}
		src, out := pixels[c*plane:(c+1)*plane], dst[c*plane:(c+1)*plane]
		for i, p := range src {
			out[i] = table[p]
		}
	}
}
