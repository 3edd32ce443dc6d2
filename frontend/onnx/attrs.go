package onnx

import (
	"fmt"

	pb "github.com/mnc-go/mnc/frontend/onnx/onnxpb"
)

// attrs gives typed access to a node's attributes; a present attribute of
// the wrong type is an error, recorded in err (the first one wins) so that
// converters can read several attributes and check once.
type attrs struct {
	m   map[string]*pb.AttributeProto
	err error
}

func nodeAttrs(n *pb.NodeProto) *attrs {
	a := &attrs{m: map[string]*pb.AttributeProto{}}
	for _, at := range n.GetAttribute() {
		a.m[at.GetName()] = at
	}
	return a
}

func (a *attrs) has(name string) bool { _, ok := a.m[name]; return ok }

func (a *attrs) wrongType(name string, want pb.AttributeProto_AttributeType) {
	if a.err == nil {
		a.err = fmt.Errorf("attribute %q has type %v, want %v", name, a.m[name].GetType(), want)
	}
}

// check reports whether the attribute is present with type t (an attribute
// written by an old exporter without a type is accepted if its field is set).
func (a *attrs) check(name string, t pb.AttributeProto_AttributeType) bool {
	at, ok := a.m[name]
	if !ok {
		return false
	}
	if at.GetType() != t && at.GetType() != pb.AttributeProto_UNDEFINED {
		a.wrongType(name, t)
		return false
	}
	return true
}

func (a *attrs) int(name string, def int64) int64 {
	if a.check(name, pb.AttributeProto_INT) {
		return a.m[name].GetI()
	}
	return def
}

func (a *attrs) float(name string, def float32) float32 {
	if a.check(name, pb.AttributeProto_FLOAT) {
		return a.m[name].GetF()
	}
	return def
}

func (a *attrs) str(name, def string) string {
	if a.check(name, pb.AttributeProto_STRING) {
		return string(a.m[name].GetS())
	}
	return def
}

func (a *attrs) ints(name string) []int64 {
	if a.check(name, pb.AttributeProto_INTS) {
		return a.m[name].GetInts()
	}
	return nil
}

func (a *attrs) floats(name string) []float32 {
	if a.check(name, pb.AttributeProto_FLOATS) {
		return a.m[name].GetFloats()
	}
	return nil
}

func (a *attrs) tensor(name string) *pb.TensorProto {
	if a.check(name, pb.AttributeProto_TENSOR) {
		return a.m[name].GetT()
	}
	return nil
}

// toInts converts to []int; an absent or empty list gives nil.
func toInts(v []int64) []int {
	if len(v) == 0 {
		return nil
	}
	out := make([]int, len(v))
	for k, x := range v {
		out[k] = int(x)
	}
	return out
}
