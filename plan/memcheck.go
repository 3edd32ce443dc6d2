package plan

import (
	"fmt"
	"slices"
	"sort"

	"github.com/mnc-go/mnc/ir"
)

// CheckMemory verifies the arena assignment independently of the planner
// that made it: every tensor a step writes lives from that step until the
// last step that reads it (graph inputs from before the first step, graph
// outputs until the end), and no two tensors that are live at the same time
// share a float — except a step's output written in place over the input
// that dies there. It returns the first conflict found.
func CheckMemory(p *Plan) error {
	type live struct {
		name      string
		off, end  int
		def, last int
		inPlaceOf int // index of the tensor this one overwrote in place, or -1
	}
	var ts []live
	cur := map[[2]int]int{} // (off, end) → index of the tensor currently stored there
	// Channel slices (Operand.Pitch: concat-in-place) of one wider tensor
	// are one entry of ts, live from the first slice's write to the last
	// read of any; slices of it have disjoint channels, and a Concat step
	// whose output is the whole tensor takes it over in place. A slice
	// read of a whole tensor (slice-in-place: a Split or Slice read where
	// it lies) keeps that tensor live.
	type group struct {
		t     int      // index in ts
		pitch int      // the wider tensor's channels
		chans [][2]int // the slices' channel ranges
		open  bool     // no step has taken the whole tensor yet
	}
	groups := map[[2]int]*group{} // (off, end) → the slices there
	slice := map[[4]int]int{}     // (off, end, chanOff, C) → index in ts
	sliceKey := func(o Operand) [4]int { return [4]int{o.Off, o.End(), o.ChanOff, o.Shape[1]} }
	use := func(o Operand, step int) error {
		if o.Sliced() {
			if len(o.Shape) != 4 || step >= len(p.Steps) {
				return fmt.Errorf("a channel slice of rank %d read by step %d of %d", len(o.Shape), step, len(p.Steps))
			}
			i, ok := slice[sliceKey(o)]
			if g := groups[[2]int{o.Off, o.End()}]; ok && (g == nil || !g.open || g.t != i) {
				ok = false // a Concat took the slices over: a read of its output
			}
			if !ok { // slice-in-place: channels of a whole tensor, read where it lies
				i, ok = cur[[2]int{o.Off, o.End()}]
			}
			if !ok {
				return fmt.Errorf("step %d (%s) read channels %d…%d of [%d,%d) which no earlier step wrote", step, p.Steps[step].Name, o.ChanOff, o.ChanOff+o.Shape[1], o.Off, o.End())
			}
			ts[i].last = step
			return nil
		}
		k := [2]int{o.Off, o.End()}
		i, ok := cur[k]
		if !ok {
			who := "the graph outputs"
			if step < len(p.Steps) {
				who = fmt.Sprintf("step %d (%s)", step, p.Steps[step].Name)
			}
			return fmt.Errorf("%s read [%d,%d) which no earlier step or input wrote", who, k[0], k[1])
		}
		ts[i].last = step
		return nil
	}
	define := func(name string, o Operand, step, overwrote int) {
		cur[[2]int{o.Off, o.End()}] = len(ts)
		ts = append(ts, live{name: name, off: o.Off, end: o.End(), def: step, last: step, inPlaceOf: overwrote})
	}
	defineSlice := func(name string, o Operand, step int) error {
		if len(o.Shape) != 4 {
			return fmt.Errorf("step %d (%s) writes a channel slice of rank %d", step, name, len(o.Shape))
		}
		k := [2]int{o.Off, o.End()}
		g := groups[k]
		if g == nil || !g.open {
			g = &group{t: len(ts), pitch: o.Pitch, open: true}
			groups[k] = g
			ts = append(ts, live{name: "the channel slices of " + name, off: o.Off, end: o.End(), def: step, last: step, inPlaceOf: -1})
		}
		lo, hi := o.ChanOff, o.ChanOff+o.Shape[1]
		if o.Pitch != g.pitch {
			return fmt.Errorf("step %d (%s) writes a slice of [%d,%d) with pitch %d, another has %d", step, name, k[0], k[1], o.Pitch, g.pitch)
		}
		for _, c := range g.chans {
			if lo < c[1] && c[0] < hi {
				return fmt.Errorf("step %d (%s) writes channels %d…%d of [%d,%d), overlapping live channels %d…%d", step, name, lo, hi, k[0], k[1], c[0], c[1])
			}
		}
		g.chans = append(g.chans, [2]int{lo, hi})
		slice[sliceKey(o)] = g.t
		return nil
	}
	for _, in := range p.Inputs {
		define("input "+in.Name, in.Buf, -1, -1)
	}
	for si := range p.Steps {
		s := &p.Steps[si]
		for i, o := range s.In {
			if s.Kind == KindGeneric && s.ConstIn[i] != NoBlob {
				continue
			}
			if err := use(o, si); err != nil {
				return err
			}
		}
		if s.Out.Sliced() {
			if err := defineSlice(s.Name, s.Out, si); err != nil {
				return err
			}
			continue
		}
		prev := -1
		if s.InPlace {
			in := s.In[s.InPlaceIn]
			prev = cur[[2]int{in.Off, in.End()}]
		}
		if g := groups[[2]int{s.Out.Off, s.Out.End()}]; s.Kind == KindGeneric && s.Op == ir.OpConcat && g != nil && g.open &&
			slices.ContainsFunc(s.In, func(o Operand) bool { return o.Sliced() && o.Off == s.Out.Off }) {
			prev, g.open = g.t, false // the Concat's output: its slices, and the copies of its other inputs
		}
		define(s.Name, s.Out, si, prev)
	}
	for _, out := range p.Outputs {
		if err := use(out.Buf, len(p.Steps)); err != nil {
			return fmt.Errorf("graph output %q: %w", out.Name, err)
		}
		ts[cur[[2]int{out.Buf.Off, out.Buf.End()}]].last = len(p.Steps)
	}
	// Sweep the steps in order, keeping the tensors live so far sorted by
	// offset. Two tensors conflict when their storage overlaps and one is
	// defined while the other is live, so checking each new tensor against
	// those live at its definition finds every conflict. The live ones are
	// pairwise disjoint (each was checked when it came), so a binary search
	// finds the neighbours: O(n log n) plus moving the live set, not O(n²).
	expire := map[int][]int{} // step → tensors whose last use it is
	for i := range ts {
		expire[ts[i].last] = append(expire[ts[i].last], i)
	}
	var alive []int              // indices into ts, sorted by off
	first := func(off int) int { // the first live tensor ending after off
		return sort.Search(len(alive), func(k int) bool { return ts[alive[k]].end > off })
	}
	next := 0
	for step := -1; step <= len(p.Steps); step++ {
		for ; next < len(ts) && ts[next].def == step; next++ {
			b := &ts[next]
			k := first(b.off)
			for j := k; j < len(alive) && ts[alive[j]].off < b.end; j++ {
				a := &ts[alive[j]]
				if b.inPlaceOf == alive[j] && a.last == b.def {
					continue // b overwrote a in place at the step where a died
				}
				return fmt.Errorf("%q [%d,%d) live in steps %d..%d overlaps %q [%d,%d) live in steps %d..%d",
					a.name, a.off, a.end, a.def, a.last, b.name, b.off, b.end, b.def, b.last)
			}
			alive = slices.Insert(alive, k, next)
		}
		for _, i := range expire[step] {
			k := first(ts[i].off)
			for k < len(alive) && alive[k] != i {
				k++
			}
			if k < len(alive) {
				alive = slices.Delete(alive, k, k+1)
			}
		}
	}
	return nil
}
