package preprocess_test

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"

	"golang.org/x/image/draw"

	"github.com/edgecnn/edgecnn/internal/digitfixture"
	"github.com/edgecnn/edgecnn/nn"
	"github.com/edgecnn/edgecnn/preprocess"
	"github.com/edgecnn/edgecnn/tools/photos"
)

// cameraFrame is a w x h MJPEG frame of a real photograph (testdata), at
// the quality webcams stream (85).
func cameraFrame(b *testing.B, w, h int) []byte {
	data, err := os.ReadFile("testdata/photos/coffee.jpg")
	if err != nil {
		b.Fatal(err)
	}
	src, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		b.Fatal(err)
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.CatmullRom.Scale(dst, dst.Rect, src, src.Bounds(), draw.Src, nil)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, dst, &jpeg.Options{Quality: 85}); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkImageNetFrame measures a camera frame (MJPEG) to a normalised
// 3x224x224 float32 tensor, ImageNet-style (resize the shorter side to 256,
// centre crop 224), single-threaded: edgecnn's preprocessing as camera
// frames take it (draft: decoded at n/8 of the size) and exact (as
// torchvision on the full image), against image/jpeg plus
// golang.org/x/image/draw's antialiased bilinear scaling of the same crop.
func BenchmarkImageNetFrame(b *testing.B) {
	in := nn.Input{Channels: 3, Height: 224, Width: 224, Resize: 256, Mean: nn.ImageNet.Mean, Std: nn.ImageNet.Std}
	tensor := make([]float32, 3*224*224)
	for _, size := range [][2]int{{640, 480}, {1280, 720}} {
		frame := cameraFrame(b, size[0], size[1])
		for _, draft := range []bool{true, false} {
			name := "edgecnn-draft"
			if !draft {
				name = "edgecnn-exact"
			}
			b.Run(fmt.Sprintf("%dx%d/%s", size[0], size[1], name), func(b *testing.B) {
				p, err := preprocess.New(in, preprocess.Options{Draft: draft})
				if err != nil {
					b.Fatal(err)
				}
				start := startFrames()
				for b.Loop() {
					res, err := p.File(frame)
					if err != nil {
						b.Fatal(err)
					}
					in.Normalize(tensor, res.Pixels)
				}
				reportFrames(b, start)
			})
		}
		b.Run(fmt.Sprintf("%dx%d/image-jpeg+x-image-draw", size[0], size[1]), func(b *testing.B) {
			dst := image.NewRGBA(image.Rect(0, 0, 224, 224))
			start := startFrames()
			for b.Loop() {
				img, err := jpeg.Decode(bytes.NewReader(frame))
				if err != nil {
					b.Fatal(err)
				}
				// The part of the frame the 224x224 centre crop of the
				// 256-short-side resize covers, scaled straight to 224.
				r := img.Bounds()
				side := min(r.Dx(), r.Dy()) * 224 / 256
				crop := image.Rect((r.Dx()-side)/2, (r.Dy()-side)/2, (r.Dx()+side)/2, (r.Dy()+side)/2)
				draw.BiLinear.Scale(dst, dst.Rect, img, crop, draw.Src, nil)
				for c := range 3 {
					scale, shift := 1/(255*in.Std[c]), -in.Mean[c]/in.Std[c]
					plane := tensor[c*224*224 : (c+1)*224*224]
					for i := range plane {
						plane[i] = float32(dst.Pix[4*i+c])*scale + shift
					}
				}
			}
			reportFrames(b, start)
		})
	}
}

// startFrames collects the garbage the setup left (cameraFrame's images),
// so that the collector's work on it is not charged to the frames that
// follow, and returns the CPU time so far.
func startFrames() time.Duration {
	runtime.GC()
	return cpuTime()
}

// cpuTime is the CPU time the process has used, which (unlike wall time)
// other processes sharing the machine do not inflate.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportFrames reports the frame rate, by wall time and by CPU time.
func reportFrames(b *testing.B, cpuStart time.Duration) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
	b.ReportMetric(float64(b.N)/(cpuTime()-cpuStart).Seconds(), "frames/cpu-s")
}

// BenchmarkDigitPath measures the digit path (decode a 640x480 photo,
// find the digit, lay it out MNIST-style), single-threaded, on a mix of
// generated hard photos (tools/photos), whose stray lines and marks make
// it do the most work.
func BenchmarkDigitPath(b *testing.B) {
	set := digitfixture.MNISTTest(b)
	ph, err := photos.Generate(set, 32, photos.Options{Seed: 1, Level: photos.Hard})
	if err != nil {
		b.Fatal(err)
	}
	p, err := preprocess.New(digitfixture.LeNet5Int8(b).Input, preprocess.Options{})
	if err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		if _, err := p.File(ph[i%len(ph)].JPEG); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
