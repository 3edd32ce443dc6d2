package runtime_test

import (
	"bytes"
	"fmt"
	"math"
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

// addSlice adds a Slice node taking channels [c0, c1) of x (ONNX bounds:
// c1 may be past the end, spelled as a large or negative number).
func addSlice(t testing.TB, g *ir.Graph, name string, x *ir.Value, starts, ends, axes, steps []int) *ir.Value {
	t.Helper()
	a, err := ir.SliceAttrs(4, starts, ends, axes, steps)
	if err != nil {
		t.Fatal(err)
	}
	return g.AddNode(ir.OpSlice, name, a, x)
}

// randSliceGraph splits an NHWC map (a 1×1 conv's output, or a Concat of
// two) into 2–3 channel parts (Split) or takes one Slice of it (random
// starts/ends, sometimes negative or past the end; sometimes over H too or
// with step 2: not a channel range, a copy), and reads each part with a
// 1×1 conv (sometimes with an activation, or the part as its residual
// too), a Resize, a Softmax over channels, a depthwise conv, an activation,
// a GlobalAveragePool, an Add of two parts, or as a graph output. Work in
// between keeps the arena busy while the split tensor must stay live.
func randSliceGraph(t testing.TB, r *rand.Rand, i int) *ir.Graph {
	g := ir.New(fmt.Sprintf("slice%d", i))
	h, w := 1+r.Intn(8), 1+r.Intn(8)
	cin := 1 + r.Intn(10)
	x := g.AddInput("x", 1, cin, h, w)
	c := 2 + r.Intn(40)
	var src *ir.Value
	if r.Intn(4) == 0 {
		c1 := 1 + r.Intn(c-1)
		a := g.AddNode(ir.OpConv, "pa", ir.ConvAttrs(1, 0, 1), x, g.AddConst("wa", reference.FixedInput(c1, cin, 1, 1)))
		b := g.AddNode(ir.OpConv, "pb", ir.ConvAttrs(1, 0, 1), x, g.AddConst("wb", reference.FixedInput(c-c1, cin, 1, 1)))
		src = g.AddNode(ir.OpConcat, "cat", ir.Attrs{Axis: 1}, a, b)
	} else {
		src = g.AddNode(ir.OpConv, "src", ir.ConvAttrs(1, 0, 1), x, g.AddConst("ws", reference.FixedInput(c, cin, 1, 1)), g.AddConst("bs", reference.FixedInput(c)))
		if r.Intn(2) == 0 {
			src = g.AddNode(ir.OpHardSwish, "act", ir.Attrs{}, src)
		}
	}
	var parts []*ir.Value
	if r.Intn(3) > 0 { // Split into 2–3 parts
		k := 2 + r.Intn(2)
		if k > c {
			k = c
		}
		cuts := []int{0}
		for len(cuts) < k {
			cuts = append(cuts, cuts[len(cuts)-1]+1+r.Intn(c-cuts[len(cuts)-1]-(k-len(cuts))))
		}
		cuts = append(cuts, c)
		for j := 0; j < k; j++ {
			parts = append(parts, addSlice(t, g, fmt.Sprintf("split%d", j), src, []int{cuts[j]}, []int{cuts[j+1]}, []int{1}, nil))
		}
	} else {
		s0, e0 := r.Intn(c), c
		if r.Intn(2) == 0 {
			e0 = s0 + 1 + r.Intn(c-s0)
		}
		starts, ends, axes := []int{s0}, []int{e0}, []int{1}
		switch r.Intn(5) {
		case 0:
			starts[0] -= c // negative start
		case 1:
			ends[0] = math.MaxInt64 // past the end (INT64_MAX, as exporters write)
		case 2:
			axes[0] = -3
		}
		var steps []int
		switch r.Intn(6) {
		case 0: // over H too: not a channel range
			starts, ends, axes = append(starts, 0), append(ends, max(1, h-1)), append(axes, 2)
		case 1: // step 2
			steps = []int{2}
		}
		parts = append(parts, addSlice(t, g, "slice", src, starts, ends, axes, steps))
	}
	busy := g.AddNode(ir.OpConv, "busy", ir.ConvAttrs(1, 1, cin), x, g.AddConst("wd", reference.FixedInput(cin, 1, 3, 3)))
	outs := []*ir.Value{busy}
	for j, p := range parts {
		var v *ir.Value
		switch r.Intn(12) {
		case 0, 1, 2, 9, 10:
			v = g.AddNode(ir.OpConv, fmt.Sprintf("pw%d", j), ir.ConvAttrs(1, 0, 1), p, g.AddConst("w", reference.FixedInput(3+r.Intn(9), sliceChans(t, g, p), 1, 1)))
			if r.Intn(3) == 0 {
				v = g.AddNode(ir.OpRelu, fmt.Sprintf("relu%d", j), ir.Attrs{}, v)
			}
		case 3: // the part as the conv's residual too: a copy for the GEMM
			n := sliceChans(t, g, p)
			v = g.AddNode(ir.OpConv, fmt.Sprintf("res%d", j), ir.ConvAttrs(1, 0, 1), p, g.AddConst("w", reference.FixedInput(n, n, 1, 1)))
			v = g.AddNode(ir.OpAdd, fmt.Sprintf("sum%d", j), ir.Attrs{}, v, p)
		case 4:
			a := ir.Attrs{ResizeMode: "nearest", CoordMode: "asymmetric", NearestMode: "floor", ResizeScales: [2]float32{2, 2}}
			if r.Intn(2) == 0 {
				a = ir.Attrs{ResizeMode: "linear", CoordMode: "half_pixel", ResizeSizes: [2]int{h + 1 + r.Intn(5), w + r.Intn(5)}}
			}
			v = g.AddNode(ir.OpResize, fmt.Sprintf("up%d", j), a, p)
			// an NHWC output: a Resize that is a graph output writes NCHW
			v = g.AddNode(ir.OpConv, fmt.Sprintf("upc%d", j), ir.ConvAttrs(1, 0, 1), v, g.AddConst("w", reference.FixedInput(2, sliceChans(t, g, p), 1, 1)))
		case 5:
			v = g.AddNode(ir.OpSoftmax, fmt.Sprintf("sm%d", j), ir.Attrs{Axis: 1}, p)
		case 6:
			n := sliceChans(t, g, p)
			v = g.AddNode(ir.OpConv, fmt.Sprintf("dw%d", j), ir.ConvAttrs(1, 1, n), p, g.AddConst("w", reference.FixedInput(n, 1, 3, 3)))
		case 7:
			v = g.AddNode(ir.OpSigmoid, fmt.Sprintf("sg%d", j), ir.Attrs{}, p)
		case 8:
			v = g.AddNode(ir.OpGlobalAveragePool, fmt.Sprintf("gap%d", j), ir.Attrs{}, p)
		default:
			v = p // a graph output
		}
		outs = append(outs, v)
		if r.Intn(5) == 0 { // read twice: both readers must address it
			outs = append(outs, g.AddNode(ir.OpConv, fmt.Sprintf("again%d", j), ir.ConvAttrs(1, 0, 1), p, g.AddConst("w", reference.FixedInput(2, sliceChans(t, g, p), 1, 1))))
		}
	}
	if len(parts) >= 2 && sliceChans(t, g, parts[0]) == sliceChans(t, g, parts[1]) && r.Intn(2) == 0 {
		outs = append(outs, g.AddNode(ir.OpAdd, "pair", ir.Attrs{}, parts[0], parts[1]))
	}
	g.SetOutputs(outs...)
	return g
}

// sliceChans is a Slice output's channel count (shapes inferred so far).
func sliceChans(t testing.TB, g *ir.Graph, v *ir.Value) int {
	t.Helper()
	if err := g.InferShapes(); err != nil {
		t.Fatal(err)
	}
	return v.Shape[1]
}

// viewReads counts the steps reading a channel slice of a whole tensor
// (slice-in-place) and reports whether a Slice step is left.
func viewReads(p *plan.Plan) (n int, sliceSteps int) {
	for _, s := range p.Steps {
		if s.Op == ir.OpSlice && s.Kind == plan.KindGeneric {
			sliceSteps++
		}
		if s.Kind == plan.KindGeneric && s.Op == ir.OpConcat {
			continue
		}
		for _, o := range s.In {
			if o.Sliced() {
				n++
			}
		}
	}
	return n, sliceSteps
}

// TestSliceInPlaceRandom: random channel Splits and Slices whose readers
// read them where they lie (slice-in-place) match the reference at
// -O0/-O2, 1/2 threads, batch 1/3, every ISA; at -O2 they are bit for bit
// the plan without the pass (so a GEMM ignoring the row stride fails);
// the pass fires on most graphs; plans with views survive encoding.
func TestSliceInPlaceRandom(t *testing.T) {
	r := rand.New(rand.NewSource(43))
	isas := kernels.Available()
	cs := []config{{0, 1, 1, isas[0]}, {0, 2, 3, isas[len(isas)-1]}}
	for k, isa := range isas {
		cs = append(cs, config{2, 1 + k%2, 1 + 2*(k%2), isa}, config{2, 2 - k%2, 3 - 2*(k%2), isa})
	}
	n := 40
	if testing.Short() {
		n = 15
	}
	views, graphs := 0, 0
	for i := 0; i < n; i++ {
		g := randSliceGraph(t, r, i)
		if err := g.InferShapes(); err != nil {
			t.Fatalf("%s: %v", g.Name, err)
		}
		checkGraph(t, g, cs)
		c := config{2, 2, 3, isas[len(isas)-1]}
		p := compile(t, g, c)
		v, _ := viewReads(p)
		views += v
		if v > 0 {
			graphs++
		}
		h, ins := batched(t, g, 3)
		off := compileOpts(t, g, c, passes.Options{Disable: []string{"slice-in-place"}})
		if v, _ := viewReads(off); v != 0 {
			t.Errorf("%s: %d view reads with slice-in-place disabled", g.Name, v)
		}
		want := execute(t, off, 2, ins)
		for _, q := range []*plan.Plan{p, roundTripPlan(t, p)} {
			got := execute(t, q, 2, ins)
			for k := range want {
				for j := range want[k].Data {
					if a, b := got[k].Data[j], want[k].Data[j]; a != b && !(a != a && b != b) {
						t.Fatalf("%s output %d[%d]: %g with slice-in-place, %g without", g.Name, k, j, a, b)
					}
				}
			}
		}
		checkClose(t, g.Name+" decoded", execute(t, roundTripPlan(t, p), 1, ins), referenceOutputs(t, h, ins))
	}
	t.Logf("%d view reads in %d of %d graphs", views, graphs, n)
	if graphs < n/2 {
		t.Errorf("only %d of %d graphs read a slice in place", graphs, n)
	}
}

// compileOpts is compile with extra options (Disable).
func compileOpts(t testing.TB, g *ir.Graph, c config, o passes.Options) *plan.Plan {
	t.Helper()
	set, err := kernels.ForISA(c.isa)
	if err != nil {
		t.Fatal(err)
	}
	o.Level, o.Batch, o.Verify, o.BlockMinBytes = c.level, c.batch, true, -1
	p, _, err := passes.Compile(g, o, set)
	if err != nil {
		t.Fatalf("%v: compile: %v", c, err)
	}
	return p
}

// TestSliceInPlaceGemmStride: a Split read by two 1×1 convs becomes two
// GEMMs reading channels 0…5 and 6…15 of the 16-channel map (pitch 16):
// no Slice step is left, -dump-after lists both, the outputs match the
// reference (a GEMM reading its A with stride k instead of 16 would not),
// and a forged plan giving a depthwise step a slice is refused.
func TestSliceInPlaceGemmStride(t *testing.T) {
	g := ir.New("split")
	x := g.AddInput("x", 1, 4, 5, 7)
	y := g.AddNode(ir.OpConv, "y", ir.ConvAttrs(1, 0, 1), x, g.AddConst("wy", reference.FixedInput(16, 4, 1, 1)))
	a := addSlice(t, g, "a", y, []int{0}, []int{6}, []int{1}, nil)
	b := addSlice(t, g, "b", y, []int{6}, []int{math.MaxInt64}, []int{-3}, nil)
	oa := g.AddNode(ir.OpConv, "oa", ir.ConvAttrs(1, 0, 1), a, g.AddConst("wa", reference.FixedInput(9, 6, 1, 1)))
	ob := g.AddNode(ir.OpConv, "ob", ir.ConvAttrs(1, 0, 1), b, g.AddConst("wb", reference.FixedInput(5, 10, 1, 1)))
	g.SetOutputs(oa, ob)
	if err := g.InferShapes(); err != nil {
		t.Fatal(err)
	}
	for _, isa := range kernels.Available() {
		for _, off := range []bool{false, true} {
			var dump bytes.Buffer
			o := passes.Options{DumpAfter: "slice-in-place", Dump: &dump}
			if off {
				o.Disable = []string{"slice-in-place"}
			}
			p := compileOpts(t, g, config{2, 1, 1, isa}, o)
			v, steps := viewReads(p)
			if off && (v != 0 || steps != 2) || !off && (v != 2 || steps != 0) {
				t.Fatalf("%s disabled=%v: %d view reads, %d Slice steps", isa, off, v, steps)
			}
			if got := strings.Count(dump.String(), "read in place by 1 steps"); off && got != 0 || !off && got != 2 {
				t.Errorf("disabled=%v: -dump-after slice-in-place lists %d views:\n%s", off, got, dump.String())
			}
			for _, s := range p.Steps {
				if s.Kind == plan.KindGemm && s.In[0].Sliced() {
					if want := map[string]int{"oa": 0, "ob": 6}[s.Name]; s.In[0].Pitch != 16 || s.In[0].ChanOff != want {
						t.Errorf("%s reads channels %d… of %d, want %d… of 16", s.Name, s.In[0].ChanOff, s.In[0].Pitch, want)
					}
				}
			}
			for _, threads := range []int{1, 2} {
				h, ins := batched(t, g, 1)
				checkClose(t, fmt.Sprintf("%s t%d disabled=%v", isa, threads, off), execute(t, p, threads, ins), referenceOutputs(t, h, ins))
			}
			if off {
				continue
			}
			q := *p
			q.Steps = append([]plan.Step(nil), p.Steps...)
			for i := range q.Steps {
				if q.Steps[i].Name == "ob" {
					q.Steps[i].Kind = plan.KindDWConv
				}
			}
			if _, err := runtime.New(&q, runtime.Options{Threads: 1}); err == nil || !strings.Contains(err.Error(), "channel slice") {
				t.Errorf("forged plan: %v, want an error about the slice", err)
			}
		}
	}
}
