package camera

import (
	"fmt"
	"math"
	"time"
)

// Synthetic is a live source of generated frames: dark-ink digits (a 0 and
// a 1, in turn) moving over unevenly lit paper. It needs no hardware and
// costs one copy per frame, which makes it the source for plumbing tests and
// throughput measurements.
type Synthetic struct {
	format        Format
	width, height int
	frames        [][]byte
	index         int
	every         time.Duration
	next          time.Time
}

// syntheticFrames is the number of distinct frames a Synthetic cycles
// through.
const syntheticFrames = 16

// MaxSyntheticPixels bounds the size of synthetic frames (1920x1080): a
// Synthetic renders all its frames up front.
const MaxSyntheticPixels = 1920 * 1080

// NewSynthetic makes a synthetic source: opt.Format (gray, yuyv or i420;
// default i420), opt.Width x opt.Height (default 640x480, at most
// MaxSyntheticPixels), at opt.FPS frames per second (0: as fast as they
// are read).
func NewSynthetic(opt Options) (*Synthetic, error) {
	if err := CheckFPS(opt.FPS); err != nil {
		return nil, err
	}
	s := &Synthetic{format: opt.Format, width: opt.Width, height: opt.Height}
	if s.format == FormatUnknown {
		s.format = FormatI420
	}
	if s.width == 0 && s.height == 0 {
		s.width, s.height = 640, 480
	}
	switch s.format {
	case FormatGray, FormatYUYV, FormatI420:
	default:
		return nil, fmt.Errorf("camera: the synthetic source makes gray, yuyv or i420 frames, not %s", s.format)
	}
	size, err := FrameSize(s.format, s.width, s.height)
	if err != nil {
		return nil, fmt.Errorf("camera: synthetic: %w", err)
	}
	if s.width*s.height > MaxSyntheticPixels {
		return nil, fmt.Errorf("camera: synthetic: %dx%d frames are over %d pixels (e.g. 1920x1080)", s.width, s.height, MaxSyntheticPixels)
	}
	if opt.FPS > 0 {
		s.every = time.Duration(float64(time.Second) / opt.FPS)
	}
	for i := range syntheticFrames {
		s.frames = append(s.frames, s.render(i, size))
	}
	return s, nil
}

// SyntheticLabel is the digit frame i of a Synthetic shows.
func SyntheticLabel(i int) int { return (i % syntheticFrames / (syntheticFrames / 2)) % 2 }

// render draws frame i.
func (s *Synthetic) render(i, size int) []byte {
	w, h := s.width, s.height
	luma := make([]byte, w*h)
	digit := SyntheticLabel(i)
	t := float64(i%(syntheticFrames/2)) / float64(syntheticFrames/2)
	// Every product is rounded on its own (float64 of it), so that no
	// machine fuses it into a multiply-add and every build draws the same
	// frames (.ci/run checks that Go code outside kernels has no FMA).
	cx := float64(float64(w) * (0.35 + float64(0.3*t)))
	cy := float64(float64(h) * (0.45 + float64(0.1*math.Sin(2*math.Pi*t))))
	r := float64(float64(min(w, h)) * 0.18) // half the digit height
	stroke := float64(r * 0.22)
	for y := range h {
		for x := range w {
			paper := 225 - float64(40*float64(x))/float64(w) - float64(25*float64(y))/float64(h)
			dx, dy := (float64(x)-cx)/(r*0.62), (float64(y)-cy)/r
			var d float64 // distance to the stroke's centre line, in pixels
			if digit == 0 {
				d = float64(math.Abs(math.Hypot(dx, dy)-1) * r * 0.8)
			} else {
				d = math.Hypot(math.Max(math.Abs(float64(y)-cy)-r, 0), float64(x)-cx-float64(0.15*(cy-float64(y))))
			}
			ink := math.Min(math.Max(float64(stroke/2)-d+0.5, 0), 1) // anti-aliased edge
			v := float64(paper*(1-ink)) + float64(35*ink) + float64((x*7+y*13+i*5)%9) - 4
			luma[y*w+x] = uint8(math.Min(math.Max(v, 0), 255))
		}
	}
	out := make([]byte, size)
	switch s.format {
	case FormatGray:
		copy(out, luma)
	case FormatI420:
		n := copy(out, luma)
		for j := n; j < size; j++ {
			out[j] = 128
		}
	case FormatYUYV:
		for j, v := range luma {
			out[2*j], out[2*j+1] = v, 128
		}
	}
	return out
}

func (s *Synthetic) Read(f *Frame) error {
	if s.every > 0 {
		now := time.Now()
		if s.next.After(now) {
			time.Sleep(s.next.Sub(now))
		} else {
			s.next = now
		}
		s.next = s.next.Add(s.every)
	}
	f.Format, f.Width, f.Height = s.format, s.width, s.height
	f.Data = append(f.Data[:0], s.frames[s.index%syntheticFrames]...)
	f.Index, f.Name, f.Time = s.index, "synthetic", time.Now()
	s.index++
	return nil
}

func (s *Synthetic) Info() Info {
	fps := 0.0
	if s.every > 0 {
		fps = float64(time.Second) / float64(s.every)
	}
	return Info{Name: "synthetic", Live: true, Format: s.format, Width: s.width, Height: s.height, FPS: fps}
}

func (s *Synthetic) Close() error { return nil }
