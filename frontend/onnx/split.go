package onnx

import (
	"container/heap"
	"errors"
	"fmt"
	"slices"

	pb "github.com/mnc-go/mnc/frontend/onnx/onnxpb"
	"github.com/mnc-go/mnc/ir"
	"google.golang.org/protobuf/proto"
)

// Tail is the part of a model that mnc does not compile: the nodes from
// the first one whose operator has no compiled form (NonZero, TopK with a
// computed k, NonMaxSuppression, If, Loop, Range, ...) on, for an
// interpreter with run-time shapes (package dyn).
type Tail struct {
	// Graph holds the tail's nodes in order, the initializers they read
	// and the model's outputs. It has no inputs: it reads Feeds (computed
	// by the prefix) and the model's inputs by name.
	Graph *pb.GraphProto
	Opset int
	// Feeds are the prefix's values the tail reads: the prefix graph's
	// outputs after the model's own outputs it computes.
	Feeds []string
	// Nodes says, per tail node, why it is interpreted.
	Nodes []TailNode
}

// TailNode is one interpreted node and the reason.
type TailNode struct{ Name, Op, Why string }

// dataDependent are the operators whose output shapes depend on values.
var dataDependent = map[string]bool{
	"NonZero": true, "NonMaxSuppression": true, "TopK": true, "If": true, "Loop": true, "Range": true,
	"Unique": true, "Compress": true, "Scan": true,
}

// NodeError is an import error at one node.
type NodeError struct {
	Node *pb.NodeProto
	Err  error
}

func (e *NodeError) Error() string { return e.Err.Error() }
func (e *NodeError) Unwrap() error { return e.Err }

