package passes

import (
	"testing"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/plan"
)

func TestFuseActivationEveryKind(t *testing.T) {
	acts := []struct {
		op ir.Op
		a  ir.Attrs
	}{
		{ir.OpRelu, ir.Attrs{}}, {ir.OpClip, ir.ClipAttrs(-1, 2)}, {ir.OpHardSwish, ir.Attrs{}},
		{ir.OpHardSigmoid, ir.Attrs{Alpha: 0.2, Beta: 0.4}}, {ir.OpSigmoid, ir.Attrs{}}, {ir.OpSwish, ir.Attrs{}},
	}
	for _, act := range acts {
		b, x := newBuilder(1, 3, 5, 5)
		g := b.finish(b.add(act.op, act.a, b.conv(x, 4, 3, 1, 1, true)))
		st := runPasses(t, g, "fuse-activation")
		if len(st.G.Nodes) != 1 || st.G.Nodes[0].Attrs.Fused.Act == ir.ActNone {
			t.Errorf("%s was not fused:\n%s", act.op, st.G)
		}
		sameFunction(t, g, st.G)
	}
	// Not when the conv output has a second reader.
	b, x := newBuilder(1, 3, 5, 5)
	c := b.conv(x, 3, 3, 1, 1, true)
	g := b.finish(b.add(ir.OpAdd, ir.Attrs{}, b.add(ir.OpRelu, ir.Attrs{}, c), c))
	if st := runPasses(t, g, "fuse-activation"); countOps(st.G, ir.OpRelu) != 1 {
		t.Error("Relu fused although the conv output is read twice")
	}
}

func TestFuseAdd(t *testing.T) {
	for _, swap := range []bool{false, true} {
		b, x := newBuilder(1, 4, 5, 5)
		e := b.add(ir.OpClip, ir.Relu6Attrs(), b.conv(x, 8, 1, 1, 1, true))
		e = b.add(ir.OpClip, ir.Relu6Attrs(), b.conv(e, 8, 3, 1, 8, true))
		p := b.bn(b.conv(e, 4, 1, 1, 1, false), 1e-5)
		in := []*ir.Value{x, p}
		if swap {
			in = []*ir.Value{p, x}
		}
		g := b.finish(b.add(ir.OpRelu, ir.Attrs{}, b.add(ir.OpAdd, ir.Attrs{}, in...)))
		st := runPasses(t, g, "fold-bn", "fuse-add", "fuse-activation")
		if countOps(st.G, ir.OpAdd) != 0 || countOps(st.G, ir.OpRelu) != 0 || countOps(st.G, ir.OpClip) != 0 {
			t.Errorf("swap=%v: Add and its Relu not fused:\n%s", swap, st.G)
		}
		last := st.G.Nodes[len(st.G.Nodes)-1]
		if !last.Attrs.Fused.Residual || last.Attrs.Fused.Act != ir.ActRelu || last.Input(3) != st.G.Inputs[0] {
			t.Errorf("swap=%v: projection conv epilogue %+v, residual %v", swap, last.Attrs.Fused, last.Input(3))
		}
		sameFunction(t, g, st.G)
	}
	// Refused: the operand comes from a depthwise conv (no residual input in
	// its kernel), or from a conv that already has an activation.
	b, x := newBuilder(1, 4, 5, 5)
	dw := b.conv(x, 4, 3, 1, 4, true)
	act := b.add(ir.OpRelu, ir.Attrs{}, b.conv(x, 4, 1, 1, 1, true))
	g := b.finish(b.add(ir.OpAdd, ir.Attrs{}, dw, x), b.add(ir.OpAdd, ir.Attrs{}, act, x))
	st := runPasses(t, g, "fuse-activation", "fuse-add")
	if countOps(st.G, ir.OpAdd) != 2 {
		t.Errorf("an illegal Add fusion happened:\n%s", st.G)
	}
}

func TestFuseSEAndLowerConv(t *testing.T) {
	b, x := newBuilder(1, 3, 12, 12)
	stem := b.add(ir.OpHardSwish, ir.Attrs{}, b.conv(x, 8, 3, 2, 1, true))
	dw := b.add(ir.OpRelu, ir.Attrs{}, b.conv(stem, 8, 5, 1, 8, true))
	s := b.add(ir.OpGlobalAveragePool, ir.Attrs{}, dw)
	s = b.add(ir.OpRelu, ir.Attrs{}, b.conv(s, 4, 1, 1, 1, true))
	s = b.add(ir.OpHardSigmoid, ir.HardSigmoidAttrs(), b.conv(s, 8, 1, 1, 1, true))
	y := b.add(ir.OpMul, ir.Attrs{}, dw, s)
	pw := b.conv(y, 6, 1, 1, 1, true)
	down := b.conv(pw, 6, 1, 2, 1, true)      // 1×1 stride 2
	grouped := b.conv(down, 6, 3, 1, 2, true) // groups of 3 channels
	g := b.finish(grouped)
	st := runPasses(t, g, "fuse-activation", "fuse-se", "lower-conv")
	marked := 0
	for _, n := range st.G.Nodes {
		if n.Attrs.SE && n.Op == ir.OpMul {
			marked++
		}
	}
	if marked != 1 {
		t.Errorf("fuse-se marked %d Muls, want 1", marked)
	}
	want := []string{"conv", "dwconv", "gemm", "gemm", "gemm", "conv", "generic"}
	i := 0
	for _, n := range st.G.Nodes {
		if n.Op != ir.OpConv {
			continue
		}
		if n.Attrs.Algo != want[i] {
			t.Errorf("conv %d (%s): algorithm %q, want %q", i, n.AttrString(), n.Attrs.Algo, want[i])
		}
		i++
	}
	sameFunction(t, g, st.G)
}

// TestAddActivationStep: an Add that cannot go into a conv (its operand is
// depthwise) still takes the activation after it into its own step.
func TestAddActivationStep(t *testing.T) {
	b, x := newBuilder(1, 4, 5, 5)
	y := b.add(ir.OpAdd, ir.Attrs{}, b.conv(x, 4, 3, 1, 4, true), x)
	g := b.finish(b.add(ir.OpHardSwish, ir.Attrs{}, y))
	set, _ := kernels.ForISA(kernels.Generic)
	for _, level := range []int{0, 2} {
		p, _, err := Compile(g, Options{Level: level, Verify: true}, set)
		if err != nil {
			t.Fatal(err)
		}
		var adds, acts int
		for _, s := range p.Steps {
			switch s.Kind {
			case plan.KindAdd:
				adds++
				if level == 2 && (s.Attrs.Fused.Act != ir.ActHardSwish || s.Name != g.Outputs[0].Name) {
					t.Errorf("add step %q has epilogue %+v", s.Name, s.Attrs.Fused)
				}
			case plan.KindActivate:
				acts++
			}
		}
		if adds != 1 || acts != map[int]int{0: 1, 2: 0}[level] {
			t.Errorf("-O%d: %d add and %d activation steps", level, adds, acts)
		}
	}
}
