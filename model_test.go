package mnc

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/mnc-go/mnc/frontend/onnx"
	pb "github.com/mnc-go/mnc/frontend/onnx/onnxpb"
	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/passes"
	"github.com/mnc-go/mnc/plan"
	"github.com/mnc-go/mnc/reference"
	"google.golang.org/protobuf/proto"
)

// symbolicONNX writes a small V3-Small as ONNX whose input is [N, 3, H, W]
// with paddle2onnx's dim_param names, and loads it (an unbound graph).
func symbolicONNX(t *testing.T) *ir.Graph {
	t.Helper()
	g, err := Load("mobilenet_v3_small:res=64,classes=10,alpha=0.5")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := onnx.Write(&buf, g); err != nil {
		t.Fatal(err)
	}
	m := &pb.ModelProto{}
	if err := proto.Unmarshal(buf.Bytes(), m); err != nil {
		t.Fatal(err)
	}
	d := m.Graph.Input[0].Type.GetTensorType().Shape.Dim
	for k, i := range []int{0, 2, 3} {
		d[i].Value = &pb.TensorShapeProto_Dimension_DimParam{DimParam: fmt.Sprintf("p2o.DynamicDimension.%d", k)}
	}
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "sym.onnx")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	h, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if h.Unbound == nil || !h.Inputs[0].Shape.Equal(ir.Shape{-1, 3, -1, -1}) {
		t.Fatalf("loaded input %v, unbound %v: want [-1 3 -1 -1], unbound", h.Inputs[0].Shape, h.Unbound)
	}
	return h
}

