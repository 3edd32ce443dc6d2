package onnx

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	pb "github.com/mnc-go/mnc/frontend/onnx/onnxpb"
	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/passes"
	"github.com/mnc-go/mnc/runtime"
)

// TestArgMaxImport: a segmenter with ArgMax appended imports; Cast of its
// indices to an integer type that holds them (or to float) is the
// identity, one that cannot hold them is refused, a float op reading them
// is refused naming the input; export writes int64 outputs and Casts
// before float ops, and the round trip computes the same.
func TestArgMaxImport(t *testing.T) {
	x := seq(1, 5, 3, 4)
	// scores → ArgMax(axis 1, keepdims 0) → Cast(int32) → Unsqueeze → graph output.
	b := newModel(13).input("x", 1, 5, 3, 4).ints("ax", 1).
		node("ArgMax", []string{"x"}, "am", attrInt("axis", 1), attrInt("keepdims", 0)).
		node("Cast", []string{"am"}, "c", attrInt("to", int(pb.TensorProto_INT32))).
		node("Unsqueeze", []string{"c", "ax"}, "u").output("u")
	g := b.load(t)
	if got := countOps(g); got[ir.OpArgMax] != 1 {
		t.Fatalf("ops %v, want one ArgMax", got)
	}
	y := run(t, g, x)
	if !y.Shape.Equal(ir.Shape{1, 1, 3, 4}) {
		t.Fatalf("shape %v", y.Shape)
	}
	for p := 0; p < 12; p++ { // the class with the largest score, first on ties
		best, at := x.Data[p], 0
		for k := 1; k < 5; k++ {
			if v := x.Data[k*12+p]; v > best {
				best, at = v, k
			}
		}
		if y.Data[p] != float32(at) {
			t.Fatalf("pixel %d: %g, want %d", p, y.Data[p], at)
		}
	}
	var buf bytes.Buffer
	if err := Write(&buf, g); err != nil {
		t.Fatal(err)
	}
	m, err := toModel(g)
	if err != nil {
		t.Fatal(err)
	}
	if et := pb.TensorProto_DataType(m.GetGraph().GetOutput()[0].GetType().GetTensorType().GetElemType()); et != pb.TensorProto_INT64 {
		t.Errorf("exported output type %v, want INT64", et)
	}
	expectIdentical(t, g, roundTrip(t, g))

	// A float op after the indices (built in the IR, as from Cast to float):
	// the export casts them first.
	h := ir.New("f")
	v := h.AddInput("x", 1, 5, 3, 4)
	am := h.AddNode(ir.OpArgMax, "am", ir.Attrs{Axis: 1, KeepDims: true}, v)
	h.SetOutputs(h.AddNode(ir.OpAdd, "plus", ir.Attrs{}, am, h.AddConst("half", ir.FromData([]float32{0.5}, 1))))
	if err := h.InferShapes(); err != nil {
		t.Fatal(err)
	}
	m, err = toModel(h)
	if err != nil {
		t.Fatal(err)
	}
	var ops []string
	for _, n := range m.GetGraph().GetNode() {
		ops = append(ops, n.GetOpType())
	}
	if strings.Join(ops, ",") != "ArgMax,Cast,Add" {
		t.Errorf("exported nodes %v, want ArgMax, Cast, Add", ops)
	}
	expectIdentical(t, h, roundTrip(t, h))

	for _, c := range []struct {
		name string
		b    *modelBuilder
		want string
	}{
		{"cast to int8 of 200 classes", newModel(13).input("x", 1, 200, 2, 2).
			node("ArgMax", []string{"x"}, "am", attrInt("axis", 1)).
			node("Cast", []string{"am"}, "c", attrInt("to", int(pb.TensorProto_INT8))).output("c"), "would not keep them"},
		{"add of indices", newModel(13).input("x", 1, 5, 2, 2).ints("one", 1).
			node("ArgMax", []string{"x"}, "am", attrInt("axis", 1)).
			node("Add", []string{"am", "one"}, "s").output("s"), `input 0 ("am") holds ArgMax's int64 indices`},
		{"select_last_index before opset 12", newModel(11).input("x", 1, 5).
			node("ArgMax", []string{"x"}, "am", attrInt("axis", 1), attrInt("select_last_index", 1)).output("am"), "needs opset 12"},
		{"axis out of range", newModel(13).input("x", 1, 5).
			node("ArgMax", []string{"x"}, "am", attrInt("axis", 2)).output("am"), "axis 2 out of range"},
	} {
		_, err := Read("test.onnx", c.b.bytes(t), "")
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "ArgMax") && !strings.Contains(err.Error(), "am") {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
}

// TestArgMaxSplit: an interpreted node reading ArgMax's indices takes the
// ArgMax with it to the tail (the interpreter needs int64, the prefix's
// outputs are float32); an ArgMax read only by index-keeping nodes stays
// compiled.
func TestArgMaxSplit(t *testing.T) {
	b := newModel(13).input("x", 1, 5, 2, 2).
		node("Relu", []string{"x"}, "r").
		node("ArgMax", []string{"r"}, "am", attrInt("axis", 1), attrInt("keepdims", 0)).
		node("Flatten", []string{"am"}, "f").
		node("NonZero", []string{"f"}, "nz").output("nz")
	m, err := Parse("t.onnx", b.bytes(t), "")
	if err != nil {
		t.Fatal(err)
	}
	pre, tail, err := m.SplitImport(func(op string) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	var tops []string
	for _, n := range tail.Nodes {
		tops = append(tops, n.Op)
	}
	if strings.Join(tops, ",") != "ArgMax,Flatten,NonZero" || countOps(pre)[ir.OpArgMax] != 0 {
		t.Errorf("tail %v (prefix ops %v), want ArgMax, Flatten, NonZero interpreted", tops, countOps(pre))
	}
	if len(tail.Feeds) != 1 || tail.Feeds[0] != "r" {
		t.Errorf("feeds %v, want [r]", tail.Feeds)
	}
}

// TestArgMaxFusedResizeExport: an ArgMax with a fused Resize
// (fuse-resize-argmax) is written as Resize then ArgMax and reads back
// computing the same classes.
func TestArgMaxFusedResizeExport(t *testing.T) {
	g := ir.New("seg")
	x := g.AddInput("x", 1, 6, 3, 4)
	a := ir.Attrs{Axis: 1, ResizeMode: "linear", CoordMode: "half_pixel", ResizeScales: [2]float32{2, 2}}
	g.SetOutputs(g.AddNode(ir.OpArgMax, "classes", a, x))
	if err := g.InferShapes(); err != nil {
		t.Fatal(err)
	}
	if s := g.Outputs[0].Shape; !s.Equal(ir.Shape{1, 6, 8}) {
		t.Fatalf("shape %v, want [1 6 8]", s)
	}
	m, err := toModel(g)
	if err != nil {
		t.Fatal(err)
	}
	var ops []string
	for _, n := range m.GetGraph().GetNode() {
		ops = append(ops, n.GetOpType())
	}
	if strings.Join(ops, ",") != "Resize,ArgMax" {
		t.Errorf("exported nodes %v, want Resize, ArgMax", ops)
	}
	expectIdentical(t, g, roundTrip(t, g))
}

// TestArgMaxConformancePlans: the libonnx-testdata ArgMax cases, compiled
// (-O0 and -O2, every ISA, 1 and 2 threads) rather than run on the
// reference executor, give exactly the expected indices.
func TestArgMaxConformancePlans(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join(onnxNodeTests, "test_argmax_*"))
	if len(dirs) == 0 {
		t.Skipf("%s is absent (install Debian's libonnx-testdata)", onnxNodeTests)
	}
	for _, dir := range dirs {
		data, err := os.ReadFile(filepath.Join(dir, "model.onnx"))
		if err != nil {
			t.Fatal(err)
		}
		g, err := Read(dir, data, "")
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		x, err := decodeTensor(readTensorPB(t, filepath.Join(dir, "test_data_set_0", "input_0.pb")), "")
		if err != nil {
			t.Fatal(err)
		}
		want, err := decodeTensor(readTensorPB(t, filepath.Join(dir, "test_data_set_0", "output_0.pb")), "")
		if err != nil {
			t.Fatal(err)
		}
		for _, isa := range kernels.Available() {
			set, err := kernels.ForISA(isa)
			if err != nil {
				t.Fatal(err)
			}
			for _, level := range []int{0, 2} {
				p, _, err := passes.Compile(g, passes.Options{Level: level, Batch: g.Inputs[0].Shape[0], Verify: true}, set)
				if err != nil {
					t.Fatalf("%s: %v", filepath.Base(dir), err)
				}
				for _, threads := range []int{1, 2} {
					e, err := runtime.New(p, runtime.Options{Threads: threads})
					if err != nil {
						t.Fatal(err)
					}
					outs := e.NewOutputs()
					if err := e.Run([]*ir.Tensor{x.tensor()}, outs); err != nil {
						t.Fatal(err)
					}
					e.Close()
					if !outs[0].Shape.Equal(want.shape) || fmt.Sprint(outs[0].Data) != fmt.Sprint(want.floats()) {
						t.Fatalf("%s %s -O%d t%d: %v %v, want %v %v", filepath.Base(dir), isa, level, threads, outs[0].Shape, outs[0].Data, want.shape, want.floats())
					}
				}
			}
		}
	}
}
