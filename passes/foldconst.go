package passes

import (
	"fmt"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/limits"
	"github.com/mnc-go/mnc/reference"
)

// foldConstants evaluates, with the reference interpreter, every node whose
// inputs are all constants and replaces its output by the result. Graph
// outputs are left computed (a plan's outputs come from steps).
func foldConstants(s *State) error {
	g := s.G
	cons := g.Consumers()
	for _, n := range g.Nodes {
		if g.IsOutput(n.Output()) || len(n.Inputs) == 0 {
			continue
		}
		ins := make([]*ir.Tensor, len(n.Inputs))
		all := true
		for i, v := range n.Inputs {
			if v == nil {
				continue
			}
			if !v.IsConst() {
				all = false
				break
			}
			ins[i] = v.Const
		}
		if !all {
			continue
		}
		if err := limits.Check(s.Opts.MaxMemory, fmt.Sprintf("node %q (%s): folding its constant output %v", n.Name, n.Op, n.Output().Shape), limits.Mul(int64(n.Output().Shape.Size()), 4)); err != nil {
			return err
		}
		t, err := reference.Eval(n, ins)
		if err != nil {
			return fmt.Errorf("node %q (%s): evaluating constant: %w", n.Name, n.Op, err)
		}
		replaceUses(g, cons, n.Output(), g.AddConst(n.Name+".folded", t))
	}
	g.RemoveDead()
	return nil
}
