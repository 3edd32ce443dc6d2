package passes

import (
	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/plan"
	"slices"
)

// fuseBlocks merges each inverted-residual block — expand 1×1 (+act) →
// depthwise k×k (+act) → project 1×1 (+residual) — into one KindBlock step
// that runs in horizontal bands (MobileNetV2 §5): a band of output rows
// needs the expanded rows under its depthwise windows, which are computed
// into per-thread scratch by the expand GEMM, consumed by the depthwise
// kernel into a second scratch band, and projected straight into the
// output. The expanded and depthwise tensors never exist in full, so the
// arena holds only block inputs and outputs. A depthwise conv with no
// expand before it (V2's first block, V1's layers) fuses with its project
// alone. In plans for one thread, a depthwise conv whose 1×1 conv after it
// does not narrow the channels (MobileNetV1's layers) fuses instead with
// the 1×1 conv (or stem) before it into a block that ends in the
// depthwise conv (matchDWBlock). Blocks with squeeze-and-excitation
// between depthwise and project (SE needs the whole depthwise output's
// channel means before the first projected row) are fuse-se-blocks'
// (fuseblocks_se.go).
//
// It runs on the plan steps after pack-weights (the fused steps keep their
// packed constants) and before plan-memory (the fused intermediates then
// get no arena space).
func fuseBlocks(s *State) error {
	if !slices.ContainsFunc(s.Plan.Steps, func(st plan.Step) bool { return st.Kind == plan.KindDWConv }) {
		return nil // no block to fuse: skip copying every step
	}
	readers, isOut := s.valueUses()
	// private: v is read only by the next step, through its first input.
	private := func(v *ir.Value, next *pendingStep) bool {
		r := s.root(v)
		return r == v && !isOut[r] && readers[r] == 1 && len(next.in) > 0 && next.in[0] == v
	}
	p := s.Plan
	steps := make([]plan.Step, 0, len(p.Steps)) // sized: Steps are big, regrowing copies them
	pend := make([]pendingStep, 0, len(p.Steps))
	taken := -1 // the last step fused into a block
	for i := 0; i < len(p.Steps); i++ {
		if n := s.matchBlock(i, private, taken < i-1); n > 0 {
			st, ps := s.makeBlock(i+2-n, i+1)
			// The expand (if any) is already in the output list: replace it.
			if n == 3 {
				steps, pend = steps[:len(steps)-1], pend[:len(pend)-1]
			}
			steps, pend = append(steps, st), append(pend, ps)
			i++ // the project step
			taken = i
			continue
		}
		if s.matchDWBlock(i, private, taken < i-1) {
			// The producer is already in the output list: replace it.
			st, ps := s.makeBlock(i-1, i)
			steps, pend = steps[:len(steps)-1], pend[:len(pend)-1]
			steps, pend = append(steps, st), append(pend, ps)
			taken = i
			continue
		}
		steps, pend = append(steps, p.Steps[i]), append(pend, s.steps[i])
	}
	p.Steps, s.steps = steps, pend
	return nil
}

// DefaultBlockMinBytes is the smallest depthwise input (one image, bytes)
// worth fusing: smaller blocks' tensors stay in L2 anyway, take little of
// the arena, and split over threads would recompute a large share of halo
// rows (a 14-row map cut in two expands 16 rows instead of 14).
const DefaultBlockMinBytes = 512 << 10

