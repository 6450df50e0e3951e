package camera

import (
	"fmt"
	"image"

	"github.com/edgecnn/edgecnn/preprocess"
)

// RawPicture returns a raw frame (gray, YUYV, I420, RGB) as a picture
// whose planes are views into f.Data: what preprocessing reads. MJPEG and
// PNG frames are encoded: decode them (Preprocessor, Image).
func RawPicture(f *Frame) (preprocess.Picture, error) {
	if err := f.check(); err != nil {
		return preprocess.Picture{}, err
	}
	w, h := f.Width, f.Height
	plane := func(pix []byte, w, h, stride, step int) preprocess.Plane {
		return preprocess.Plane{Pix: pix, Width: w, Height: h, Stride: stride, Step: step}
	}
	switch f.Format {
	case FormatGray:
		return preprocess.GrayPicture(f.Data, w, h, w), nil
	case FormatRGB:
		return preprocess.PackedRGB(f.Data, w, h), nil
	case FormatI420:
		cw, ch := (w+1)/2, (h+1)/2
		u := f.Data[w*h:]
		v := u[cw*ch:]
		return preprocess.Picture{Model: preprocess.YCbCr, Width: w, Height: h, SubX: 2, SubY: 2, Scale: 1,
			Planes: [3]preprocess.Plane{plane(f.Data, w, h, w, 1), plane(u, cw, ch, cw, 1), plane(v, cw, ch, cw, 1)}}, nil
	case FormatYUYV:
		// Y0 U Y1 V: luma every 2 bytes, each chroma every 4.
		return preprocess.Picture{Model: preprocess.YCbCr, Width: w, Height: h, SubX: 2, SubY: 1, Scale: 1,
			Planes: [3]preprocess.Plane{plane(f.Data, w, h, 2*w, 2), plane(f.Data[1:], w/2, h, 2*w, 4), plane(f.Data[3:], w/2, h, 2*w, 4)}}, nil
	}
	return preprocess.Picture{}, fmt.Errorf("%s: %s frames are encoded, not raw", f.Name, f.Format)
}

// Image returns f as an image at full size, in new memory (it does not
// alias f.Data): *image.Gray for gray frames and gray JPEGs, else
// *image.RGBA. It is for previews and saving, not the fast path.
func Image(f *Frame) (image.Image, error) {
	var pic preprocess.Picture
	var err error
	if f.Format == FormatMJPEG || f.Format == FormatPNG {
		var d preprocess.Decoder
		if pic, err = d.Decode(f.Data, 1, false); err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		f.Width, f.Height = pic.Width, pic.Height
	} else if pic, err = RawPicture(f); err != nil {
		return nil, err
	}
	return pic.ToImage()
}
