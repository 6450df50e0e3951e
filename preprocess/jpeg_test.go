package preprocess

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/internal/memcheck"
	"github.com/edgecnn/edgecnn/nn"
)

// testJPEG encodes a photo-like colour test image (4:2:0, as image/jpeg
// writes): shaded coloured background, a dark ring, a red disc and sensor
// noise; gray when gray is set.
func testJPEG(t testing.TB, w, h, quality int, gray bool) []byte {
	t.Helper()
	img := testImage(w, h)
	var src image.Image = img
	if gray {
		g := image.NewGray(img.Rect)
		for i := range w * h {
			g.Pix[i] = Luma(img.Pix[4*i], img.Pix[4*i+1], img.Pix[4*i+2])
		}
		src = g
	}
	var b bytes.Buffer
	require.NoError(t, jpeg.Encode(&b, src, &jpeg.Options{Quality: quality}))
	return b.Bytes()
}

func testImage(w, h int) *image.RGBA {
	r := rand.New(rand.NewPCG(1, 2))
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			v := 210 - x*40/w - y*20/h + r.IntN(16) - 8
			c := color.RGBA{uint8(v), uint8(v - 10), uint8(v - 30 + 60*x/w), 255}
			dx, dy := x-w/2, y-h/2
			if d := dx*dx + dy*dy; d < h*h/12 && d > h*h/30 {
				c = color.RGBA{uint8(40 + r.IntN(10)), 30, 50, 255}
			}
			if d := (x-w/4)*(x-w/4) + (y-h/4)*(y-h/4); d < h*h/64 {
				c = color.RGBA{230, 20, 30, 255}
			}
			m.SetRGBA(x, y, c)
		}
	}
	return m
}

// refLuma decodes data with image/jpeg and shrinks its luma by scale (box
// average).
func refLuma(t *testing.T, data []byte, scale int) (w, h int, pix []float64) {
	img, err := jpeg.Decode(bytes.NewReader(data))
	require.NoError(t, err)
	b := img.Bounds()
	at := func(x, y int) float64 {
		switch m := img.(type) {
		case *image.YCbCr:
			return float64(m.Y[m.YOffset(x, y)])
		case *image.Gray:
			return float64(m.Pix[y*m.Stride+x])
		}
		t.Fatalf("unexpected %T", img)
		return 0
	}
	w, h = b.Dx()/scale, b.Dy()/scale
	pix = make([]float64, w*h)
	for y := range h {
		for x := range w {
			s := 0.0
			for j := range scale {
				for i := range scale {
					s += at(x*scale+i, y*scale+j)
				}
			}
			pix[y*w+x] = s / float64(scale*scale)
		}
	}
	return w, h, pix
}

func TestJPEGLumaMatchesImageJPEG(t *testing.T) {
	for _, tc := range []struct {
		name          string
		w, h, quality int
		gray          bool
		scaledRMS     float64 // shrinking drops high frequencies: a looser bound
	}{
		{"color 640x480 q80", 640, 480, 80, false, 4},
		{"gray 100x70 q90", 100, 70, 90, true, 4},
		{"color 33x17 q50", 33, 17, 50, false, 8},
	} {
		data := testJPEG(t, tc.w, tc.h, tc.quality, tc.gray)
		for _, scale := range []int{1, 2, 4, 8} {
			var d Decoder
			p, err := d.Decode(data, scale, true)
			require.NoError(t, err, tc.name)
			require.Equal(t, (tc.w+scale-1)/scale, p.Width)
			require.Equal(t, (tc.h+scale-1)/scale, p.Height)
			require.Equal(t, scale, p.Scale)
			rw, rh, ref := refLuma(t, data, scale)
			var sum, worst float64
			for y := range rh {
				for x := range rw {
					diff := float64(p.Planes[0].At(x, y)) - ref[y*rw+x]
					sum += diff * diff
					worst = max(worst, math.Abs(diff))
				}
			}
			rms := math.Sqrt(sum / float64(rw*rh))
			limit := 1.0
			if scale > 1 {
				limit = tc.scaledRMS
			}
			require.Less(t, rms, limit, "%s scale %d: rms %.2f worst %.0f", tc.name, scale, rms, worst)
		}
	}
}

