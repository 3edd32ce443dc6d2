package passes

import "github.com/mnc-go/mnc/ir"

// fuseResizeArgMax (pass fuse-resize-argmax) folds a Resize read by an
// ArgMax over the channels alone into the ArgMax (ir/argmax.go): a
// segmenter ending in upsample → ArgMax then never stores its
// full-resolution class scores; the step resizes each output row's
// pixels into a per-thread buffer and scans them. A Resize with a fused
// residual stays.
func fuseResizeArgMax(s *State) error {
	g := s.G
	cons := g.Consumers()
	fused := false
	for _, n := range g.Nodes {
		x := n.Input(0)
		if n.Op != ir.OpArgMax || n.Attrs.ResizeMode != "" || x == nil || len(x.Shape) != 4 || ir.ArgMaxAxis(&n.Attrs, 4) != 1 {
			continue
		}
		r := x.Producer
		if r == nil || r.Op != ir.OpResize || r.Attrs.Fused != (ir.Epilogue{}) || len(r.Inputs) != 1 || soleReader(g, cons, x) != n {
			continue
		}
		ra := r.Attrs
		n.Attrs.Axis = 1
		n.Attrs.ResizeMode, n.Attrs.CoordMode, n.Attrs.NearestMode = ra.ResizeMode, ra.CoordMode, ra.NearestMode
		n.Attrs.ResizeScales, n.Attrs.ResizeSizes = ra.ResizeScales, ra.ResizeSizes
		n.Inputs[0] = r.Input(0)
		s.fuse(n, "resize")
		fused = true
	}
	if fused {
		g.RemoveDead()
	}
	return nil
}
