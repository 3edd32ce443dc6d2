package onnx

import (
	"strings"
	"testing"

	pb "github.com/mnc-go/mnc/frontend/onnx/onnxpb"
	"github.com/mnc-go/mnc/ir"
	"google.golang.org/protobuf/proto"
)

// TestUnsupportedOpsListedTogether: every unsupported node is named in one
// error, with its op type, so users see the whole gap at once.
func TestUnsupportedOpsListedTogether(t *testing.T) {
	b := newModel(13).input("x", 1, 3, 4, 4).output("y")
	b.g.Node = append(b.g.Node,
		&pb.NodeProto{Name: proto.String("foo"), OpType: proto.String("LSTM"), Input: []string{"x"}, Output: []string{"a"}},
		&pb.NodeProto{Name: proto.String("ok"), OpType: proto.String("Relu"), Input: []string{"a"}, Output: []string{"b"}},
		&pb.NodeProto{Name: proto.String("bar"), OpType: proto.String("TfIdfVectorizer"), Input: []string{"b"}, Output: []string{"y"}})
	_, err := Read("model.onnx", b.bytes(t), "")
	want := `model.onnx: unsupported operators: node "foo" (LSTM), node "bar" (TfIdfVectorizer)`
	if err == nil || err.Error() != want {
		t.Errorf("error %v\nwant  %s", err, want)
	}
}

// smallModel is a valid model with weights, used as a base for corruptions
// and as a fuzz seed.
func smallModel() *modelBuilder {
	return newModel(13).input("x", 1, 2, 5, 5).output("y").
		weight("w", seq(3, 2, 3, 3)).weight("bias", seq(3)).scalar("lo", 0).scalar("hi", 6).ints("target", 0, -1).
		node("Conv", []string{"x", "w", "bias"}, "c", attrInts("pads", []int{1, 1, 1, 1})).
		node("Clip", []string{"c", "lo", "hi"}, "r").
		node("GlobalAveragePool", []string{"r"}, "p").
		node("Reshape", []string{"p", "target"}, "y")
}

// TestMalformedModels: each corruption gives an error naming the file and
// the node, tensor or field at fault.
func TestMalformedModels(t *testing.T) {
	cases := []struct {
		name   string
		edit   func(m *pb.ModelProto)
		expect []string
	}{
		{"opset too new", func(m *pb.ModelProto) { m.OpsetImport[0].Version = proto.Int64(99) }, []string{"opset 99"}},
		{"no graph", func(m *pb.ModelProto) { m.Graph = nil }, []string{"no graph"}},
		{"channel mismatch", func(m *pb.ModelProto) {
			m.Graph.Input[0] = valueInfo(&ir.Value{Name: "x", Shape: ir.Shape{1, 4, 5, 5}})
		},
			[]string{`"c_node" (Conv)`, "channels"}},
		{"undefined input", func(m *pb.ModelProto) { m.Graph.Node[1].Input[0] = "nowhere" }, []string{`"r_node" (Clip)`, `"nowhere"`}},
		{"attribute type", func(m *pb.ModelProto) { m.Graph.Node[0].Attribute[0] = attrFloat("pads", 1) }, []string{`"c_node" (Conv)`, `"pads"`}},
		{"short raw data", func(m *pb.ModelProto) { m.Graph.Initializer[0].RawData = m.Graph.Initializer[0].RawData[:10] }, []string{`tensor "w"`, "bytes"}},
		{"runtime reshape target", func(m *pb.ModelProto) { m.Graph.Node[3].Input[1] = "r" }, []string{`"y_node" (Reshape)`, "constant"}},
		{"int input", func(m *pb.ModelProto) {
			m.Graph.Input[0].Type.GetTensorType().ElemType = proto.Int32(int32(pb.TensorProto_INT64))
		}, []string{`graph input "x"`, "INT64"}},
		{"bad group", func(m *pb.ModelProto) {
			m.Graph.Node[0].Attribute = append(m.Graph.Node[0].Attribute, attrInt("group", 0))
		}, []string{`"c_node" (Conv)`, "group"}},
		{"unknown output", func(m *pb.ModelProto) { m.Graph.Output[0].Name = proto.String("zzz") }, []string{`graph output "zzz"`}},
		{"bad auto_pad", func(m *pb.ModelProto) {
			m.Graph.Node[0].Attribute = []*pb.AttributeProto{attrString("auto_pad", "SAME_MIDDLE")}
		}, []string{`"c_node" (Conv)`, "SAME_MIDDLE"}},
		{"huge dims", func(m *pb.ModelProto) { m.Graph.Initializer[0].Dims = []int64{1 << 40, 1 << 40} }, []string{`tensor "w"`}},
		{"duplicate initializer", func(m *pb.ModelProto) {
			m.Graph.Initializer = append(m.Graph.Initializer, m.Graph.Initializer[1])
		}, []string{`initializer "bias" is defined twice`}},
		{"weight input", func(m *pb.ModelProto) {
			m.Graph.Input = append(m.Graph.Input, valueInfo(&ir.Value{Name: "w2", Shape: ir.Shape{3, 2, 3, 3}}))
			m.Graph.Node[0].Input[1] = "w2"
		}, []string{`"c_node" (Conv)`, `weight "w2"`, "constant"}},
		{"cycle", func(m *pb.ModelProto) { m.Graph.Node[0].Input[0] = "y" }, []string{"cycle"}},
		// A stride of 2^40 was "must be positive"; it is, but too large.
		{"huge stride", func(m *pb.ModelProto) {
			m.Graph.Node[0].Attribute = append(m.Graph.Node[0].Attribute, attrInts("strides", []int{1 << 40, 1}))
		}, []string{`"c_node" (Conv)`, "strides [1099511627776 1] and dilations [1 1] must be positive and at most 1073741824"}},
		{"symbolic height", func(m *pb.ModelProto) {
			m.Graph.Input[0] = valueInfo(&ir.Value{Name: "x", Shape: ir.Shape{1, 2, -1, 5}})
		},
			[]string{`input "x" [1 2 N 5] has symbolic dimension 2`, "-shape x=1x2xHx5"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := smallModel().proto()
			c.edit(m)
			data, err := proto.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Read("bad.onnx", data, "")
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			for _, want := range append([]string{"bad.onnx: "}, c.expect...) {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not mention %q", msg, want)
				}
			}
			if strings.Contains(msg, "internal error") {
				t.Errorf("a corruption reached the panic guard: %s", msg)
			}
		})
	}
}

// TestTruncatedModels: every prefix of a valid model is rejected (or, for
// the few prefixes that are themselves valid protobufs, imported) without
// reaching the panic guard.
func TestTruncatedModels(t *testing.T) {
	data := smallModel().bytes(t)
	if _, err := Read("m.onnx", data, ""); err != nil {
		t.Fatalf("the untruncated model fails: %v", err)
	}
	for n := 0; n < len(data); n++ {
		g, err := Read("m.onnx", data[:n], "")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "m.onnx: ") || strings.Contains(err.Error(), "internal error") {
				t.Fatalf("prefix %d: %v", n, err)
			}
			continue
		}
		if err := g.Verify(); err != nil {
			t.Fatalf("prefix %d imports as an invalid graph: %v", n, err)
		}
	}
}
