package runtime_test

import (
	"bytes"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/passes"
	"github.com/mnc-go/mnc/plan"
	"github.com/mnc-go/mnc/reference"
	"github.com/mnc-go/mnc/runtime"
)

// randConcatGraph is a channel Concat of 2–4 NHWC maps, each made by a
// 1×1 conv (random channel counts, sometimes with a residual or an
// activation), a Resize (nearest or linear, sometimes with a fused
// residual Add), or (not sliceable) an Add or activation step or a
// depthwise conv; some
// inputs are read by another node too or are graph outputs (not
// sliceable), one may be concatenated twice; a conv reads the Concat.
func randConcatGraph(r *rand.Rand, i int) *ir.Graph {
	g := ir.New(fmt.Sprintf("concat%d", i))
	h, w := 1+r.Intn(9), 1+r.Intn(9)
	cin := 1 + r.Intn(12)
	x := g.AddInput("x", 1, cin, h, w)
	x = g.AddNode(ir.OpRelu, "stem", ir.Attrs{}, x)
	var parts, outs []*ir.Value
	total := 0
	for k := 0; k < 2+r.Intn(3); k++ {
		c := 1 + r.Intn(40)
		var v *ir.Value
		switch r.Intn(7) {
		case 5: // an activation step (nothing to fuse into)
			c = cin
			v = g.AddNode(ir.OpHardSwish, "hs", ir.Attrs{}, x)
		case 6: // an Add step of two activations
			c = cin
			v = g.AddNode(ir.OpAdd, "add", ir.Attrs{}, g.AddNode(ir.OpSigmoid, "sg", ir.Attrs{}, x), g.AddNode(ir.OpHardSwish, "hs", ir.Attrs{}, x))
			if r.Intn(2) == 0 {
				v = g.AddNode(ir.OpRelu, "relu", ir.Attrs{}, v) // fused into the Add step
			}
		case 0, 1:
			in := []*ir.Value{x, g.AddConst("w", reference.FixedInput(c, cin, 1, 1)), g.AddConst("b", reference.FixedInput(c))}
			v = g.AddNode(ir.OpConv, "pw", ir.ConvAttrs(1, 0, 1), in...)
			if r.Intn(3) == 0 {
				v = g.AddNode(ir.OpHardSwish, "act", ir.Attrs{}, v)
			}
		case 2, 3:
			small := g.AddNode(ir.OpConv, "pre", ir.ConvAttrs(2, 0, 1), x, g.AddConst("w", reference.FixedInput(c, cin, 1, 1)))
			a := ir.Attrs{ResizeMode: ir.ResizeModes[r.Intn(2)], CoordMode: "asymmetric", ResizeSizes: [2]int{h, w}}
			if a.ResizeMode == "nearest" {
				a.NearestMode = "floor"
			} else {
				a.CoordMode = "half_pixel"
			}
			v = g.AddNode(ir.OpResize, "up", a, small)
			if r.Intn(3) == 0 { // fuse-upsample-add: a residual
				other := g.AddNode(ir.OpConv, "lat", ir.ConvAttrs(1, 0, 1), x, g.AddConst("w", reference.FixedInput(c, cin, 1, 1)))
				v = g.AddNode(ir.OpAdd, "sum", ir.Attrs{}, other, v)
			}
		default:
			c = cin
			v = g.AddNode(ir.OpConv, "dw", ir.ConvAttrs(1, 1, cin), x, g.AddConst("w", reference.FixedInput(cin, 1, 3, 3)))
		}
		switch r.Intn(6) {
		case 0: // read by another node too
			outs = append(outs, g.AddNode(ir.OpRelu, "other", ir.Attrs{}, v))
		case 1: // a graph output
			outs = append(outs, v)
		}
		parts = append(parts, v)
		total += c
		if r.Intn(8) == 0 { // concatenated twice
			parts = append(parts, v)
			total += c
		}
	}
	cat := g.AddNode(ir.OpConcat, "cat", ir.Attrs{Axis: 1}, parts...)
	y := g.AddNode(ir.OpConv, "head", ir.ConvAttrs(1, 0, 1), cat, g.AddConst("w", reference.FixedInput(5, total, 1, 1)))
	g.SetOutputs(append([]*ir.Value{y}, outs...)...)
	return g
}

