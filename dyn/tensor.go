// Package dyn interprets the data-dependent tail of an ONNX model: the
// nodes after the part mnc compiles (NonZero, TopK with a computed k,
// NonMaxSuppression, GatherND, If and Loop with run-time conditions, Range
// with run-time bounds, and whatever reads their results). Every tensor's
// shape is known only when the node runs. Values are held as float64 with
// their ONNX element type: float32 results are rounded to float32 after
// every operation, integers are exact up to 2^53, booleans are 0 and 1.
// It favours being obviously correct over speed, like package reference;
// the tail of a detector (a few thousand boxes) costs little next to the
// network.
package dyn

import (
	"encoding/binary"
	"fmt"
	"math"

	pb "github.com/mnc-go/mnc/frontend/onnx/onnxpb"
	"github.com/mnc-go/mnc/ir"
)

// DType is an ONNX element type (TensorProto.DataType).
type DType int32

const (
	Float  = DType(pb.TensorProto_FLOAT)
	Uint8  = DType(pb.TensorProto_UINT8)
	Int8   = DType(pb.TensorProto_INT8)
	Int32  = DType(pb.TensorProto_INT32)
	Int64  = DType(pb.TensorProto_INT64)
	Bool   = DType(pb.TensorProto_BOOL)
	Double = DType(pb.TensorProto_DOUBLE)
)

func (d DType) String() string { return pb.TensorProto_DataType(d).String() }

// IsFloat reports whether d is a floating-point type.
func (d DType) IsFloat() bool { return d == Float || d == Double }

// Tensor is a dense row-major tensor of any supported element type.
type Tensor struct {
	DT    DType
	Shape []int
	V     []float64
}

// New returns a zero tensor.
func New(dt DType, shape ...int) *Tensor {
	return &Tensor{DT: dt, Shape: append([]int{}, shape...), V: make([]float64, size(shape))}
}

func size(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// FromIR wraps a float32 ir.Tensor (copying it).
func FromIR(t *ir.Tensor) *Tensor {
	r := New(Float, t.Shape...)
	for i, v := range t.Data {
		r.V[i] = float64(v)
	}
	return r
}

// IR converts to a float32 ir.Tensor (integers and booleans as floats).
func (t *Tensor) IR() *ir.Tensor {
	r := ir.NewTensor(t.Shape...)
	for i, v := range t.V {
		r.Data[i] = float32(v)
	}
	return r
}

// round makes v a value of type dt.
func round(dt DType, v float64) float64 {
	switch dt {
	case Float:
		return float64(float32(v))
	case Double:
		return v
	case Bool:
		if v != 0 {
			return 1
		}
		return 0
	case Uint8:
		return float64(uint8(int64(v)))
	case Int8:
		return float64(int8(int64(v)))
	case Int32:
		return float64(int32(int64(v)))
	}
	if math.IsNaN(v) {
		return 0
	}
	return math.Trunc(v)
}

func (t *Tensor) String() string { return fmt.Sprintf("%v%v", t.DT, t.Shape) }

// ints returns the values as ints (a 0-D or 1-D integer input such as a
// shape, axes or k).
func (t *Tensor) ints() []int {
	r := make([]int, len(t.V))
	for i, v := range t.V {
		r[i] = int(v)
	}
	return r
}

// Decode reads a TensorProto (raw or typed data; not external data).
func Decode(t *pb.TensorProto) (*Tensor, error) {
	shape := make([]int, len(t.GetDims()))
	for i, d := range t.GetDims() {
		if d < 0 || d > 1<<30 {
			return nil, fmt.Errorf("tensor %q: dimension %d", t.GetName(), d)
		}
		shape[i] = int(d)
	}
	if size(shape) > 1<<28 {
		return nil, fmt.Errorf("tensor %q: shape %v too large", t.GetName(), shape)
	}
	if t.GetDataLocation() == pb.TensorProto_EXTERNAL {
		return nil, fmt.Errorf("tensor %q: external data in an interpreted node is not supported", t.GetName())
	}
	dt := DType(t.GetDataType())
	r := New(dt, shape...)
	n := len(r.V)
	if raw := t.GetRawData(); len(raw) > 0 || n == 0 {
		w := map[DType]int{Float: 4, Double: 8, Int64: 8, Int32: 4, Bool: 1, Uint8: 1, Int8: 1}[dt]
		if w == 0 {
			return nil, fmt.Errorf("tensor %q: element type %v is not supported", t.GetName(), dt)
		}
		if len(raw) != n*w {
			return nil, fmt.Errorf("tensor %q: %d bytes for %v of %v", t.GetName(), len(raw), shape, dt)
		}
		for i := range n {
			b := raw[i*w:]
			switch dt {
			case Float:
				r.V[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(b)))
			case Double:
				r.V[i] = math.Float64frombits(binary.LittleEndian.Uint64(b))
			case Int64:
				r.V[i] = float64(int64(binary.LittleEndian.Uint64(b)))
			case Int32:
				r.V[i] = float64(int32(binary.LittleEndian.Uint32(b)))
			case Bool, Uint8:
				r.V[i] = float64(b[0])
			case Int8:
				r.V[i] = float64(int8(b[0]))
			}
		}
		return r, nil
	}
	var vals []float64
	switch dt {
	case Float:
		for _, v := range t.GetFloatData() {
			vals = append(vals, float64(v))
		}
	case Double:
		vals = append(vals, t.GetDoubleData()...)
	case Int64:
		for _, v := range t.GetInt64Data() {
			vals = append(vals, float64(v))
		}
	case Int32, Bool, Uint8, Int8:
		for _, v := range t.GetInt32Data() {
			vals = append(vals, float64(v))
		}
	default:
		return nil, fmt.Errorf("tensor %q: element type %v is not supported", t.GetName(), dt)
	}
	if len(vals) != n {
		return nil, fmt.Errorf("tensor %q: %d values for shape %v", t.GetName(), len(vals), shape)
	}
	copy(r.V, vals)
	return r, nil
}

// strides returns row-major strides of shape.
func strides(shape []int) []int {
	s := make([]int, len(shape))
	k := 1
	for i := len(shape) - 1; i >= 0; i-- {
		s[i] = k
		k *= shape[i]
	}
	return s
}

// broadcastShape is numpy broadcasting of several shapes.
func broadcastShape(shapes ...[]int) ([]int, error) {
	r := 0
	for _, s := range shapes {
		r = max(r, len(s))
	}
	out := make([]int, r)
	for i := range out {
		out[i] = 1
	}
	for _, s := range shapes {
		for i, d := range s {
			j := r - len(s) + i
			switch {
			case out[j] == 1:
				out[j] = d
			case d != 1 && d != out[j]:
				return nil, fmt.Errorf("shapes %v do not broadcast", shapes)
			}
		}
	}
	return out, nil
}

// bindex maps a flat index of out (shape os) to the flat index of a
// tensor of shape s broadcast to it.
func bindex(idx int, os, ostr, s []int) int {
	k, st := 0, 1
	for i := len(s) - 1; i >= 0; i-- {
		j := len(os) - len(s) + i
		c := (idx / ostr[j]) % os[j]
		if s[i] != 1 {
			k += c * st
		}
		st *= s[i]
	}
	return k
}
