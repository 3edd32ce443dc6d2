package onnx

import (
	"fmt"

	pb "github.com/mnc-go/mnc/frontend/onnx/onnxpb"
	"github.com/mnc-go/mnc/ir"
)

// convertArgMax imports ArgMax (opsets 1, 11, 12, 13): axis (negative from
// opset 11), keepdims, select_last_index (opset 12). Its int64 indices are
// float32 integers in the IR (ir/argmax.go); the slot remembers that they
// are indices, so that only ops that keep integers exact may read them
// (checkIndexReaders) and a Cast to an integer type is the identity.
func convertArgMax(c *nodeCtx) error {
	x, err := c.dyn(0)
	if err != nil {
		return err
	}
	r := len(x.Shape)
	ax, err := normAxis(int(c.a.int("axis", 0)), r)
	if err != nil {
		return fmt.Errorf("attribute axis: %v", err)
	}
	a := ir.Attrs{Axis: ax, KeepDims: c.a.int("keepdims", 1) != 0}
	switch last := c.a.int("select_last_index", 0); {
	case last != 0 && last != 1:
		return fmt.Errorf("attribute select_last_index=%d is not 0 or 1", last)
	case last == 1 && c.opset() < 12:
		return fmt.Errorf("attribute select_last_index needs opset 12 (the model has %d)", c.opset())
	default:
		a.SelectLastIndex = last == 1
	}
	if err := c.emit(ir.OpArgMax, a, x); err != nil {
		return err
	}
	if n := x.Shape[ax]; n > 0 {
		c.out[0].indices = n
	}
	return nil
}

// indexOps are the operators that may read ArgMax's indices: they move or
// keep values, so the integers stay exact (Cast to an integer type that
// holds every index is the identity, to a float type too).
var indexOps = map[string]bool{"Cast": true, "Identity": true, "Reshape": true, "Squeeze": true, "Unsqueeze": true, "Flatten": true}

// checkIndexReaders refuses a node that reads ArgMax's indices and
// computes with them as if they were float (Add, Div, Gather...): ONNX
// computes those in int64 (Div truncates), mnc would not. Such a node and
// what follows it run on the interpreter when it has them (Split moves
// the ArgMax there too).
func checkIndexReaders(c *nodeCtx) error {
	if indexOps[c.n.GetOpType()] {
		return nil
	}
	for i, s := range c.in {
		if s != nil && s.indices > 0 {
			return fmt.Errorf("input %d (%q) holds ArgMax's int64 indices; mnc reads them only with %s", i, c.inName(i), "Cast, Identity, Reshape, Squeeze, Unsqueeze or Flatten")
		}
	}
	return nil
}

// keepIndices marks the output of a node of indexOps (other than Cast)
// that reads indices as indices too.
func keepIndices(c *nodeCtx) {
	op := c.n.GetOpType()
	if !indexOps[op] || op == "Cast" || len(c.in) == 0 || c.in[0] == nil || c.in[0].indices == 0 || len(c.out) == 0 || c.out[0] == nil {
		return
	}
	if c.out[0] != c.in[0] {
		c.out[0].indices = c.in[0].indices
	}
}

// castIndices is Cast of ArgMax's indices (s.indices > 0): the identity
// when type to holds every index (0 … s.indices−1), keeping them indices
// for an integer type.
func castIndices(c *nodeCtx, s *slot, to pb.TensorProto_DataType) error {
	var hi int64
	switch to {
	case pb.TensorProto_FLOAT, pb.TensorProto_DOUBLE:
		c.out = []*slot{{v: s.v}}
		return nil
	case pb.TensorProto_FLOAT16, pb.TensorProto_BFLOAT16:
		hi = 256 // every integer up to 256 is exact in both
	case pb.TensorProto_INT8:
		hi = 127
	case pb.TensorProto_UINT8:
		hi = 255
	case pb.TensorProto_INT16:
		hi = 32767
	case pb.TensorProto_UINT16:
		hi = 65535
	case pb.TensorProto_INT32, pb.TensorProto_UINT32, pb.TensorProto_INT64, pb.TensorProto_UINT64:
		hi = 1 << 31
	default:
		return fmt.Errorf("cast of ArgMax's indices to %v is not supported", to)
	}
	if int64(s.indices-1) > hi {
		return fmt.Errorf("cast of ArgMax's indices (up to %d) to %v would not keep them", s.indices-1, to)
	}
	out := &slot{v: s.v}
	if to != pb.TensorProto_FLOAT16 && to != pb.TensorProto_BFLOAT16 {
		out.indices = s.indices
	}
	c.out = []*slot{out}
	return nil
}

