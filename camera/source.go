package camera

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/edgecnn/edgecnn/internal/safefile"
)

// Source delivers frames: a camera, a file, a folder, a stream.
type Source interface {
	// Read fills f with the next frame, reusing the storage of f.Data. It
	// returns io.EOF after the last frame of a finite source. An error
	// wrapping ErrCorrupt means one frame was bad and skipped: call Read
	// again. An error wrapping ErrLost means a live camera went away: Close
	// the source and open it again (later). Any other error is final.
	Read(f *Frame) error
	// Info describes the source.
	Info() Info
	// Close releases the device, file or process.
	Close() error
}

// Info describes a source.
type Info struct {
	// Name is the device, file or folder, for messages.
	Name string
	// Live is set for cameras, whose frames arrive in real time: a reader
	// that is slower than the camera should take the newest frame. File
	// sources are not live.
	Live bool
	// Format, Width and Height are what frames hold when the source knows
	// (0 otherwise, e.g. for a folder of mixed images).
	Format        Format
	Width, Height int
	// FPS is the frame rate, when known.
	FPS float64
}

var (
	// ErrCorrupt marks a frame that was broken and skipped (a corrupt JPEG,
	// a short read): the source goes on.
	ErrCorrupt = errors.New("corrupt frame")
	// ErrLost marks a camera that stopped delivering (unplugged, its
	// process died): reopen it.
	ErrLost = errors.New("camera lost")
)

// Options configure Open.
type Options struct {
	// Format is the format of a raw file or stdin (when its name does not
	// tell), or the pixel format to ask a camera for (0: the source's
	// choice).
	Format Format
	// Width and Height are the size of raw frames, or the size to ask a
	// camera for (0: the source's default).
	Width, Height int
	// FPS is the frame rate to ask a camera for; file and synthetic sources
	// are paced to it (0: as fast as they can be read). Otherwise it must
	// lie in [MinFPS, MaxFPS].
	FPS float64
	// Loop repeats file sources forever.
	Loop bool
	// Command is the program the rpicam source runs ("": rpicam-vid, else
	// libcamera-vid, found in PATH).
	Command string
	// Stdin is read by the source "-" (default os.Stdin).
	Stdin io.Reader
}

// Open opens the source named by spec:
//
//	synthetic                 generated frames (Options.Format, size, FPS)
//	rpicam                    a CSI camera through rpicam-vid (or libcamera-vid)
//	/dev/video0               a V4L2 camera (USB), YUYV or MJPEG
//	DIR                       the images in a folder (.jpg, .jpeg, .png), sorted
//	FILE.jpg, FILE.png        one image
//	FILE.mjpeg, FILE.mjpg     a stream of concatenated JPEGs
//	FILE.yuv, FILE.yuyv, FILE.i420   raw frames: Options.Width/Height needed
//	-                         standard input (MJPEG, or raw with Options.Format)
//
// A file with another name is read as raw frames if Options.Format is set,
// else as MJPEG.
func Open(spec string, opt Options) (Source, error) {
	if err := CheckFPS(opt.FPS); err != nil {
		return nil, err
	}
	var src Source
	var err error
	switch {
	case spec == "":
		return nil, errors.New("camera: no source given")
	case spec == "synthetic" || strings.HasPrefix(spec, "synthetic:"):
		src, err = NewSynthetic(opt)
	case spec == "rpicam" || spec == "libcamera":
		return OpenRpicam(opt)
	case spec == "-":
		in := opt.Stdin
		if in == nil {
			in = os.Stdin
		}
		src, err = newStreamSource("stdin", io.NopCloser(in), opt)
	default:
		src, err = openPath(spec, opt)
	}
	if err != nil {
		return nil, err
	}
	return pace(loop(src, opt.Loop), opt.FPS), nil
}

func openPath(path string, opt Options) (Source, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("camera: %w", err)
	}
	switch {
	case fi.IsDir():
		return NewFolder(path)
	case fi.Mode()&os.ModeCharDevice != 0:
		return OpenV4L2(path, opt)
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".jpg", ".jpeg", ".png":
		return NewImageFiles(path, []string{path}), nil
	case ".yuyv", ".yuy2":
		opt.Format = FormatYUYV
	case ".i420", ".yuv420":
		opt.Format = FormatI420
	case ".yuv":
		if opt.Format == FormatUnknown {
			opt.Format = FormatI420
		}
	case ".mjpeg", ".mjpg":
		opt.Format = FormatMJPEG
	}
	// A FIFO (another program's output) opens without waiting for its
	// writer, and its reads end when the source is closed.
	f, err := safefile.Open(path)
	if err != nil {
		return nil, fmt.Errorf("camera: %w", err)
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() && fi.Mode()&os.ModeNamedPipe == 0 {
		f.Close()
		if err == nil {
			err = fmt.Errorf("%s is %s, not an image, stream or camera", path, safefile.Kind(fi.Mode()))
		}
		return nil, fmt.Errorf("camera: %w", err)
	}
	src, err := newStreamSource(path, f, opt)
	if err != nil {
		f.Close()
		return nil, err
	}
	return src, nil
}

// newStreamSource reads MJPEG or raw frames from r.
func newStreamSource(name string, r io.ReadCloser, opt Options) (Source, error) {
	switch opt.Format {
	case FormatUnknown, FormatMJPEG:
		return NewMJPEGSource(name, r), nil
	}
	return NewRawSource(name, r, opt.Format, opt.Width, opt.Height)
}

