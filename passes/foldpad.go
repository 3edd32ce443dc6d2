package passes

import "github.com/mnc-go/mnc/ir"

// foldPad folds an explicit zero padding of H and W (opset-9 Pad, torch
// F.pad, Keras ZeroPadding2D before a strided conv) into the Conv reading
// it: the conv's own pads grow by the Pad's amounts, which the conv
// kernels treat as zeros too. Only a constant-mode Pad with value 0, no
// padding of N or C, no negative amount (a crop), and the Conv's data input
// as its only reader is folded.
func foldPad(s *State) error {
	g := s.G
	cons := g.Consumers()
	for _, pad := range g.Nodes {
		if pad.Op != ir.OpPad {
			continue
		}
		x, out, a := pad.Input(0), pad.Output(), pad.Attrs
		if x.IsConst() || len(x.Shape) != 4 || len(a.PadAmounts) != 8 || !(a.PadMode == "" || a.PadMode == "constant") || a.PadValue != 0 {
			continue
		}
		p := a.PadAmounts // begins N C H W, then ends N C H W
		if p[0] != 0 || p[1] != 0 || p[4] != 0 || p[5] != 0 || p[2] < 0 || p[3] < 0 || p[6] < 0 || p[7] < 0 {
			continue
		}
		conv := soleReader(g, cons, out)
		if conv == nil || conv.Op != ir.OpConv || conv.Input(0) != out || conv.Input(1) == out || (len(conv.Inputs) > 3 && conv.Input(3) == out) {
			continue
		}
		before := conv.Attrs.Pads
		conv.Attrs.Pads[0] += p[2]
		conv.Attrs.Pads[1] += p[3]
		conv.Attrs.Pads[2] += p[6]
		conv.Attrs.Pads[3] += p[7]
		conv.Inputs[0] = x
		if sh, err := ir.InferNode(conv); err != nil || !sh.Equal(conv.Output().Shape) {
			conv.Attrs.Pads, conv.Inputs[0] = before, out // cannot happen for a valid graph; stay safe
			continue
		}
		s.fuse(conv, "pad")
	}
	g.RemoveDead()
	return nil
}
