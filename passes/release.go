package passes

import (
	"sort"
	"unsafe"

	"github.com/mnc-go/mnc/ir"
)

// Releasing constants during compilation (Options.ReleaseWeights).
//
// A caller that compiles a graph once and drops it (the mnc command) lets
// Compile release constant tensors as soon as nothing needs them, so that
// the process never holds the caller's weights, the folded weights and the
// packed blobs all at once: a tensor no node of the graph reads any more
// (fold-bn replaced it) is released after the pass that dropped it, and
// each remaining constant right after pack-weights packed its last use.
// Releasing sets the tensor's Data to nil: it is shared with the caller's
// graph, which must not be used afterwards.

// releaser remembers the constant tensors the graph has held.
type releaser struct{ known map[*ir.Tensor]bool }

func newReleaser(g *ir.Graph) *releaser {
	r := &releaser{known: map[*ir.Tensor]bool{}}
	r.sweep(g)
	return r
}

// sweep releases the known tensors g no longer reads and learns new ones.
func (r *releaser) sweep(g *ir.Graph) {
	used := map[*ir.Tensor]bool{}
	for _, n := range g.Nodes {
		for _, v := range n.Inputs {
			if v.IsConst() {
				used[v.Const] = true
			}
		}
	}
	for _, v := range g.Outputs {
		if v.IsConst() {
			used[v.Const] = true
		}
	}
	for t := range r.known {
		if !used[t] {
			t.Data = nil
			delete(r.known, t)
		}
	}
	for t := range used {
		r.known[t] = true
	}
}

// packUses counts, per constant tensor, the steps whose packing reads it.
func (s *State) packUses() map[*ir.Tensor]int {
	uses := map[*ir.Tensor]int{}
	for i := range s.steps {
		for _, t := range s.stepConsts(&s.steps[i]) {
			uses[t]++
		}
	}
	return uses
}

// stepConsts are the constant tensors packing step ps reads.
func (s *State) stepConsts(ps *pendingStep) []*ir.Tensor {
	var ts []*ir.Tensor
	for j, v := range ps.in {
		if _, pre := ps.precomputed[j]; v.IsConst() && !pre {
			ts = append(ts, v.Const)
		}
	}
	for _, v := range ps.consts {
		if v.IsConst() {
			ts = append(ts, v.Const)
		}
	}
	return ts
}

// constReaders counts, per constant tensor, the node inputs (and graph
// outputs) that read it.
func constReaders(g *ir.Graph) map[*ir.Tensor]int {
	n := map[*ir.Tensor]int{}
	for _, nd := range g.Nodes {
		for _, v := range nd.Inputs {
			if v.IsConst() {
				n[v.Const]++
			}
		}
	}
	for _, v := range g.Outputs {
		if v.IsConst() {
			n[v.Const]++
		}
	}
	return n
}

// sharedConsts are the constant tensors packing reads whose values lie in
// memory another of them reads too (a view of another's data): giving
// their pages back early (packGemmRows) would change the other's values.
func (s *State) sharedConsts() map[*ir.Tensor]bool {
	type span struct {
		lo, hi uintptr
		t      *ir.Tensor
	}
	var spans []span
	seen := map[*ir.Tensor]bool{}
	for i := range s.steps {
		for _, t := range s.stepConsts(&s.steps[i]) {
			if !seen[t] && len(t.Data) > 0 {
				seen[t] = true
				lo := uintptr(unsafe.Pointer(unsafe.SliceData(t.Data)))
				spans = append(spans, span{lo, lo + 4*uintptr(len(t.Data)), t})
			}
		}
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].lo < spans[j].lo })
	shared := map[*ir.Tensor]bool{}
	var last span // the span reaching furthest so far
	for i, sp := range spans {
		if i > 0 && sp.lo < last.hi {
			shared[sp.t], shared[last.t] = true, true
		}
		if sp.hi > last.hi {
			last = sp
		}
	}
	return shared
}
