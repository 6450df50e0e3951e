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