// indexKeeping are the IR ops after which ArgMax's indices are still
// indices (the exporter writes them on int64 tensors).
func indexKeeping(op ir.Op) bool {
	switch op {
	case ir.OpIdentity, ir.OpDropout, ir.OpReshape, ir.OpFlatten:
		return true
	}
	return false
}

// argMax writes ArgMax (after its fused Resize, if any); its output (and what indexKeeping ops make of it)
// is int64, so a float op reading it gets a Cast (floatName) and a graph
// output of it is declared int64.
func (ex *exporter) argMax(n *ir.Node, in []string) error {
	a := n.Attrs
	if a.ResizeMode != "" { // fuse-resize-argmax: the Resize, then the ArgMax
		mid := ex.fresh(n.Output().Name + "/resize")
		x := n.Input(0)
		r := &ir.Node{Name: ex.fresh(n.Name + "/resize"), Op: ir.OpResize, Attrs: ir.ResizeOf(&a), Inputs: []*ir.Value{x},
			Outputs: []*ir.Value{{Name: mid, Shape: ir.ArgMaxInput(&a, x.Shape)}}}
		if err := ex.dense(r, in[:1]); err != nil {
			return err
		}
		in = []string{mid}
	}
	ex.emit("ArgMax", n.Name, in, n.Output().Name, attrInt("axis", a.Axis), attrInt("keepdims", boolInt(a.KeepDims)),
		attrInt("select_last_index", boolInt(a.SelectLastIndex)))
	ex.indices[n.Output()] = true
	return nil
}

// floatName returns the name under which the node being written reads v:
// v itself, or for ArgMax's int64 indices read by a float op, a Cast of
// them to float (written once).
func (ex *exporter) floatName(v *ir.Value) string {
	if !ex.indices[v] || ex.cur == nil || indexKeeping(ex.cur.Op) {
		return v.Name
	}
	if c, ok := ex.casts[v]; ok {
		return c
	}
	c := ex.fresh(v.Name + "/float")
	ex.emit("Cast", c, []string{v.Name}, c, attrInt("to", int(pb.TensorProto_FLOAT)))
	ex.casts[v] = c
	return c
}

// moveIndexProducers moves to the tail every ArgMax (and the index-keeping
// nodes between it and the tail) whose int64 indices an interpreted node
// reads: the prefix's outputs reach the interpreter as float32 tensors,
// and the interpreter's integer ops need int64. Nodes reading a moved
// node's output follow it (they read a tail value). It reports whether it
// moved any.
func moveIndexProducers(nodes []*pb.NodeProto, tail []bool, why []string, producer map[string]int) bool {
	isIndex := make([]bool, len(nodes))
	for i, n := range nodes {
		switch op := n.GetOpType(); {
		case op == "ArgMax":
			isIndex[i] = true
		case indexOps[op] && op != "Cast" && len(n.GetInput()) > 0:
			if p, ok := producer[n.GetInput()[0]]; ok && isIndex[p] {
				isIndex[i] = true
			}
		}
	}
	moved := false
	for k := len(nodes) - 1; k >= 0; k-- {
		if !tail[k] {
			continue
		}
		for _, in := range nodes[k].GetInput() {
			if p, ok := producer[in]; ok && !tail[p] && isIndex[p] {
				tail[p], moved = true, true
				why[p] = fmt.Sprintf("its int64 output %q is read by interpreted nodes", in)
			}
		}
	}
	if !moved {
		return false
	}
	for i, n := range nodes { // readers of moved nodes follow them
		if tail[i] {
			continue
		}
		for _, in := range n.GetInput() {
			if p, ok := producer[in]; ok && tail[p] {
				tail[i] = true
				why[i] = fmt.Sprintf("reads %q, computed by an interpreted node", in)
				break
			}
		}
	}
	return true
}
