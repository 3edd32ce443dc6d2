package passes

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/models"
)

func TestOptionsErrors(t *testing.T) {
	b, x := newBuilder(1, 3, 4, 4)
	g := b.finish(b.conv(x, 4, 3, 1, 1, true))
	set, _ := kernels.ForISA(kernels.Generic)
	cases := []struct {
		opts Options
		want string
	}{
		{Options{Level: 1}, "level 1 is not supported"},
		{Options{Level: 2, Disable: []string{"plan-memory"}}, "cannot disable required pass plan-memory"},
		{Options{Level: 2, Disable: []string{"fuse-everything"}}, `unknown pass "fuse-everything" (valid: canonicalize, canon-activations, sink-transposes, merge-reshapes, fuse-qdq, lower-qlinear, fold-constants, global-pool`},
		{Options{Level: 2, DumpAfter: "nope", Dump: &bytes.Buffer{}}, `-dump-after: unknown pass "nope"`},
		{Options{Level: 2, DumpAfter: "fold-bn"}, "needs a Dump writer"},
	}
	for _, c := range cases {
		_, _, err := Compile(g, c.opts, set)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: got %v, want an error containing %q", c.opts, err, c.want)
		}
	}
}

func TestPipelineLevelsAndTimings(t *testing.T) {
	g, err := models.Build("mobilenet_v2:res=64,classes=10")
	if err != nil {
		t.Fatal(err)
	}
	set, _ := kernels.ForISA(kernels.Generic)
	for _, level := range []int{0, 2} {
		_, rep, err := Compile(g, Options{Level: level}, set)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Passes) != len(pipeline) {
			t.Fatalf("report has %d passes, pipeline %d", len(rep.Passes), len(pipeline))
		}
		for i, pt := range rep.Passes {
			want := level == 2 || pipeline[i].Required
			if pt.Ran != want {
				t.Errorf("-O%d: pass %s ran=%v, want %v", level, pt.Name, pt.Ran, want)
			}
		}
	}
	// Disabling fold-bn keeps every BatchNorm as its own step.
	p, _, err := Compile(g, Options{Level: 2, Disable: []string{"fold-bn"}}, set)
	if err != nil {
		t.Fatal(err)
	}
	bn := 0
	for _, s := range p.Steps {
		if s.Op == ir.OpBatchNorm {
			bn++
		}
	}
	if bn != countOps(g, ir.OpBatchNorm) {
		t.Errorf("with fold-bn disabled the plan has %d BatchNorm steps, the graph %d", bn, countOps(g, ir.OpBatchNorm))
	}
	// The graph the caller passed is untouched.
	if countOps(g, ir.OpBatchNorm) == 0 {
		t.Error("Compile modified its input graph")
	}
}

func TestDumpAfter(t *testing.T) {
	b, x := newBuilder(1, 3, 6, 6)
	y := b.add(ir.OpClip, ir.Relu6Attrs(), b.bn(b.conv(x, 4, 3, 1, 1, false), 1e-5))
	g := b.finish(y)
	set, _ := kernels.ForISA(kernels.Generic)
	var buf bytes.Buffer
	if _, _, err := Compile(g, Options{Level: 2, DumpAfter: "fold-bn", Dump: &buf}, set); err != nil {
		t.Fatal(err)
	}
	s := buf.String()
	if !strings.Contains(s, "// after fold-bn") || strings.Contains(s, "BatchNormalization") || !strings.Contains(s, "Clip") {
		t.Errorf("dump after fold-bn:\n%s", s)
	}
	buf.Reset()
	if _, _, err := Compile(g, Options{Level: 2, DumpAfter: "all", Dump: &buf}, set); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(buf.String(), "// after "); n != len(pipeline) {
		t.Errorf("dump-after all wrote %d dumps, want %d", n, len(pipeline))
	}
	if !strings.Contains(buf.String(), "algo=conv fused=bn+relu6") {
		t.Errorf("the plan summary after plan-memory is missing the fused stem:\n%s", buf.String())
	}
	// An Identity makes the canonicalisation group run a second round;
	// the passes after it are still dumped.
	b, x = newBuilder(1, 3, 6, 6)
	g = b.finish(b.add(ir.OpClip, ir.Relu6Attrs(), b.bn(b.conv(b.add(ir.OpIdentity, ir.Attrs{}, x), 4, 3, 1, 1, false), 1e-5)))
	buf.Reset()
	if _, _, err := Compile(g, Options{Level: 2, DumpAfter: "fold-bn", Dump: &buf}, set); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "// after fold-bn") {
		t.Errorf("after a second canonicalisation round, -dump-after fold-bn wrote:\n%s", buf.String())
	}
}

