package onnx

import (
	"fmt"

	"github.com/mnc-go/mnc/ir"
)

// cval is a tensor whose contents are known at import time: a weight, a
// Constant node's value, or the result of folding shape arithmetic. Shape
// arithmetic is integer, so a cval is either float (f) or integer (i); no
// integer tensor ever reaches the IR.
//
// sym marks integer elements that stand for an unknown dimension (a
// symbolic batch): sym[k] is the axis of the tensor whose Shape produced
// element k, or -1 when the element is a plain number. A nil sym means no
// element is symbolic. Ops that only move elements (Gather, Slice, Concat,
// Unsqueeze, ...) carry sym along; arithmetic on a symbolic element fails.
type cval struct {
	shape []int
	isInt bool
	f     []float32
	i     []int64
	sym   []int
	elem  int32 // the ONNX element type it was decoded from (0 when computed)
}

func (c *cval) size() int { return shapeSize(c.shape) }

func shapeSize(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

func newFloat(shape []int, f []float32) *cval { return &cval{shape: append([]int{}, shape...), f: f} }

func newInt(shape []int, i []int64) *cval {
	return &cval{shape: append([]int{}, shape...), isInt: true, i: i}
}

// symAt reports whether element k is symbolic.
func (c *cval) symAt(k int) bool { return c.sym != nil && c.sym[k] >= 0 }

func (c *cval) hasSym() bool {
	for k := range c.sym {
		if c.sym[k] >= 0 {
			return true
		}
	}
	return false
}

// ints returns the elements as ints; it fails on symbolic elements (which
// have no value) unless allowSym, in which case they come back as -1.
func (c *cval) ints(allowSym bool) ([]int, error) {
	out := make([]int, c.size())
	for k := range out {
		if c.symAt(k) {
			if !allowSym {
				return nil, fmt.Errorf("element %d depends on the unknown dimension %d of a symbolic shape", k, c.sym[k])
			}
			out[k] = -1
			continue
		}
		if c.isInt {
			out[k] = int(c.i[k])
		} else {
			out[k] = int(c.f[k])
		}
	}
	return out, nil
}

// floats returns the elements as float32 (integers converted).
func (c *cval) floats() []float32 {
	if !c.isInt {
		return c.f
	}
	out := make([]float32, len(c.i))
	for k, v := range c.i {
		out[k] = float32(v)
	}
	return out
}

// scalar returns the single element of a one-element tensor as float64.
func (c *cval) scalar() (float64, error) {
	if c.size() != 1 {
		return 0, fmt.Errorf("want a single value, got shape %v", c.shape)
	}
	if c.symAt(0) {
		return 0, fmt.Errorf("value depends on a symbolic dimension")
	}
	if c.isInt {
		return float64(c.i[0]), nil
	}
	return float64(c.f[0]), nil
}

// tensor converts a float (or integer) cval to an IR tensor.
func (c *cval) tensor() *ir.Tensor {
	return &ir.Tensor{Shape: ir.Shape(append([]int{}, c.shape...)), Data: c.floats()}
}

// gather builds a new cval of the given shape whose element k is element
// src[k] of c; the primitive behind every element-moving fold.
func (c *cval) gather(shape []int, src []int) *cval {
	out := &cval{shape: append([]int{}, shape...), isInt: c.isInt}
	if c.isInt {
		out.i = make([]int64, len(src))
		for k, s := range src {
			out.i[k] = c.i[s]
		}
	} else {
		out.f = make([]float32, len(src))
		for k, s := range src {
			out.f[k] = c.f[s]
		}
	}
	if c.sym != nil {
		out.sym = make([]int, len(src))
		for k, s := range src {
			out.sym[k] = c.sym[s]
		}
	}
	return out
}

// reshaped returns c with a new shape and the same elements.
func (c *cval) reshaped(shape []int) *cval {
	out := *c
	out.shape = append([]int{}, shape...)
	return &out
}

// strides returns row-major strides of shape.
func strides(shape []int) []int {
	st := make([]int, len(shape))
	s := 1
	for k := len(shape) - 1; k >= 0; k-- {
		st[k] = s
		s *= shape[k]
	}
	return st
}
