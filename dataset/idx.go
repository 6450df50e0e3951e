package dataset

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// IDX is the content of an IDX file of unsigned bytes, the format of the
// MNIST files.
type IDX struct {
	Dims []int   // size of each dimension, outermost first
	Data []uint8 // the values, row-major; len(Data) is the product of Dims
}

// maxDeflateRatio bounds how much deflate can expand its input (a little
// over 1032:1): a gzip stream of n bytes never holds more than
// maxDeflateRatio*n bytes.
const maxDeflateRatio = 1040

// ReadIDX decodes the IDX file held in data, gzip-compressed or not (told
// apart by the gzip magic bytes 1f 8b). Only unsigned-byte IDX (element type
// 0x08) is read. ndims is the number of dimensions expected, 3 for images and
// 1 for labels; 0 accepts any. name is only used in errors, each of which is
// one line starting with it.
//
// The sizes in the header are checked against the data before anything is
// allocated: a header that claims more than the file can hold is an error,
// never an allocation. Uncompressed data is not copied: Data aliases data.
func ReadIDX(name string, data []byte, ndims int) (*IDX, error) {
	if len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b {
		return readIDXGzip(name, data, ndims)
	}
	if len(data) < 4 {
		return nil, fmt.Errorf("%s: %d bytes, too short for an IDX header", name, len(data))
	}
	n, err := idxMagic(name, data[:4], ndims)
	if err != nil {
		return nil, err
	}
	end := 4 + 4*n
	if len(data) < end {
		return nil, fmt.Errorf("%s: IDX header of %d dimensions needs %d bytes, file has %d", name, n, end, len(data))
	}
	dims := idxDims(data[4:end])
	have := len(data) - end
	size, ok := idxSize(dims, math.MaxInt) // nothing is allocated from it
	switch {
	case !ok:
		return nil, fmt.Errorf("%s: IDX header claims %s values, more than the %d data bytes in the file", name, dimString(dims), have)
	case size > have:
		return nil, fmt.Errorf("%s: IDX header claims %s = %d values, file holds only %d (truncated?)", name, dimString(dims), size, have)
	case size < have:
		return nil, fmt.Errorf("%s: IDX header claims %s = %d values, file holds %d", name, dimString(dims), size, have)
	}
	return &IDX{Dims: intDims(dims), Data: data[end:len(data):len(data)]}, nil
}

func readIDXGzip(name string, data []byte, ndims int) (*IDX, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, gzipError(name, err)
	}
	var magic [4]byte
	if got, err := io.ReadFull(zr, magic[:]); err != nil {
		return nil, gzipShort(name, err, got, "an IDX header")
	}
	n, err := idxMagic(name, magic[:], ndims)
	if err != nil {
		return nil, err
	}
	head := make([]byte, 4*n) // at most 1020 bytes
	if got, err := io.ReadFull(zr, head); err != nil {
		return nil, gzipShort(name, err, 4+got, fmt.Sprintf("an IDX header of %d dimensions (%d bytes)", n, 4+4*n))
	}
	dims := idxDims(head)
	limit := math.MaxInt
	if len(data) < math.MaxInt/maxDeflateRatio {
		limit = maxDeflateRatio * len(data)
	}
	size, ok := idxSize(dims, limit)
	if !ok {
		return nil, fmt.Errorf("%s: IDX header claims %s values, more than a %d-byte gzip file can hold", name, dimString(dims), len(data))
	}
	// Grow the buffer with the data actually decompressed, not with what the
	// header claims; read one byte more than claimed to see surplus data.
	buf := make([]byte, 0, min(size+1, 8*len(data)+4096))
	buf, err = readAll(buf, zr, size+1)
	if err != nil {
		return nil, gzipError(name, err)
	}
	switch {
	case len(buf) < size:
		return nil, fmt.Errorf("%s: IDX header claims %s = %d values, gzip stream holds only %d (truncated?)", name, dimString(dims), size, len(buf))
	case len(buf) > size:
		return nil, fmt.Errorf("%s: IDX header claims %s = %d values, gzip stream holds more", name, dimString(dims), size)
	}
	return &IDX{Dims: intDims(dims), Data: buf[:size:size]}, nil
}

