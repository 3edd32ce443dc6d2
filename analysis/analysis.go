// Package analysis counts what a MobileNet-family graph costs, layer by
// layer, with the conventions of the papers and torchvision: MACs are the
// multiply-adds of Conv and Gemm only (BatchNorm is folded; activations,
// pools, adds and the SE channel scale are free), FLOPs = 2·MACs, params are
// weights + biases + BatchNorm γ/β (not the running statistics), and
// "weights" are the Conv/Gemm weight tensors alone (the paper's Table 2
// shares are computed on those).
package analysis

import (
	"fmt"

	"github.com/mnc-go/mnc/ir"
)

// NamedShape is a graph output and its shape.
type NamedShape struct {
	Name  string `json:"name"`
	Shape []int  `json:"shape"`
}

// Layer is one Conv or Gemm with the BatchNorm that follows it folded in.
type Layer struct {
	Name     string `json:"name"`
	Op       string `json:"op"`
	Kind     string `json:"kind"`   // see the Kind* constants
	Kernel   [2]int `json:"kernel"` // kh, kw (1×1 for fc)
	Stride   int    `json:"stride"`
	Groups   int    `json:"groups"`
	In       []int  `json:"in_shape"`
	Out      []int  `json:"out_shape"`
	Weights  int64  `json:"weights"`   // the weight tensor
	Params   int64  `json:"params"`    // weights + bias + folded BN γ/β
	MACs     int64  `json:"macs"`      // out_elems·(Cin/group)·kh·kw, or in·out
	OutBytes int64  `json:"out_bytes"` // fp32 output activation
}

// Kinds of layers.
const (
	KindPointwise = "pointwise 1x1"
	KindStem      = "stem conv"
	KindFC        = "fc"
	KindSE        = "se"
	KindOther     = "other" // parameters of a node no Conv/Gemm row absorbs
)

// KindDepthwise returns the kind of a k×k depthwise conv ("depthwise 3x3").
func KindDepthwise(kh, kw int) string { return fmt.Sprintf("depthwise %dx%d", kh, kw) }

// KindConvTranspose returns the kind of a k×k transposed conv ("conv-transpose 2x2").
func KindConvTranspose(kh, kw int) string { return fmt.Sprintf("conv-transpose %dx%d", kh, kw) }

// KindConv returns the kind of a full (or grouped) k×k conv ("conv 3x3").
func KindConv(kh, kw int) string { return fmt.Sprintf("conv %dx%d", kh, kw) }

// Share is the total of one layer kind and its fraction of the network's.
type Share struct {
	Kind        string  `json:"kind"`
	Layers      int     `json:"layers"`
	MACs        int64   `json:"macs"`
	Params      int64   `json:"params"`
	Weights     int64   `json:"weights"`
	MACShare    float64 `json:"mac_share"`    // fraction of all MACs
	ParamShare  float64 `json:"param_share"`  // fraction of all params
	WeightShare float64 `json:"weight_share"` // fraction of all weights (paper Table 2)
}

// Standard is the cost of the same network with a standard k×k conv in
// place of every depthwise-separable pair (depthwise k×k followed by a 1×1):
// Dk·Dk·M·N·Df·Df MACs and Dk·Dk·M·N weights instead of
// Dk·Dk·M·Df·Df + M·N·Df·Df and Dk·Dk·M + M·N.
type Standard struct {
	Pairs   int     `json:"pairs"` // depthwise-separable pairs replaced
	MACs    int64   `json:"macs"`
	Weights int64   `json:"weights"`
	Ratio   float64 `json:"mac_ratio"` // MACs of the network / MACs with standard convs
}

// Report is the analysis of one graph.
type Report struct {
	Model  string `json:"model"`
	Input  []int  `json:"input_shape"`
	Output []int  `json:"output_shape"` // the first output's
	// Outputs names every output with its shape (a detector has several).
	Outputs  []NamedShape `json:"outputs"`
	Layers   []Layer      `json:"layers"`
	MACs     int64        `json:"macs"`
	FLOPs    int64        `json:"flops"` // 2·MACs
	Params   int64        `json:"params"`
	Weights  int64        `json:"weights"`
	OutBytes int64        `json:"activation_bytes"` // sum of the layers' fp32 outputs
	Shares   []Share      `json:"shares"`
	Standard Standard     `json:"standard_conv"`
}

