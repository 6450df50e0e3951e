package dataset

import (
	"bytes"
	"fmt"
	"image"
	_ "image/jpeg" // decoders for LoadFolder
	_ "image/png"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/edgecnn/edgecnn/internal/safefile"
)

// maxFolderPixels bounds the size of one image in a folder, so that a file
// claiming a huge size is rejected before it is decoded.
const maxFolderPixels = 1 << 26

// maxImageFile bounds the size of one image file.
const maxImageFile = 64 << 20

// LoadFolder reads a folder of images laid out as DIR/<class>/<file>.png,
// .jpg or .jpeg (any case). Classes are the subfolder names in sorted order.
// Hidden entries (names starting with ".") and files of other kinds are
// ignored. Each image is resized to height x width (stretched, no crop; a
// triangle filter that averages when shrinking and interpolates bilinearly
// when enlarging) and converted to gray (ITU-R BT.601 luma) when channels is
// 1 or to RGB when it is 3. Transparent pixels are blended onto black.
//
// The set is named dir. A folder without class subfolders, a class without
// images or a file that does not decode is an error naming it.
func LoadFolder(dir string, channels, height, width int) (*Set, error) {
	if channels != 1 && channels != 3 {
		return nil, fmt.Errorf("dataset: image folder %s: %d channels, want 1 (gray) or 3 (RGB)", dir, channels)
	}
	if height <= 0 || width <= 0 {
		return nil, fmt.Errorf("dataset: image folder %s: image size %dx%d, want positive", dir, height, width)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var classes, files []string
	var labels []int
	for _, e := range entries {
		sub := filepath.Join(dir, e.Name())
		if strings.HasPrefix(e.Name(), ".") || !isDir(sub) { // isDir follows symlinks
			continue
		}
		images, err := imageFiles(sub)
		if err != nil {
			return nil, err
		}
		if len(images) == 0 {
			return nil, fmt.Errorf("%s: class folder holds no .png, .jpg or .jpeg images", sub)
		}
		for _, f := range images {
			files = append(files, f)
			labels = append(labels, len(classes))
		}
		classes = append(classes, e.Name())
	}
	if len(classes) == 0 {
		return nil, fmt.Errorf("%s: no class subfolders (want %s/<class>/*.png|jpg|jpeg)", dir, dir)
	}
	s := &Set{
		Name:     dir,
		Channels: channels, Height: height, Width: width,
		Images:  make([]uint8, len(files)*channels*height*width),
		Labels:  labels,
		Classes: classes,
	}
	// Decode on every core. A failure stops the work; of the files that failed,
	// the first in order is reported.
	errs := make([]error, len(files))
	var next atomic.Int64
	var failed atomic.Bool
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(files)) {
		wg.Go(func() {
			for !failed.Load() {
				i := int(next.Add(1) - 1)
				if i >= len(files) {
					return
				}
				if errs[i] = loadImage(s.Image(i), files[i], channels, height, width); errs[i] != nil {
					failed.Store(true)
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return s, nil
}

// imageFiles lists the .png, .jpg and .jpeg files of dir, sorted.
func imageFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") { // e.g. macOS "._x.jpg" metadata
			continue
		}
		switch path := filepath.Join(dir, e.Name()); strings.ToLower(filepath.Ext(e.Name())) {
		case ".png", ".jpg", ".jpeg":
			if e.Type().IsRegular() || safefile.IsRegular(path) { // not a FIFO, nor a link to /dev/zero
				files = append(files, path)
			}
		}
	}
	return files, nil
}

// loadImage decodes the image file at path and writes it into dst as c x h x w.
func loadImage(dst []uint8, path string, c, h, w int) error {
	data, err := safefile.ReadFile(path, maxImageFile)
	if err != nil {
		return err
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("%s: cannot decode image: %v", path, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > maxFolderPixels/max(cfg.Height, 1) {
		return fmt.Errorf("%s: image is %dx%d, want between 1x1 and %d pixels", path, cfg.Width, cfg.Height, maxFolderPixels)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("%s: cannot decode image: %v", path, err)
	}
	b := img.Bounds()
	if b.Empty() {
		return fmt.Errorf("%s: image is empty", path)
	}
	planes := toPlanes(img, c)
	resize(dst, planes, c, b.Dy(), b.Dx(), h, w)
	return nil
}

// toPlanes converts img to c (1 or 3) planes of 8-bit pixels, CHW, at its own
// size.
func toPlanes(img image.Image, c int) []uint8 {
	b := img.Bounds()
	sh, sw := b.Dy(), b.Dx()
	n := sh * sw
	out := make([]uint8, c*n)
	set := func(i int, r, g, bl uint8) {
		if c == 1 {
			out[i] = gray(r, g, bl)
			return
		}
		out[i], out[n+i], out[2*n+i] = r, g, bl
	}
	switch m := img.(type) {
	case *image.Gray:
		for y := range sh {
			row := m.Pix[y*m.Stride : y*m.Stride+sw]
			for x, v := range row {
				set(y*sw+x, v, v, v)
			}
		}
	case *image.YCbCr:
		for y := range sh {
			for x := range sw {
				yi := m.YOffset(b.Min.X+x, b.Min.Y+y)
				if c == 1 {
					out[y*sw+x] = m.Y[yi] // JPEG luma is BT.601 luma already
					continue
				}
				ci := m.COffset(b.Min.X+x, b.Min.Y+y)
				r, g, bl := ycbcrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
				set(y*sw+x, r, g, bl)
			}
		}
	case *image.RGBA: // premultiplied: already blended onto black
		for y := range sh {
			row := m.Pix[y*m.Stride : y*m.Stride+4*sw]
			for x := range sw {
				set(y*sw+x, row[4*x], row[4*x+1], row[4*x+2])
			}
		}
	case *image.NRGBA:
		for y := range sh {
			row := m.Pix[y*m.Stride : y*m.Stride+4*sw]
			for x := range sw {
				a := uint32(row[4*x+3])
				set(y*sw+x, mulAlpha(row[4*x], a), mulAlpha(row[4*x+1], a), mulAlpha(row[4*x+2], a))
			}
		}
	default:
		for y := range sh {
			for x := range sw {
				r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA() // premultiplied, 16-bit
				set(y*sw+x, uint8(r>>8), uint8(g>>8), uint8(bl>>8))
			}
		}
	}
	return out
}

// gray returns the BT.601 luma of an RGB pixel, rounded.
func gray(r, g, b uint8) uint8 {
	return uint8((19595*uint32(r) + 38470*uint32(g) + 7471*uint32(b) + 1<<15) >> 16)
}

// mulAlpha blends v onto black with opacity a/255, rounded.
func mulAlpha(v uint8, a uint32) uint8 {
	return uint8((uint32(v)*a + 127) / 255)
}

// ycbcrToRGB converts full-range (JFIF) YCbCr to RGB, rounded and clamped.
func ycbcrToRGB(y, cb, cr uint8) (uint8, uint8, uint8) {
	fy := float32(y)
	fcb := float32(cb) - 128
	fcr := float32(cr) - 128
	return clampByte(fy + 1.402*fcr), clampByte(fy - 0.344136*fcb - 0.714136*fcr), clampByte(fy + 1.772*fcb)
}

// clampByte rounds v to the nearest integer in 0..255.
func clampByte(v float32) uint8 {
	switch {
	case v <= 0:
		return 0
	case v >= 255:
		return 255
	}
	return uint8(v + 0.5)
}

// filter is a 1-D resampling filter: output pixel o is the sum over k <
// taps of weight[o*taps+k] * input[first[o]+k].
type filter struct {
	taps   int
	first  []int
	weight []float32
}

// newFilter makes the filter resampling n input pixels to m: a triangle
// (tent) centred on each output pixel, as wide as one output pixel when
// shrinking (so every input pixel counts) and one input pixel when
// enlarging (bilinear interpolation); weights are normalised to sum to 1.
func newFilter(n, m int) filter {
	scale := float64(n) / float64(m)
	radius := max(scale, 1)
	taps := int(math.Ceil(radius))*2 + 1
	f := filter{taps: taps, first: make([]int, m), weight: make([]float32, m*taps)}
	for o := range m {
		centre := (float64(o) + 0.5) * scale
		lo := max(int(math.Floor(centre-radius)), 0)
		hi := min(int(math.Ceil(centre+radius)), n)
		if hi-lo > taps {
			hi = lo + taps
		}
		f.first[o] = lo
		w := f.weight[o*taps : (o+1)*taps]
		sum := 0.0
		for i := lo; i < hi; i++ {
			d := math.Abs(float64(i)+0.5-centre) / radius
			if d < 1 {
				w[i-lo] = float32(1 - d)
				sum += 1 - d
			}
		}
		if sum == 0 { // cannot happen for n, m >= 1; keep nearest as a guard
			w[0], sum = 1, 1
		}
		for k := range w {
			w[k] = float32(float64(w[k]) / sum)
		}
	}
	return f
}

// resize resamples c planes of sh x sw pixels (src, CHW) to h x w into dst,
// one pass along rows, then one along columns.
func resize(dst, src []uint8, c, sh, sw, h, w int) {
	if sh == h && sw == w {
		copy(dst, src[:c*h*w])
		return
	}
	fx, fy := newFilter(sw, w), newFilter(sh, h)
	tmp := make([]float32, sh*w)
	col := make([]float32, h)
	for ch := range c {
		plane := src[ch*sh*sw : (ch+1)*sh*sw]
		for y := range sh {
			row := plane[y*sw : (y+1)*sw]
			for x := range w {
				wts := fx.weight[x*fx.taps : (x+1)*fx.taps]
				first := fx.first[x]
				var sum float32
				for k, wt := range wts {
					if wt != 0 { // taps past the edge have weight 0
						sum += wt * float32(row[first+k])
					}
				}
				tmp[y*w+x] = sum
			}
		}
		out := dst[ch*h*w : (ch+1)*h*w]
		for x := range w {
			for y := range h {
				wts := fy.weight[y*fy.taps : (y+1)*fy.taps]
				first := fy.first[y]
				var sum float32
				for k, wt := range wts {
					if wt != 0 {
						sum += wt * tmp[(first+k)*w+x]
					}
				}
				col[y] = sum
			}
			for y, v := range col {
				out[y*w+x] = clampByte(v)
			}
		}
	}
}
