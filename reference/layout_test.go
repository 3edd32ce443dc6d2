package reference

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mnc-go/mnc/ir"
)

func TestFlattenReshapeIdentityDropout(t *testing.T) {
	x := seq(0, 1, 2, 3, 2)
	want := x.Data
	expect(t, "flatten 1", evalOp(t, ir.OpFlatten, ir.Attrs{Axis: 1}, x), []int{2, 6}, 0, want...)
	expect(t, "flatten 0", evalOp(t, ir.OpFlatten, ir.Attrs{Axis: 0}, x), []int{1, 12}, 0, want...)
	expect(t, "flatten -1", evalOp(t, ir.OpFlatten, ir.Attrs{Axis: -1}, x), []int{6, 2}, 0, want...)
	expect(t, "reshape", evalOp(t, ir.OpReshape, ir.Attrs{Shape: []int{0, -1}}, x), []int{2, 6}, 0, want...)
	expect(t, "reshape 3", evalOp(t, ir.OpReshape, ir.Attrs{Shape: []int{4, 1, 3}}, x), []int{4, 1, 3}, 0, want...)
	expect(t, "identity", evalOp(t, ir.OpIdentity, ir.Attrs{}, x), []int{2, 3, 2}, 0, want...)
	expect(t, "dropout", evalOp(t, ir.OpDropout, ir.Attrs{}, x), []int{2, 3, 2}, 0, want...)
	// Outputs never alias inputs: an in-place consumer must not corrupt x.
	out := evalOp(t, ir.OpIdentity, ir.Attrs{}, x)
	out.Data[0] = 99
	if x.Data[0] != 0 {
		t.Errorf("Identity output aliases its input")
	}
}

// NCHW → NHWC of a [1,2,2,3] tensor 0..11: out[0][h][w][c] = x[0][c][h][w]
// = c·6 + h·3 + w.
func TestTranspose(t *testing.T) {
	x := seq(0, 1, 1, 2, 2, 3)
	got := evalOp(t, ir.OpTranspose, ir.Attrs{Perm: []int{0, 2, 3, 1}}, x)
	expect(t, "nhwc", got, []int{1, 2, 3, 2}, 0, 0, 6, 1, 7, 2, 8, 3, 9, 4, 10, 5, 11)
	m := tensorOf([]int{2, 3}, 1, 2, 3, 4, 5, 6)
	expect(t, "2-D", evalOp(t, ir.OpTranspose, ir.Attrs{Perm: []int{1, 0}}, m), []int{3, 2}, 0, 1, 4, 2, 5, 3, 6)
}

// Softmax along every axis: lines along the axis sum to 1, the order of
// values is kept, and huge inputs stay finite (max subtraction).
func TestSoftmax(t *testing.T) {
	row := tensorOf([]int{1, 3}, 1, 2, 3)
	e1, e2, e3 := math.Exp(1), math.Exp(2), math.Exp(3)
	sum := e1 + e2 + e3
	expect(t, "row", evalOp(t, ir.OpSoftmax, ir.Attrs{Axis: 1}, row), []int{1, 3}, 1e-7,
		float32(e1/sum), float32(e2/sum), float32(e3/sum))
	big := tensorOf([]int{1, 3}, 1000, 1001, 1002)
	expect(t, "big", evalOp(t, ir.OpSoftmax, ir.Attrs{Axis: -1}, big), []int{1, 3}, 1e-7,
		float32(e1/sum), float32(e2/sum), float32(e3/sum))

	r := rand.New(rand.NewPCG(7, 8))
	x := random(r, 2, 3, 4)
	for i := range x.Data {
		x.Data[i] *= 20
	}
	for axis := -3; axis < 3; axis++ {
		got := evalOp(t, ir.OpSoftmax, ir.Attrs{Axis: axis}, x)
		ax := (axis + 3) % 3
		st := []int{12, 4, 1}[ax]
		for i := range got.Data {
			if (i/st)%x.Shape[ax] != 0 {
				continue // visit each line once, from its first element
			}
			var s float64
			for j := 0; j < x.Shape[ax]; j++ {
				s += float64(got.Data[i+j*st])
			}
			if math.Abs(s-1) > 1e-6 {
				t.Errorf("axis %d: line at %d sums to %g", axis, i, s)
			}
		}
	}
	withNaN := tensorOf([]int{2, 2}, 1, nan32, 1, 1)
	expect(t, "NaN", evalOp(t, ir.OpSoftmax, ir.Attrs{Axis: 1}, withNaN), []int{2, 2}, 1e-7, nan32, nan32, 0.5, 0.5)
}

