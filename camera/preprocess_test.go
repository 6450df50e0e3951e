package camera_test

import (
	"bytes"
	"errors"
	"image"
	"io"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/camera"
	"github.com/edgecnn/edgecnn/camera/sample"
	"github.com/edgecnn/edgecnn/nn"
	"github.com/edgecnn/edgecnn/preprocess"
)

// paper returns a gray frame of unevenly lit paper.
func paper(w, h int) *camera.Frame {
	f := &camera.Frame{Format: camera.FormatGray, Width: w, Height: h, Data: make([]byte, w*h)}
	for y := range h {
		for x := range w {
			f.Data[y*w+x] = uint8(200 - 50*x/w - 20*y/h + (x*7+y*3)%5)
		}
	}
	return f
}

// stroke darkens the pixels within width/2 of the segment.
func stroke(f *camera.Frame, x0, y0, x1, y1, width float64) {
	for y := range f.Height {
		for x := range f.Width {
			px, py := float64(x)+0.5, float64(y)+0.5
			dx, dy := x1-x0, y1-y0
			t := math.Max(0, math.Min(1, ((px-x0)*dx+(py-y0)*dy)/(dx*dx+dy*dy)))
			if math.Hypot(px-x0-t*dx, py-y0-t*dy) <= width/2 {
				f.Data[y*f.Width+x] = 40
			}
		}
	}
}

// moments returns the mass, centre of mass and bounding box of the ink.
func moments(pix []uint8, w, h int) (mass, cx, cy float64, box image.Rectangle) {
	box = image.Rectangle{Min: image.Pt(w, h)} // empty: Union takes the first pixel
	for y := range h {
		for x := range w {
			v := float64(pix[y*w+x])
			if v == 0 {
				continue
			}
			mass += v
			cx += v * (float64(x) + 0.5)
			cy += v * (float64(y) + 0.5)
			box = box.Union(image.Rect(x, y, x+1, y+1))
		}
	}
	return mass, cx / mass, cy / mass, box
}

func TestDigitPathLaysOutLikeMNIST(t *testing.T) {
	p, err := camera.NewPreprocessor(nn.Input{Channels: 1, Height: 32, Width: 32, Mean: []float32{0}, Std: []float32{1}, Digit: true}, camera.PreOptions{})
	require.NoError(t, err)
	require.True(t, p.Digit())

	f := paper(640, 480)
	stroke(f, 300, 150, 330, 330, 22) // a "1", 180 px tall
	stroke(f, 20, 460, 620, 440, 3)   // a stray pen line near the bottom
	in, err := p.Process(f)
	require.NoError(t, err)
	require.True(t, in.Found)
	// The stroke's ink, round caps included, spans y 139 to 341.
	require.InDelta(t, 139, in.Box.Min.Y, 4, "the box is the digit's, not the line's: %v", in.Box)
	require.InDelta(t, 341, in.Box.Max.Y, 4, "%v", in.Box)
	mass, cx, cy, box := moments(in.Pixels, 32, 32)
	require.Greater(t, mass, 20*255.0)
	require.InDelta(t, 16, cx, 0.75, "centre of mass")
	require.InDelta(t, 16, cy, 0.75, "centre of mass")
	require.InDelta(t, 20, box.Dy(), 1, "scaled to 20 pixels tall: %v", box)
	require.Less(t, box.Dx(), 10, "aspect ratio kept: %v", box)

	blank := paper(640, 480)
	in, err = p.Process(blank)
	require.NoError(t, err)
	require.False(t, in.Found, "blank paper holds no digit")
	require.Equal(t, make([]uint8, 32*32), in.Pixels)

	// A region of interest that leaves the digit out.
	p, err = camera.NewPreprocessor(nn.Input{Channels: 1, Height: 32, Width: 32, Mean: []float32{0}, Std: []float32{1}, Digit: true}, camera.PreOptions{ROI: image.Rect(0, 0, 200, 200)})
	require.NoError(t, err)
	in, err = p.Process(f)
	require.NoError(t, err)
	require.False(t, in.Found)
	p, err = camera.NewPreprocessor(nn.Input{Channels: 1, Height: 32, Width: 32, Mean: []float32{0}, Std: []float32{1}, Digit: true}, camera.PreOptions{ROI: image.Rect(700, 0, 800, 100)})
	require.NoError(t, err)
	_, err = p.Process(f)
	require.ErrorIs(t, err, preprocess.ErrOutside)
}

