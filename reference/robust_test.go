package reference

import (
	"errors"
	"strings"
	"testing"

	"github.com/mnc-go/mnc/ir"
)

// allOps lists every operator ir defines: those whose name is not the
// fallback "Op(N)".
func allOps() []ir.Op {
	var ops []ir.Op
	for i := 1; i < 256; i++ {
		if op := ir.Op(i); !strings.HasPrefix(op.String(), "Op(") {
			ops = append(ops, op)
		}
	}
	return ops
}

// implemented reports whether compute has a case for op: called without
// inputs, it fails (or panics) some other way than errNotImplemented.
func implemented(op ir.Op) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = true
		}
	}()
	_, err := compute(op, &ir.Attrs{}, nil, nil)
	return !errors.Is(err, errNotImplemented)
}

// A new ir operator must come with its reference implementation.
func TestEveryIROpImplemented(t *testing.T) {
	ops := allOps()
	if len(ops) < 26 {
		t.Fatalf("found only %d ir operators", len(ops))
	}
	for _, op := range ops {
		if !implemented(op) {
			t.Errorf("ir operator %s has no reference implementation", op)
		}
	}
	if implemented(ir.Op(200)) {
		t.Error("an unregistered op counts as implemented")
	}
	for _, op := range []ir.Op{ir.OpInvalid, ir.Op(200)} {
		_, err := Eval(&ir.Node{Name: "bogus", Op: op}, nil)
		if err == nil || !strings.Contains(err.Error(), `"bogus"`) {
			t.Errorf("Eval of %s: error %v, want one naming node bogus", op, err)
		}
	}
}

// Wrong input counts, ranks and sizes for every operator give errors that
// name the node, never a panic (which Eval would report as a bug).
func TestBadInputsGiveErrors(t *testing.T) {
	r1 := ir.NewTensor(3)
	r4 := ir.NewTensor(1, 2, 3, 3)
	r4b := ir.NewTensor(2, 5, 1, 1)
	short := &ir.Tensor{Shape: ir.Shape{2, 2}, Data: make([]float32, 3)}
	inputSets := [][]*ir.Tensor{
		nil,
		{nil},
		{short},
		{r1},
		{r4, nil},
		{r4, r1},
		{r4, r4b},
		{r1, r1, r1, r1, r1},
		{r4, r4b, r1, r4b},
	}
	attrSets := []ir.Attrs{
		{},
		{Group: 5, Strides: [2]int{1, 1}, Dilations: [2]int{1, 1}, Kernel: [2]int{9, 9}, Axis: 7, Perm: []int{0, 0}, Shape: []int{-1, -1}, Axes: []int{9}, PadAmounts: []int{1}},
		{Group: 1, Strides: [2]int{1, 1}, Dilations: [2]int{-1, -1}, Kernel: [2]int{1, 1}, Fused: ir.Epilogue{Residual: true}, PadMode: "wrap", PadAmounts: []int{0, 0, 0, 0, 0, 0, 0, 0}},
	}
	for _, op := range allOps() {
		for ai, a := range attrSets {
			for ii, ins := range inputSets {
				n := nodeFor(op, a, ins...)
				n.Name = "victim"
				_, err := Eval(n, ins)
				if err == nil {
					continue // some combinations are valid
				}
				if msg := err.Error(); !strings.Contains(msg, `"victim"`) || strings.Contains(msg, "panic") {
					t.Errorf("%s attrs %d inputs %d: %v", op, ai, ii, err)
				}
			}
		}
	}
}
