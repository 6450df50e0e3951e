package nn

import (
	"fmt"
	"math"
)

// DType is the element type of a tensor, spelled as in safetensors.
type DType string

// The element types a model file holds.
const (
	F32 DType = "F32"
	I8  DType = "I8"
	I32 DType = "I32"
)

// Size is the size of one element in bytes.
func (d DType) Size() int {
	switch d {
	case F32, I32:
		return 4
	case I8:
		return 1
	}
	return 0
}

// Tensor is a dense row-major array. Exactly one of the data slices is used,
// the one matching DType.
type Tensor struct {
	DType DType
	Shape []int
	F32   []float32
	I8    []int8
	I32   []int32
}

// NewTensor returns a zero float32 tensor of the given shape.
func NewTensor(shape ...int) *Tensor {
	return &Tensor{DType: F32, Shape: shape, F32: make([]float32, Shape(shape).Size())}
}

// Len is the number of elements.
func (t *Tensor) Len() int {
	switch t.DType {
	case F32:
		return len(t.F32)
	case I8:
		return len(t.I8)
	case I32:
		return len(t.I32)
	}
	return 0
}

func (t *Tensor) checkFinite() error {
	for i, v := range t.F32 {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("element %d is %v", i, v)
		}
	}
	return nil
}
