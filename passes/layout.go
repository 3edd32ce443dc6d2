package passes

import "github.com/mnc-go/mnc/ir"

// chooseLayout stores every 4-D activation channels-last (NHWC): the
// kernels are written for it, and a 1×1 conv is then a GEMM on memory as it
// lies. The graph's 4-D inputs arrive NCHW and get one NHWC copy each;
// outputs are converted back by emit-steps. Other ranks (after Flatten) are
// row-major, the same in both layouts, so the only conversions are at the
// graph's edges.
func chooseLayout(s *State) error {
	for _, n := range s.G.Nodes {
		for _, o := range n.Outputs {
			s.NHWC[o] = len(o.Shape) == 4
		}
	}
	for _, v := range s.G.Inputs {
		if len(v.Shape) == 4 {
			c := &ir.Value{Name: v.Name + ".nhwc", Shape: v.Shape.Clone()}
			s.NHWC[c] = true
			s.edgeIn[v] = c
		}
	}
	return nil
}

// rowMajorBytes reports whether v's storage is laid out as its row-major
// logical order (so it may be reinterpreted by Flatten/Reshape for free).
func (s *State) rowMajorBytes(v *ir.Value) bool {
	if !s.NHWC[v] {
		return true
	}
	return v.Shape[1] == 1 || v.Shape[2]*v.Shape[3] == 1
}
