package camera

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// MaxJPEGBytes bounds the size of one image in an MJPEG stream; a frame
// that grows past it without ending is dropped as corrupt.
const MaxJPEGBytes = 32 << 20

// splitResult says what splitJPEG found.
type splitResult uint8

const (
	splitNeedMore splitResult = iota // no complete image yet: read more
	splitFrame                       // buf[start:end] is one image
	splitCorrupt                     // an image starting at start is broken: resume at end
)

// splitJPEG finds the first JPEG image in buf: the bytes from a start of
// image marker (FF D8) to its end of image marker (FF D9), following the
// segment lengths rather than searching for FF D9, so that embedded
// thumbnails (EXIF) and any FF D9 inside a segment do not cut it short.
// Bytes before the start marker (multipart boundaries, garbage) are
// skipped.
//
// With splitNeedMore, start is where the data worth keeping begins (every
// byte before it is garbage). With splitCorrupt, the image starting at start
// is broken (an unexpected byte where a marker belongs, a new start of image
// before the end, too big) and the search resumes at end. At EOF, an
// unfinished image is corrupt.
func splitJPEG(buf []byte, atEOF bool) (start, end int, res splitResult) {
	// Find the start of image marker.
	start = -1
	for i := 0; ; {
		j := bytes.IndexByte(buf[i:], 0xFF)
		if j < 0 {
			break
		}
		i += j
		if i+1 >= len(buf) {
			break
		}
		if buf[i+1] == 0xD8 {
			start = i
			break
		}
		i++
	}
	if start < 0 {
		keep := len(buf)
		if keep > 0 && buf[keep-1] == 0xFF {
			keep-- // maybe the first byte of a marker
		}
		if atEOF {
			keep = len(buf)
		}
		return keep, keep, splitNeedMore
	}
	pos := start + 2
	unfinished := func() (int, int, splitResult) {
		if atEOF || len(buf)-start > MaxJPEGBytes {
			return start, start + 2, splitCorrupt
		}
		return start, start, splitNeedMore
	}
	for {
		if pos+1 >= len(buf) {
			return unfinished()
		}
		if buf[pos] != 0xFF {
			return start, start + 2, splitCorrupt
		}
		for pos+1 < len(buf) && buf[pos+1] == 0xFF {
			pos++ // fill bytes
		}
		if pos+1 >= len(buf) {
			return unfinished()
		}
		m := buf[pos+1]
		switch {
		case m == 0xD9:
			return start, pos + 2, splitFrame
		case m == 0xD8:
			// A new image before this one ended: this one is truncated.
			return start, pos, splitCorrupt
		case m == 0x00:
			return start, start + 2, splitCorrupt
		case m == 0x01 || (m >= 0xD0 && m <= 0xD7):
			pos += 2
			continue
		}
		if pos+3 >= len(buf) {
			return unfinished()
		}
		n := int(buf[pos+2])<<8 | int(buf[pos+3])
		if n < 2 {
			return start, start + 2, splitCorrupt
		}
		pos += 2 + n
		if m != 0xDA {
			continue
		}
		// Entropy-coded data: runs to the next marker that is neither a
		// stuffed 0xFF (FF 00) nor a restart marker.
		for {
			if pos >= len(buf) {
				return unfinished()
			}
			j := bytes.IndexByte(buf[pos:], 0xFF)
			if j < 0 {
				pos = len(buf)
				return unfinished()
			}
			pos += j
			if pos+1 >= len(buf) {
				return unfinished()
			}
			if c := buf[pos+1]; c == 0x00 || c == 0xFF || (c >= 0xD0 && c <= 0xD7) {
				pos++
				if c != 0xFF {
					pos++
				}
				continue
			}
			break
		}
	}
}

// MJPEGReader splits a stream of concatenated JPEG images (an .mjpeg file,
// rpicam-vid --codec mjpeg, ffmpeg -f mjpeg, or a multipart HTTP body) into
// images. Corrupt or truncated images are skipped and counted.
type MJPEGReader struct {
	r          io.Reader
	buf        []byte
	start, end int // unread data is buf[start:end]
	eof        bool
	err        error
	// Corrupt counts the images skipped because they were broken.
	Corrupt int
}

// NewMJPEGReader returns a reader of the JPEG images in r.
func NewMJPEGReader(r io.Reader) *MJPEGReader {
	return &MJPEGReader{r: r, buf: make([]byte, 256<<10)}
}

// errSkipped is returned by Next for each image it skipped. It is built
// once: a broken stream can hold a skipped image every two bytes.
var errSkipped = fmt.Errorf("%w: %w", ErrCorrupt, errors.New("corrupt or truncated jpeg in the stream"))

// Next returns the next image. The bytes are valid until the next call. It
// returns io.EOF at the end of the stream, an error wrapping ErrCorrupt for
// each image it skipped (call Next again to go on), or the reader's error.
func (m *MJPEGReader) Next() ([]byte, error) {
	for {
		s, e, res := splitJPEG(m.buf[m.start:m.end], m.eof)
		switch res {
		case splitFrame:
			img := m.buf[m.start+s : m.start+e]
			m.start += e
			return img, nil
		case splitCorrupt:
			m.start += e
			m.Corrupt++
			return nil, errSkipped
		}
		m.start += s
		if m.eof {
			if m.err != nil {
				return nil, m.err
			}
			return nil, io.EOF
		}
		m.fill()
	}
}

// fill reads more data, moving the unread bytes to the front and growing
// the buffer when it is full.
func (m *MJPEGReader) fill() {
	if m.start > 0 {
		m.end = copy(m.buf, m.buf[m.start:m.end])
		m.start = 0
	}
	if m.end == len(m.buf) {
		m.buf = append(m.buf, make([]byte, len(m.buf))...)
	}
	n, err := m.r.Read(m.buf[m.end:])
	m.end += n
	if err != nil {
		m.eof = true
		if !errors.Is(err, io.EOF) {
			m.err = err
		}
	}
}

// Reset makes m read r from the start, keeping its buffer.
func (m *MJPEGReader) Reset(r io.Reader) {
	m.r, m.start, m.end, m.eof, m.err = r, 0, 0, false, nil
}