// SplitImport is Split followed by importing the prefix; a prefix node
// the importer cannot compile after all (a Slice of activations, a Reshape
// to a computed shape) joins the tail, with the importer's error as the
// reason, and the split is made again.
func (m *Model) SplitImport(interpretable func(op string) bool) (*ir.Graph, *Tail, error) {
	forced := map[*pb.NodeProto]string{}
	for range len(m.m.GetGraph().GetNode()) + 1 {
		pre, tail, err := m.split(interpretable, forced)
		if err != nil || tail == nil {
			return nil, nil, err
		}
		g, err := pre.Import(nil)
		var ne *NodeError
		if errors.As(err, &ne) && forced[ne.Node] == "" && interpretable(ne.Node.GetOpType()) {
			forced[ne.Node] = ne.Err.Error()
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		return g, tail, nil
	}
	return nil, nil, fmt.Errorf("%s: splitting did not converge", m.name)
}

// Split divides the model into the prefix mnc compiles and the tail it
// interprets: a node goes to the tail when the importer has no compiled
// form of its operator, or when it reads a tail value; then, repeatedly, a
// prefix node whose every reader is in the tail (and that is no model
// output) joins the tail when interpretable(op) says the interpreter runs
// it and its value depends only on shapes and constants (Shape → Gather →
// Concat arithmetic: it then sees run-time shapes).
// A model without such nodes gives a nil tail and the model itself.
func (m *Model) Split(interpretable func(op string) bool) (*Model, *Tail, error) {
	return m.split(interpretable, nil)
}

func (m *Model) split(interpretable func(op string) bool, forced map[*pb.NodeProto]string) (*Model, *Tail, error) {
	gp := m.m.GetGraph()
	if gp == nil {
		return nil, nil, fmt.Errorf("%s: model has no graph", m.name)
	}
	opset, err := modelOpset(m.m)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %v", m.name, err)
	}
	if len(forced) == 0 && !slices.ContainsFunc(gp.GetNode(), func(n *pb.NodeProto) bool { _, ok := opFor(n); return !ok }) {
		return m, nil, nil // every operator compiles: no tail (the common case, without sorting)
	}
	nodes := topoOrder(gp.GetNode())
	tail := make([]bool, len(nodes))
	why := make([]string, len(nodes))
	producer := map[string]int{}
	for i, n := range nodes {
		for _, o := range n.GetOutput() {
			producer[o] = i
		}
	}
	any := false
	for i, n := range nodes {
		if w := forced[n]; w != "" {
			tail[i], any = true, true
			why[i] = w
			continue
		}
		if _, ok := opFor(n); !ok {
			tail[i], any = true, true
			why[i] = "no compiled form"
			if dataDependent[n.GetOpType()] {
				why[i] = "output shape depends on values"
			}
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
	if !any {
		return m, nil, nil
	}
	isOutput := map[string]bool{}
	for _, o := range gp.GetOutput() {
		isOutput[o.GetName()] = true
	}
	// static: the node's value depends on shapes and constants only (shape
	// arithmetic), so moving it to the tail costs nothing.
	isInit := map[string]*pb.TensorProto{}
	for _, in := range gp.GetInitializer() {
		isInit[in.GetName()] = in
	}
	static := make([]bool, len(nodes))
	for i, n := range nodes {
		switch n.GetOpType() {
		case "Shape", "Size", "Constant":
			static[i] = true
			continue
		}
		static[i] = true
		for _, in := range n.GetInput() {
			if p, ok := producer[in]; in != "" && isInit[in] == nil && !(ok && static[p]) {
				static[i] = false
			}
		}
	}
	for changed := true; changed; {
		changed = false
		readers := map[string][]int{}
		for i, n := range nodes {
			for _, in := range n.GetInput() {
				readers[in] = append(readers[in], i)
			}
		}
		for i := len(nodes) - 1; i >= 0; i-- {
			n := nodes[i]
			if tail[i] || !static[i] || !interpretable(n.GetOpType()) {
				continue
			}
			all, some := true, false
			for _, o := range n.GetOutput() {
				if isOutput[o] {
					all = false
				}
				for _, r := range readers[o] {
					some = true
					all = all && tail[r]
				}
			}
			if all && some {
				tail[i], changed = true, true
				why[i] = "read only by interpreted nodes"
			}
		}
		if moveIndexProducers(nodes, tail, why, producer) {
			changed = true
		}
	}

	// The prefix's outputs: the model's outputs it computes, then the
	// values the tail reads from it.
	inPrefix := map[string]bool{}
	for _, v := range gp.GetInput() {
		inPrefix[v.GetName()] = true
	}
	var pnodes, tnodes []*pb.NodeProto
	for i, n := range nodes {
		if tail[i] {
			tnodes = append(tnodes, n)
			continue
		}
		pnodes = append(pnodes, n)
		for _, o := range n.GetOutput() {
			inPrefix[o] = true
		}
	}
	if len(pnodes) == 0 {
		return nil, nil, fmt.Errorf("%s: no node before the interpreted tail can be compiled", m.name)
	}
	var pouts []*pb.ValueInfoProto
	for _, o := range gp.GetOutput() {
		if inPrefix[o.GetName()] {
			pouts = append(pouts, o)
		}
	}
	t := &Tail{Opset: opset}
	fed := map[string]bool{}
	used := map[string]bool{}
	var walk func(ns []*pb.NodeProto)
	walk = func(ns []*pb.NodeProto) {
		for _, n := range ns {
			for _, in := range n.GetInput() {
				used[in] = true
			}
			for _, a := range n.GetAttribute() {
				if g := a.GetG(); g != nil {
					walk(g.GetNode())
					for _, o := range g.GetOutput() {
						used[o.GetName()] = true
					}
				}
			}
		}
	}
	walk(tnodes)
	for _, o := range gp.GetOutput() {
		used[o.GetName()] = true
	}
	for _, n := range nodes {
		for _, o := range n.GetOutput() {
			if used[o] && inPrefix[o] && !fed[o] && isInit[o] == nil {
				if p := producer[o]; !tail[p] {
					fed[o] = true
					t.Feeds = append(t.Feeds, o)
					if !isOutput[o] {
						pouts = append(pouts, &pb.ValueInfoProto{Name: proto.String(o)})
					}
				}
			}
		}
	}
	var inits []*pb.TensorProto
	for _, in := range gp.GetInitializer() {
		if used[in.GetName()] {
			inits = append(inits, in)
		}
	}
	t.Graph = &pb.GraphProto{Name: proto.String(gp.GetName() + "/tail"), Node: tnodes, Initializer: inits, Output: gp.GetOutput()}
	for i, n := range nodes {
		if tail[i] {
			name := n.GetName()
			if name == "" && len(n.GetOutput()) > 0 {
				name = "→" + n.GetOutput()[0]
			}
			t.Nodes = append(t.Nodes, TailNode{Name: name, Op: n.GetOpType(), Why: why[i]})
		}
	}
	pm := &pb.ModelProto{IrVersion: m.m.IrVersion, OpsetImport: m.m.GetOpsetImport(), ProducerName: m.m.ProducerName,
		Graph: &pb.GraphProto{Name: gp.Name, Node: pnodes, Initializer: gp.GetInitializer(), Input: gp.GetInput(),
			Output: pouts, ValueInfo: gp.GetValueInfo()}}
	return &Model{name: m.name, dir: m.dir, m: pm}, t, nil
}

// topoOrder returns the nodes so that each follows the producers of its
// inputs (ONNX requires it; some exporters do not), taking the earliest
// ready node in the given order each time (a heap of ready indices: linear
// up to the log, where repeated sweeps were quadratic on 100k nodes given
// in reverse); with a cycle it returns them as given.
func topoOrder(nodes []*pb.NodeProto) []*pb.NodeProto {
	producer := make(map[string]int, len(nodes))
	for i, n := range nodes {
		for _, o := range n.GetOutput() {
			producer[o] = i
		}
	}
	waiting := make([]int, len(nodes))   // inputs (edges) not yet produced
	readers := make([][]int, len(nodes)) // by producer: the nodes reading it, once per edge
	ready := &nodeHeap{}
	for i, n := range nodes {
		for _, in := range n.GetInput() {
			if p, ok := producer[in]; ok && p != i {
				waiting[i]++
				readers[p] = append(readers[p], i)
			}
		}
		if waiting[i] == 0 {
			heap.Push(ready, i)
		}
	}
	out := make([]*pb.NodeProto, 0, len(nodes))
	for ready.Len() > 0 {
		k := heap.Pop(ready).(int)
		out = append(out, nodes[k])
		for _, r := range readers[k] {
			if waiting[r]--; waiting[r] == 0 {
				heap.Push(ready, r)
			}
		}
	}
	if len(out) < len(nodes) {
		return nodes
	}
	return out
}