// TestConcatInPlaceRandom: random channel Concats whose producers write
// into it (concat-in-place) match the reference at -O0/-O2, 1/2 threads,
// batch 1/3, generic and best ISA; the pass fires on most graphs, and
// plans with slices survive encoding.
func TestConcatInPlaceRandom(t *testing.T) {
	r := rand.New(rand.NewSource(96))
	isas := kernels.Available()
	cs := []config{{0, 1, 1, isas[0]}, {2, 2, 3, isas[len(isas)-1]}, {2, 1, 1, isas[len(isas)-1]}, {2, 2, 1, kernels.Generic}}
	n := 50
	if testing.Short() {
		n = 20
	}
	sliced := 0
	for i := 0; i < n; i++ {
		g := randConcatGraph(r, i)
		if err := g.InferShapes(); err != nil {
			t.Fatalf("%s: %v", g.Name, err)
		}
		checkGraph(t, g, cs)
		p := compile(t, g, cs[1])
		for _, s := range p.Steps {
			if s.Out.Sliced() {
				sliced++
			}
		}
		q := roundTripPlan(t, p)
		h, ins := batched(t, g, 3)
		checkClose(t, g.Name+" decoded", execute(t, q, 2, ins), referenceOutputs(t, h, ins))
	}
	t.Logf("%d steps wrote into a Concat over %d graphs", sliced, n)
	if sliced < n/2 {
		t.Errorf("only %d steps wrote into a Concat over %d graphs", sliced, n)
	}
}

func roundTripPlan(t *testing.T, p *plan.Plan) *plan.Plan {
	t.Helper()
	var b bytes.Buffer
	if err := plan.Encode(&b, p); err != nil {
		t.Fatal(err)
	}
	q, err := plan.DecodeBytes(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// TestConcatInPlaceDisable: without the pass the plan has no slices and
// the Concat copies every input; with it the producers carry "concat".
func TestConcatInPlaceDisable(t *testing.T) {
	g := ir.New("cat")
	x := g.AddInput("x", 1, 4, 6, 6)
	a := g.AddNode(ir.OpConv, "a", ir.ConvAttrs(1, 0, 1), x, g.AddConst("wa", reference.FixedInput(8, 4, 1, 1)))
	b := g.AddNode(ir.OpResize, "b", ir.Attrs{ResizeMode: "nearest", CoordMode: "asymmetric", NearestMode: "floor", ResizeScales: [2]float32{2, 2}},
		g.AddNode(ir.OpConv, "s", ir.ConvAttrs(2, 0, 1), x, g.AddConst("ws", reference.FixedInput(8, 4, 1, 1))))
	g.SetOutputs(g.AddNode(ir.OpConv, "y", ir.ConvAttrs(1, 0, 1), g.AddNode(ir.OpConcat, "cat", ir.Attrs{Axis: 1}, a, b), g.AddConst("wy", reference.FixedInput(3, 16, 1, 1))))
	if err := g.InferShapes(); err != nil {
		t.Fatal(err)
	}
	set, err := kernels.ForISA(kernels.Best())
	if err != nil {
		t.Fatal(err)
	}
	for _, off := range []bool{false, true} {
		var dump bytes.Buffer
		o := passes.Options{Level: 2, Batch: 1, Verify: true, DumpAfter: "concat-in-place", Dump: &dump}
		if off {
			o.Disable = []string{"concat-in-place"}
		}
		p, _, err := passes.Compile(g, o, set)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, s := range p.Steps {
			if s.Out.Sliced() {
				n++
			}
		}
		if off && n != 0 || !off && n != 2 {
			t.Errorf("disabled=%v: %d steps write slices", off, n)
		}
		if got := strings.Count(dump.String(), "written into channels"); off && got != 0 || !off && got != 2 {
			t.Errorf("disabled=%v: -dump-after concat-in-place lists %d slices:\n%s", off, got, dump.String())
		}
		if off {
			continue
		}
		// A forged plan: a slice where the Concat does not put it, or
		// read by a step that does not address slices, is refused.
		for _, mut := range []func(s *plan.Step) bool{
			func(s *plan.Step) bool {
				if s.Op == ir.OpConcat {
					s.In[1].ChanOff = 3
					return true
				}
				return false
			},
			func(s *plan.Step) bool {
				if s.Out.Sliced() && s.Op == ir.OpResize {
					s.Kind = plan.KindGlobalAvgPool
					return true
				}
				return false
			},
		} {
			q := *p
			q.Steps = append([]plan.Step(nil), p.Steps...)
			for i := range q.Steps {
				st := q.Steps[i]
				st.In = append([]plan.Operand(nil), st.In...)
				if mut(&st) {
					q.Steps[i] = st
				}
			}
			if _, err := runtime.New(&q, runtime.Options{Threads: 1}); err == nil || !strings.Contains(err.Error(), "channel") {
				t.Errorf("forged plan: %v, want an error about the slice", err)
			}
		}
	}
}
