package onnx

import (
	"testing"

	pb "github.com/mnc-go/mnc/frontend/onnx/onnxpb"
	"google.golang.org/protobuf/proto"
)

func TestTopoOrder(t *testing.T) {
	n := func(name string, in, out []string) *pb.NodeProto {
		return &pb.NodeProto{Name: proto.String(name), Input: in, Output: out}
	}
	got := topoOrder([]*pb.NodeProto{n("c", []string{"b"}, []string{"c"}), n("a", []string{"x"}, []string{"a"}), n("b", []string{"a"}, []string{"b"})})
	var names string
	for _, x := range got {
		names += x.GetName()
	}
	if names != "abc" {
		t.Errorf("order %s, want abc", names)
	}
	cyc := []*pb.NodeProto{n("p", []string{"q"}, []string{"p"}), n("q", []string{"p"}, []string{"q"})}
	if got := topoOrder(cyc); got[0].GetName() != "p" || len(got) != 2 {
		t.Errorf("cycle: %v", got)
	}
}
