// Package preprocess executes a model's input contract (nn.Input): it
// turns a decoded photo or camera frame into the bytes the model was
// trained on. Training, evaluation, calibration, capture and the camera
// loop all go through it, so that a model sees the same pixels everywhere.
//
// The contract has two kinds:
//
//   - the digit path, for handwritten digits on paper, laid out as MNIST
//     is: the paper's brightness and shadows estimated and removed, ink
//     thresholded against the noise, connected components scored by their
//     ink, the digit chosen among stray lines, smudges and other marks and
//     its pieces merged, scaled into a 20x20 box, its centre of mass put at
//     the centre of 28x28, padded to the input size, white on black;
//   - the image path, as torchvision's Resize(S) + CenterCrop on a PIL
//     image: the shorter side resized to S with antialiased bilinear
//     filtering (or the image scaled to cover the input), the centre
//     cropped, gray, RGB or BGR.
//
// The package holds edgecnn's one resampler (PIL's antialiased bilinear
// filter, in fixed point), its one set of colour conversions (JPEG's
// YCbCr to RGB and chroma upsampling as libjpeg does them, RGB to luma)
// and its image decoding: a JPEG decoder that matches libjpeg at full
// size and can shrink to n/8 of the size in the DCT domain, several times
// faster than decoding in full, plus image/png and (for progressive and
// CMYK JPEGs) image/jpeg behind size checks, so that a small file
// claiming a huge image is refused before it costs memory. Its hot loops
// are package kernels' (kernels.IDCTIslow, the full-size inverse DCT;
// kernels.ResampleColsU8 and kernels.ResampleRowsU8, the resampler's
// horizontal and vertical passes; kernels.UpsampleH2V2U8 and
// UpsampleH2V1U8, 4:2:0 and 4:2:2 chroma upsampling;
// kernels.YCbCrToRGBU8, the colour conversion),
// which run in AVX2 or NEON where the CPU has it and give the bytes of
// their Go definitions everywhere.
//
// The image path decodes a JPEG at full size (or at 1/2, 1/4, 1/8 when
// the picture stays twice the resized size) and transforms only the
// blocks its centre crop reads, so that its pixels are torchvision's.
// Options.Draft trades that exactness for speed on camera frames: any n/8
// up to 4/8 that keeps the picture 1.25 times the resized size.
//
//	pre, _ := preprocess.New(model.Input, preprocess.Options{})
//	res, err := pre.File(jpegBytes)
//	if err == nil && res.Found {
//		logits, _ := eng.Infer(res.Pixels, 1)
//		...
//	}
package preprocess
