// Package ir is mnc's intermediate representation: float32 tensors, and a
// graph of nodes (operators) connected by values (tensors flowing between
// them). Activations are described in ONNX's logical NCHW order; the passes
// decide the physical layout the runtime uses.
package ir

import (
	"fmt"
	"strings"
)

// Shape is a tensor's dimensions, outermost first. A dimension of -1 is
// unknown (a symbolic batch before it is bound).
type Shape []int

// Size is the number of elements, or -1 when a dimension is unknown.
func (s Shape) Size() int {
	n := 1
	for _, d := range s {
		if d < 0 {
			return -1
		}
		n *= d
	}
	return n
}

// Equal reports whether two shapes have the same rank and dimensions.
func (s Shape) Equal(t Shape) bool {
	if len(s) != len(t) {
		return false
	}
	for i := range s {
		if s[i] != t[i] {
			return false
		}
	}
	return true
}

// Clone returns a copy that does not alias s.
func (s Shape) Clone() Shape { return append(Shape(nil), s...) }

func (s Shape) String() string {
	parts := make([]string, len(s))
	for i, d := range s {
		if d < 0 {
			parts[i] = "?"
		} else {
			parts[i] = fmt.Sprint(d)
		}
	}
	return "[" + strings.Join(parts, "×") + "]"
}

// Tensor is a dense float32 tensor in row-major order.
type Tensor struct {
	Shape Shape
	Data  []float32
}

// NewTensor allocates a zero tensor of the given shape.
func NewTensor(shape ...int) *Tensor {
	s := Shape(shape).Clone()
	n := s.Size()
	if n < 0 {
		n = 0
	}
	return &Tensor{Shape: s, Data: make([]float32, n)}
}

// FromData wraps data (not copied) as a tensor; it panics if the sizes differ,
// which is a programming error, not an input error.
func FromData(data []float32, shape ...int) *Tensor {
	s := Shape(shape).Clone()
	if s.Size() != len(data) {
		panic(fmt.Sprintf("ir.FromData: %d values for shape %v", len(data), s))
	}
	return &Tensor{Shape: s, Data: data}
}

// Clone deep-copies the tensor.
func (t *Tensor) Clone() *Tensor {
	return &Tensor{Shape: t.Shape.Clone(), Data: append([]float32(nil), t.Data...)}
}