// matchBlock reports whether step i is a depthwise conv that starts (or,
// with the expand before it, continues) a fusable block: it returns 3 for
// expand+depthwise+project (the expand is step i-1, when prevFree says no
// block took it), 2 for depthwise+project, 0 for none.
func (s *State) matchBlock(i int, private func(*ir.Value, *pendingStep) bool, prevFree bool) int {
	p := s.Plan
	if i+1 >= len(p.Steps) {
		return 0
	}
	d, pj := &p.Steps[i], &p.Steps[i+1]
	dps, pps := &s.steps[i], &s.steps[i+1]
	if d.Kind != plan.KindDWConv || pj.Kind != plan.KindGemm || len(pj.In[0].Shape) != 4 || !pj.In[0].NHWC || !pj.Out.NHWC {
		return 0
	}
	if !private(dps.out, pps) || d.InPlace || pj.InPlace && pj.InPlaceIn == 0 {
		return 0
	}
	if !bandableDW(d) {
		return 0
	}
	x := dps.in[0]
	minBytes := s.Opts.BlockMinBytes
	if minBytes == 0 {
		minBytes = DefaultBlockMinBytes
	}
	if x.Shape.Size()/max(x.Shape[0], 1)*4 < minBytes {
		return 0
	}
	// Only inverted residuals, whose depthwise works on more channels than
	// the block puts out, gain by default: a block whose project keeps or
	// widens the channels (MobileNetV1's depthwise-separable layers,
	// V3-Large's first 16→16 block) ran slower fused, the whole band's
	// depthwise output then being as large as the output it avoids storing
	// (interleaved single-thread runs on the 2-core Zen 5, 11 rounds: V1
	// 1.05-1.09x the unfused time, every round, 1.10-1.13x on two threads;
	// V3-Large 2.6% faster with that block left alone). BlockMinBytes < 0
	// (tests: every block) fuses them too.
	if minBytes > 0 && len(x.Shape) == 4 && len(pj.Out.Shape) == 4 && pj.Out.Shape[1] >= x.Shape[1] {
		return 0
	}
	if nt := s.Opts.Threads; nt > 1 && len(pj.Out.Shape) == 4 {
		if batch := pj.Out.Shape[0]; batch*plan.BlockParts(batch, pj.Out.Shape[2], nt) < nt {
			s.report.BlocksLeftForThreads++
			return 0
		}
	}
	if i > 0 && prevFree {
		e, eps := &p.Steps[i-1], &s.steps[i-1]
		// The expand is a 1×1 conv (GEMM), or a dense conv such as the stem
		// before V2's first block: its band rows are computed the same way.
		expand := e.Kind == plan.KindGemm || e.Kind == plan.KindConv
		if expand && len(eps.in) == 1 && len(e.In[0].Shape) == 4 && e.In[0].NHWC && e.Out.NHWC && eps.out == x && private(x, dps) {
			return 3
		}
	}
	return 2
}

// matchDWBlock reports whether step i is a depthwise conv to fuse with
// the 1×1 GEMM (or dense conv) before it, when prevFree says no block took
// that one, into a block that ends in the depthwise conv (plan.IsDWBlock):
// the producer's output, the depthwise input, then exists only as bands
// in scratch, at the pitch the depthwise band kernel prefers
// (kernels.Set.DWBandPitch), instead of being written to the arena and
// read back: V1 on one thread 0.97 of the unfused plan's CPU time
// (interleaved runs; its 112² and 56² layers gain most). Only in plans
// compiled for exactly one thread: split over threads by rows, a block
// recomputes each part's halo rows, and the unfused steps on two threads
// run share-local (no barrier between a depthwise step and its GEMM);
// plans for several or an unknown number of threads are left as they
// were. And only for a depthwise input of at least DWBlockMinBytes.
func (s *State) matchDWBlock(i int, private func(*ir.Value, *pendingStep) bool, prevFree bool) bool {
	p := s.Plan
	if i == 0 || !prevFree || s.Opts.Threads != 1 {
		return false
	}
	e, d := &p.Steps[i-1], &p.Steps[i]
	eps, dps := &s.steps[i-1], &s.steps[i]
	if d.Kind != plan.KindDWConv || d.InPlace || !bandableDW(d) || !d.Out.NHWC || len(d.Out.Shape) != 4 {
		return false
	}
	if e.Kind != plan.KindGemm && e.Kind != plan.KindConv || e.InPlace || len(eps.in) != 1 || len(e.In[0].Shape) != 4 || !e.In[0].NHWC || !e.Out.NHWC {
		return false
	}
	x := dps.in[0]
	if eps.out != x || !private(x, dps) {
		return false
	}
	// Only depthwise-separable layers, whose 1×1 conv after the depthwise
	// conv keeps or doubles the channels (MobileNetV1): an inverted
	// residual's depthwise conv belongs to its block (or, under
	// BlockMinBytes, stays unfused: measured), an SE block's to
	// fuse-se-blocks. MobileNetV4's start depthwise convs, followed by a
	// 3-4× expand, ran no faster fused (V4-Conv-S 1.01, -M 1.025 of the
	// unfused time, medians of 9 and 7 interleaved rounds at load 2-4).
	if i+1 >= len(p.Steps) || p.Steps[i+1].Kind != plan.KindGemm || len(s.steps[i+1].in) == 0 || s.steps[i+1].in[0] != dps.out {
		return false
	}
	if pj := &p.Steps[i+1]; len(pj.Out.Shape) != 4 || pj.Out.Shape[1] < d.Out.Shape[1] || pj.Out.Shape[1] > 2*d.Out.Shape[1] {
		return false
	}
	minBytes := s.Opts.DWBlockMinBytes
	if minBytes == 0 {
		minBytes = DefaultDWBlockMinBytes
	}
	return minBytes > 0 && x.Shape.Size()/max(x.Shape[0], 1)*4 >= minBytes
}

// DefaultDWBlockMinBytes is the smallest depthwise input (one image,
// bytes) matchDWBlock fuses with its producer: every one of V1's at 224²
// (the smallest, 7×7×1024, is 196 KiB), not the few-pixel maps of
// SSDLite's extra layers, where there is nothing to gain.
const DefaultDWBlockMinBytes = 128 << 10

