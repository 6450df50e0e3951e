// Command digitset writes an MNIST-format training set for a digit model
// that reads photos through edgecnn's digit path: the 60,000 MNIST training
// digits, plus copies of them drawn as the digit path sees handwriting on
// paper, laid out again as it lays digits out (preprocess.LayoutDigit):
//
//   - redrawn along their skeleton with a pen of another width (the
//     photos of package tools/photos draw digits so), or thickened or
//     thinned;
//   - slanted, rotated, squeezed, slightly blurred, and binarised softly
//     as the digit path binarises ink (preprocess.SoftBinarize).
//
// The test split is MNIST's own test set, unchanged, so that accuracy on it
// stays comparable. The committed LeNet-5 (models/) is trained on it:
//
//	go run ./tools/digitset -out /tmp/digits -copies 1 -seed 1
//	edgecnn train --arch lenet5 --data mnist --mnist /tmp/digits --out models/lenet5.safetensors
//	edgecnn convert --in models/lenet5.safetensors --calib mnist --eval mnist --out models/lenet5.int8.safetensors
package main

import (
	"encoding/binary"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/edgecnn/edgecnn/dataset"
	"github.com/edgecnn/edgecnn/preprocess"
	"github.com/edgecnn/edgecnn/tools/photos"
)

func main() {
	out := flag.String("out", "", "folder to write the four MNIST files to (required)")
	copies := flag.Int("copies", 1, "redrawn copies of each training digit")
	seed := flag.Uint64("seed", 1, "seed: the same seed writes the same files")
	mnist := flag.String("mnist", "", "folder holding the MNIST IDX files (default: the Go module cache)")
	flag.Parse()
	if *out == "" || *copies < 0 {
		fmt.Fprintln(os.Stderr, "digitset: -out is required and -copies must not be negative")
		os.Exit(2)
	}
	if err := run(*out, *mnist, *copies, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "digitset:", err)
		os.Exit(1)
	}
}

// side is the size of an MNIST digit; canvasUp how much larger the canvas
// digits are redrawn on is.
const (
	side     = 28
	canvasUp = 4
	canvas   = side * canvasUp
)

func run(out, mnistDir string, copies int, seed uint64) error {
	dir, err := dataset.FindMNIST(mnistDir)
	if err != nil {
		return err
	}
	train, err := dataset.LoadMNIST(dir, true)
	if err != nil {
		return err
	}
	test, err := dataset.LoadMNIST(dir, false)
	if err != nil {
		return err
	}
	n := train.Len()
	total := n * (1 + copies)
	images := make([]uint8, total*side*side)
	labels := make([]uint8, total)
	for i := range n {
		crop(images[i*side*side:], train.Image(i))
		labels[i] = uint8(train.Labels[i])
	}
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Go(func() {
			var r redrawer
			for k := w; k < n*copies; k += workers {
				i := k % n
				rng := rand.New(rand.NewPCG(seed, uint64(k)))
				j := n + k
				r.redraw(images[j*side*side:(j+1)*side*side], train.Image(i), rng)
				labels[j] = uint8(train.Labels[i])
			}
		})
	}
	wg.Wait()
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	testImages := make([]uint8, test.Len()*side*side)
	testLabels := make([]uint8, test.Len())
	for i := range test.Len() {
		crop(testImages[i*side*side:], test.Image(i))
		testLabels[i] = uint8(test.Labels[i])
	}
	for _, f := range []struct {
		name string
		data []uint8
		dims []int
	}{
		{"train-images-idx3-ubyte", images, []int{total, side, side}},
		{"train-labels-idx1-ubyte", labels, []int{total}},
		{"t10k-images-idx3-ubyte", testImages, []int{test.Len(), side, side}},
		{"t10k-labels-idx1-ubyte", testLabels, []int{test.Len()}},
	} {
		if err := writeIDX(filepath.Join(out, f.name), f.data, f.dims); err != nil {
			return err
		}
	}
	fmt.Printf("wrote %d training digits (%d redrawn) and %d test digits to %s\n", total, n*copies, test.Len(), out)
	return nil
}

// crop copies the central 28x28 of a 32x32 digit.
func crop(dst, src []uint8) {
	pad := (dataset.MNISTSize - side) / 2
	for y := range side {
		copy(dst[y*side:(y+1)*side], src[(y+pad)*dataset.MNISTSize+pad:])
	}
}

// writeIDX writes an unsigned-byte IDX file.
func writeIDX(path string, data []uint8, dims []int) error {
	head := []byte{0, 0, 8, byte(len(dims))}
	for _, d := range dims {
		head = binary.BigEndian.AppendUint32(head, uint32(d))
	}
	return os.WriteFile(path, append(head, data...), 0o644)
}

// redrawer redraws digits, keeping its buffers.
type redrawer struct {
	canvas, tmp []float64
	ink         []uint8
	layout      [dataset.MNISTSize * dataset.MNISTSize]uint8
}

