package main

import (
	"image/png"
	"io"
	"strings"

	"github.com/edgecnn/edgecnn/internal/atomicfile"
	"github.com/edgecnn/edgecnn/nn"
)

// writeInputPNG writes a model input (C x H x W bytes, before
// normalisation) as a gray or RGB PNG: what the model saw (a BGR model's
// channels put back in RGB order).
func writeInputPNG(path string, pix []uint8, in nn.Input) error {
	if in.BGR {
		n := in.Height * in.Width
		rgb := make([]uint8, 0, len(pix))
		rgb = append(append(append(rgb, pix[2*n:3*n]...), pix[n:2*n]...), pix[:n]...)
		pix = rgb
	}
	img := planesImage(pix, in.Channels, in.Height, in.Width)
	return atomicfile.Write(path, func(f io.Writer) error { return png.Encode(f, img) })
}

// safeName replaces the characters of name that do not belong in a file
// name (path separators, controls) with '_'.
func safeName(name string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r < ' ' || r == 0x7f {
			return '_'
		}
		return r
	}, name)
}

// draftUsage is the help of --draft, which run, capture and predict share.
const draftUsage = "decode JPEGs at 1/8 to 4/8 of their size in the DCT domain (4/8 of 1280x720; 640x480 gains nothing and stays exact): " +
	"faster, but the pixels differ a little from the exact ones eval and training see (image-path models only)"

// checkDraft refuses --draft for a model whose images go through the digit
// path, which decodes at its own scale and which the flag would not change.
func checkDraft(draft, digit bool) error {
	if draft && digit {
		return usagef("--draft applies to the image path; this model prepares images with the digit path (--generic switches it off for run)")
	}
	return nil
}