func TestConcat(t *testing.T) {
	a := seq(0, 1, 1, 2, 1, 2)  // c0: 0 1, c1: 2 3
	b := seq(10, 1, 1, 1, 1, 2) // c0: 10 11
	expect(t, "channels", evalOp(t, ir.OpConcat, ir.Attrs{Axis: 1}, a, b), []int{1, 3, 1, 2}, 0, 0, 1, 2, 3, 10, 11)
	c := seq(20, 1, 1, 2, 1, 1)
	expect(t, "last axis", evalOp(t, ir.OpConcat, ir.Attrs{Axis: -1}, a, c), []int{1, 2, 1, 3}, 0, 0, 1, 20, 2, 3, 21)
}

func TestPad(t *testing.T) {
	x := tensorOf([]int{1, 1, 1, 4}, 1, 2, 3, 4)
	pads := []int{0, 0, 0, 2, 0, 0, 0, 2}
	expect(t, "constant", evalOp(t, ir.OpPad, ir.Attrs{PadAmounts: pads, PadMode: "constant", PadValue: 9}, x),
		[]int{1, 1, 1, 8}, 0, 9, 9, 1, 2, 3, 4, 9, 9)
	expect(t, "default mode", evalOp(t, ir.OpPad, ir.Attrs{PadAmounts: pads}, x),
		[]int{1, 1, 1, 8}, 0, 0, 0, 1, 2, 3, 4, 0, 0)
	expect(t, "reflect", evalOp(t, ir.OpPad, ir.Attrs{PadAmounts: pads, PadMode: "reflect"}, x),
		[]int{1, 1, 1, 8}, 0, 3, 2, 1, 2, 3, 4, 3, 2)
	expect(t, "edge", evalOp(t, ir.OpPad, ir.Attrs{PadAmounts: pads, PadMode: "edge"}, x),
		[]int{1, 1, 1, 8}, 0, 1, 1, 1, 2, 3, 4, 4, 4)
	// Negative amounts crop; H and W padded at once.
	crop := []int{0, 0, 1, -1, 0, 0, 0, -1}
	expect(t, "crop", evalOp(t, ir.OpPad, ir.Attrs{PadAmounts: crop}, x), []int{1, 1, 2, 2}, 0, 0, 0, 2, 3)
	m := tensorOf([]int{2, 2}, 1, 2, 3, 4)
	expect(t, "2-D reflect", evalOp(t, ir.OpPad, ir.Attrs{PadAmounts: []int{1, 1, 0, 0}, PadMode: "reflect"}, m),
		[]int{3, 3}, 0, 4, 3, 4, 2, 1, 2, 4, 3, 4)
}

func TestReduceMean(t *testing.T) {
	x := seq(0, 1, 1, 2, 2, 2) // channel 0: 0..3, channel 1: 4..7
	expect(t, "spatial keep", evalOp(t, ir.OpReduceMean, ir.Attrs{Axes: []int{2, 3}, KeepDims: true}, x), []int{1, 2, 1, 1}, 1e-7, 1.5, 5.5)
	expect(t, "spatial drop", evalOp(t, ir.OpReduceMean, ir.Attrs{Axes: []int{-1, -2}}, x), []int{1, 2}, 1e-7, 1.5, 5.5)
	expect(t, "channels", evalOp(t, ir.OpReduceMean, ir.Attrs{Axes: []int{1}, KeepDims: true}, x), []int{1, 1, 2, 2}, 1e-7, 2, 3, 4, 5)
	expect(t, "all", evalOp(t, ir.OpReduceMean, ir.Attrs{}, x), []int{}, 1e-7, 3.5)
}
