package runtime_test

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/reference"
)

// TestArgMaxRandom: ArgMax over every axis of random ranks 1–4, kept or
// dropped, first or last index on ties, after a Relu (so a 4-D input is
// read NHWC: the channel axis takes the row scan) or straight from the
// input, matches the reference exactly: inputs of few distinct values
// (ties everywhere) and some NaNs, -O0/-O2, 1 and 2 threads, batch 1 and
// 3, every ISA.
func TestArgMaxRandom(t *testing.T) {
	r := rand.New(rand.NewSource(42))
	n := 40
	if testing.Short() {
		n = 15
	}
	isas := kernels.Available()
	for i := 0; i < n; i++ {
		rank := 1 + r.Intn(4)
		if i%3 == 0 {
			rank = 4 // the NHWC paths
		}
		shape := []int{1}
		for len(shape) < rank {
			shape = append(shape, 1+r.Intn(7))
		}
		if rank == 4 && r.Intn(2) == 0 {
			shape[1] = 16 + r.Intn(20) // a segmenter's classes
		}
		g := ir.New(fmt.Sprintf("argmax%d", i))
		x := g.AddInput("x", shape...)
		if r.Intn(3) > 0 {
			x = g.AddNode(ir.OpRelu, "relu", ir.Attrs{}, x)
		}
		a := ir.Attrs{Axis: r.Intn(rank), KeepDims: r.Intn(2) == 0 || rank == 1, SelectLastIndex: r.Intn(2) == 0}
		if rank == 4 && r.Intn(2) == 0 {
			a.Axis = 1
		}
		if r.Intn(3) == 0 {
			a.Axis -= rank // negative axes
		}
		y := g.AddNode(ir.OpArgMax, "argmax", a, x)
		if r.Intn(4) == 0 { // indices read by a float op
			y = g.AddNode(ir.OpAdd, "add", ir.Attrs{}, y, g.AddConst("one", ir.FromData([]float32{1}, 1)))
		}
		g.SetOutputs(y)
		if err := g.InferShapes(); err != nil {
			t.Fatalf("%s: %v", g.Name, err)
		}
		for _, c := range []config{{0, 1, 1, isas[0]}, {2, 2, 3, isas[0]}, {2, 1, 1, isas[len(isas)-1]}, {2, 2, 1, kernels.Generic}} {
			h := g.Clone()
			if err := h.SetBatch(c.batch); err != nil {
				t.Fatal(err)
			}
			in := ir.NewTensor(h.Inputs[0].Shape...)
			for k := range in.Data {
				in.Data[k] = float32(r.Intn(4)) - 1
				if r.Intn(50) == 0 {
					in.Data[k] = float32(math.NaN())
				}
			}
			want := referenceOutputs(t, h, []*ir.Tensor{in})
			got := execute(t, compile(t, g, c), c.threads, []*ir.Tensor{in})
			if !got[0].Shape.Equal(want[0].Shape) {
				t.Fatalf("%s %v (axis %d keep %v): shape %v, want %v", g.Name, c, a.Axis, a.KeepDims, got[0].Shape, want[0].Shape)
			}
			for k := range want[0].Data {
				if got[0].Data[k] != want[0].Data[k] {
					t.Fatalf("%s %v %v (axis %d keep %v last %v): [%d] = %g, want %g", g.Name, c, shape, a.Axis, a.KeepDims, a.SelectLastIndex, k, got[0].Data[k], want[0].Data[k])
				}
			}
		}
	}
}

// TestArgMaxReference checks the reference executor itself on a hand
// example: ties, NaN and both tie rules.
func TestArgMaxReference(t *testing.T) {
	nan := float32(math.NaN())
	x := ir.FromData([]float32{1, 3, 3, 0, nan, 2, 5, 5, 1, 2, nan, nan}, 3, 4)
	for _, c := range []struct {
		last bool
		want []float32
	}{{false, []float32{1, 0, 2}}, {true, []float32{2, 0, 3}}} {
		g := ir.New("argmax")
		v := g.AddInput("x", 3, 4)
		g.SetOutputs(g.AddNode(ir.OpArgMax, "am", ir.Attrs{Axis: 1, SelectLastIndex: c.last}, v))
		if err := g.InferShapes(); err != nil {
			t.Fatal(err)
		}
		out, err := reference.Run(g, map[string]*ir.Tensor{"x": x}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := out["am"]; !got.Shape.Equal(ir.Shape{3}) || fmt.Sprint(got.Data) != fmt.Sprint(c.want) {
			t.Errorf("last=%v: %v %v, want [3] %v", c.last, got.Shape, got.Data, c.want)
		}
	}
}
