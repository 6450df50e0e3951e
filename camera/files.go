package camera

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/edgecnn/edgecnn/internal/safefile"
	"github.com/edgecnn/edgecnn/preprocess"
)

// MJPEGSource reads a stream of concatenated JPEGs. Frames are FormatMJPEG
// with Width and Height 0 until decoded.
type MJPEGSource struct {
	name  string
	r     io.ReadCloser
	mr    *MJPEGReader
	index int
}

// NewMJPEGSource reads the JPEG images of r, named name in messages and
// frame names ("name#index"). If r is an io.Seeker, the source can loop.
func NewMJPEGSource(name string, r io.ReadCloser) *MJPEGSource {
	return &MJPEGSource{name: name, r: r, mr: NewMJPEGReader(r)}
}

func (s *MJPEGSource) Read(f *Frame) error {
	img, err := s.mr.Next()
	if err != nil {
		if errors.Is(err, ErrCorrupt) {
			err = fmt.Errorf("%s#%d: %w", s.name, s.index, err)
			s.index++
		}
		return err
	}
	f.Format, f.Width, f.Height = FormatMJPEG, 0, 0
	f.Data = append(f.Data[:0], img...)
	f.Index, f.Name, f.Time = s.index, frameName(s.name, s.index), time.Now()
	s.index++
	return nil
}

func (s *MJPEGSource) Info() Info { return Info{Name: s.name, Format: FormatMJPEG} }

func (s *MJPEGSource) Close() error { return s.r.Close() }

func (s *MJPEGSource) rewind() error {
	sk, ok := s.r.(io.Seeker)
	if !ok {
		return fmt.Errorf("%s: cannot loop a stream that cannot seek", s.name)
	}
	if _, err := sk.Seek(0, io.SeekStart); err != nil {
		return err
	}
	s.mr.Reset(s.r)
	s.index = 0
	return nil
}

// Corrupt is the number of images skipped so far because they were broken.
func (s *MJPEGSource) Corrupt() int { return s.mr.Corrupt }

// RawSource reads raw YUYV, I420 or gray frames of a fixed size.
type RawSource struct {
	name          string
	r             io.ReadCloser
	format        Format
	width, height int
	size          int
	index         int
	done          bool
}

// NewRawSource reads frames of the given format and size from r.
func NewRawSource(name string, r io.ReadCloser, format Format, width, height int) (*RawSource, error) {
	if width == 0 || height == 0 {
		return nil, fmt.Errorf("%s: raw %s frames need a size (--size WxH)", name, format)
	}
	size, err := FrameSize(format, width, height)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &RawSource{name: name, r: r, format: format, width: width, height: height, size: size}, nil
}

// ErrShortFrame marks a last frame with fewer bytes than a frame holds.
var ErrShortFrame = errors.New("short frame")

func (s *RawSource) Read(f *Frame) error {
	if s.done {
		return io.EOF
	}
	if cap(f.Data) < s.size {
		f.Data = make([]byte, s.size)
	}
	f.Data = f.Data[:s.size]
	n, err := io.ReadFull(s.r, f.Data)
	switch {
	case errors.Is(err, io.EOF):
		s.done = true
		return io.EOF
	case errors.Is(err, io.ErrUnexpectedEOF):
		s.done = true
		s.index++
		return fmt.Errorf("%s#%d: %w: %w: %d of %d bytes (is the size %dx%d and format %s right?)",
			s.name, s.index-1, ErrCorrupt, ErrShortFrame, n, s.size, s.width, s.height, s.format)
	case err != nil:
		return fmt.Errorf("%s: %w", s.name, err)
	}
	f.Format, f.Width, f.Height = s.format, s.width, s.height
	f.Index, f.Name, f.Time = s.index, frameName(s.name, s.index), time.Now()
	s.index++
	return nil
}

func (s *RawSource) Info() Info {
	return Info{Name: s.name, Format: s.format, Width: s.width, Height: s.height}
}

func (s *RawSource) Close() error { return s.r.Close() }

func (s *RawSource) rewind() error {
	sk, ok := s.r.(io.Seeker)
	if !ok {
		return fmt.Errorf("%s: cannot loop a stream that cannot seek", s.name)
	}
	if _, err := sk.Seek(0, io.SeekStart); err != nil {
		return err
	}
	s.index, s.done = 0, false
	return nil
}

// ImageFiles reads image files one per frame, undecoded: JPEGs as
// FormatMJPEG frames, PNGs as FormatPNG frames.
type ImageFiles struct {
	name  string
	files []string
	next  int
}

// NewImageFiles reads files, in order, as a source named name.
func NewImageFiles(name string, files []string) *ImageFiles {
	return &ImageFiles{name: name, files: files}
}

// NewFolder reads the .jpg, .jpeg and .png files of dir and of its
// subfolders (any case; not hidden files or folders; nothing but regular
// files or links to them), in path order: a dataset laid out as
// DIR/<label>/*.jpg runs as it is.
func NewFolder(dir string) (*ImageFiles, error) {
	var files []string
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path != dir && strings.HasPrefix(e.Name(), ".") {
			if e.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if e.IsDir() {
			return nil
		}
		switch strings.ToLower(filepath.Ext(e.Name())) {
		case ".jpg", ".jpeg", ".png":
			if e.Type().IsRegular() || safefile.IsRegular(path) { // a FIFO or a link to /dev/zero is no image
				files = append(files, path)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("camera: %w", err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("camera: %s holds no .jpg, .jpeg or .png images", dir)
	}
	slices.Sort(files)
	return NewImageFiles(dir, files), nil
}

func (s *ImageFiles) Read(f *Frame) error {
	if s.next >= len(s.files) {
		return io.EOF
	}
	i, path := s.next, s.files[s.next]
	s.next++
	f.Index, f.Name, f.Time = i, path, time.Now()
	data, err := preprocess.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	// Kept encoded: the preprocessing decodes them as it decodes a file
	// for training and evaluation, so that both see the same pixels.
	switch {
	case preprocess.IsJPEG(data):
		f.Format = FormatMJPEG
	case preprocess.IsPNG(data):
		f.Format = FormatPNG
	default:
		return fmt.Errorf("%s: %w: %w", path, ErrCorrupt, preprocess.ErrFormat)
	}
	f.Width, f.Height = 0, 0
	f.Data = append(f.Data[:0], data...)
	return nil
}

func (s *ImageFiles) Info() Info {
	if len(s.files) == 1 {
		return Info{Name: s.files[0]}
	}
	return Info{Name: s.name}
}

func (s *ImageFiles) Close() error { return nil }

func (s *ImageFiles) rewind() error { s.next = 0; return nil }

// frameName names frame i of a stream called name, as messages show it. It
// allocates only the string: streams of tiny frames are read at a rate
// where fmt's boxing would be most of the work.
func frameName(name string, i int) string {
	return name + "#" + strconv.Itoa(i)
}
