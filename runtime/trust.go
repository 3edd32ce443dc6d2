package runtime

import (
	"fmt"

	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/plan"
)

// scratchNeed is the per-thread scratch (floats) step s needs with the
// kernels of set: what the dense conv kernel or a fused block's bands
// use, 0 for every other kind.
func scratchNeed(s *plan.Step, set *kernels.Set) (int, error) {
	switch s.Kind {
	case plan.KindConv:
		p, err := plan.ConvParams(s)
		if err != nil {
			return 0, err
		}
		if s.Out.DType == plan.U8 {
			return plan.ConvBytesScratch(set, &p), nil
		}
		return set.ConvScratchSize(&p, p.OH), nil
	case plan.KindQDWConv:
		p, err := plan.QDWParams(s)
		if err != nil || set.QDWScratchSize == nil {
			return 0, err
		}
		return (set.QDWScratchSize(&p) + 3) / 4, nil
	case plan.KindQConv:
		p, err := plan.QConvParams(s)
		if err != nil || set.QConvScratchSize == nil {
			return 0, err
		}
		return (set.QConvScratchSize(&p) + 3) / 4, nil
	case plan.KindBlock:
		if plan.IsSEBlock(s) {
			l, err := plan.SEBlockLayout(set, s, s.Band)
			return l.Total, err
		}
		l, err := plan.BlockBandLayout(set, s.Sub, s.Band) // as blockPlan (block.go)
		return l.Total, err
	}
	return 0, nil
}

// checkReservations refuses a plan that reserves more per-thread scratch
// than its steps need (a plan file saying 4 GiB, allocated once per
// thread), before anything is allocated. Too little is refused by each
// step's preparation.
func checkReservations(p *plan.Plan, set *kernels.Set) error {
	for i := range p.Steps {
		s := &p.Steps[i]
		need, err := scratchNeed(s, set)
		if err != nil {
			return fmt.Errorf("runtime: step %d (%s %q): %w", i, s.Kind, s.Name, err)
		}
		// Some slack, so that passes may round differently; a forged
		// reservation is orders of magnitude off.
		if s.Scratch > 2*need+4096 {
			return fmt.Errorf("runtime: step %d (%s %q) reserves %d scratch floats per thread, but its kernel needs %d", i, s.Kind, s.Name, s.Scratch, need)
		}
	}
	return nil
}

// errScratchShort refuses a step whose plan reserves fewer scratch floats
// (have) than this build's kernels need: a plan file tampered with, or
// compiled before a kernel's scratch grew with the format and the packing
// unchanged (the amd64 implicit-GEMM conv, 6dd7c99, keeps its edge
// pixels' outputs there too).
func errScratchShort(have int, what string, need int) error {
	return fmt.Errorf("plan reserves %d scratch floats, %s needs %d (recompile the model)", have, what, need)
}