// The frame rates Options.FPS may ask for: from one frame every 100
// seconds (a slower rate would leave a paced source asleep, deaf to
// Ctrl-C, for longer) to 1000 a second.
const (
	MinFPS = 0.01
	MaxFPS = 1000
)

// CheckFPS reports a frame rate that is neither 0 (none asked) nor in
// [MinFPS, MaxFPS].
func CheckFPS(fps float64) error {
	if fps != 0 && !(fps >= MinFPS && fps <= MaxFPS) {
		return fmt.Errorf("camera: frame rate %v outside [%v, %v]", fps, MinFPS, MaxFPS)
	}
	return nil
}

// rewinder is a finite source that can start again.
type rewinder interface{ rewind() error }

// loop makes a finite source start again at its end.
func loop(src Source, on bool) Source {
	if r, ok := src.(rewinder); ok && on {
		return &looped{Source: src, r: r}
	}
	return src
}

type looped struct {
	Source
	r     rewinder
	index int
}

func (l *looped) Read(f *Frame) error {
	err := l.Source.Read(f)
	if errors.Is(err, io.EOF) {
		if rerr := l.r.rewind(); rerr != nil {
			return rerr
		}
		err = l.Source.Read(f)
		if errors.Is(err, io.EOF) {
			return io.EOF // nothing in it
		}
	}
	if err == nil {
		f.Index = l.index
		l.index++
	}
	return err
}

// pace delivers frames of a non-live source no faster than fps.
func pace(src Source, fps float64) Source {
	if fps <= 0 || src.Info().Live {
		return src
	}
	return &paced{Source: src, every: time.Duration(float64(time.Second) / fps)}
}

type paced struct {
	Source
	every time.Duration
	next  time.Time
}

func (p *paced) Read(f *Frame) error {
	if now := time.Now(); p.next.After(now) {
		time.Sleep(p.next.Sub(now))
	} else if p.next.IsZero() || now.Sub(p.next) > p.every {
		p.next = now // do not catch up after a stall
	}
	p.next = p.next.Add(p.every)
	err := p.Source.Read(f)
	return err
}

func (p *paced) Info() Info {
	in := p.Source.Info()
	in.FPS = float64(time.Second) / float64(p.every)
	return in
}

// Retry opens a source with open and reopens it with back-off whenever it
// reports ErrLost or fails to open, until ctx ends. It is what keeps
// `edgecnn run` alive when a camera is unplugged and plugged back.
//
// The wait starts at Start and doubles with every failure up to Max. It
// goes back to Start only once a source has delivered frames for Stable:
// a camera program that dies after a few frames each time is restarted
// ever more slowly, not every 250 ms forever.
type Retry struct {
	Open func() (Source, error)
	// Start, Max and Stable default to 250 ms, 8 s and 30 s.
	Start, Max, Stable time.Duration
	// OnRetry, if set, is told about each failure before the wait.
	OnRetry func(err error, wait time.Duration)

	src      Source
	info     Info
	opened   time.Time     // when src was opened
	wait     time.Duration // the next wait; 0: Start
	Restarts int
}

// NewRetry returns a Retry that reads src, already open, and reopens it
// with open when it is lost.
func NewRetry(src Source, open func() (Source, error)) *Retry {
	return &Retry{Open: open, src: src, info: src.Info()}
}

// Read reads the next frame, reopening the source as needed. Errors other
// than ErrLost and open failures are passed on.
func (r *Retry) Read(ctx context.Context, f *Frame) error {
	start, maxWait, stable := cmp.Or(r.Start, 250*time.Millisecond), cmp.Or(r.Max, 8*time.Second), cmp.Or(r.Stable, 30*time.Second)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var err error
		if r.src == nil {
			r.src, err = r.Open()
			if err == nil {
				r.info, r.opened = r.src.Info(), time.Now()
			}
		}
		if err == nil {
			err = r.src.Read(f)
			if err == nil || !errors.Is(err, ErrLost) {
				return err
			}
			r.src.Close()
			r.src = nil
			if time.Since(r.opened) >= stable {
				r.wait = 0 // it worked for a while: start again
			}
		}
		if r.wait == 0 {
			r.wait = start
		}
		r.Restarts++
		if r.OnRetry != nil {
			r.OnRetry(err, r.wait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(r.wait):
		}
		r.wait = min(2*r.wait, maxWait)
	}
}

// Info describes the source last opened.
func (r *Retry) Info() Info { return r.info }

// Close closes the current source.
func (r *Retry) Close() error {
	if r.src == nil {
		return nil
	}
	err := r.src.Close()
	r.src = nil
	return err
}

// OpenReader reads MJPEG (or, with opt.Format, raw) frames from r, named
// name. Looping needs r to be an io.Seeker.
func OpenReader(name string, r io.Reader, opt Options) (Source, error) {
	if err := CheckFPS(opt.FPS); err != nil {
		return nil, err
	}
	rc, ok := r.(io.ReadCloser)
	if !ok {
		rc = readNopCloser{r}
	}
	src, err := newStreamSource(name, rc, opt)
	if err != nil {
		return nil, err
	}
	return pace(loop(src, opt.Loop), opt.FPS), nil
}

// readNopCloser adds a no-op Close to a reader, keeping it seekable.
type readNopCloser struct{ io.Reader }

func (readNopCloser) Close() error { return nil }

func (r readNopCloser) Seek(off int64, whence int) (int64, error) {
	if s, ok := r.Reader.(io.Seeker); ok {
		return s.Seek(off, whence)
	}
	return 0, errors.New("cannot seek")
}
