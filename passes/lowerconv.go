package passes

import "github.com/mnc-go/mnc/ir"

// lowerConv chooses how each Conv and Gemm runs:
//
//	"gemm"    1×1, stride 1, no padding, group 1: a GEMM straight on the NHWC
//	          activation (rows = pixels), no im2col and no copy; and every
//	          Gemm (FC) with constant weights
//	"dwconv"  depthwise: group = Cin = Cout, dilation 1, no residual
//	"conv"    any other group-1 conv (the stem; 1×1 with stride 2): the
//	          kernels' dense conv, with per-thread scratch
//	"generic" the rest (grouped convs, channel multipliers, weights that are
//	          not constant, transposed A): the runtime's generic code
func lowerConv(s *State) error {
	for _, n := range s.G.Nodes {
		switch n.Op {
		case ir.OpConv:
			n.Attrs.Algo = convAlgo(n)
		case ir.OpGemm:
			n.Attrs.Algo = gemmAlgo(n)
		}
	}
	return nil
}

func convAlgo(n *ir.Node) string {
	a := n.Attrs
	w := n.Input(1)
	if !w.IsConst() || (n.Input(2) != nil && !n.Input(2).IsConst()) {
		return "generic"
	}
	cin, cout := n.Input(0).Shape[1], w.Shape[0]
	switch {
	case a.Group == 1 && w.Shape[2] == 1 && w.Shape[3] == 1 && a.Strides == [2]int{1, 1} && a.Pads == [4]int{}:
		return "gemm"
	case a.Group == 1:
		return "conv"
	case a.Group == cin && cin == cout && a.Dilations == [2]int{1, 1} && !a.Fused.Residual:
		return "dwconv"
	}
	return "generic"
}

func gemmAlgo(n *ir.Node) string {
	b, c := n.Input(1), n.Input(2)
	nOut := n.Output().Shape[1]
	if !b.IsConst() || n.Attrs.TransA || (c != nil && (!c.IsConst() || c.Shape.Size() != nOut)) {
		return "generic"
	}
	return "gemm"
}