// redraw draws the 32x32 MNIST digit src again on a canvasUp times larger
// canvas, with a random pen, slant and blur, lays it out as the digit path
// does and writes its central 28x28 to dst.
func (r *redrawer) redraw(dst, src []uint8, rng *rand.Rand) {
	w := dataset.MNISTSize
	r.canvas = grow(r.canvas, canvas*canvas)
	clear(r.canvas)
	// The map from digit pixels to the canvas: rotation, shear, aspect,
	// about the digit's centre.
	angle := (rng.Float64()*2 - 1) * 12 * math.Pi / 180
	shear := (rng.Float64()*2 - 1) * 0.25
	aspect := 0.85 + 0.3*rng.Float64()
	cos, sin := math.Cos(angle), math.Sin(angle)
	k := float64(canvasUp) * 0.8 // the digit a little smaller, for room
	fwd := func(u, v float64) (float64, float64) {
		a, b := (u-float64(w)/2)*k*aspect, (v-float64(w)/2)*k
		a += shear * b
		return canvas/2 + cos*a - sin*b, canvas/2 + sin*a + cos*b
	}
	if rng.IntN(2) == 0 {
		// Along the skeleton with a pen of its own width, in digit pixels.
		pen := (0.7 + 2.8*rng.Float64()) * k
		for _, s := range photos.Skeleton(src, w, w) {
			x0, y0 := fwd(s[0]+0.5, s[1]+0.5)
			x1, y1 := fwd(s[2]+0.5, s[3]+0.5)
			r.stroke(x0, y0, x1, y1, pen)
		}
	} else {
		// The grey levels, thickened or thinned by moving the threshold
		// that makes the stroke's edge.
		edge := 0.15 + 0.35*rng.Float64()
		for y := range canvas {
			for x := range canvas {
				// Inverse of fwd.
				a, b := float64(x)+0.5-canvas/2, float64(y)+0.5-canvas/2
				a, b = cos*a+sin*b, -sin*a+cos*b
				a -= shear * b
				u, v := a/(k*aspect)+float64(w)/2-0.5, b/k+float64(w)/2-0.5
				g := bilinear(src, w, u, v) / 255
				r.canvas[y*canvas+x] = math.Min(math.Max((g-edge)/0.25+0.5, 0), 1)
			}
		}
	}
	r.blur(rng.Float64() * canvasUp / 2)
	r.ink = grow(r.ink, canvas*canvas)
	for i, v := range r.canvas {
		r.ink[i] = uint8(math.Min(v*255+0.5, 255))
	}
	preprocess.SoftBinarize(r.ink, preprocess.InkLevel(r.ink))
	if !preprocess.LayoutDigit(r.layout[:], w, w, r.ink, canvas, canvas) {
		crop(dst, src) // nothing left: keep the original
		return
	}
	crop(dst, r.layout[:])
}

// stroke paints a round pen of width wd from (x0, y0) to (x1, y1).
func (r *redrawer) stroke(x0, y0, x1, y1, wd float64) {
	for y := max(int(math.Min(y0, y1)-wd), 0); y <= min(int(math.Max(y0, y1)+wd), canvas-1); y++ {
		for x := max(int(math.Min(x0, x1)-wd), 0); x <= min(int(math.Max(x0, x1)+wd), canvas-1); x++ {
			d := segDist(float64(x)+0.5, float64(y)+0.5, x0, y0, x1, y1)
			if c := wd/2 - d + 0.5; c > 0 {
				r.canvas[y*canvas+x] = math.Max(r.canvas[y*canvas+x], math.Min(c, 1))
			}
		}
	}
}

// blur blurs the canvas with a Gaussian of the given sigma (none below 0.3).
func (r *redrawer) blur(sigma float64) {
	if sigma < 0.3 {
		return
	}
	rad := int(math.Ceil(2.5 * sigma))
	kern := make([]float64, 2*rad+1)
	sum := 0.0
	for i := range kern {
		d := float64(i - rad)
		kern[i] = math.Exp(-d * d / (2 * sigma * sigma))
		sum += kern[i]
	}
	r.tmp = grow(r.tmp, canvas*canvas)
	for pass := range 2 {
		src, dst := r.canvas, r.tmp
		if pass == 1 {
			src, dst = r.tmp, r.canvas
		}
		for y := range canvas {
			for x := range canvas {
				acc := 0.0
				for i, kv := range kern {
					xx, yy := x, y
					if pass == 0 {
						xx = min(max(x+i-rad, 0), canvas-1)
					} else {
						yy = min(max(y+i-rad, 0), canvas-1)
					}
					acc += kv * src[yy*canvas+xx]
				}
				dst[y*canvas+x] = acc / sum
			}
		}
	}
}

// bilinear samples a w x w image at (u, v), 0 outside.
func bilinear(img []uint8, w int, u, v float64) float64 {
	x0, y0 := int(math.Floor(u)), int(math.Floor(v))
	tx, ty := u-float64(x0), v-float64(y0)
	at := func(x, y int) float64 {
		if x < 0 || y < 0 || x >= w || y >= w {
			return 0
		}
		return float64(img[y*w+x])
	}
	return (at(x0, y0)*(1-tx)+at(x0+1, y0)*tx)*(1-ty) + (at(x0, y0+1)*(1-tx)+at(x0+1, y0+1)*tx)*ty
}

// segDist is the distance from (px, py) to the segment.
func segDist(px, py, x0, y0, x1, y1 float64) float64 {
	dx, dy := x1-x0, y1-y0
	l2 := dx*dx + dy*dy
	if l2 == 0 {
		return math.Hypot(px-x0, py-y0)
	}
	t := math.Min(math.Max(((px-x0)*dx+(py-y0)*dy)/l2, 0), 1)
	return math.Hypot(px-(x0+t*dx), py-(y0+t*dy))
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}
