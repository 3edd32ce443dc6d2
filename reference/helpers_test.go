package reference

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mnc-go/mnc/ir"
)

// tensorOf builds a tensor from a shape and its row-major values.
func tensorOf(shape []int, data ...float32) *ir.Tensor {
	return ir.FromData(append([]float32(nil), data...), shape...)
}

// seq returns a tensor holding 0, 1, 2, … scaled by step and offset by start.
func seq(start, step float32, shape ...int) *ir.Tensor {
	t := ir.NewTensor(shape...)
	for i := range t.Data {
		t.Data[i] = start + step*float32(i)
	}
	return t
}

// random returns a tensor of uniform values in [-1, 1) from r.
func random(r *rand.Rand, shape ...int) *ir.Tensor {
	t := ir.NewTensor(shape...)
	for i := range t.Data {
		t.Data[i] = float32(r.Float64()*2 - 1)
	}
	return t
}

// nodeFor builds a node whose input values have the given tensors' shapes
// (nil stays an absent optional input).
func nodeFor(op ir.Op, a ir.Attrs, ins ...*ir.Tensor) *ir.Node {
	n := &ir.Node{Name: "n_" + op.String(), Op: op, Attrs: a}
	for i, t := range ins {
		if t == nil {
			n.Inputs = append(n.Inputs, nil)
			continue
		}
		n.Inputs = append(n.Inputs, &ir.Value{Name: fmt.Sprintf("in%d", i), Shape: t.Shape.Clone()})
	}
	n.Outputs = []*ir.Value{{Name: n.Name, Producer: n}}
	return n
}

// evalOp runs one operator through Eval and fails the test on error.
func evalOp(t *testing.T, op ir.Op, a ir.Attrs, ins ...*ir.Tensor) *ir.Tensor {
	t.Helper()
	out, err := Eval(nodeFor(op, a, ins...), ins)
	if err != nil {
		t.Fatalf("Eval %s: %v", op, err)
	}
	return out
}

// expect checks shape and values within an absolute tolerance tol; want
// values that are NaN must be NaN.
func expect(t *testing.T, what string, got *ir.Tensor, shape []int, tol float64, want ...float32) {
	t.Helper()
	if !got.Shape.Equal(shape) {
		t.Fatalf("%s: shape %v, want %v", what, got.Shape, ir.Shape(shape))
	}
	if len(got.Data) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got.Data), len(want))
	}
	for i, w := range want {
		g := got.Data[i]
		if math.IsNaN(float64(w)) {
			if !math.IsNaN(float64(g)) {
				t.Errorf("%s[%d] = %g, want NaN", what, i, g)
			}
			continue
		}
		if math.Abs(float64(g)-float64(w)) > tol || math.IsNaN(float64(g)) {
			t.Errorf("%s[%d] = %g, want %g (tol %g)", what, i, g, w, tol)
		}
	}
}

// expectClose compares with a reference tensor computed independently.
func expectClose(t *testing.T, what string, got, want *ir.Tensor, rel float64) {
	t.Helper()
	if ok, msg := Close(got, want, rel); !ok {
		t.Errorf("%s: %s", what, msg)
	}
}

var nan32 = float32(math.NaN())