// Analyze counts g's layers for the batch its input declares; a symbolic
// batch (-1) is counted as 1 (on a copy: g is not changed). The graph must
// have inferred shapes (as every builder and importer leaves it); other
// unknown dimensions are an error naming the node.
func Analyze(g *ir.Graph) (*Report, error) {
	if g.Unbound != nil {
		return nil, g.Unbound
	}
	if len(g.Inputs) == 0 || len(g.Outputs) == 0 {
		return nil, fmt.Errorf("graph %q: needs an input and an output to analyze", g.Name)
	}
	for _, v := range g.Inputs {
		if len(v.Shape) > 0 && v.Shape[0] < 0 {
			g = g.Clone()
			if err := g.SetBatch(1); err != nil {
				return nil, fmt.Errorf("graph %q: binding the symbolic batch to 1: %w", g.Name, err)
			}
			break
		}
	}
	r := &Report{Model: g.Name, Input: g.Inputs[0].Shape.Clone(), Output: g.Outputs[0].Shape.Clone()}
	for _, o := range g.Outputs {
		r.Outputs = append(r.Outputs, NamedShape{o.Name, o.Shape.Clone()})
	}
	se := seConvs(g)
	rows := map[*ir.Node]int{} // Conv/Gemm node → index in r.Layers
	graphInput := map[*ir.Value]bool{}
	for _, v := range g.Inputs {
		graphInput[v] = true
	}
	for _, n := range g.Nodes {
		switch n.Op {
		case ir.OpConv, ir.OpGemm, ir.OpConvTranspose:
			l, err := layerOf(n, se[n], graphInput[n.Input(0)])
			if err != nil {
				return nil, err
			}
			rows[n] = len(r.Layers)
			r.Layers = append(r.Layers, l)
		case ir.OpBatchNorm:
			// γ and β count; the running statistics do not (torchvision's
			// num_params counts only trainable tensors).
			p := constSize(n.Input(1)) + constSize(n.Input(2))
			if i, ok := rows[n.Input(0).Producer]; ok && n.Input(0).Producer != nil {
				r.Layers[i].Params += p
				continue
			}
			r.Layers = append(r.Layers, Layer{Name: n.Name, Op: n.Op.String(), Kind: KindOther, Out: n.Output().Shape.Clone(), Params: p})
		}
	}
	for _, l := range r.Layers {
		r.MACs += l.MACs
		r.Params += l.Params
		r.Weights += l.Weights
		r.OutBytes += l.OutBytes
	}
	r.FLOPs = 2 * r.MACs
	r.Shares = shares(r)
	r.Standard = standardCost(g, r, rows)
	return r, nil
}

func constSize(v *ir.Value) int64 {
	if v == nil || v.Const == nil {
		return 0
	}
	return int64(v.Shape.Size())
}

// known returns the size of s, or an error naming the node when a
// dimension is unknown.
func known(n *ir.Node, what string, s ir.Shape) (int64, error) {
	if len(s) == 0 || s.Size() < 0 {
		return 0, fmt.Errorf("node %q (%s): %s shape %v is not known (bind the batch and infer shapes first)", n.Name, n.Op, what, s)
	}
	return int64(s.Size()), nil
}