// TestJPEGColourMatchesImageJPEG: the colour decode is close to
// image/jpeg's (which upsamples chroma by repetition and rounds its
// colour conversion differently, so not equal); the exact comparison with
// libjpeg is TestImageNetParity's.
func TestJPEGColourMatchesImageJPEG(t *testing.T) {
	data := testJPEG(t, 161, 97, 90, false)
	var d Decoder
	pic, err := d.Decode(data, 1, false)
	require.NoError(t, err)
	require.Equal(t, YCbCr, pic.Model)
	require.Equal(t, [2]int{2, 2}, [2]int{pic.SubX, pic.SubY})
	got, err := pic.ToImage()
	require.NoError(t, err)
	ref, err := jpeg.Decode(bytes.NewReader(data))
	require.NoError(t, err)
	var sum float64
	for y := range 97 {
		for x := range 161 {
			r0, g0, b0, _ := got.At(x, y).RGBA()
			r1, g1, b1, _ := ref.At(x, y).RGBA()
			for _, d := range []float64{float64(r0>>8) - float64(r1>>8), float64(g0>>8) - float64(g1>>8), float64(b0>>8) - float64(b1>>8)} {
				sum += d * d
			}
		}
	}
	rms := math.Sqrt(sum / (3 * 161 * 97))
	require.Less(t, rms, 4.0)
	require.Greater(t, rms, 0.0)
}

func TestCorruptJPEGIsAnError(t *testing.T) {
	data := testJPEG(t, 64, 48, 80, false)
	var d Decoder
	for _, bad := range [][]byte{data[:len(data)/2], data[:20], {0xFF, 0xD8, 0xFF, 0xD9}, append([]byte{}, data[:100]...), []byte("GIF89a")} {
		_, err := d.Decode(bad, 2, false)
		require.Error(t, err)
	}
	flipped := append([]byte{}, data...)
	for i := len(flipped) / 2; i < len(flipped)/2+40; i++ {
		flipped[i] ^= 0x5A
	}
	d.Decode(flipped, 1, false) // may or may not decode; must not panic
}

// hugeFrameJPEG returns a few hundred bytes of JPEG whose frame header
// (of marker sof) claims w x h pixels in 3 components, with a scan that
// ends after 40 bytes of data.
func hugeFrameJPEG(sof byte, w, h int) []byte {
	b := []byte{0xFF, 0xD8}
	// Quantization table 0: all ones.
	b = append(b, 0xFF, 0xDB, 0, 67, 0)
	b = append(b, bytes.Repeat([]byte{1}, 64)...)
	b = append(b, 0xFF, sof, 0, 17, 8, byte(h>>8), byte(h), byte(w>>8), byte(w), 3,
		1, 0x22, 0, 2, 0x11, 0, 3, 0x11, 0)
	// One DC and one AC table, each a single 1-bit code for symbol 0
	// (DC difference 0, end of block).
	for _, class := range []byte{0x00, 0x10} {
		b = append(b, 0xFF, 0xC4, 0, 20, class, 1)
		b = append(b, make([]byte, 15)...)
		b = append(b, 0)
	}
	// A DC scan of all components.
	b = append(b, 0xFF, 0xDA, 0, 12, 3, 1, 0x00, 2, 0x00, 3, 0x00, 0, 0, 0)
	b = append(b, make([]byte, 40)...)
	return append(b, 0xFF, 0xD9)
}

