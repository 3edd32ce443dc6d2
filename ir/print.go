package ir

import (
	"fmt"
	"io"
	"strings"
)

// Dump writes the graph in a stable, line-oriented text form, one line per
// input, node and output, suitable for golden tests and -dump-after.
func (g *Graph) Dump(w io.Writer) {
	fmt.Fprintf(w, "graph %s\n", g.Name)
	for _, v := range g.Inputs {
		fmt.Fprintf(w, "  input %s %v%s\n", v.Name, v.Shape, layout(v))
	}
	for _, n := range g.Nodes {
		ins := make([]string, len(n.Inputs))
		for i, v := range n.Inputs {
			switch {
			case v == nil:
				ins[i] = "_"
			case v.Const != nil:
				ins[i] = "$" + v.Name + v.Shape.String()
			default:
				ins[i] = "%" + v.Name
			}
		}
		fmt.Fprintf(w, "  %%%s = %s(%s)%s -> %v%s\n", n.Output().Name, n.Op, strings.Join(ins, ", "), n.AttrString(), n.Output().Shape, layout(n.Output()))
	}
	outs := make([]string, len(g.Outputs))
	for i, v := range g.Outputs {
		outs[i] = "%" + v.Name
	}
	fmt.Fprintf(w, "  return %s\n", strings.Join(outs, ", "))
}

// layout is " nhwc" for a value stored channels-last (choose-layout), else "".
func layout(v *Value) string {
	if v.NHWC {
		return " nhwc"
	}
	return ""
}

// String returns Dump's text.
func (g *Graph) String() string {
	var b strings.Builder
	g.Dump(&b)
	return b.String()
}

// AttrString renders the attributes that matter for n's op, with a leading
// space, or "" when there are none.
func (n *Node) AttrString() string {
	a := n.Attrs
	var p []string
	switch n.Op {
	case OpConv:
		if w := n.Input(1); w != nil && len(w.Shape) == 4 {
			p = append(p, fmt.Sprintf("k=%dx%d", w.Shape[2], w.Shape[3]))
		}
		p = append(p, fmt.Sprintf("s=%dx%d", a.Strides[0], a.Strides[1]), fmt.Sprintf("p=%d,%d,%d,%d", a.Pads[0], a.Pads[1], a.Pads[2], a.Pads[3]))
		if a.Dilations != [2]int{1, 1} {
			p = append(p, fmt.Sprintf("d=%dx%d", a.Dilations[0], a.Dilations[1]))
		}
		if a.Group != 1 {
			p = append(p, fmt.Sprintf("g=%d", a.Group))
		}
	case OpAveragePool, OpMaxPool:
		p = append(p, fmt.Sprintf("k=%dx%d", a.Kernel[0], a.Kernel[1]), fmt.Sprintf("s=%dx%d", a.Strides[0], a.Strides[1]), fmt.Sprintf("p=%d,%d,%d,%d", a.Pads[0], a.Pads[1], a.Pads[2], a.Pads[3]))
		if a.CeilMode {
			p = append(p, "ceil")
		}
		if a.CountIncludePad {
			p = append(p, "count_include_pad")
		}
	case OpBatchNorm:
		p = append(p, fmt.Sprintf("eps=%g", a.Epsilon))
	case OpMul:
		if a.SE {
			p = append(p, "se")
		}
	case OpClip:
		p = append(p, fmt.Sprintf("min=%g max=%g", a.Min, a.Max))
	case OpHardSigmoid:
		p = append(p, fmt.Sprintf("alpha=%g beta=%g", a.Alpha, a.Beta))
	case OpLeakyRelu:
		p = append(p, fmt.Sprintf("alpha=%g", a.Alpha))
	case OpGemm:
		p = append(p, fmt.Sprintf("alpha=%g beta=%g", a.Alpha, a.Beta))
		if a.TransA {
			p = append(p, "transA")
		}
		if a.TransB {
			p = append(p, "transB")
		}
	case OpFlatten, OpSoftmax, OpConcat:
		p = append(p, fmt.Sprintf("axis=%d", a.Axis))
	case OpReshape:
		p = append(p, fmt.Sprintf("shape=%v", a.Shape))
	case OpTranspose:
		p = append(p, fmt.Sprintf("perm=%v", a.Perm))
	case OpReduceMean:
		p = append(p, fmt.Sprintf("axes=%v keepdims=%v", a.Axes, a.KeepDims))
	case OpResize, OpConvTranspose:
		p = append(p, denseAttrStrings(n)...)
	case OpPad:
		mode := a.PadMode
		if mode == "" {
			mode = "constant"
		}
		p = append(p, fmt.Sprintf("pads=%v mode=%s value=%g", a.PadAmounts, mode, a.PadValue))
	}
	if e := a.Fused; e.Act != ActNone || e.Residual {
		s := "fused="
		if e.Residual {
			s += "+residual"
		}
		switch e.Act {
		case ActNone:
		case ActClip:
			s += fmt.Sprintf("+clip(%g,%g)", e.Min, e.Max)
		case ActHardSigmoid:
			s += fmt.Sprintf("+hardsigmoid(%g,%g)", e.Alpha, e.Beta)
		case ActLeakyRelu:
			s += fmt.Sprintf("+leakyrelu(%g)", e.Alpha)
		case ActPRelu:
			s += fmt.Sprintf("+prelu(%d slopes)", tensorLen(e.Slope))
		default:
			s += "+" + e.Act.String()
		}
		p = append(p, s)
	}
	if len(a.Folded) > 0 {
		p = append(p, "folded="+strings.Join(a.Folded, "+"))
	}
	if a.Algo != "" {
		p = append(p, "algo="+a.Algo)
	}
	if len(p) == 0 {
		return ""
	}
	return " " + strings.Join(p, " ")
}
