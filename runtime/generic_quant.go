package runtime

import (
	"fmt"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/plan"
	"github.com/mnc-go/mnc/reference"
)

// quantGeneric runs a quantized operator (ir/quant.go) that no int8 step
// covers: its inputs are gathered into row-major tensors, the reference
// executor's definition computes the result, and it is scattered into the
// output's layout. It allocates per run: these are the float islands and
// the rare operators of quantized models, not their convolutions.
func quantGeneric(s *plan.Step, in []view, out view) (func(), error) {
	if f := fastRequantize(s, in, out); f != nil {
		return f, nil
	}
	if f := fastQAdd(s, in, out, nil); f != nil {
		return f, nil
	}
	if f := fastQuantize(s, in, out, nil); f != nil {
		return f, nil
	}
	n := &ir.Node{Name: s.Name, Op: s.Op, Attrs: s.Attrs, Outputs: []*ir.Value{{Name: s.Name}}}
	for i, o := range s.In {
		n.Inputs = append(n.Inputs, &ir.Value{Name: fmt.Sprintf("in%d", i), Shape: o.Shape})
	}
	return func() {
		ts := make([]*ir.Tensor, len(in))
		for i, v := range in {
			t := ir.NewTensor(s.In[i].Shape...)
			copyLogical(v, newView(t.Data, t.Shape, false))
			ts[i] = t
		}
		r, err := reference.Eval(n, ts)
		if err != nil {
			// The shapes were checked when the step was prepared; the
			// values cannot make Eval fail. Poison the output instead of panicking.
			for i := range out.data {
				out.data[i] = float32(0)
			}
			return
		}
		copyLogical(newView(r.Data, r.Shape, false), out)
	}, nil
}

// fastRequantize runs a Requantize step (ir/quant.go) straight on its
// storage: input and output share a layout (NHWC or row-major), the
// multiplier is per tensor or per channel (axis 1). nil otherwise.
func fastRequantize(s *plan.Step, in []view, out view) func() {
	if s.Op != ir.OpRequantize || len(in) != 3 || s.In[0].NHWC != s.Out.NHWC || len(s.In[0].Shape) < 2 ||
		len(in[0].data) != len(out.data) || len(in[2].data) != 1 {
		return nil
	}
	x, m, y := in[0].data, in[1].data, out.data
	zp := int32(in[2].data[0])
	qt := s.Attrs.QType
	shape := s.In[0].Shape
	c := shape[1]
	inner := 1 // elements per channel run
	if !s.In[0].NHWC {
		for _, d := range shape[2:] {
			inner *= d
		}
	}
	if len(m) != 1 && len(m) != c {
		return nil
	}
	fzp := float32(zp)
	return func() {
		if len(m) == 1 {
			for i, v := range x {
				y[i] = ir.Requantize(float64(v), m[0], zp, qt) - fzp
			}
			return
		}
		for i, v := range x {
			y[i] = ir.Requantize(float64(v), m[i/inner%c], zp, qt) - fzp
		}
	}
}

// fastQAdd runs a QAdd step (ir/quant.go) straight on its storage when both
// operands and the output share one layout. nil otherwise.
//
// With a kernel set (not nil) it runs set.QAdd, the generated kernels.
func fastQAdd(s *plan.Step, in []view, out view, set *kernels.Set) func() {
	if s.Op != ir.OpQAdd || len(in) != 6 || s.In[0].NHWC != s.Out.NHWC || s.In[1].NHWC != s.Out.NHWC ||
		len(in[0].data) != len(out.data) || len(in[1].data) != len(out.data) {
		return nil
	}
	for _, p := range in[2:] {
		if len(p.data) != 1 {
			return nil
		}
	}
	a, b, y := in[0].data, in[1].data, out.data
	as, bs, m, zp := in[2].data, in[3].data, in[4].data, in[5].data
	qt := s.Attrs.QType
	lo, hi := qt.Range()
	if set != nil && set.QAdd != nil && qt != ir.QInt32 {
		return func() {
			z := zp[0]
			set.QAdd(a, b, y, as[0], bs[0], m[0], float32(lo)-z, float32(hi)-z)
		}
	}
	return func() {
		as, bs, m, z := as[0], bs[0], m[0], int32(zp[0])
		if qt == ir.QInt32 {
			for i := range y {
				y[i] = ir.QAdd(a[i], as, b[i], bs, m, z, qt)
			}
			return
		}
		// ir.QAdd, with the clamp before the rounding (integer bounds) and
		// the rounding by adding and subtracting 1.5·2^23 (as fastQuantize).
		const magic = 0x1.8p23
		l, h := float32(lo-z), float32(hi-z)
		for i := range y {
			r := float32(float32(float32(a[i]*as)+float32(b[i]*bs)) / m)
			if r != r {
				r = 0
			}
			r = max(min(r, h), l)
			y[i] = float32(r+magic) - magic
		}
	}
}

// fastQuantize runs a per-tensor QuantizeLinear (a quantized model's input)
// straight on its storage when input and output share a layout: ir.Quantize
// with the clamp before the rounding (the bounds are integers, so the
// result is the same) and the rounding by adding and subtracting 1.5·2^23.
// nil otherwise (per-channel scales, 32-bit types).
//
// With a kernel set (not nil) it runs set.Quantize, the generated kernels.
func fastQuantize(s *plan.Step, in []view, out view, set *kernels.Set) func() {
	if s.Op != ir.OpQuantizeLinear || len(in) < 2 || s.In[0].NHWC != s.Out.NHWC || len(in[0].data) != len(out.data) ||
		len(in[1].data) != 1 || (len(in) > 2 && len(in[2].data) != 1) || s.Attrs.QType == ir.QInt32 {
		return nil
	}
	x, y, sc := in[0].data, out.data, in[1].data
	var zpv []float32
	if len(in) > 2 {
		zpv = in[2].data
	}
	lo, hi := s.Attrs.QType.Range()
	if set != nil && set.Quantize != nil {
		return func() {
			zp := float32(0)
			if zpv != nil {
				zp = zpv[0]
			}
			set.Quantize(x, y, sc[0], zp, float32(lo), float32(hi))
		}
	}
	return func() {
		zp := float32(0)
		if zpv != nil {
			zp = zpv[0]
		}
		const magic = 0x1.8p23
		s, l, h := sc[0], float32(lo)-zp, float32(hi)-zp
		for i, v := range x {
			q := v / s
			if q != q {
				q = 0
			}
			q = max(min(q, h), l)
			y[i] = float32(q+magic) - magic + zp
		}
	}
}
