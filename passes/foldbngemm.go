package passes

import (
	"math"

	"github.com/mnc-go/mnc/ir"
)

// foldBNIntoGemm folds a BatchNorm on a classifier's input (BatchNorm1d on
// the pooled features, then Linear) into the Gemm after it. With
// x' = x·s + t per feature k (s = γ/√(var+ε), t = β − mean·s):
//
//	α·x'·B + β·C = α·x·(s∘B) + (β·C + α·t·B)
//
// so B's row k (column k when transB) is scaled by s[k] and the bias
// becomes the per-column vector β·C + α·t·B, with Beta 1. Unlike a conv, a
// Gemm has no padding for the shift to leak into, so the fold is exact.
// The BatchNorm's input must be 2-D, its output read only by the Gemm as A
// (not transposed), B constant and C absent or a constant vector.
func foldBNIntoGemm(s *State) error {
	g := s.G
	cons := g.Consumers()
	for _, bn := range g.Nodes {
		if bn.Op != ir.OpBatchNorm || len(bn.Input(0).Shape) != 2 {
			continue
		}
		out := bn.Output()
		gm := soleReader(g, cons, out)
		if gm == nil || gm.Op != ir.OpGemm || gm.Input(0) != out || gm.Attrs.TransA || gm.Attrs.Fused != (ir.Epilogue{}) {
			continue
		}
		b, c := gm.Input(1), gm.Input(2)
		if b == out || !b.IsConst() || (c != nil && (!c.IsConst() || c.Shape.Size() != gm.Output().Shape[1])) {
			continue
		}
		scale, shift, ok := BNAffine(bn)
		if !ok {
			continue
		}
		k, n := len(scale), gm.Output().Shape[1]
		at := func(kk, j int) int { return kk*n + j } // B [K][N]
		if gm.Attrs.TransB {
			at = func(kk, j int) int { return j*k + kk } // B [N][K]
		}
		nb := b.Const.Clone()
		bias := make([]float64, n)
		for j := 0; j < n; j++ {
			if c != nil {
				bias[j] = float64(gm.Attrs.Beta) * float64(c.Const.Data[j])
			}
			for kk := 0; kk < k; kk++ {
				w := float64(b.Const.Data[at(kk, j)])
				nb.Data[at(kk, j)] = float32(w * scale[kk])
				bias[j] += float64(gm.Attrs.Alpha) * shift[kk] * w
			}
		}
		nc := make([]float32, n)
		for j := range nc {
			nc[j] = float32(bias[j])
		}
		gm.Inputs = append([]*ir.Value{bn.Input(0), g.AddConst(gm.Name+".w_bn", nb), g.AddConst(gm.Name+".c_bn", ir.FromData(nc, n))}, gm.Inputs[min(3, len(gm.Inputs)):]...)
		gm.Attrs.Beta = 1
		s.fuse(gm, "bn-in")
	}
	g.RemoveDead()
	return nil
}

// BNAffine returns BatchNorm bn as a per-channel x·scale + shift, or false
// when a parameter is not constant or the four differ in length: the one
// place the inference form scale = gamma/sqrt(var+eps), shift = beta −
// mean·scale is written (fold-bn, fold-bn-gemm, the standalone BatchNorm
// step and the quantizer's BN folding use it).
func BNAffine(bn *ir.Node) (scale, shift []float64, ok bool) {
	var p [4][]float32
	for i := range p {
		v := bn.Input(i + 1)
		if !v.IsConst() {
			return nil, nil, false
		}
		p[i] = v.Const.Data
	}
	c := len(p[0])
	for i := 1; i < 4; i++ {
		if len(p[i]) != c {
			return nil, nil, false
		}
	}
	scale, shift = make([]float64, c), make([]float64, c)
	for i := 0; i < c; i++ {
		scale[i] = float64(p[0][i]) / math.Sqrt(float64(p[3][i])+float64(bn.Attrs.Epsilon))
		shift[i] = float64(p[1][i]) - float64(p[2][i])*scale[i]
	}
	return scale, shift, true
}
