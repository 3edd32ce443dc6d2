package runtime_test

import (
	"fmt"
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/passes"
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

// TestResizeArgMaxFused: a Resize (random mode, coordinate mode, scales or
// sizes) of class scores followed by an ArgMax over the channels, fused
// by fuse-resize-argmax (no Resize step left), gives exactly the classes
// of the unfused steps (the same float32 arithmetic; NaNs in the scores
// too), and classes whose reference score is the largest up to rounding
// (a NaN where there is one); -O2 with 1 and 2
// threads, batch 1 and 3, every ISA.
func TestResizeArgMaxFused(t *testing.T) {
	r := rand.New(rand.NewSource(520))
	n := 30
	if testing.Short() {
		n = 12
	}
	for i := 0; i < n; i++ {
		c, h, w := 2+r.Intn(22), 1+r.Intn(7), 1+r.Intn(7)
		a := ir.Attrs{ResizeMode: ir.ResizeModes[r.Intn(2)], CoordMode: ir.CoordModes[r.Intn(len(ir.CoordModes))]}
		if a.ResizeMode == "nearest" {
			a.NearestMode = ir.NearestModes[r.Intn(len(ir.NearestModes))]
		}
		for k := 0; k < 2; k++ {
			if r.Intn(2) == 0 {
				a.ResizeSizes[k] = 1 + r.Intn(17)
			} else {
				a.ResizeScales[k] = []float32{0.5, 1, 1.5, 2, 3, 4, 8}[r.Intn(7)]
				for ir.ResizeOutSize([]int{h, w}[k], a.ResizeScales[k], 0) == 0 {
					a.ResizeScales[k] *= 2
				}
			}
		}
		am := ir.Attrs{Axis: 1, KeepDims: r.Intn(2) == 0, SelectLastIndex: r.Intn(2) == 0}
		build := func(scoresOut bool) *ir.Graph {
			g := ir.New(fmt.Sprintf("resizeargmax%d", i))
			x := g.AddNode(ir.OpRelu, "relu", ir.Attrs{}, g.AddInput("x", 1, c, h, w))
			up := g.AddNode(ir.OpResize, "up", a, x)
			if scoresOut {
				g.SetOutputs(up)
			} else {
				g.SetOutputs(g.AddNode(ir.OpArgMax, "classes", am, up))
			}
			if err := g.InferShapes(); err != nil {
				t.Fatalf("%s: %v", g.Name, err)
			}
			return g
		}
		g, scores := build(false), build(true)
		for _, isa := range kernels.Available() {
			set, err := kernels.ForISA(isa)
			if err != nil {
				t.Fatal(err)
			}
			for _, cf := range []struct{ threads, batch int }{{1, 1}, {2, 3}} {
				h2, _ := batched(t, g, cf.batch)
				in := ir.NewTensor(h2.Inputs[0].Shape...)
				for k := range in.Data {
					in.Data[k] = float32(r.Intn(9)) - 2 + float32(r.Intn(3))*0.25
					if r.Intn(40) == 0 {
						in.Data[k] = float32(math.NaN())
					}
				}
				var outs [2]*ir.Tensor
				for k, disable := range [][]string{nil, {"fuse-resize-argmax"}} {
					p, _, err := passes.Compile(g, passes.Options{Level: 2, Batch: cf.batch, Verify: true, Disable: disable}, set)
					if err != nil {
						t.Fatal(err)
					}
					resizes := 0
					for _, s := range p.Steps {
						if s.Op == ir.OpResize {
							resizes++
						}
					}
					if (k == 0) != (resizes == 0) {
						t.Fatalf("%s disable=%v: %d Resize steps", g.Name, disable, resizes)
					}
					outs[k] = execute(t, p, cf.threads, []*ir.Tensor{in})[0]
				}
				for k := range outs[0].Data {
					if outs[0].Data[k] != outs[1].Data[k] {
						t.Fatalf("%s %s t%d b%d: fused [%d] = %g, unfused %g", g.Name, isa, cf.threads, cf.batch, k, outs[0].Data[k], outs[1].Data[k])
					}
				}
				// The reference's scores: the class taken is a largest one.
				hs, _ := batched(t, scores, cf.batch)
				sc := referenceOutputs(t, hs, []*ir.Tensor{in})[0]
				oh, ow := sc.Shape[2], sc.Shape[3]
				for px := range outs[0].Data {
					b, yx := px/(oh*ow), px%(oh*ow)
					best, nan := float32(math.Inf(-1)), false
					for ch := 0; ch < c; ch++ {
						v := sc.Data[(b*c+ch)*oh*ow+yx]
						best, nan = max(best, v), nan || v != v
					}
					got := sc.Data[(b*c+int(outs[0].Data[px]))*oh*ow+yx]
					if nan && got != got {
						continue // a NaN score wins (fused = unfused checked it exactly)
					}
					if !(got >= best-1e-5*(1+abs32(best))) {
						t.Fatalf("%s %s: pixel %d takes class %g (score %g), the largest is %g", g.Name, isa, px, outs[0].Data[px], got, best)
					}
				}
			}
		}
	}
}

func abs32(x float32) float32 { return float32(math.Abs(float64(x))) }

// TestArgMaxScalarRefused: ArgMax of a 1-D tensor without keepdims (a
// scalar) is refused at compile time by name, not by the runtime's plan
// check.
func TestArgMaxScalarRefused(t *testing.T) {
	g := ir.New("scalar")
	g.SetOutputs(g.AddNode(ir.OpArgMax, "am", ir.Attrs{}, g.AddInput("x", 5)))
	if err := g.InferShapes(); err != nil {
		t.Fatal(err)
	}
	set, err := kernels.ForISA(kernels.Generic)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := passes.Compile(g, passes.Options{Level: 2, Batch: 5}, set); err == nil || !strings.Contains(err.Error(), `"am"`) || !strings.Contains(err.Error(), "scalar") {
		t.Errorf("got %v, want an error naming the node and the scalar", err)
	}
}
