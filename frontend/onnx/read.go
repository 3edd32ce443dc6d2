package onnx

import (
	"container/heap"
	"fmt"
	"slices"

	pb "github.com/mnc-go/mnc/frontend/onnx/onnxpb"
	"github.com/mnc-go/mnc/ir"
)

// Opset range the importer understands.
const (
	MinOpset = 7
	MaxOpset = 21
)

// Load reads the ONNX model at path; external data files are looked up in
// path's directory. A model whose inputs have symbolic dimensions other
// than the batch fails with an *ir.UnboundError (see Open and
// Model.Import to give them).
func Load(path string) (*ir.Graph, error) {
	m, err := Open(path)
	if err != nil {
		return nil, err
	}
	return m.Import(nil)
}

// Read imports an ONNX model from its serialized bytes. name is used in
// error messages (usually the file name); dir is where external data files
// are read from ("" forbids external data).
func Read(name string, data []byte, dir string) (*ir.Graph, error) {
	m, err := Parse(name, data, dir)
	if err != nil {
		return nil, err
	}
	return m.Import(nil)
}

// modelOpset returns the version of the default ("" or "ai.onnx") domain.
func modelOpset(m *pb.ModelProto) (int, error) {
	for _, o := range m.GetOpsetImport() {
		if d := o.GetDomain(); d == "" || d == "ai.onnx" {
			v := int(o.GetVersion())
			if v < MinOpset || v > MaxOpset {
				return 0, fmt.Errorf("opset %d is not supported (mnc reads opsets %d to %d)", v, MinOpset, MaxOpset)
			}
			return v, nil
		}
	}
	return 0, fmt.Errorf("no opset_import for the default ONNX domain")
}

// importModel converts a parsed model.
func importModel(m *pb.ModelProto, dir string) (*ir.Graph, error) {
	return importWith(m, dir, importOptions{})
}

// importOptions are what an import of a Model adds: the input shapes the
// user gave and the initializers already decoded.
type importOptions struct {
	shapes map[string]ir.Shape
	inits  *initCache
}

// importWith translates the model node by node into the IR; the graph
// keeps the exporter's spelling (passes.Canonicalize and the pipeline's
// canonicalisation passes turn it into mnc's).
func importWith(m *pb.ModelProto, dir string, o importOptions) (*ir.Graph, error) {
	if m.GetGraph() == nil {
		return nil, fmt.Errorf("model has no graph")
	}
	opset, err := modelOpset(m)
	if err != nil {
		return nil, err
	}
	gp := m.GetGraph()
	if err := checkSupported(gp); err != nil {
		return nil, err
	}
	name := gp.GetName()
	if name == "" {
		name = "onnx"
	}
	im := &importer{g: ir.New(name), opset: opset, dir: dir, slots: map[string]*slot{}, missing: map[string]string{},
		shapes: o.shapes, inits: o.inits}
	if err := im.initializers(gp); err != nil {
		return nil, err
	}
	if err := im.inputs(gp); err != nil {
		return nil, err
	}
	nodes, err := sortNodes(gp.GetNode(), im.slots)
	if err != nil {
		return nil, err
	}
	for _, n := range nodes {
		if err := im.convert(n); err != nil {
			return nil, &NodeError{Node: n, Err: fmt.Errorf("node %s: %w", describe(n), err)}
		}
	}
	if err := im.outputs(gp); err != nil {
		return nil, err
	}
	im.g.RemoveDead()
	if err := im.g.Verify(); err != nil {
		return nil, fmt.Errorf("imported graph is inconsistent: %v", err)
	}
	return im.g, nil
}

// describe names a node for error messages: its name and op type, or its
// first output when it has no name.
func describe(n *pb.NodeProto) string {
	name := n.GetName()
	if name == "" && len(n.GetOutput()) > 0 {
		name = "→" + n.GetOutput()[0]
	}
	return fmt.Sprintf("%q (%s)", name, n.GetOpType())
}

// sortNodes returns the nodes in a topological order (ONNX requires one,
// but some tools write graphs out of order); it fails on a cycle or an input
// nobody produces, naming the node. Among ready nodes it takes the earliest
// in the file, so a sorted graph keeps its order; the time is O(n log n)
// in nodes and edges whatever the order (a heap of ready nodes).
func sortNodes(nodes []*pb.NodeProto, known map[string]*slot) ([]*pb.NodeProto, error) {
	avail := map[string]bool{"": true}
	for k := range known {
		avail[k] = true
	}
	waiting := make([]int, len(nodes))
	readers := map[string][]int{}
	ready := &nodeHeap{}
	for k, n := range nodes {
		for j, in := range n.GetInput() {
			if avail[in] || slices.Contains(n.GetInput()[:j], in) {
				continue
			}
			waiting[k]++
			readers[in] = append(readers[in], k)
		}
		if waiting[k] == 0 {
			heap.Push(ready, k)
		}
	}
	out := make([]*pb.NodeProto, 0, len(nodes))
	for ready.Len() > 0 {
		k := heap.Pop(ready).(int)
		out = append(out, nodes[k])
		for _, o := range nodes[k].GetOutput() {
			if avail[o] {
				continue
			}
			avail[o] = true
			for _, r := range readers[o] {
				if waiting[r]--; waiting[r] == 0 {
					heap.Push(ready, r)
				}
			}
		}
	}
	if len(out) < len(nodes) {
		for k, n := range nodes {
			if waiting[k] == 0 {
				continue
			}
			for _, in := range n.GetInput() {
				if !avail[in] {
					return nil, fmt.Errorf("node %s: input %q is not a graph input, initializer or node output (or the graph has a cycle)", describe(n), in)
				}
			}
		}
	}
	return out, nil
}

// nodeHeap is a min-heap of node indices (container/heap).
type nodeHeap []int

func (h nodeHeap) Len() int           { return len(h) }
func (h nodeHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h nodeHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *nodeHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *nodeHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