// want runs g at the given input shape on the reference executor.
func want(t *testing.T, g *ir.Graph, x *ir.Tensor) *ir.Tensor {
	t.Helper()
	h, err := Specialize(g, map[string][]int{"input": x.Shape})
	if err != nil {
		t.Fatal(err)
	}
	out, err := reference.Run(h, map[string]*ir.Tensor{"input": x}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return out["logits"]
}

// TestModelThreeSizes: one Model serves three H×W (and a second batch),
// each equal to the reference executor at that shape, compiling once per
// shape.
func TestModelThreeSizes(t *testing.T) {
	g := symbolicONNX(t)
	m, err := NewModel(g, ModelOptions{Threads: 1, Compile: Options{Level: 2}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	shapes := [][]int{{1, 3, 32, 32}, {1, 3, 48, 80}, {2, 3, 37, 29}}
	for round := 0; round < 2; round++ {
		for _, s := range shapes {
			x := reference.FixedInput(s...)
			out, err := m.Run(map[string]*ir.Tensor{"input": x})
			if err != nil {
				t.Fatalf("Run %v: %v", s, err)
			}
			w := want(t, g, x)
			if ok, msg := reference.Close(out["logits"], w, 1e-4); !ok {
				t.Errorf("shape %v: %s", s, msg)
			}
		}
	}
	st := m.Stats()
	if st.Misses != 3 || st.Hits != 3 || st.Evictions != 0 || st.Plans != 3 || st.CompileTime <= 0 {
		t.Errorf("stats %+v: want 3 misses, 3 hits, no evictions, 3 plans", st)
	}
}

// TestModelCacheEviction: the least recently used plan goes first.
func TestModelCacheEviction(t *testing.T) {
	g := symbolicONNX(t)
	m, err := NewModel(g, ModelOptions{Threads: 1, MaxPlans: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	run := func(h int) {
		t.Helper()
		if _, err := m.Run(map[string]*ir.Tensor{"input": reference.FixedInput(1, 3, h, h)}); err != nil {
			t.Fatalf("Run at %d: %v", h, err)
		}
	}
	run(32)
	run(40)
	run(32) // hit; 40 is now the least recently used
	run(48) // evicts 40
	run(32) // hit
	run(40) // miss again; evicts 48
	st := m.Stats()
	if st.Hits != 2 || st.Misses != 4 || st.Evictions != 2 || st.Plans != 2 {
		t.Errorf("stats %+v: want 2 hits, 4 misses, 2 evictions, 2 plans", st)
	}
}

// TestModelConcurrent: many goroutines running three shapes through a
// cache of two plans (so plans are evicted while others run them) all get
// the reference's outputs; goroutines wanting the same new shape wait for
// one compilation. Run it with -race.
func TestModelConcurrent(t *testing.T) {
	g := symbolicONNX(t)
	m, err := NewModel(g, ModelOptions{Threads: 1, MaxPlans: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	var compiles atomic.Int32
	inner := m.compile
	m.compile = func(s map[string][]int) (*plan.Plan, error) {
		compiles.Add(1)
		return inner(s)
	}
	sizes := []int{32, 40, 24}
	wants := map[int]*ir.Tensor{}
	for _, h := range sizes {
		wants[h] = want(t, g, reference.FixedInput(1, 3, h, h))
	}
	// First, 8 goroutines ask for the same new shape at once: one compile.
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := m.Run(map[string]*ir.Tensor{"input": reference.FixedInput(1, 3, 32, 32)}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := compiles.Load(); n != 1 {
		t.Errorf("8 concurrent first runs of one shape compiled %d times, want 1", n)
	}
	runs := 6
	if testing.Short() {
		runs = 3
	}
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for r := 0; r < runs; r++ {
				h := sizes[(i+r)%len(sizes)]
				out, err := m.Run(map[string]*ir.Tensor{"input": reference.FixedInput(1, 3, h, h)})
				if err != nil {
					t.Error(err)
					return
				}
				if ok, msg := reference.Close(out["logits"], wants[h], 1e-4); !ok {
					t.Errorf("goroutine %d, size %d: %s", i, h, msg)
				}
			}
		}(i)
	}
	wg.Wait()
	if st := m.Stats(); st.Plans > 2 || st.Hits+st.Misses != 8+6*runs || st.Evictions == 0 {
		t.Errorf("stats %+v: want at most 2 plans, %d lookups, some evictions", st, 8+6*runs)
	}
}

// TestModelErrors: each misuse is one error naming what is wrong.
func TestModelErrors(t *testing.T) {
	g := symbolicONNX(t)
	m, err := NewModel(g, ModelOptions{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	x := reference.FixedInput(1, 3, 32, 32)
	for _, c := range []struct {
		in   map[string]*ir.Tensor
		want string
	}{
		{map[string]*ir.Tensor{}, `input "input" is missing`},
		{map[string]*ir.Tensor{"input": x, "extra": x}, `no input "extra"`},
		{map[string]*ir.Tensor{"input": reference.FixedInput(1, 3, 32)}, "has 4 dimensions"},
		{map[string]*ir.Tensor{"input": reference.FixedInput(1, 4, 32, 32)}, "Conv"},
		{map[string]*ir.Tensor{"input": {Shape: ir.Shape{1, 3, 32, 32}, Data: make([]float32, 5)}}, "holds 3072 values"},
	} {
		_, err := m.Run(c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Run: error %v, want one with %q", err, c.want)
		}
	}
	if st := m.Stats(); st.Plans != 0 {
		t.Errorf("failed compiles were cached: %+v", st)
	}
	m.Close()
	if _, err := m.Run(map[string]*ir.Tensor{"input": x}); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("Run after Close: %v", err)
	}
	// The unbound graph itself, compiled without shapes, names the input
	// and the flag.
	if _, _, err := Compile(g, Options{}); err == nil || !strings.Contains(err.Error(), "p2o.DynamicDimension.1") || !strings.Contains(err.Error(), "-shape input=") {
		t.Errorf("Compile of the unbound graph: %v", err)
	}
	if _, _, err := Compile(g, Options{Shapes: map[string][]int{"input": {2, 3, 32, 32}}, Batch: 3}); err == nil || !strings.Contains(err.Error(), "batch 3") {
		t.Errorf("Compile with a contradicting Batch: %v", err)
	}
}

// TestModelExportedFiles: the Go API returns every output by name (a
// two-output detector head), and a paddle2onnx classifier with symbolic
// N, H and W serves three shapes, each equal to the reference executor.
func TestModelExportedFiles(t *testing.T) {
	const dir = "frontend/onnx/testdata/exporters/"
	m, err := Open(dir+"det_two_heads.onnx", ModelOptions{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	out, err := m.Run(map[string]*ir.Tensor{"image": reference.FixedInput(2, 3, 16, 16)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 || !out["scores:0"].Shape.Equal(ir.Shape{2, 48, 3}) || !out["boxes/reg:0"].Shape.Equal(ir.Shape{2, 48, 4}) {
		t.Errorf("outputs %v, want scores:0 [2 48 3] and boxes/reg:0 [2 48 4]", out)
	}

	p, err := Open(dir+"paddle_cls_dyn.onnx", ModelOptions{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	g, err := Load(dir + "paddle_cls_dyn.onnx")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range [][]int{{1, 3, 48, 192}, {2, 3, 32, 100}, {3, 3, 24, 40}} {
		x := reference.FixedInput(s...)
		got, err := p.Run(map[string]*ir.Tensor{"x": x})
		if err != nil {
			t.Fatalf("%v: %v", s, err)
		}
		h, err := Specialize(g, map[string][]int{"x": s})
		if err != nil {
			t.Fatal(err)
		}
		w, err := reference.Run(h, map[string]*ir.Tensor{"x": x}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if ok, msg := reference.Close(got["softmax_0.tmp_0"], w["softmax_0.tmp_0"], 1e-4); !ok {
			t.Errorf("%v: %s", s, msg)
		}
	}
	if st := p.Stats(); st.Misses != 3 || st.Plans != 3 {
		t.Errorf("stats %+v, want 3 plans", st)
	}

	// A graph computing with its batch loads unbound and runs at each.
	a, err := Open(dir+"torch_batch_arith.onnx", ModelOptions{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	for _, n := range []int{1, 5} {
		out, err := a.Run(map[string]*ir.Tensor{"input": reference.FixedInput(n, 3, 8, 8)})
		if err != nil {
			t.Fatal(err)
		}
		if !out["output"].Shape.Equal(ir.Shape{n, 40}) {
			t.Errorf("batch %d: output %v", n, out["output"].Shape)
		}
	}
	if _, _, err := Compile(a.g, Options{}); err == nil || !strings.Contains(err.Error(), "which the graph computes with") {
		t.Errorf("Compile of the unbound batch-arithmetic graph: %v", err)
	}
}

// TestWeightCache: compiles of one graph at other shapes that share a
// passes.WeightCache reuse its folded and packed weights, and the plans
// are the same as compiled without it.
func TestWeightCache(t *testing.T) {
	g := symbolicONNX(t)
	wc := passes.NewWeightCache()
	for k, s := range [][]int{{1, 3, 32, 32}, {2, 3, 48, 40}} {
		with, _, err := Compile(g, Options{Shapes: map[string][]int{"input": s}, Weights: wc})
		if err != nil {
			t.Fatal(err)
		}
		without, _, err := Compile(g, Options{Shapes: map[string][]int{"input": s}})
		if err != nil {
			t.Fatal(err)
		}
		if len(with.Blobs) != len(without.Blobs) {
			t.Fatalf("%v: %d blobs with the cache, %d without", s, len(with.Blobs), len(without.Blobs))
		}
		for i := range with.Blobs {
			if !slices.Equal(with.Blobs[i], without.Blobs[i]) {
				t.Fatalf("%v: blob %d differs with the cache", s, i)
			}
		}
		if k == 1 && wc.Hits() < 20 {
			t.Errorf("second shape: %d cache hits, want every folded and packed weight (≥ 20)", wc.Hits())
		}
	}
}
