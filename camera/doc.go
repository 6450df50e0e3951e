// Package camera turns camera frames into model inputs: frame sources,
// decoders and preprocessing.
//
// Sources (Source, opened by Open): V4L2 cameras (pure Go ioctls and mmap
// streaming, YUYV or MJPEG), the Raspberry Pi camera through rpicam-vid or
// libcamera-vid (I420 or MJPEG on its standard output), an image, a folder
// of images, an MJPEG stream file (split by following the JPEG segment
// structure, robust to garbage, multipart boundaries, thumbnails and
// truncated frames), raw YUYV/I420 files, and a synthetic source. A Retry
// reopens a lost camera with back-off; a Grabber reads in its own goroutine
// and hands the consumer the newest frame (counting the dropped ones) or
// every frame.
//
// Decoding (Decoder): the luma of YUYV, I420 and gray frames is a view of
// the frame's bytes; JPEGs are decoded by a luma-only decoder that can
// shrink by 2, 4 or 8 in the DCT domain, several times faster than
// image/jpeg. Image decodes any frame in full colour for previews.
//
// Preprocessing (Preprocessor) follows the model's input contract
// (nn.Input): the MNIST-style digit path (background and lighting
// normalisation, threshold, choice of the digit among stray marks, 20x20
// box, centre of mass, 32x32) or the generic crop and resize. For a
// 640x480 I420 frame the digit path takes about 0.3 ms on one core.
//
//	src, _ := camera.Open("/dev/video0", camera.Options{})
//	pre, _ := camera.NewPreprocessor(model.Input, camera.PreOptions{})
//	var f camera.Frame
//	for src.Read(&f) == nil {
//		in, err := pre.Process(&f)
//		if err == nil && in.Found {
//			logits, _ := eng.Infer(in.Pixels, 1)
//			...
//		}
//	}
package camera
