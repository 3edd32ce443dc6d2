package runtime

import (
	"fmt"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/plan"
)

// checkSlices refuses channel-slice operands (plan.Operand.Pitch, made by
// the passes concat-in-place and slice-in-place) where the step's code
// does not address them: only a 1×1-conv GEMM and a Resize on NHWC write
// one; a channel Concat of NHWC tensors reads them, each at its own place
// in the Concat's output (concatInPlace), and the readers
// plan.SliceReader lists (slice-in-place).
func checkSlices(s *plan.Step) error {
	if s.Out.Sliced() {
		switch {
		case s.Kind == plan.KindGemm && s.Out.NHWC:
		case s.Kind == plan.KindGeneric && s.Op == ir.OpResize:
		default:
			return fmt.Errorf("output is a channel slice (pitch %d), which a %s step does not write", s.Out.Pitch, stepLabel(s))
		}
	}
	for i, o := range s.In {
		if !o.Sliced() {
			continue
		}
		switch {
		case o.NHWC && o.DType == plan.F32 && s.Out.DType == plan.F32 && len(s.Sub) == 0 && (s.Kind == plan.KindGemm || !s.Out.Sliced()) &&
			plan.SliceReader(s.Kind, s.Op, i, s.Out.NHWC):
			continue // slice-in-place
		case s.Kind != plan.KindGeneric || s.Op != ir.OpConcat:
			return fmt.Errorf("input %d is a channel slice (pitch %d), which a %s step does not read", i, o.Pitch, stepLabel(s))
		}
		if _, err := concatInPlace(s); err != nil {
			return err
		}
	}
	return nil
}

func stepLabel(s *plan.Step) string {
	if s.Kind == plan.KindGeneric {
		return s.Op.String()
	}
	return s.Kind.String()
}

// concatInPlace reports, per input of a channel Concat on NHWC, whether a
// producer already wrote it into its place in the output (a channel slice
// of the output at the channels it takes there); a slice anywhere else is
// an error.
func concatInPlace(s *plan.Step) ([]bool, error) {
	done := make([]bool, len(s.In))
	o := s.Out
	if ax := s.Attrs.Axis; (ax != 1 && ax != -3) || !o.NHWC || len(o.Shape) != 4 || o.Sliced() {
		for i, x := range s.In {
			if x.Sliced() {
				return nil, fmt.Errorf("input %d is a channel slice but the step is not a channel Concat on NHWC", i)
			}
		}
		return done, nil
	}
	ch := 0
	for i, x := range s.In {
		if x.Sliced() {
			if x.Off != o.Off || x.Pitch != o.Shape[1] || x.ChanOff != ch || !x.NHWC || x.Shape[0] != o.Shape[0] || x.Shape[2] != o.Shape[2] || x.Shape[3] != o.Shape[3] {
				return nil, fmt.Errorf("input %d is channels %d…%d of %d at %d, not its place in the output (channels %d… of %d at %d)",
					i, x.ChanOff, x.ChanOff+x.Shape[1], x.Pitch, x.Off, ch, o.Shape[1], o.Off)
			}
			done[i] = true
		}
		if len(x.Shape) == 4 {
			ch += x.Shape[1]
		}
	}
	return done, nil
}

// concatAllInPlace reports whether every input of a Concat step was
// written in place: the step has nothing to do.
func concatAllInPlace(s *plan.Step) bool {
	done, err := concatInPlace(s)
	if err != nil {
		return false
	}
	for _, d := range done {
		if !d {
			return false
		}
	}
	return len(done) > 0
}
