package passes

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
)

// -dump-after shows the decisions on the graph's lines (the epilogue,
// what the node absorbed, lower-conv's algorithm, choose-layout's NHWC),
// and Verify refuses a decision that contradicts the graph, naming the
// node.
func TestDecisionsDumpedAndChecked(t *testing.T) {
	b, x := newBuilder(1, 3, 6, 6)
	y := b.add(ir.OpClip, ir.Relu6Attrs(), b.bn(b.conv(x, 4, 3, 1, 1, false), 1e-5))
	g := b.finish(y)
	set, _ := kernels.ForISA(kernels.Generic)
	var buf bytes.Buffer
	if _, _, err := Compile(g, Options{Level: 2, DumpAfter: "choose-layout", Dump: &buf}, set); err != nil {
		t.Fatal(err)
	}
	dump := buf.String()
	if !regexp.MustCompile(`= Conv\(.* fused=\+clip\(0,6\) folded=bn\+relu6 algo=conv -> \[1×4×6×6\] nhwc\n`).MatchString(dump) {
		t.Errorf("dump after choose-layout lacks the conv's decisions:\n%s", dump)
	}
	st := runPasses(t, g, "fold-bn", "fuse-activation", "lower-conv", "choose-layout")
	if err := st.G.Verify(); err != nil {
		t.Fatalf("valid decisions refused: %v", err)
	}
	conv := st.G.Nodes[0]
	for _, c := range []struct {
		what, want string
		set        func(bool)
	}{
		{"a Conv marked as an SE scale", "SE", func(on bool) { conv.Attrs.SE = on }},
		{"an unknown algorithm", `"dense"`, func(on bool) {
			conv.Attrs.Algo = map[bool]string{true: "dense", false: "conv"}[on]
		}},
		{"a dense conv run as depthwise", `"dwconv" does not fit`, func(on bool) {
			conv.Attrs.Algo = map[bool]string{true: "dwconv", false: "conv"}[on]
		}},
		{"a 3×3 conv run as a GEMM", `"gemm" does not fit`, func(on bool) {
			conv.Attrs.Algo = map[bool]string{true: "gemm", false: "conv"}[on]
		}},
	} {
		c.set(true)
		if err := st.G.Verify(); err == nil || !strings.Contains(err.Error(), `"Conv"`) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one naming the node and %s", c.what, err, c.want)
		}
		c.set(false)
	}
	flat := st.G.AddNode(ir.OpFlatten, "Flatten", ir.Attrs{Axis: 1}, conv.Output())
	flat.Shape = ir.Shape{1, 144}
	st.G.SetOutputs(flat)
	if err := st.G.Verify(); err != nil {
		t.Fatalf("the graph with a Flatten: %v", err)
	}
	for _, c := range []struct {
		what, want string
		set        func(bool)
	}{
		{"a 2-D value marked NHWC", "NHWC", func(on bool) { flat.NHWC = on }},
		{"an algorithm on a Flatten", "algorithm", func(on bool) {
			flat.Producer.Attrs.Algo = map[bool]string{true: "gemm"}[on]
		}},
	} {
		c.set(true)
		if err := st.G.Verify(); err == nil || !strings.Contains(err.Error(), `"Flatten"`) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one naming the node and %s", c.what, err, c.want)
		}
		c.set(false)
	}
}