// TestTruncatedHugeJPEGsCostNoMemory is issue 16's item 3: a progressive
// (or CMYK) JPEG used to go to image/jpeg unchecked, and a few hundred
// bytes claiming 8192x8192 pixels allocated gigabytes. Every coding now
// has its data checked against its size first.
func TestTruncatedHugeJPEGsCostNoMemory(t *testing.T) {
	for _, sof := range []byte{0xC0, 0xC2} { // baseline, progressive
		data := hugeFrameJPEG(sof, 8192, 8192)
		hd, err := ReadHeader(data)
		if sof == 0xC2 {
			require.ErrorContains(t, err, "cannot hold 8192x8192 pixels")
		}
		require.Equal(t, 8192, hd.Width)
		var d Decoder
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err = d.Decode(data, 1, false)
		runtime.ReadMemStats(&after)
		require.ErrorContains(t, err, "cannot hold 8192x8192 pixels", "SOF %#x", sof)
		require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20), "SOF %#x: allocated %d bytes", sof, after.TotalAlloc-before.TotalAlloc)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(testJPEG(f, 40, 24, 75, false), uint8(7))
	f.Add(testJPEG(f, 17, 9, 90, true), uint8(12))
	f.Add(testJPEG(f, 23, 31, 80, false), uint8(4))
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xC0, 0, 11, 8, 0, 8, 0, 8, 1, 1, 0x11, 0}, uint8(0))
	f.Add(hugeFrameJPEG(0xC2, 64, 64), uint8(0))
	f.Add(testPNG(f, 9, 5), uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, s uint8) {
		n := int(s%8) + 1 // decode at n/8 of the size
		var d Decoder
		var p Picture
		var err error
		// A decoded image rightly outgrows its file; MaxDecodeBytes is the
		// cap on one decode.
		memcheck.Bound(t, memcheck.Limit(len(data))+MaxDecodeBytes, func() { p, err = d.decode(data, n, s&8 != 0, image.Rectangle{}) })
		if err != nil {
			return
		}
		require.NoError(t, p.Check())
		if _, err := p.ToImage(); err != nil {
			t.Fatal(err)
		}
		// The image path, which transforms only the blocks its crop
		// reads, gives the pixels of the picture decoded in full.
		in := nn.Input{Channels: 3, Height: 12, Width: 16, Resize: 18, Mean: []float32{0, 0, 0}, Std: []float32{1, 1, 1}}
		pre, err := New(in, Options{Draft: s&16 != 0})
		require.NoError(t, err)
		res, err := pre.File(data)
		if err != nil {
			return
		}
		got := bytes.Clone(res.Pixels)
		hd, err := ReadHeader(data)
		require.NoError(t, err)
		full, err := d.decode(data, pre.decodeSize(hd.Width, hd.Height), false, image.Rectangle{})
		require.NoError(t, err)
		full.FullWidth, full.FullHeight = hd.Width, hd.Height
		want, err := pre.Picture(&full)
		require.NoError(t, err)
		require.Equal(t, want.Pixels, got)
	})
}

