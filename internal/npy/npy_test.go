package npy

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/edgecnn/edgecnn/internal/memcheck"
)

func TestRoundTrip(t *testing.T) {
	for _, shape := range [][]int{{}, {3}, {2, 3}, {2, 1, 2, 2}, {0, 4}} {
		n := 1
		for _, d := range shape {
			n *= d
		}
		a := &Array{Shape: shape, Data: make([]float32, n)}
		for k := range a.Data {
			a.Data[k] = float32(k) - 1.5
		}
		var buf bytes.Buffer
		if err := Encode(&buf, a); err != nil {
			t.Fatal(err)
		}
		if buf.Len()%64 != 4*n%64 {
			t.Errorf("shape %v: data does not start at a multiple of 64", shape)
		}
		b, err := Decode(buf.Bytes())
		if err != nil {
			t.Fatalf("shape %v: %v", shape, err)
		}
		if len(b.Shape) != len(shape) || len(b.Data) != n {
			t.Fatalf("shape %v: got %v with %d values", shape, b.Shape, len(b.Data))
		}
		for k := range a.Data {
			if a.Data[k] != b.Data[k] {
				t.Fatalf("shape %v: value %d is %v, want %v", shape, k, b.Data[k], a.Data[k])
			}
		}
	}
}

// TestNumPyFile reads a file written by numpy.save (the ONNX fixtures).
func TestNumPyFile(t *testing.T) {
	data, err := os.ReadFile("../../tools/convert/onnx/testdata/lenet5_logits.npy")
	if err != nil {
		t.Skip(err)
	}
	a, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Shape) != 2 || a.Shape[0] != 64 || a.Shape[1] != 10 {
		t.Fatalf("shape %v, want [64 10]", a.Shape)
	}
}

func header(h string, data int) []byte {
	b := []byte(magic + "\x01\x00")
	b = append(b, byte(len(h)), byte(len(h)>>8))
	b = append(b, h...)
	return append(b, make([]byte, data)...)
}

func TestErrors(t *testing.T) {
	for _, c := range []struct {
		data []byte
		want string
	}{
		{[]byte("hello"), "bad magic"},
		{header("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", 16), `dtype "<f8" is not supported`},
		{header("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", 8), "Fortran-order"},
		{header("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", 8), "needs 12 bytes"},
		{header("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000, 1000000000), }", 8), "more data than the file holds"},
		{header("{'descr': '<f4', 'fortran_order': False}", 8), "needs descr"},
		{header("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", 8), "invalid dimension"},
		{append([]byte(magic+"\x01\x00"), 0xff, 0x00), "truncated"},
	} {
		_, err := Decode(c.data)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want an error containing %q", c.data, err, c.want)
		}
	}
}

func FuzzDecode(f *testing.F) {
	var buf bytes.Buffer
	Encode(&buf, &Array{Shape: []int{2, 2}, Data: []float32{1, 2, 3, 4}})
	f.Add(buf.Bytes())
	f.Add(header("{'descr': '<f4', 'fortran_order': False, 'shape': (), }", 4))
	f.Fuzz(func(t *testing.T, data []byte) {
		var a *Array
		var err error
		memcheck.Check(t, len(data), func() { a, err = Decode(data) })
		if err != nil {
			return
		}
		n := 1
		for _, d := range a.Shape {
			n *= d
		}
		if n != len(a.Data) || 4*n > len(data) {
			t.Fatalf("shape %v with %d values from %d bytes", a.Shape, len(a.Data), len(data))
		}
	})
}
