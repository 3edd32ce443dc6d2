package reference

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/mnc-go/mnc/ir"
)

// bnParams holds one BatchNorm's scale, bias, mean and variance.
type bnParams struct{ scale, bias, mean, variance *ir.Tensor }

func randomBN(r *rand.Rand, c int) bnParams {
	p := bnParams{random(r, c), random(r, c), random(r, c), random(r, c)}
	for i := range p.variance.Data {
		p.variance.Data[i] = p.variance.Data[i]*p.variance.Data[i] + 0.1
	}
	return p
}

// foldBN returns conv weights and bias with BatchNorm p folded in:
// w'[o] = w[o]·s[o], b'[o] = β[o] − μ[o]·s[o] with s = γ/sqrt(σ²+ε).
func foldBN(w *ir.Tensor, p bnParams, eps float32) (*ir.Tensor, *ir.Tensor) {
	out := w.Clone()
	m := w.Shape[0]
	per := len(w.Data) / m
	b := ir.NewTensor(m)
	for o := 0; o < m; o++ {
		s := float64(p.scale.Data[o]) / math.Sqrt(float64(p.variance.Data[o])+float64(eps))
		for i := o * per; i < (o+1)*per; i++ {
			out.Data[i] = float32(float64(w.Data[i]) * s)
		}
		b.Data[o] = float32(float64(p.bias.Data[o]) - float64(p.mean.Data[o])*s)
	}
	return out, b
}

// A MobileNetV2 inverted residual block (expand 1×1 t=6 → BN → ReLU6,
// depthwise 3×3 → BN → ReLU6, project 1×1 → BN, residual add), built by hand
// in ir, run by Run, equals (1) the same nodes evaluated one by one with
// Eval and (2) the fused form (BN folded, ReLU6 and the residual in the
// conv epilogues) that the passes produce.
func TestV2BlockAgainstEvalComposition(t *testing.T) {
	if testing.Short() {
		t.Skip("V2 block: skipped in -short")
	}
	const c, t6, hw = 16, 6, 14
	const eps = 1e-5
	e := c * t6
	r := rand.New(rand.NewPCG(21, 22))
	wExp, wDW, wProj := random(r, e, c, 1, 1), random(r, e, 1, 3, 3), random(r, c, e, 1, 1)
	bnExp, bnDW, bnProj := randomBN(r, e), randomBN(r, e), randomBN(r, c)
	x := FixedInput(1, c, hw, hw)

	g := ir.New("v2block")
	in := g.AddInput("x", 1, c, hw, hw)
	bn := func(name string, v *ir.Value, p bnParams) *ir.Value {
		return g.AddNode(ir.OpBatchNorm, name, ir.Attrs{Epsilon: eps}, v,
			g.AddConst(name+"_scale", p.scale), g.AddConst(name+"_bias", p.bias),
			g.AddConst(name+"_mean", p.mean), g.AddConst(name+"_var", p.variance))
	}
	v := g.AddNode(ir.OpConv, "expand", ir.ConvAttrs(1, 0, 1), in, g.AddConst("expand_w", wExp))
	v = g.AddNode(ir.OpClip, "expand_relu6", ir.Relu6Attrs(), bn("expand_bn", v, bnExp))
	v = g.AddNode(ir.OpConv, "dw", ir.ConvAttrs(1, 1, e), v, g.AddConst("dw_w", wDW))
	v = g.AddNode(ir.OpClip, "dw_relu6", ir.Relu6Attrs(), bn("dw_bn", v, bnDW))
	v = g.AddNode(ir.OpConv, "project", ir.ConvAttrs(1, 0, 1), v, g.AddConst("project_w", wProj))
	v = bn("project_bn", v, bnProj)
	v = g.AddNode(ir.OpAdd, "residual", ir.Attrs{}, v, in)
	g.SetOutputs(v)
	if err := g.InferShapes(); err != nil {
		t.Fatal(err)
	}
	out, err := Run(g, map[string]*ir.Tensor{"x": x}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := out["residual"]

	// (1) Node by node with Eval, feeding each output forward by hand.
	vals := map[*ir.Value]*ir.Tensor{in: x}
	for _, n := range g.Nodes {
		ins := make([]*ir.Tensor, len(n.Inputs))
		for i, iv := range n.Inputs {
			if iv.IsConst() {
				ins[i] = iv.Const
			} else {
				ins[i] = vals[iv]
			}
		}
		o, err := Eval(n, ins)
		if err != nil {
			t.Fatal(err)
		}
		vals[n.Output()] = o
	}
	expectClose(t, "Run vs Eval chain", got, vals[v], 0)

	// (2) Fused: BN folded into conv bias, ReLU6 and the residual in epilogues.
	fw, fb := foldBN(wExp, bnExp, eps)
	relu6 := ir.Epilogue{Act: ir.ActClip, Min: 0, Max: 6}
	a := ir.ConvAttrs(1, 0, 1)
	a.Fused = relu6
	h := evalOp(t, ir.OpConv, a, x, fw, fb)
	fw, fb = foldBN(wDW, bnDW, eps)
	a = ir.ConvAttrs(1, 1, e)
	a.Fused = relu6
	h = evalOp(t, ir.OpConv, a, h, fw, fb)
	fw, fb = foldBN(wProj, bnProj, eps)
	a = ir.ConvAttrs(1, 0, 1)
	a.Fused = ir.Epilogue{Residual: true}
	fused := evalOp(t, ir.OpConv, a, h, fw, fb, x)
	if !fused.Shape.Equal(ir.Shape{1, c, hw, hw}) {
		t.Fatalf("fused shape %v", fused.Shape)
	}
	expectClose(t, "unfused vs fused block", got, fused, 1e-5)
}