func TestGenericPath(t *testing.T) {
	in := nn.Input{Channels: 1, Height: 8, Width: 8, Mean: []float32{0}, Std: []float32{1}}
	p, err := camera.NewPreprocessor(in, camera.PreOptions{})
	require.NoError(t, err)
	require.False(t, p.Digit())
	f := &camera.Frame{Format: camera.FormatGray, Width: 64, Height: 32, Data: make([]byte, 64*32)}
	for y := range 32 {
		for x := range 64 {
			f.Data[y*64+x] = uint8(4 * x)
		}
	}
	res, err := p.Process(f)
	require.NoError(t, err)
	require.Equal(t, image.Rect(16, 0, 48, 32), res.Box, "centre crop to the input's square")
	for x := range 8 {
		require.Equal(t, uint8(4*(16+4*x)+6), res.Pixels[3*8+x], "mean of columns %d..%d", 16+4*x, 19+4*x)
	}

	rgb := nn.Input{Channels: 3, Height: 4, Width: 4, Mean: []float32{0, 0, 0}, Std: []float32{1, 1, 1}}
	p, err = camera.NewPreprocessor(rgb, camera.PreOptions{})
	require.NoError(t, err)
	red := &camera.Frame{Format: camera.FormatRGB, Width: 8, Height: 8, Data: bytes.Repeat([]byte{250, 10, 20}, 64)}
	res, err = p.Process(red)
	require.NoError(t, err)
	require.Equal(t, uint8(250), res.Pixels[0])
	require.Equal(t, uint8(10), res.Pixels[16])
	require.Equal(t, uint8(20), res.Pixels[32])

	_, err = camera.NewPreprocessor(nn.Input{Channels: 3, Height: 32, Width: 32, Mean: []float32{0, 0, 0}, Std: []float32{1, 1, 1}, Digit: true}, camera.PreOptions{})
	require.ErrorContains(t, err, "digit preprocessing needs 1 channel")
}

// TestSyntheticFramesClassify runs the synthetic source through the digit
// path and the int8 LeNet-5: its 0s and 1s come out as 0s and 1s.
func TestSyntheticFramesClassify(t *testing.T) {
	if testing.Short() {
		t.Skip("48 frames through the digit path on one goroutine: an accuracy check for the full suite")
	}
	m, e := int8Engine(t)
	for _, format := range []camera.Format{camera.FormatI420, camera.FormatYUYV, camera.FormatGray} {
		src, err := camera.NewSynthetic(camera.Options{Format: format})
		require.NoError(t, err)
		p, err := camera.NewPreprocessor(m.Input, camera.PreOptions{})
		require.NoError(t, err)
		var f camera.Frame
		for i := range 16 {
			require.NoError(t, src.Read(&f))
			in, err := p.Process(&f)
			require.NoError(t, err)
			require.True(t, in.Found)
			logits, err := e.Infer(in.Pixels, 1)
			require.NoError(t, err)
			require.Equal(t, camera.SyntheticLabel(i), argmax(logits), "%s frame %d", format, i)
		}
	}
}

// TestSampleClip: the embedded clip is what `edgecnn run` shows first; the
// int8 LeNet-5 reads (nearly) all of it right.
func TestSampleClip(t *testing.T) {
	if testing.Short() {
		t.Skip("36 frames through the digit path on one goroutine: an accuracy check for the full suite")
	}
	labels := sample.Labels()
	require.Len(t, labels, 36)
	require.Less(t, len(sample.Clip()), 2<<20, "keep the embedded clip small")
	src, err := camera.OpenReader(sample.Name, bytes.NewReader(sample.Clip()), camera.Options{})
	require.NoError(t, err)
	m, e := int8Engine(t)
	p, err := camera.NewPreprocessor(m.Input, camera.PreOptions{})
	require.NoError(t, err)
	var f camera.Frame
	correct, n := 0, 0
	for {
		err := src.Read(&f)
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		in, err := p.Process(&f)
		require.NoError(t, err)
		require.Equal(t, 640, in.Width)
		logits, err := e.Infer(in.Pixels, 1)
		require.NoError(t, err)
		if argmax(logits) == labels[n] {
			correct++
		}
		n++
	}
	require.Equal(t, 36, n)
	require.GreaterOrEqual(t, correct, 35)
}
