package ir

// The activations numbered 140–159 (LeakyRelu, PRelu). Like every
// activation they fuse into a Conv or Gemm epilogue through their Act
// (see ActEpilogue); PRelu's per-channel slope travels in Epilogue.Slope.
func init() {
	RegisterOp(OpLeakyRelu, OpInfo{Name: "LeakyRelu", Attrs: "Alpha", Infer: inferUnary, Act: ActLeakyRelu, Eval: "ir.ApplyAct"})
	RegisterOp(OpPRelu, OpInfo{Name: "PRelu", MinInputs: 2, Infer: inferPRelu, Act: ActPRelu, Eval: "ir.ApplyAct, slope per element"})
}

// inferPRelu: the slope broadcasts to X (ONNX's unidirectional broadcast).
func inferPRelu(n *Node) (Shape, error) {
	x, s := n.Input(0).Shape, n.Input(1).Shape
	if b, ok := BroadcastShapes(x, s); !ok || !b.Equal(x) {
		return fail(n, "slope %q %v does not broadcast to %v", n.Input(1).Name, s, x)
	}
	return x.Clone(), nil
}

// channelSlope returns PRelu node n's slope as one value per channel of
// its output (axis 1), when the slope is a constant that varies along that
// axis only (shapes [C,1,1] or [1,C,1,1] on NCHW, [C] on [N, C]).
func channelSlope(n *Node) (*Tensor, bool) {
	s := n.Input(1)
	if s == nil || !s.IsConst() || len(n.Outputs) != 1 {
		return nil, false
	}
	out := n.Output().Shape
	if len(out) < 2 || out[1] <= 0 {
		return nil, false
	}
	// Align the slope's axes with the output's (numpy broadcasting).
	lead := len(out) - len(s.Shape)
	for i, d := range s.Shape {
		if d != 1 && i+lead != 1 {
			return nil, false
		}
	}
	c := out[1]
	data := s.Const.Data
	if len(data) == 1 && c != 1 {
		data = make([]float32, c) // one slope for every channel
		for i := range data {
			data[i] = s.Const.Data[0]
		}
	}
	if len(data) != c {
		return nil, false
	}
	// Shaped [C, 1, …] (rank of the output − 1): it broadcasts to the
	// output along axis 1, as ONNX's PRelu reads it.
	shape := make(Shape, len(out)-1)
	for i := range shape {
		shape[i] = 1
	}
	shape[0] = c
	return &Tensor{Shape: shape, Data: data}, true
}