func BenchmarkDecode(b *testing.B) {
	data := testJPEG(b, 640, 480, 80, false)
	for _, tc := range []struct {
		name  string
		scale int
		luma  bool
	}{{"luma", 1, true}, {"luma/2", 2, true}, {"luma/4", 4, true}, {"colour", 1, false}, {"colour/2", 2, false}} {
		b.Run(tc.name, func(b *testing.B) {
			var d Decoder
			for b.Loop() {
				if _, err := d.Decode(data, tc.scale, tc.luma); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("image/jpeg", func(b *testing.B) {
		for b.Loop() {
			jpeg.Decode(bytes.NewReader(data))
		}
	})
}

// TestImagePathDecodesOnlyWhatItReads: File transforms only the blocks the
// image path's crop reads, and gives the same bytes as preparing the
// picture decoded in full, for 4:4:4 photos, 4:2:0 and gray frames of odd
// sizes, landscape and portrait, with and without a region of interest,
// at full size and in draft (n/8) sizes.
func TestImagePathDecodesOnlyWhatItReads(t *testing.T) {
	photo, err := os.ReadFile("testdata/photos/chelsea.jpg") // 4:4:4
	require.NoError(t, err)
	files := [][]byte{photo, testJPEG(t, 640, 480, 85, false), testJPEG(t, 1280, 720, 85, false),
		testJPEG(t, 333, 517, 75, false), testJPEG(t, 301, 203, 90, true)}
	inputs := []nn.Input{
		{Channels: 3, Height: 224, Width: 224, Resize: 256, Mean: nn.ImageNet.Mean, Std: nn.ImageNet.Std},
		{Channels: 3, Height: 96, Width: 128, Mean: []float32{0, 0, 0}, Std: []float32{1, 1, 1}, BGR: true},
		{Channels: 1, Height: 64, Width: 64, Mean: []float32{0}, Std: []float32{1}},
	}
	opts := []Options{{}, {ROI: image.Rect(37, 21, 250, 180)}, {Draft: true}, {ROI: image.Rect(37, 21, 250, 180), Draft: true}}
	for fi, data := range files {
		hd, err := ReadHeader(data)
		require.NoError(t, err)
		for ii, in := range inputs {
			for _, opt := range opts {
				p, err := New(in, opt)
				require.NoError(t, err)
				res, err := p.File(data)
				require.NoError(t, err)
				got := bytes.Clone(res.Pixels)
				var d Decoder
				pic, err := d.decode(data, p.decodeSize(hd.Width, hd.Height), p.LumaOnly(), image.Rectangle{})
				require.NoError(t, err)
				pic.FullWidth, pic.FullHeight = hd.Width, hd.Height
				want, err := p.Picture(&pic)
				require.NoError(t, err)
				require.Equal(t, want.Pixels, got, "file %d, input %d, %+v", fi, ii, opt)
			}
		}
	}
}

// TestDraftDecodesSmallerAndCropsTheSame: Options.Draft decodes a 1280x720
// frame at 1/2 and a 1000x900 region at 3/8 (the smallest n/8 that keeps
// the short side 1.25 times 256), a 640x480 frame and a 600x560 region
// (5/8 and 6/8 would do) at full size, and reports the crop where the
// exact path does, to within a decoded pixel.
func TestDraftDecodesSmallerAndCropsTheSame(t *testing.T) {
	in := nn.Input{Channels: 3, Height: 224, Width: 224, Resize: 256, Mean: nn.ImageNet.Mean, Std: nn.ImageNet.Std}
	for _, tc := range []struct {
		w, h, scaleNum, scale int
		roi                   image.Rectangle
	}{
		{640, 480, 0, 1, image.Rectangle{}},
		{1280, 720, 0, 2, image.Rectangle{}},
		{1280, 720, 0, 1, image.Rect(100, 50, 700, 610)},
		{1280, 960, 3, 8, image.Rect(100, 30, 1100, 930)},
	} {
		data := testJPEG(t, tc.w, tc.h, 85, false)
		exact, err := New(in, Options{ROI: tc.roi})
		require.NoError(t, err)
		draft, err := New(in, Options{ROI: tc.roi, Draft: true})
		require.NoError(t, err)
		want, err := exact.File(data)
		require.NoError(t, err)
		require.Equal(t, [2]int{0, 1}, [2]int{want.ScaleNum, want.Scale})
		wantBox := want.Box
		got, err := draft.File(data)
		require.NoError(t, err)
		require.Equal(t, [2]int{tc.scaleNum, tc.scale}, [2]int{got.ScaleNum, got.Scale}, "%dx%d", tc.w, tc.h)
		require.Equal(t, [2]int{tc.w, tc.h}, [2]int{got.Width, got.Height})
		tol := (tc.scale+max(tc.scaleNum, 1)-1)/max(tc.scaleNum, 1) + 1
		for _, d := range []int{got.Box.Min.X - wantBox.Min.X, got.Box.Min.Y - wantBox.Min.Y, got.Box.Max.X - wantBox.Max.X, got.Box.Max.Y - wantBox.Max.Y} {
			require.True(t, -tol <= d && d <= tol, "%dx%d: draft box %v, exact %v", tc.w, tc.h, got.Box, wantBox)
		}
	}
}
