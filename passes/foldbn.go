package passes

import (
	"strconv"

	"github.com/mnc-go/mnc/ir"
)

// foldBN folds an inference BatchNorm into the Conv or Gemm before it:
//
//	s  = γ/√(var+ε)
//	w' = w·s   (per output channel)
//	b' = (b − mean)·s + β   (b = 0 without bias)
//
// It refuses — keeping the BatchNorm, which the runtime then runs as a
// per-channel scale and shift — when the conv's output has other readers or
// is a graph output, when the conv already has a fused epilogue, or when any
// parameter is not constant.
func foldBN(s *State) error {
	g := s.G
	cons := g.Consumers()
	// With ReleaseWeights, a conv weight that only the folded conv reads is
	// released as soon as its scaled copy replaces it, so that the pass
	// holds one layer's weights twice, not the whole network's.
	var readers map[*ir.Tensor]int
	if s.Opts.ReleaseWeights {
		readers = constReaders(g)
	}
	for _, bn := range g.Nodes {
		if bn.Op != ir.OpBatchNorm {
			continue
		}
		x := bn.Input(0)
		p := x.Producer
		if p == nil || (p.Op != ir.OpConv && p.Op != ir.OpGemm && p.Op != ir.OpConvTranspose) || len(cons[x]) != 1 || g.IsOutput(x) {
			continue
		}
		if p.Attrs.Fused != (ir.Epilogue{}) || !p.Input(1).IsConst() {
			continue
		}
		if b := p.Input(2); b != nil && !b.IsConst() {
			continue
		}
		scale, _, ok := BNAffine(bn)
		if !ok {
			continue
		}
		beta, mean := bn.Input(2).Const.Data, bn.Input(3).Const.Data
		c := len(scale)
		var w *ir.Tensor
		var bias []float32
		switch p.Op {
		case ir.OpConv, ir.OpConvTranspose:
			if b := p.Input(2); b != nil {
				bias = b.Const.Data
			}
			w = s.Opts.Weights.cachedTensor(p.Input(1).Const, "bn:"+p.Op.String()+":"+strconv.Itoa(p.Attrs.Group)+":"+hashFloats64(scale), func() *ir.Tensor {
				w, _ := scaleOutChannels(p, scale)
				return w
			})
		case ir.OpGemm:
			w, bias = foldGemmBN(p, scale)
			if w == nil {
				continue
			}
		}
		nb := make([]float32, c)
		for i := range nb {
			b := 0.0
			if bias != nil {
				b = float64(bias[i])
			}
			nb[i] = float32((b-float64(mean[i]))*scale[i] + float64(beta[i]))
		}
		old := p.Input(1)
		p.Inputs[1] = g.AddConst(p.Name+".w_bn", w)
		if readers != nil && readers[old.Const] == 1 && !g.IsOutput(old) && old.Const != w {
			old.Const.Data = nil
		}
		for len(p.Inputs) < 3 {
			p.Inputs = append(p.Inputs, nil)
		}
		p.Inputs[2] = g.AddConst(p.Name+".b_bn", ir.FromData(nb, c))
		if p.Op == ir.OpGemm {
			p.Attrs.Beta = 1
		}
		replaceUses(g, cons, bn.Output(), x)
		s.fuse(p, "bn")
	}
	g.RemoveDead()
	return nil
}

// foldConvBN scales each output channel's filter; it returns the new weight
// and the old bias (nil when absent).
func foldConvBN(p *ir.Node, scale []float64) (*ir.Tensor, []float32) {
	w := p.Input(1).Const
	nw := w.Clone()
	per := len(w.Data) / w.Shape[0]
	for o := 0; o < w.Shape[0]; o++ {
		for i := o * per; i < (o+1)*per; i++ {
			nw.Data[i] = float32(float64(w.Data[i]) * scale[o])
		}
	}
	var bias []float32
	if b := p.Input(2); b != nil {
		bias = b.Const.Data
	}
	return nw, bias
}

// foldGemmBN scales Gemm's output columns. Alpha multiplies A·B only, so it
// stays; the bias C (times Beta) must be a per-column vector, else the fold
// is refused (nil weight).
func foldGemmBN(p *ir.Node, scale []float64) (*ir.Tensor, []float32) {
	w := p.Input(1).Const
	nOut := len(scale)
	var bias []float32
	if c := p.Input(2); c != nil {
		if c.Shape.Size() != nOut {
			return nil, nil
		}
		bias = make([]float32, nOut)
		for j := range bias {
			bias[j] = p.Attrs.Beta * c.Const.Data[j]
		}
	}
	nw := w.Clone()
	r, cols := w.Shape[0], w.Shape[1]
	for i := 0; i < r; i++ {
		for j := 0; j < cols; j++ {
			o := j // B is [K][N]: column j is output j
			if p.Attrs.TransB {
				o = i // B is [N][K]: row i is output i
			}
			nw.Data[i*cols+j] = float32(float64(w.Data[i*cols+j]) * scale[o])
		}
	}
	return nw, bias
}
