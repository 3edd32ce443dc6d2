package ir

import (
	"math"
	"strings"
	"testing"
)

func TestCloneIsDeep(t *testing.T) {
	g := tiny(t)
	h := g.Clone()
	hc := nodeNamed(h, "conv")
	hc.Attrs.Strides[0] = 2
	hc.Output().Shape[1] = 99
	hc.Name = "changed"
	h.Inputs[0].Shape[0] = 7
	if err := g.Verify(); err != nil {
		t.Fatalf("changing the clone broke the original: %v", err)
	}
	if nodeNamed(g, "conv") == nil || g.Inputs[0].Shape[0] != 1 {
		t.Fatal("the clone shares structure with the original")
	}
	// Constants are shared (never mutated in place) ...
	if hc.Input(1).Const != nodeNamed(g, "conv").Input(1).Const {
		t.Error("constant tensors are copied, not shared")
	}
	// ... and values are remapped consistently: the clone's nodes read the
	// clone's values, whose producers are the clone's nodes.
	hr := nodeNamed(h, "relu")
	if hr.Input(0) != hc.Output() || hc.Output().Producer != hc || h.Outputs[0] != nodeNamed(h, "fc").Output() {
		t.Error("the clone's edges do not connect the clone's nodes")
	}
	r := Attrs{Shape: []int{1, 2}}
	c := r.clone()
	c.Shape[0] = 5
	if r.Shape[0] != 1 {
		t.Error("Attrs.clone shares slices")
	}
}

func TestReplaceUsesAndRemoveDead(t *testing.T) {
	g := tiny(t)
	conv, relu, pool := nodeNamed(g, "conv"), nodeNamed(g, "relu"), nodeNamed(g, "pool")
	// Bypass the Relu: pool reads conv directly, and the Relu becomes dead.
	g.ReplaceUses(relu.Output(), conv.Output())
	if pool.Input(0) != conv.Output() {
		t.Fatal("ReplaceUses left the reader on the old value")
	}
	g.RemoveDead()
	if nodeNamed(g, "relu") != nil || len(g.Nodes) != 4 {
		t.Fatalf("RemoveDead kept %d nodes: %v", len(g.Nodes), g.Nodes)
	}
	if err := g.Verify(); err != nil {
		t.Fatal(err)
	}
	// Replacing a graph output keeps the output's name.
	fc := nodeNamed(g, "fc")
	id := &Node{Name: "id", Op: OpIdentity, Inputs: []*Value{fc.Output()}}
	idOut := &Value{Name: "id", Shape: fc.Output().Shape.Clone(), Producer: id}
	id.Outputs = []*Value{idOut}
	g.Nodes = append(g.Nodes, id)
	g.ReplaceUses(fc.Output(), idOut)
	if g.Outputs[0] != idOut || idOut.Name != "fc" {
		t.Errorf("output is %v named %q, want the identity's value named fc", g.Outputs[0], idOut.Name)
	}
	// A dead chain goes entirely, in one call.
	g = tiny(t)
	g.Outputs = []*Value{nodeNamed(g, "conv").Output()}
	g.RemoveDead()
	if len(g.Nodes) != 1 {
		t.Errorf("RemoveDead left %d nodes, want only conv", len(g.Nodes))
	}
}

func TestTopoSort(t *testing.T) {
	g := tiny(t)
	want := g.String()
	// Reverse the nodes; TopoSort restores a valid order.
	for i, j := 0, len(g.Nodes)-1; i < j; i, j = i+1, j-1 {
		g.Nodes[i], g.Nodes[j] = g.Nodes[j], g.Nodes[i]
	}
	if err := g.Verify(); err == nil {
		t.Fatal("reversed graph verifies")
	}
	if err := g.TopoSort(); err != nil {
		t.Fatal(err)
	}
	if got := g.String(); got != want {
		t.Errorf("after TopoSort:\n%s\nwant:\n%s", got, want)
	}
	// A cycle: conv reads relu's output.
	conv, relu := nodeNamed(g, "conv"), nodeNamed(g, "relu")
	conv.Inputs[0] = relu.Output()
	err := g.TopoSort()
	if err == nil || !strings.Contains(err.Error(), "is never produced") || !strings.Contains(err.Error(), `node "`) {
		t.Errorf("cycle: TopoSort() = %v", err)
	}
}

func TestUniqueNameAndValues(t *testing.T) {
	g := New("u")
	x := g.AddInput("x", 1, 2)
	a := g.AddNode(OpRelu, "act", Attrs{}, x)
	b := g.AddNode(OpRelu, "act", Attrs{}, a)
	c := g.AddNode(OpRelu, "act", Attrs{}, b)
	d := g.AddNode(OpRelu, "", Attrs{}, c)
	if a.Name != "act" || b.Name != "act_1" || c.Name != "act_2" || d.Name != "v" {
		t.Errorf("names %q %q %q %q", a.Name, b.Name, c.Name, d.Name)
	}
	if n := g.UniqueName("x"); n == "x" {
		t.Error("UniqueName reused the input's name")
	}
	g.SetOutputs(d)
	vals := g.Values()
	if len(vals) != 5 || vals[0] != x || vals[4] != d {
		t.Errorf("Values() = %v", vals)
	}
	cons := g.Consumers()
	if len(cons[a]) != 1 || cons[a][0] != b.Producer || len(cons[d]) != 0 {
		t.Errorf("Consumers() wrong: %v", cons)
	}
	if !g.IsOutput(d) || g.IsOutput(c) {
		t.Error("IsOutput wrong")
	}
}

func TestApplyAct(t *testing.T) {
	nan := float32(math.NaN())
	for _, c := range []struct {
		a       Act
		x, want float32
	}{
		{ActRelu, -2, 0}, {ActRelu, 3, 3},
		{ActClip, 7, 6}, {ActClip, -1, 0}, {ActClip, 2.5, 2.5},
		{ActHardSwish, -4, 0}, {ActHardSwish, 4, 4}, {ActHardSwish, 1, 1 * 4.0 / 6},
		{ActHardSigmoid, 0, 0.5}, {ActHardSigmoid, 6, 1}, {ActHardSigmoid, -6, 0},
		{ActNone, -3, -3},
	} {
		if got := ApplyAct(c.a, c.x, 0, 6, 1.0/6, 0.5); math.Abs(float64(got-c.want)) > 1e-6 {
			t.Errorf("%v(%v) = %v, want %v", c.a, c.x, got, c.want)
		}
	}
	for a := ActNone; a <= ActSwish; a++ {
		if got := ApplyAct(a, nan, 0, 6, 1.0/6, 0.5); got == got {
			t.Errorf("%v(NaN) = %v, want NaN", a, got)
		}
	}
}
