// Package npy reads and writes NumPy .npy files holding float32 arrays
// ('<f4', C order), the format numpy.save writes, so Python users can hand
// batches to edgecnn and compare outputs.
//
// Format (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
//
//	"\x93NUMPY", major, minor version bytes
//	header length: uint16 (version 1) or uint32 (versions 2 and 3), little-endian
//	header: a Python dict literal, e.g. {'descr': '<f4', 'fortran_order': False, 'shape': (64, 1, 32, 32), }
//	the data, row-major
package npy

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Array is a float32 array in row-major (C) order.
type Array struct {
	Shape []int
	Data  []float32
}

const magic = "\x93NUMPY"

// maxHeader bounds the header; numpy itself writes a few hundred bytes.
const maxHeader = 1 << 16

// Decode reads a .npy file from its bytes. The data must be exactly as long
// as the shape says, so nothing is allocated beyond the input's size.
func Decode(b []byte) (*Array, error) {
	if len(b) < len(magic)+4 || string(b[:len(magic)]) != magic {
		return nil, errors.New("not a NumPy .npy file (bad magic)")
	}
	major := b[len(magic)]
	rest := b[len(magic)+2:]
	var hlen int
	switch major {
	case 1:
		hlen = int(binary.LittleEndian.Uint16(rest))
		rest = rest[2:]
	case 2, 3:
		if len(rest) < 4 {
			return nil, errors.New("truncated .npy header")
		}
		n := binary.LittleEndian.Uint32(rest)
		if n > maxHeader {
			return nil, fmt.Errorf(".npy header of %d bytes is too long", n)
		}
		hlen = int(n)
		rest = rest[4:]
	default:
		return nil, fmt.Errorf(".npy format version %d is not supported", major)
	}
	if hlen > len(rest) {
		return nil, errors.New("truncated .npy header")
	}
	descr, fortran, shape, err := parseHeader(string(rest[:hlen]))
	if err != nil {
		return nil, fmt.Errorf(".npy header: %w", err)
	}
	if descr != "<f4" {
		return nil, fmt.Errorf("dtype %q is not supported: save float32 little-endian ('<f4'), e.g. np.save(path, x.astype(np.float32))", descr)
	}
	if fortran {
		return nil, errors.New("Fortran-order arrays are not supported: save a C-order array (np.ascontiguousarray)")
	}
	data := rest[hlen:]
	n := 1
	for _, d := range shape {
		if d > 0 && n > len(data)/d {
			return nil, fmt.Errorf("shape %v needs more data than the file holds (%d bytes)", shape, len(data))
		}
		n *= d
	}
	if len(data) != 4*n {
		return nil, fmt.Errorf("shape %v needs %d bytes of data, the file holds %d", shape, 4*n, len(data))
	}
	a := &Array{Shape: shape, Data: make([]float32, n)}
	for k := range a.Data {
		a.Data[k] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*k:]))
	}
	return a, nil
}

// parseHeader reads the dict literal numpy writes: the keys 'descr',
// 'fortran_order' and 'shape', in any order.
func parseHeader(h string) (descr string, fortran bool, shape []int, err error) {
	s := strings.TrimSpace(h)
	if !strings.HasPrefix(s, "{") || !strings.HasSuffix(s, "}") {
		return "", false, nil, errors.New("not a dict")
	}
	s = strings.TrimSpace(s[1 : len(s)-1])
	seen := map[string]bool{}
	for s != "" {
		var key string
		if key, s, err = quoted(s); err != nil {
			return "", false, nil, err
		}
		s = strings.TrimSpace(s)
		if !strings.HasPrefix(s, ":") {
			return "", false, nil, fmt.Errorf("missing ':' after %q", key)
		}
		s = strings.TrimSpace(s[1:])
		if seen[key] {
			return "", false, nil, fmt.Errorf("key %q repeated", key)
		}
		seen[key] = true
		switch key {
		case "descr":
			if descr, s, err = quoted(s); err != nil {
				return "", false, nil, err
			}
		case "fortran_order":
			switch {
			case strings.HasPrefix(s, "False"):
				s = s[5:]
			case strings.HasPrefix(s, "True"):
				fortran, s = true, s[4:]
			default:
				return "", false, nil, errors.New("fortran_order is not True or False")
			}
		case "shape":
			if shape, s, err = tuple(s); err != nil {
				return "", false, nil, err
			}
		default:
			return "", false, nil, fmt.Errorf("unknown key %q", key)
		}
		s = strings.TrimSpace(s)
		if strings.HasPrefix(s, ",") {
			s = strings.TrimSpace(s[1:])
		} else if s != "" {
			return "", false, nil, fmt.Errorf("unexpected %.10q", s)
		}
	}
	if !seen["descr"] || !seen["fortran_order"] || !seen["shape"] {
		return "", false, nil, errors.New("needs descr, fortran_order and shape")
	}
	return descr, fortran, shape, nil
}

// quoted reads a Python string literal in single or double quotes (numpy
// never writes escapes in these headers).
func quoted(s string) (string, string, error) {
	if s == "" || (s[0] != '\'' && s[0] != '"') {
		return "", "", fmt.Errorf("expected a string at %.10q", s)
	}
	end := strings.IndexByte(s[1:], s[0])
	if end < 0 {
		return "", "", errors.New("unterminated string")
	}
	return s[1 : end+1], s[end+2:], nil
}

// tuple reads a tuple of non-negative integers: (), (3,), (64, 1, 32, 32).
func tuple(s string) ([]int, string, error) {
	if !strings.HasPrefix(s, "(") {
		return nil, "", errors.New("shape is not a tuple")
	}
	end := strings.IndexByte(s, ')')
	if end < 0 {
		return nil, "", errors.New("unterminated shape")
	}
	shape := []int{}
	for _, f := range strings.Split(s[1:end], ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		d, err := strconv.Atoi(strings.TrimSuffix(f, "L"))
		if err != nil || d < 0 {
			return nil, "", fmt.Errorf("invalid dimension %q", f)
		}
		shape = append(shape, d)
	}
	if len(shape) > 32 {
		return nil, "", errors.New("too many dimensions")
	}
	return shape, s[end+1:], nil
}

// Encode writes a in .npy format version 1.0.
func Encode(w io.Writer, a *Array) error {
	n := 1
	dims := make([]string, len(a.Shape))
	for k, d := range a.Shape {
		n *= d
		dims[k] = strconv.Itoa(d)
	}
	if n != len(a.Data) {
		return fmt.Errorf("shape %v holds %d values, have %d", a.Shape, n, len(a.Data))
	}
	shape := strings.Join(dims, ", ")
	if len(dims) == 1 {
		shape += ","
	}
	header := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }", shape)
	// Pad with spaces and a newline so the data starts at a multiple of 64.
	total := len(magic) + 4 + len(header) + 1
	header += strings.Repeat(" ", (64-total%64)%64) + "\n"
	var buf bytes.Buffer
	buf.WriteString(magic)
	buf.Write([]byte{1, 0})
	binary.Write(&buf, binary.LittleEndian, uint16(len(header)))
	buf.WriteString(header)
	for _, v := range a.Data {
		binary.Write(&buf, binary.LittleEndian, math.Float32bits(v))
	}
	_, err := w.Write(buf.Bytes())
	return err
}
