package passes

import (
	"fmt"
	"io"
	"slices"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/plan"
)

// sliceInPlace (pass slice-in-place) drops the step of a Slice (an ONNX
// Slice, or one output of a Split) that takes a contiguous channel range
// of an NHWC tensor when every reader of its output addresses a strided
// operand: its readers read the channels where they lie (an operand with
// a pitch, plan.Operand.Pitch, into the input's buffer), and plan-memory
// keeps that buffer live until the last of them. Readers that qualify
// (plan.SliceReader): a 1×1-conv GEMM reading it as A (the kernels take
// lda) and the float generic steps whose code addresses views with the
// pixel stride (Resize, Softmax, pools, Pad, Transpose, a further Slice,
// generic elementwise ops and activations). Anything else (depthwise,
// dense conv, the activation and Add kernels, fused blocks, a Concat, a
// graph output, a view of it) keeps the copy step.
func sliceInPlace(s *State) error {
	p := s.Plan
	if s.slices == nil {
		s.slices = map[*ir.Value]int{}
	}
	if s.sliceViews == nil {
		s.sliceViews = map[*ir.Value]int{}
	}
	viewed := map[*ir.Value]bool{} // values something else is a free view of
	for v := range s.alias {
		viewed[s.alias[v]] = true
	}
	for _, v := range s.outVals {
		viewed[s.root(v)] = true
	}
	for i := 0; i < len(s.steps); i++ {
		ps, st := &s.steps[i], &p.Steps[i]
		if st.Kind != plan.KindGeneric || st.Op != ir.OpSlice || len(ps.in) != 1 {
			continue
		}
		x, out := ps.in[0], ps.out
		c0, ok := ir.ChannelSlice(&st.Attrs, x.Shape)
		if !ok || x.IsConst() || isPrecomputed(*ps, x) || !x.NHWC || !out.NHWC || s.isQ8(x) || s.isQ8(out) ||
			s.root(x) != x || s.root(out) != out || viewed[out] {
			continue
		}
		readers := 0
		good := true
		for j := i + 1; j < len(s.steps) && good; j++ {
			if !slices.Contains(s.steps[j].in, out) {
				continue
			}
			readers++
			good = s.readsSlices(&s.steps[j], &p.Steps[j], out)
		}
		if !good || readers == 0 {
			continue
		}
		s.alias[out] = x
		s.slices[out] = c0
		s.sliceViews[out] = readers
		s.steps = slices.Delete(s.steps, i, i+1)
		p.Steps = slices.Delete(p.Steps, i, i+1)
		i--
	}
	return nil
}

// readsSlices reports whether step st (pending ps) can read v as a
// channel slice of a wider NHWC tensor (runtime's checkSlices).
func (s *State) readsSlices(ps *pendingStep, st *plan.Step, v *ir.Value) bool {
	if s.isQ8(ps.out) || len(st.Sub) > 0 {
		return false
	}
	for _, u := range ps.in {
		if !u.IsConst() && s.isQ8(u) {
			return false
		}
	}
	if _, writesSlice := s.slices[ps.out]; writesSlice && st.Kind != plan.KindGemm || isPrecomputed(*ps, v) {
		return false
	}
	for i, u := range ps.in {
		if u == v && !plan.SliceReader(st.Kind, st.Op, i, ps.out.NHWC) {
			return false
		}
	}
	return true
}

// dumpSliceViews lists, for -dump-after slice-in-place, the Slices read
// where they lie.
func (s *State) dumpSliceViews(w io.Writer) {
	names := make([]*ir.Value, 0, len(s.sliceViews))
	for v := range s.sliceViews {
		names = append(names, v)
	}
	slices.SortFunc(names, func(a, b *ir.Value) int {
		if a.Name < b.Name {
			return -1
		}
		if a.Name > b.Name {
			return 1
		}
		return 0
	})
	for _, v := range names {
		r := s.root(v)
		c := s.slices[v]
		fmt.Fprintf(w, "// %s: channels %d…%d of %s (%d channels) read in place by %d steps\n", v.Name, c, c+v.Shape[1], r.Name, r.Shape[1], s.sliceViews[v])
	}
}