// makeBlock builds the block step from steps [first, last].
func (s *State) makeBlock(first, last int) (plan.Step, pendingStep) {
	p := s.Plan
	var sub []plan.Step
	var fused []string
	for j := first; j <= last; j++ {
		t := p.Steps[j]
		t.In = t.In[:1] // the project's residual is the block's second input
		t.InPlace, t.InPlaceIn = false, 0
		for k := range t.In {
			t.In[k].Off = 0
		}
		t.Out.Off = 0
		sub = append(sub, t)
		fused = append(fused, t.Fused...)
	}
	for j := first; j < last; j++ {
		s.fusedBytes += int64(s.steps[j].out.Shape.Size()) * 4
	}
	return s.blockStep(first, last, sub, fused, func(st *plan.Step, budget int) (int, int) { return BlockBand(s.Set, sub, budget) })
}

// blockStep makes the KindBlock step of steps [first, last] (sub: their
// kernels' steps, fused: what they had fused): it reads the first step's
// input and the last one's residual and writes the last one's output; band
// chooses its band rows and per-thread scratch within the budget.
func (s *State) blockStep(first, last int, sub []plan.Step, fused []string, band func(st *plan.Step, budget int) (rows, scratch int)) (plan.Step, pendingStep) {
	pj, pps := s.Plan.Steps[last], s.steps[last]
	ps := pendingStep{in: []*ir.Value{s.steps[first].in[0]}, out: pps.out}
	if len(pps.in) > 1 {
		ps.in = append(ps.in, pps.in[1])
	}
	st := plan.Step{
		Kind: plan.KindBlock, Name: pj.Name, Op: ir.OpConv, Algo: "block",
		Fused: append(dedup(fused), "block"), Out: pj.Out, Sub: sub,
	}
	for _, v := range ps.in {
		st.In = append(st.In, plan.Operand{Shape: v.Shape.Clone(), NHWC: v.NHWC})
	}
	budget := s.Opts.BlockScratch
	if budget <= 0 {
		budget = DefaultBlockScratch
	}
	st.Band, st.Scratch = band(&st, budget)
	s.report.Blocks = append(s.report.Blocks, BlockInfo{Name: st.Name, Steps: len(sub), Band: st.Band, ScratchBytes: int64(st.Scratch) * 4})
	return st, ps
}

// valueUses counts each value's readers among the pending steps and marks
// the graph outputs (both by root: views count as their value).
func (s *State) valueUses() (readers map[*ir.Value]int, isOut map[*ir.Value]bool) {
	readers, isOut = map[*ir.Value]int{}, map[*ir.Value]bool{}
	for _, ps := range s.steps {
		for _, v := range ps.in {
			readers[s.root(v)]++
		}
	}
	for _, v := range s.outVals {
		isOut[s.root(v)] = true
	}
	return readers, isOut
}

// bandableDW reports whether a depthwise step can run on a band of rows as
// a small image: each padding less than the kernel, no dilation.
func bandableDW(d *plan.Step) bool {
	a := d.Attrs
	kh, kw := d.WShape[2], d.WShape[3]
	return a.Pads[0] < kh && a.Pads[2] < kh && a.Pads[1] < kw && a.Pads[3] < kw && a.Dilations[0] == 1 && a.Dilations[1] == 1
}

// evenBands turns a band height into the smallest one giving the same
// number of bands over oh rows: 7+7 rows rather than 11+3.
func evenBands(oh, band int) int {
	nb := (oh + band - 1) / band
	return (oh + nb - 1) / nb
}

func dedup(v []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range v {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// DefaultBlockScratch is the scratch a block's band may use (bytes): half
// of a 1 MiB L2, leaving room for the weights and the input and output rows.
const DefaultBlockScratch = 512 << 10

// BlockBand chooses a fused block's band height (output rows) and returns
// it with the per-thread scratch (floats) it needs (plan.BlockBandLayout:
// the band's depthwise output unless the block ends in its depthwise conv
// and, when there is an expand, the expanded input rows of one band and a
// dense expand's own scratch for them); as many rows as fit in budget
// bytes, at least one, then evened out over the bands.
func BlockBand(set *kernels.Set, sub []plan.Step, budget int) (band, scratch int) {
	oh := sub[plan.BlockDepthwise(sub)].Out.Shape[2]
	size := func(r int) int {
		l, _ := plan.BlockBandLayout(set, sub, r) // the steps were checked when emitted
		return l.Total
	}
	band = 1
	for band < oh && size(band+1)*4 <= budget {
		band++
	}
	band = evenBands(oh, band)
	return band, size(band)
}
