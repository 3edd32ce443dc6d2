package passes

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
)

// -dump-after shows the decisions recorded beside the graph, and a
// decision that contradicts the graph is an error naming the node.
func TestDecisionsDumpedAndChecked(t *testing.T) {
	b, x := newBuilder(1, 3, 6, 6)
	y := b.add(ir.OpClip, ir.Relu6Attrs(), b.bn(b.conv(x, 4, 3, 1, 1, false), 1e-5))
	g := b.finish(y)
	set, _ := kernels.ForISA(kernels.Generic)
	var buf bytes.Buffer
	if _, _, err := Compile(g, Options{Level: 2, DumpAfter: "choose-layout", Dump: &buf}, set); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "// Conv: fused=bn+relu6 algo=conv nhwc") {
		t.Errorf("dump after choose-layout lacks the conv's decisions:\n%s", buf.String())
	}
	st := runPasses(t, g, "fold-bn", "fuse-activation", "lower-conv")
	if err := st.checkDecisions(); err != nil {
		t.Fatalf("valid decisions refused: %v", err)
	}
	conv := st.G.Nodes[0]
	conv.Attrs.SE = true // a fusion decision, in the IR: Verify checks it
	if err := st.G.Verify(); err == nil || !strings.Contains(err.Error(), `"Conv"`) || !strings.Contains(err.Error(), "SE") {
		t.Errorf("a Conv marked as an SE scale: error %v", err)
	}
	conv.Attrs.SE = false
	st.Algo[conv] = "dense"
	if err := st.checkDecisions(); err == nil || !strings.Contains(err.Error(), "dense") {
		t.Errorf("an unknown algorithm: error %v", err)
	}
}
