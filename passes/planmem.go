package passes

import (
	"sort"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/plan"
)

// align is the offset granularity in floats (64 bytes: one cache line, one
// AVX-512 vector), so kernels see aligned rows where shapes allow.
const align = 16

// planMemory assigns every tensor an arena offset. Tensors are allocated
// when their step runs and freed after the last step that reads them
// (views share their source's storage and extend its life; graph outputs
// live to the end). A step whose kernel allows it writes in place over its
// first input when that input dies at the step and has the same size and
// layout. Free space is reused best-fit; adjacent holes merge.
func planMemory(s *State) error {
	p := s.Plan
	last := map[*ir.Value]int{}
	isOut := map[*ir.Value]bool{}
	for i, ps := range s.steps {
		for _, v := range ps.in {
			if !v.IsConst() && !isPrecomputed(ps, v) {
				last[s.root(v)] = i
			}
		}
	}
	end := len(s.steps)
	for _, v := range s.outVals {
		last[s.root(v)] = end
		isOut[s.root(v)] = true
	}
	var a arena
	off := map[*ir.Value]int{}
	var live, peak, total int64
	alloc := func(v *ir.Value) {
		off[v] = a.alloc(v.Shape.Size())
		live += int64(v.Shape.Size()) * 4
		peak = max(peak, live)
	}
	free := func(v *ir.Value) {
		a.free(off[v], v.Shape.Size())
		live -= int64(v.Shape.Size()) * 4
	}
	for _, v := range s.G.Inputs {
		alloc(v)
		if _, used := last[v]; !used && !isOut[v] {
			free(v)
		}
	}
	for i := range s.steps {
		ps, st := &s.steps[i], &p.Steps[i]
		out := ps.out // step outputs are never views
		if r, j := s.inPlaceSource(ps, last, isOut, i); r != nil {
			off[out] = off[r]
			st.InPlace, st.InPlaceIn = true, j
			delete(last, r) // ownership moves to out; do not free r below
		} else {
			alloc(out)
		}
		total += int64(out.Shape.Size()) * 4
		freed := map[*ir.Value]bool{}
		for _, v := range ps.in {
			r := s.root(v)
			if l, ok := last[r]; ok && l == i && !freed[r] && !v.IsConst() && !isPrecomputed(*ps, v) {
				freed[r] = true
				free(r)
			}
		}
		if l, ok := last[out]; !ok && !isOut[out] || ok && l == i {
			free(out) // nobody reads it (a dead value the graph still computes)
		}
	}
	operand := func(v *ir.Value) plan.Operand {
		return plan.Operand{Off: off[s.root(v)], Shape: v.Shape.Clone(), NHWC: s.NHWC[v]}
	}
	for i := range s.steps {
		ps, st := &s.steps[i], &p.Steps[i]
		st.In = st.In[:0]
		for _, v := range ps.in {
			if v.IsConst() || isPrecomputed(*ps, v) {
				st.In = append(st.In, plan.Operand{Shape: v.Shape.Clone()})
			} else {
				st.In = append(st.In, operand(v))
			}
		}
		st.Out = operand(ps.out)
	}
	for i, v := range s.G.Inputs {
		p.Inputs[i].Buf = operand(v)
	}
	for i, v := range s.outVals {
		p.Outputs[i].Buf = plan.Operand{Off: off[s.root(v)], Shape: v.Shape.Clone()}
	}
	p.ArenaSize = a.size
	p.PeakBytes = int64(a.size) * 4
	s.report.ArenaBytes = p.PeakBytes
	s.report.LivePeakBytes = peak
	s.report.IntermediateBytes = total
	return nil
}

func isPrecomputed(ps pendingStep, v *ir.Value) bool {
	for j, u := range ps.in {
		if u == v {
			_, ok := ps.precomputed[j]
			return ok
		}
	}
	return false
}

// inPlaceSource returns the storage root step i may overwrite and the
// input it is, or nil: an input the kernel allows to alias the output,
// which dies at this step, is not a graph output, has the output's size
// and layout, and is not also read through another operand.
func (s *State) inPlaceSource(ps *pendingStep, last map[*ir.Value]int, isOut map[*ir.Value]bool, i int) (*ir.Value, int) {
	for _, j := range ps.inPlace {
		v := ps.in[j]
		r := s.root(v)
		if v.IsConst() || isPrecomputed(*ps, v) || isOut[r] || last[r] != i || r.Shape.Size() != ps.out.Shape.Size() || s.NHWC[v] != s.NHWC[ps.out] {
			continue
		}
		shared := false
		for k, u := range ps.in {
			if k != j && s.root(u) == r {
				shared = true
			}
		}
		if !shared {
			return r, j
		}
	}
	return nil, 0
}

// arena is a best-fit allocator over a growing range of floats.
type arena struct {
	holes []hole // sorted by offset, never adjacent
	size  int
}

type hole struct{ off, n int }

func roundUp(n int) int { return (n + align - 1) / align * align }

func (a *arena) alloc(n int) int {
	n = roundUp(max(n, 1))
	best := -1
	for i, h := range a.holes {
		if h.n >= n && (best < 0 || h.n < a.holes[best].n) {
			best = i
		}
	}
	if best >= 0 {
		h := &a.holes[best]
		off := h.off
		h.off += n
		h.n -= n
		if h.n == 0 {
			a.holes = append(a.holes[:best], a.holes[best+1:]...)
		}
		return off
	}
	// Grow: reuse a hole at the top of the arena if there is one.
	if k := len(a.holes); k > 0 && a.holes[k-1].off+a.holes[k-1].n == a.size {
		off := a.holes[k-1].off
		a.holes = a.holes[:k-1]
		a.size = off + n
		return off
	}
	off := a.size
	a.size += n
	return off
}

func (a *arena) free(off, n int) {
	n = roundUp(max(n, 1))
	i := sort.Search(len(a.holes), func(i int) bool { return a.holes[i].off > off })
	a.holes = append(a.holes, hole{})
	copy(a.holes[i+1:], a.holes[i:])
	a.holes[i] = hole{off, n}
	// Merge with the next, then the previous hole.
	if i+1 < len(a.holes) && a.holes[i].off+a.holes[i].n == a.holes[i+1].off {
		a.holes[i].n += a.holes[i+1].n
		a.holes = append(a.holes[:i+1], a.holes[i+2:]...)
	}
	if i > 0 && a.holes[i-1].off+a.holes[i-1].n == a.holes[i].off {
		a.holes[i-1].n += a.holes[i].n
		a.holes = append(a.holes[:i], a.holes[i+1:]...)
	}
}
