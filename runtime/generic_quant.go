package runtime

import (
	"fmt"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/plan"
	"github.com/mnc-go/mnc/reference"
)

// quantGeneric runs a quantized operator (ir/quant.go) that no int8 step
// covers: its inputs are gathered into row-major tensors, the reference
// executor's definition computes the result, and it is scattered into the
// output's layout. It allocates per run: these are the float islands and
// the rare operators of quantized models, not their convolutions.
func quantGeneric(s *plan.Step, in []view, out view) (func(), error) {
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