func TestOddGraphs(t *testing.T) {
	set, _ := kernels.ForISA(kernels.Generic)
	// The input returned as is: a plan with no steps, input and output sharing storage.
	g := ir.New("passthrough")
	x := g.AddInput("x", 1, 2, 3, 3)
	g.SetOutputs(x)
	p, _, err := Compile(g, Options{Level: 2, Verify: true}, set)
	if err != nil || len(p.Steps) != 0 || p.Outputs[0].Buf.Off != p.Inputs[0].Buf.Off {
		t.Errorf("passthrough: %v, %+v", err, p)
	}
	// A constant output is refused with a message naming it.
	b, y := newBuilder(1, 2)
	k := b.rand(0, 1, 2)
	g = b.finish(b.add(ir.OpRelu, ir.Attrs{}, y), k)
	if _, _, err := Compile(g, Options{Level: 2}, set); err == nil || !strings.Contains(err.Error(), "is a constant") {
		t.Errorf("constant output: %v", err)
	}
	// No inputs at all.
	g = ir.New("empty")
	if _, _, err := Compile(g, Options{}, set); err == nil || !strings.Contains(err.Error(), "no inputs") {
		t.Errorf("empty graph: %v", err)
	}
	// A scalar input (an ONNX input of shape []) panicked in emit-steps,
	// which reads the batch from dimension 0.
	g = ir.New("scalar")
	s := g.AddInput("s")
	g.SetOutputs(g.AddNode(ir.OpRelu, "r", ir.Attrs{}, s))
	if _, _, err := Compile(g, Options{Level: 2}, set); err == nil || !strings.Contains(err.Error(), `graph input "s" has shape []: mnc compiles inputs of rank 1 to 8`) {
		t.Errorf("scalar input: %v", err)
	}
	// An empty tensor (a Pad or Slice to nothing; an ONNX Conv of 0 output
	// channels) was refused by the runtime after compiling, naming no node.
	b, y = newBuilder(1, 2, 4, 4)
	g = b.finish(b.add(ir.OpPad, ir.Attrs{PadAmounts: []int{0, 0, -2, 0, 0, 0, -2, 0}}, y))
	if _, _, err := Compile(g, Options{Level: 2}, set); err == nil || !strings.Contains(err.Error(), "(Pad): output") || !strings.Contains(err.Error(), "has shape [1×2×0×4]: mnc does not compile empty tensors") {
		t.Errorf("empty output: %v", err)
	}
}

// TestTooManyLive: a graph keeping more than MaxLive tensors live at once
// (here MaxLive+1 outputs of one input) is refused before placing them: a
// graph of 10^4 Relu outputs took 7 s of CPU in placeBuffers, 10^5 hours.
func TestTooManyLive(t *testing.T) {
	set, _ := kernels.ForISA(kernels.Generic)
	g := ir.New("wide")
	x := g.AddInput("x", 1, 2, 2, 2)
	var outs []*ir.Value
	for i := 0; i <= MaxLive; i++ {
		outs = append(outs, g.AddNode(ir.OpRelu, fmt.Sprint("r", i), ir.Attrs{}, x))
	}
	g.SetOutputs(outs...)
	t0 := time.Now()
	_, _, err := Compile(g, Options{Level: 0}, set)
	if err == nil || !strings.Contains(err.Error(), `graph "wide" has 4097 outputs; mnc plans at most 4096 tensors live at once`) || !errors.Is(err, ErrTooManyLive) {
		t.Errorf("%d outputs: %v", len(outs), err)
	}
	t.Logf("refused in %v", time.Since(t0))
	// MaxLive branches meeting in one Concat: refused by plan-memory.
	g = ir.New("branches")
	x = g.AddInput("x", 1, 1, 2, 2)
	outs = outs[:0]
	for i := 0; i <= MaxLive; i++ {
		outs = append(outs, g.AddNode(ir.OpRelu, fmt.Sprint("r", i), ir.Attrs{}, x))
	}
	g.SetOutputs(g.AddNode(ir.OpConcat, "cat", ir.Attrs{Axis: 1}, outs...))
	if _, _, err := Compile(g, Options{Level: 0}, set); err == nil || !strings.Contains(err.Error(), "tensors are live at once (at step") || !strings.Contains(err.Error(), "mnc plans at most 4096") || !errors.Is(err, ErrTooManyLive) {
		t.Errorf("%d branches: %v", len(outs), err)
	}
}
