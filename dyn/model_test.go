package dyn

import (
	"encoding/binary"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/mnc-go/mnc"
	"github.com/mnc-go/mnc/frontend/onnx"
	pb "github.com/mnc-go/mnc/frontend/onnx/onnxpb"
	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/reference"
	"google.golang.org/protobuf/proto"
)

func readF32(t *testing.T, path string) []float32 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f := make([]float32, len(b)/4)
	for i := range f {
		f[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return f
}

// testdata/nms_tail.onnx (scripts/exporters/make_nms.py): a conv network
// with torchvision-style batched NMS in the graph. The prefix compiles;
// the tail (Softmax on, through NonZero, TopK with a computed k,
// NonMaxSuppression, If, Range) is interpreted. With the prefix on the
// reference executor and on compiled plans (every ISA, 1 and 2 threads),
// the outputs equal numpy's meaning of the graph (same boxes, labels,
// order; values within 1e-4 relative).
func TestNMSTailModel(t *testing.T) {
	m, err := Load("testdata/nms_tail.onnx")
	if err != nil {
		t.Fatal(err)
	}
	if m == nil {
		t.Fatal("no tail found")
	}
	d := m.Describe()
	for _, want := range []string{"NonMaxSuppression", "output shape depends on values", "TopK", "Exp", "no compiled form", "reads \"nz\""} {
		if !strings.Contains(d, want) {
			t.Errorf("Describe lacks %q:\n%s", want, d)
		}
	}
	// The prefix: the convs, layout ops, Softmax and the box decoding's
	// static part (channel Slices, Mul/Add with the anchors, Clip).
	if n := len(m.Prefix.Nodes); n < 6 || n > 20 || !strings.Contains(m.Prefix.String(), "Slice(") {
		t.Errorf("prefix has %d nodes, want the convs, layout ops, Softmax and the decoding's Slices:\n%s", n, m.Prefix)
	}
	x := &ir.Tensor{Shape: ir.Shape{1, 3, 16, 16}, Data: readF32(t, "testdata/nms_tail.in.bin")}
	want := [][]float32{readF32(t, "testdata/nms_tail.out0.bin"), readF32(t, "testdata/nms_tail.out1.bin"), readF32(t, "testdata/nms_tail.out2.bin")}
	check := func(what string, pre map[string]*ir.Tensor) {
		t.Helper()
		outs, err := m.RunTail(pre, map[string]*ir.Tensor{"input": x})
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if len(outs) != 3 || outs[2].DT != Int64 {
			t.Fatalf("%s: outputs %v", what, outs)
		}
		for i, o := range outs {
			if len(o.V) != len(want[i]) {
				t.Fatalf("%s: output %d has shape %v, want %d values", what, i, o.Shape, len(want[i]))
			}
			for j, v := range o.V {
				if math.Abs(v-float64(want[i][j])) > 1e-4*math.Max(1, math.Abs(float64(want[i][j]))) {
					t.Fatalf("%s: output %d[%d] = %v, want %v", what, i, j, v, want[i][j])
				}
			}
		}
	}
	ref, err := reference.Run(m.Prefix, map[string]*ir.Tensor{"input": x}, nil)
	if err != nil {
		t.Fatal(err)
	}
	check("reference prefix", ref)
	for _, isa := range kernels.Available() {
		p, _, err := mnc.Compile(m.Prefix, mnc.Options{Level: 2, ISA: isa.String()})
		if err != nil {
			t.Fatal(err)
		}
		for _, threads := range []int{1, 2} {
			e, err := mnc.NewExecutor(p, threads)
			if err != nil {
				t.Fatal(err)
			}
			outs := e.NewOutputs()
			if err := e.Run([]*ir.Tensor{x}, outs); err != nil {
				t.Fatal(err)
			}
			pre := map[string]*ir.Tensor{}
			for i, o := range p.Outputs {
				pre[o.Name] = outs[i]
			}
			check(isa.String(), pre)
			e.Close()
		}
	}
}

// A tail with operators neither compiled nor interpreted fails at once,
// naming every one of them.
func TestUnsupportedTailOps(t *testing.T) {
	data, err := os.ReadFile("testdata/nms_tail.onnx")
	if err != nil {
		t.Fatal(err)
	}
	mp := &pb.ModelProto{}
	if err := proto.Unmarshal(data, mp); err != nil {
		t.Fatal(err)
	}
	for _, n := range mp.GetGraph().GetNode() {
		switch n.GetOpType() {
		case "GatherND":
			n.OpType = proto.String("GatherFoo")
		case "Where":
			n.OpType = proto.String("WhereBar")
		}
	}
	b, _ := proto.Marshal(mp)
	om, err := onnx.Parse("odd.onnx", b, "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(om)
	if err == nil || !strings.Contains(err.Error(), `"gathernd_sel_s" (GatherFoo)`) || !strings.Contains(err.Error(), `"where_boxes_out" (WhereBar)`) {
		t.Errorf("error %v", err)
	}
}
