package camera_test

import (
	"bytes"
	"image"
	"image/jpeg"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/edgecnn/edgecnn/camera"
	"github.com/edgecnn/edgecnn/internal/digitfixture"
	"github.com/edgecnn/edgecnn/tools/photos"
)

// rawFrames turns photos into frames of the given format.
func rawFrames(t testing.TB, ph []photos.Photo, format camera.Format) []*camera.Frame {
	var out []*camera.Frame
	for _, p := range ph {
		if format == camera.FormatMJPEG {
			out = append(out, &camera.Frame{Format: format, Data: p.JPEG})
			continue
		}
		img, err := jpeg.Decode(bytes.NewReader(p.JPEG))
		require.NoError(t, err)
		out = append(out, &camera.Frame{Format: format, Width: 640, Height: 480, Data: encodeRaw(img.(*image.YCbCr), format)})
	}
	return out
}

// encodeRaw writes a 4:2:0 YCbCr image as I420, YUYV or gray bytes.
func encodeRaw(m *image.YCbCr, format camera.Format) []byte {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	var out []byte
	switch format {
	case camera.FormatI420:
		for y := range h {
			out = append(out, m.Y[y*m.YStride:y*m.YStride+w]...)
		}
		for _, p := range [][]byte{m.Cb, m.Cr} {
			for y := range (h + 1) / 2 {
				out = append(out, p[y*m.CStride:y*m.CStride+(w+1)/2]...)
			}
		}
	case camera.FormatYUYV:
		for y := range h {
			for x := 0; x < w; x += 2 {
				ci := m.COffset(x, y)
				out = append(out, m.Y[y*m.YStride+x], m.Cb[ci], m.Y[y*m.YStride+x+1], m.Cr[ci])
			}
		}
	case camera.FormatGray:
		for y := range h {
			out = append(out, m.Y[y*m.YStride:y*m.YStride+w]...)
		}
	}
	return out
}

// BenchmarkPipeline measures decode + preprocess + int8 LeNet-5 inference
// of 640x480 photos, single-threaded, per frame format.
func BenchmarkPipeline(b *testing.B) {
	set := digitfixture.MNISTTest(b)
	ph, err := photos.Generate(set, 16, photos.Options{Seed: 99})
	require.NoError(b, err)
	m, e := int8Engine(b)
	for _, format := range []camera.Format{camera.FormatI420, camera.FormatYUYV, camera.FormatMJPEG} {
		frames := rawFrames(b, ph, format)
		b.Run(format.String(), func(b *testing.B) {
			p, err := camera.NewPreprocessor(m.Input, camera.PreOptions{})
			require.NoError(b, err)
			var dec, pre float64
			i := 0
			for b.Loop() {
				in, err := p.Process(frames[i%len(frames)])
				if err != nil {
					b.Fatal(err)
				}
				dec += in.Decode.Seconds()
				pre += in.Preprocess.Seconds()
				if _, err := e.Infer(in.Pixels, 1); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
			b.ReportMetric(1e6*dec/float64(b.N), "decode-µs")
			b.ReportMetric(1e6*pre/float64(b.N), "pre-µs")
		})
	}
}
