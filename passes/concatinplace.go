package passes

import (
	"fmt"
	"io"
	"slices"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/plan"
)

// concatInPlace (pass concat-in-place) lets the producers of a channel
// Concat on NHWC write straight into their channels of its output: the
// producer's output becomes a channel slice of the Concat's (an operand
// with a pitch, plan.Operand.Pitch), plan-memory gives both one buffer,
// and the Concat step copies only the inputs left (none: it does
// nothing). A producer qualifies when its step writes strided output —
// a 1×1-conv GEMM (the kernels take ldc) or a Resize on NHWC — and the
// Concat is its output's only reader (no graph output, no view of it, not
// read twice). PP-OCRv3's FPN neck: its three upsampled maps (the
// fourth is a residual Add's).
func concatInPlace(s *State) error {
	p := s.Plan
	if s.slices == nil {
		s.slices = map[*ir.Value]int{}
	}
	writer := map[*ir.Value]int{}
	reads := map[*ir.Value]int{} // by storage root: every read of a value or a view of it
	for i, ps := range s.steps {
		writer[ps.out] = i
		for _, v := range ps.in {
			reads[s.root(v)]++
		}
	}
	for _, v := range s.outVals {
		reads[s.root(v)] += 2 // never a slice
	}
	for i := range s.steps {
		ps, st := &s.steps[i], &p.Steps[i]
		out := ps.out
		if st.Kind != plan.KindGeneric || st.Op != ir.OpConcat || (st.Attrs.Axis != 1 && st.Attrs.Axis != -3) ||
			len(out.Shape) != 4 || !out.NHWC || s.isQ8(out) || s.root(out) != out {
			continue
		}
		ch := 0
		for j, v := range ps.in {
			if w, ok := writer[v]; ok && s.sliceable(v, &p.Steps[w], ps, j, reads) {
				s.alias[v] = out
				s.slices[v] = ch
				p.Steps[w].Fused = append(p.Steps[w].Fused, "concat")
			}
			ch += v.Shape[1]
		}
	}
	return nil
}

// sliceable reports whether v, input j of Concat step ps written by step
// w, can be written straight into the Concat's output.
func (s *State) sliceable(v *ir.Value, w *plan.Step, ps *pendingStep, j int, reads map[*ir.Value]int) bool {
	if v.IsConst() || isPrecomputed(*ps, v) || s.root(v) != v || reads[v] != 1 || slices.Index(ps.in, v) != j ||
		len(v.Shape) != 4 || !v.NHWC || s.isQ8(v) || len(w.Sub) > 0 {
		return false
	}
	switch {
	case w.Kind == plan.KindGemm: // 1×1 conv on NHWC: the kernels take ldc
		return true
	case w.Kind == plan.KindGeneric && w.Op == ir.OpResize:
		return true
	}
	// Not an Add or activation step: pixel by pixel on the kernels (24
	// channels a call) PP-OCRv3's residual Add took 0.37 ms instead of
	// 0.017 ms plus 0.05 ms of the Concat's copy.
	return false
}

// dumpSlices lists, for -dump-after concat-in-place, the values written
// into a Concat's output.
func (s *State) dumpSlices(w io.Writer) {
	for _, ps := range s.steps {
		if c, ok := s.slices[ps.out]; ok {
			r := s.root(ps.out)
			fmt.Fprintf(w, "// %s: written into channels %d…%d of %s (%d channels)\n", ps.out.Name, c, c+ps.out.Shape[1], r.Name, r.Shape[1])
		}
	}
}