func layerOf(n *ir.Node, isSE, readsInput bool) (Layer, error) {
	l := Layer{Name: n.Name, Op: n.Op.String(), In: n.Input(0).Shape.Clone(), Out: n.Output().Shape.Clone(), Stride: 1, Groups: 1, Kernel: [2]int{1, 1}}
	outElems, err := known(n, "output", n.Output().Shape)
	if err != nil {
		return l, err
	}
	w := n.Input(1)
	if w == nil {
		return l, fmt.Errorf("node %q (%s): has no weight input", n.Name, n.Op)
	}
	l.Weights, err = known(n, "weight", w.Shape)
	if err != nil {
		return l, err
	}
	l.Params = l.Weights + constSize(n.Input(2))
	l.OutBytes = 4 * outElems
	switch n.Op {
	case ir.OpConv:
		if len(w.Shape) != 4 {
			return l, fmt.Errorf("node %q (Conv): weight %q has shape %v, want 4-D", n.Name, w.Name, w.Shape)
		}
		cinPerGroup, kh, kw := w.Shape[1], w.Shape[2], w.Shape[3]
		l.Kernel = [2]int{kh, kw}
		l.Stride = n.Attrs.Strides[0]
		l.Groups = n.Attrs.Group
		l.MACs = outElems * int64(cinPerGroup*kh*kw)
		switch {
		case isSE:
			l.Kind = KindSE
		case l.Groups > 1 && cinPerGroup == 1:
			l.Kind = KindDepthwise(kh, kw)
		case kh == 1 && kw == 1 && l.Groups == 1:
			l.Kind = KindPointwise
		case readsInput:
			l.Kind = KindStem
		default:
			l.Kind = KindConv(kh, kw)
		}
	case ir.OpConvTranspose:
		// Every input pixel of every channel meets (Cout/group)·kh·kw weights.
		inElems, err := known(n, "input", n.Input(0).Shape)
		if err != nil || len(w.Shape) != 4 {
			return l, fmt.Errorf("node %q (ConvTranspose): input %v and weight %v must be known and 4-D", n.Name, n.Input(0).Shape, w.Shape)
		}
		l.Kernel = [2]int{w.Shape[2], w.Shape[3]}
		l.Stride = n.Attrs.Strides[0]
		l.Groups = n.Attrs.Group
		l.MACs = inElems * int64(w.Shape[1]*w.Shape[2]*w.Shape[3])
		l.Kind = KindConvTranspose(w.Shape[2], w.Shape[3])
	case ir.OpGemm:
		// A·B with A [M, K]: M·K·N multiply-adds, K·N per batch row.
		a := n.Input(0).Shape
		if len(a) != 2 {
			return l, fmt.Errorf("node %q (Gemm): input %q has shape %v, want 2-D", n.Name, n.Input(0).Name, a)
		}
		k := a[1]
		if n.Attrs.TransA {
			k = a[0]
		}
		l.MACs = outElems * int64(k)
		l.Kind = KindFC
	}
	return l, nil
}

// seConvs finds the convolutions of squeeze-and-excitation branches: for
// every Mul, walk back from each operand through single-input ops and convs
// to a GlobalAveragePool; the convs on such a path compute a channel scale.
func seConvs(g *ir.Graph) map[*ir.Node]bool {
	se := map[*ir.Node]bool{}
	for _, n := range g.Nodes {
		if n.Op != ir.OpMul {
			continue
		}
		for _, in := range n.Inputs {
			var path []*ir.Node
			for v := in; v != nil && v.Producer != nil; v = v.Producer.Input(0) {
				p := v.Producer
				if p.Op == ir.OpGlobalAveragePool {
					for _, c := range path {
						se[c] = true
					}
					break
				}
				if p.Op != ir.OpConv && !p.Op.IsElementwiseActivation() && p.Op != ir.OpBatchNorm {
					break
				}
				if p.Op == ir.OpConv {
					path = append(path, p)
				}
			}
		}
	}
	return se
}

func shares(r *Report) []Share {
	var out []Share
	idx := map[string]int{}
	for _, l := range r.Layers {
		i, ok := idx[l.Kind]
		if !ok {
			i = len(out)
			idx[l.Kind] = i
			out = append(out, Share{Kind: l.Kind})
		}
		s := &out[i]
		s.Layers++
		s.MACs += l.MACs
		s.Params += l.Params
		s.Weights += l.Weights
	}
	frac := func(a, b int64) float64 {
		if b == 0 {
			return 0
		}
		return float64(a) / float64(b)
	}
	for i := range out {
		out[i].MACShare = frac(out[i].MACs, r.MACs)
		out[i].ParamShare = frac(out[i].Params, r.Params)
		out[i].WeightShare = frac(out[i].Weights, r.Weights)
	}
	return out
}

// ShareOf returns the share of a kind (zero when the graph has none).
func (r *Report) ShareOf(kind string) Share {
	for _, s := range r.Shares {
		if s.Kind == kind {
			return s
		}
	}
	return Share{Kind: kind}
}