// idxHead reads the start of the IDX file (gzip-compressed or not) that r
// holds: its header, and the data of its first n entries along the first
// dimension, returned as an uncompressed IDX file of those n entries (or
// fewer, if the file holds fewer) for ReadIDX. The dimensions after the
// first must be inner. Nothing beyond those entries is read or
// decompressed, and memory grows with the data actually read, not with
// what the header claims.
func idxHead(name string, r io.Reader, inner []int, n int) ([]byte, error) {
	br := bufio.NewReader(r)
	zipped := false
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, gzipError(name, err)
		}
		r, zipped = zr, true
	} else {
		r = br
	}
	readErr := func(err error) error {
		if zipped {
			return gzipError(name, err)
		}
		return fmt.Errorf("%s: %w", name, err)
	}
	short := func(err error, got int, what string) error {
		if zipped {
			return gzipShort(name, err, got, what)
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("%s: %d bytes, too short for %s", name, got, what)
		}
		return readErr(err)
	}
	out := make([]byte, 4)
	if got, err := io.ReadFull(r, out); err != nil {
		return nil, short(err, got, "an IDX header")
	}
	ndims, err := idxMagic(name, out, 1+len(inner))
	if err != nil {
		return nil, err
	}
	out = append(out, make([]byte, 4*ndims)...)
	if got, err := io.ReadFull(r, out[4:]); err != nil {
		return nil, short(err, 4+got, fmt.Sprintf("an IDX header of %d dimensions (%d bytes)", ndims, 4+4*ndims))
	}
	dims := idxDims(out[4:])
	for i, d := range inner {
		if uint64(dims[1+i]) != uint64(d) {
			return nil, fmt.Errorf("%s: IDX entries are %s, want %s", name, dimString(dims[1:]), dimString(intsToDims(inner)))
		}
	}
	record, _ := idxSize(dims[1:], math.MaxInt) // inner sizes: small
	count := min(int(min(dims[0], math.MaxInt32)), max(n, 0))
	if record > 0 && count > math.MaxInt/record {
		return nil, fmt.Errorf("%s: %d IDX entries of %d values overflow", name, count, record)
	}
	binary.BigEndian.PutUint32(out[4:], uint32(count))
	want := len(out) + count*record
	out, err = readAll(out, r, want)
	if err != nil {
		return nil, readErr(err)
	}
	if len(out) < want {
		return nil, fmt.Errorf("%s: holds %d bytes of IDX data, %d entries of %d values need %d (truncated?)", name, len(out)-4-4*ndims, count, record, count*record)
	}
	return out, nil
}

func intsToDims(v []int) []uint32 {
	out := make([]uint32, len(v))
	for i, d := range v {
		out[i] = uint32(d)
	}
	return out
}

// gzipShort describes a gzip stream that ended (or failed) after got bytes
// while reading what.
func gzipShort(name string, err error, got int, what string) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%s: gzip stream holds %d bytes, too short for %s", name, got, what)
	}
	return gzipError(name, err)
}

// gzipError reports a failure to decompress, e.g. "NAME: gzip: unexpected EOF".
func gzipError(name string, err error) error {
	msg := err.Error()
	if !strings.HasPrefix(msg, "gzip: ") {
		msg = "gzip: " + msg
	}
	return fmt.Errorf("%s: %s", name, msg)
}

// readAll appends what r yields to buf until r ends or buf holds max bytes.
// It doubles the capacity of buf (up to max) whenever it is full, so the
// memory allocated stays within about twice the data read.
func readAll(buf []byte, r io.Reader, max int) ([]byte, error) {
	for len(buf) < max {
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), min(2*cap(buf)+512, max))
			copy(grown, buf)
			buf = grown
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// idxMagic checks the 4-byte IDX magic number (0, 0, element type,
// dimension count) and returns the dimension count.
func idxMagic(name string, b []byte, ndims int) (int, error) {
	got := binary.BigEndian.Uint32(b)
	n := int(b[3])
	if b[0] == 0 && b[1] == 0 && b[2] == 0x08 && (ndims <= 0 && n > 0 || ndims > 0 && n == ndims) {
		return n, nil
	}
	want := "0x000008NN"
	if ndims > 0 {
		want = fmt.Sprintf("0x%08x", 0x0800|ndims)
	}
	var why string
	switch {
	case b[0] != 0 || b[1] != 0:
		why = " (not an IDX file)"
	case b[2] != 0x08:
		why = fmt.Sprintf(" (element type 0x%02x; only unsigned bytes, 0x08, are read)", b[2])
	case n == 0:
		why = " (no dimensions)"
	}
	return 0, fmt.Errorf("%s: IDX magic 0x%08x, want %s%s", name, got, want, why)
}

// idxDims decodes big-endian uint32 dimension sizes.
func idxDims(b []byte) []uint32 {
	dims := make([]uint32, len(b)/4)
	for i := range dims {
		dims[i] = binary.BigEndian.Uint32(b[4*i:])
	}
	return dims
}

// idxSize returns the product of dims, or false if it exceeds limit (checked
// at each step, so it never overflows) or a dimension does not fit in an int
// (where int has 32 bits).
func idxSize(dims []uint32, limit int) (int, bool) {
	for _, d := range dims {
		if uint64(d) > math.MaxInt {
			return 0, false
		}
	}
	for _, d := range dims {
		if d == 0 {
			return 0, true
		}
	}
	size := 1
	for _, d := range dims {
		if int(d) > limit/size {
			return 0, false
		}
		size *= int(d)
	}
	return size, true
}

// intDims converts dims that idxSize accepted.
func intDims(dims []uint32) []int {
	out := make([]int, len(dims))
	for i, d := range dims {
		out[i] = int(d)
	}
	return out
}

// dimString formats dims as "60000x28x28".
func dimString(dims []uint32) string {
	s := make([]string, len(dims))
	for i, d := range dims {
		s[i] = strconv.FormatUint(uint64(d), 10)
	}
	return strings.Join(s, "x")
}
