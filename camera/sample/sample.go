// Package sample holds the clip `edgecnn run` classifies when it is given no
// source: camera-like photos of handwritten MNIST test digits (640x480
// JPEGs as one MJPEG stream), made by tools/photos with a fixed seed.
package sample

//go:generate go run ../../tools/photos/genclip -n 36 -seed 1 -max-quality 80 -out clip.mjpeg

import (
	_ "embed"
	"regexp"
	"strconv"
)

//go:embed clip.mjpeg
var clip []byte

// Name is how the clip is named in output.
const Name = "sample-clip.mjpeg"

// Clip returns the MJPEG stream. The bytes must not be modified.
func Clip() []byte { return clip }

var labelRe = regexp.MustCompile(`edgecnn-photos seed=\d+ photo=(\d+) label=(\d+)`)

// Labels returns the true digit of each frame, read from the comments the
// generator writes into the JPEGs.
func Labels() []int {
	var out []int
	for _, m := range labelRe.FindAllSubmatch(clip, -1) {
		l, _ := strconv.Atoi(string(m[2]))
		out = append(out, l)
	}
	return out
}
