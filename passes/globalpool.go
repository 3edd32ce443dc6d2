package passes

import (
	"slices"

	"github.com/mnc-go/mnc/ir"
)

// rewriteGlobalPool turns the spellings of a global average pool that
// exporters write into GlobalAveragePool, which has its own kernel:
//
//	ReduceMean(x, axes=[2,3] or [-2,-1], keepdims=1)  → GlobalAveragePool(x)
//	ReduceMean(x, axes=[2,3], keepdims=0)             → Flatten(GlobalAveragePool(x))
//	AveragePool(x) whose window is the whole map, no padding → GlobalAveragePool(x)
//
// x must be 4-D (NCHW). The Flatten of a [N,C,1,1] tensor is a free view in
// the plan. Any stride, ceil mode or count_include_pad gives one output
// pixel averaging every input pixel when the window is the map and there is
// no padding.
func rewriteGlobalPool(s *State) error {
	g := s.G
	for _, n := range slices.Clone(g.Nodes) {
		x := n.Input(0)
		if x == nil || x.IsConst() || len(x.Shape) != 4 {
			continue
		}
		switch n.Op {
		case ir.OpReduceMean:
			if !reducesHW(n.Attrs.Axes) {
				continue
			}
			keep := n.Attrs.KeepDims
			n.Op, n.Attrs = ir.OpGlobalAveragePool, ir.Attrs{}
			if !keep {
				// The Flatten takes over the node's name and output value
				// (readers and graph outputs keep it); the pool gets a new one.
				out := n.Output()
				fl := &ir.Node{Name: n.Name, Op: ir.OpFlatten, Attrs: ir.Attrs{Axis: 1}, Outputs: []*ir.Value{out}}
				n.Name = g.UniqueName(n.Name + ".pool")
				pooled := &ir.Value{Name: n.Name, Shape: ir.Shape{x.Shape[0], x.Shape[1], 1, 1}, Producer: n}
				n.Outputs[0] = pooled
				fl.Inputs = []*ir.Value{pooled}
				out.Producer = fl
				insertAfter(g, n, fl)
			}
			s.fuse(n, "reducemean")
		case ir.OpAveragePool:
			a := n.Attrs
			if a.Kernel != [2]int{x.Shape[2], x.Shape[3]} || a.Pads != [4]int{} || x.Shape[2] <= 0 || x.Shape[3] <= 0 {
				continue
			}
			n.Op, n.Attrs = ir.OpGlobalAveragePool, ir.Attrs{}
			s.fuse(n, "avgpool")
		}
	}
	return nil
}

// reducesHW reports whether axes of a 4-D ReduceMean are exactly H and W.
func reducesHW(axes []int) bool {
	if len(axes) != 2 {
		return false
	}
	var seen [4]bool
	for _, a := range axes {
		if a < 0 {
			a += 4
		}
		if a < 0 || a >= 4 {
			return false
		}
		seen[a] = true
	}
	return seen[2] && seen[3]
}
