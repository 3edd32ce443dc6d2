package passes

import (
	"slices"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/plan"
)

// Fused blocks with squeeze-and-excitation (MobileNetV3): the steps
//
//	[expand gemm →] depthwise → gavgpool → fc1 gemm → fc2 gemm → scale → project gemm
//
// become one KindBlock step whose Sub is [expand,] depthwise, fc1, fc2,
// project (plan/block_se.go). The runtime computes expand and depthwise
// band by band into one image's whole depthwise output D (per-thread
// scratch, sized for L2), pooling each band's channels while it is in
// cache, runs fc1 and fc2, then projects D with the channel scale folded
// into a per-image copy of the project's weights ((D·s)W = D(diag(s)W):
// k×n multiplications instead of a pass over D) or, where D is the smaller
// (7×7 maps), into D band by band just before its projection. The
// expanded tensor never exists in full and the pool and scale passes over
// D are gone.

// fuseSEBlocks is the fuse-se-blocks pass. It runs after fuse-blocks (which
// leaves SE chains alone) and is off with it (Options.check): -disable
// fuse-blocks gives the plan with no block fused, -disable fuse-se-blocks
// the one without the SE variant.
func fuseSEBlocks(s *State) error {
	if !slices.ContainsFunc(s.Plan.Steps, func(st plan.Step) bool { return st.Kind == plan.KindScaleChannels }) {
		return nil
	}
	readers, isOut := s.valueUses()
	p := s.Plan
	steps := make([]plan.Step, 0, len(p.Steps))
	pend := make([]pendingStep, 0, len(p.Steps))
	taken := -1 // the last step fused into a block
	for i := 0; i < len(p.Steps); i++ {
		if n := s.matchSEBlock(i, readers, isOut, taken < i-1); n > 0 {
			st, ps := s.makeSEBlock(i, n)
			if n == 5 { // the expand is already in the output list: replace it
				steps, pend = steps[:len(steps)-1], pend[:len(pend)-1]
			}
			steps, pend = append(steps, st), append(pend, ps)
			i += 5
			taken = i
			continue
		}
		steps, pend = append(steps, p.Steps[i]), append(pend, s.steps[i])
	}
	p.Steps, s.steps = steps, pend
	return nil
}

// matchSEBlock reports whether step i is a depthwise conv that starts (or,
// with the expand before it, continues) a fusable SE block: it returns 5
// for expand+depthwise+SE+project (the expand is step i-1, when prevFree
// says no block took it), 4 without the expand, 0 for none.
func (s *State) matchSEBlock(i int, readers map[*ir.Value]int, isOut map[*ir.Value]bool, prevFree bool) int {
	p := s.Plan
	if i+5 >= len(p.Steps) {
		return 0
	}
	st, ps := p.Steps[i:i+6], s.steps[i:i+6]
	kinds := []plan.Kind{plan.KindDWConv, plan.KindGlobalAvgPool, plan.KindGemm, plan.KindGemm, plan.KindScaleChannels, plan.KindGemm}
	for j, k := range kinds {
		if st[j].Kind != k || st[j].Out.DType != plan.F32 || len(st[j].Out.Shape) != 4 || !st[j].Out.NHWC {
			return 0
		}
	}
	// only reports whether v is read n times, is no graph output and is
	// not a view of another value.
	only := func(v *ir.Value, n int) bool { return s.root(v) == v && !isOut[v] && readers[v] == n }
	d, pool, fc1, fc2, sc := ps[0].out, ps[1].out, ps[2].out, ps[3].out, ps[4].out
	switch {
	case !only(d, 2) || !only(pool, 1) || !only(fc1, 1) || !only(fc2, 1) || !only(sc, 1):
		return 0
	case len(ps[1].in) != 1 || ps[1].in[0] != d, len(ps[2].in) != 1 || ps[2].in[0] != pool,
		len(ps[3].in) != 1 || ps[3].in[0] != fc1, len(ps[4].in) != 2 || ps[4].in[0] != d || ps[4].in[1] != fc2,
		len(ps[5].in) == 0 || ps[5].in[0] != sc:
		return 0
	case st[0].InPlace || st[5].InPlace && st[5].InPlaceIn == 0 || len(st[5].In[0].Shape) != 4 || !st[5].In[0].NHWC:
		return 0
	}
	if !bandableDW(&st[0]) {
		return 0
	}
	y := st[0].Out.Shape
	if minBytes := s.Opts.BlockMinBytes; minBytes >= 0 && !seBlockPays(y[2], y[3]) {
		return 0
	}
	// Whatever the batch and threads: the runtime runs an image per
	// thread where the images share the threads evenly and splits the
	// others within (runtime/block_se.go).
	if i > 0 && prevFree {
		e, eps := &p.Steps[i-1], &s.steps[i-1]
		if e.Kind == plan.KindGemm && len(eps.in) == 1 && len(e.In[0].Shape) == 4 && e.In[0].NHWC && e.Out.NHWC &&
			eps.out == ps[0].in[0] && only(eps.out, 1) && !e.InPlace {
			return 5
		}
	}
	if s.Opts.BlockMinBytes >= 0 {
		// Without an expand there is no expanded tensor to keep out of
		// memory, only the scale pass: V3-Small's first block (56×56×16)
		// took the same time fused (27.2 µs against 27.1, step medians).
		return 0
	}
	return 4
}

// seBlockPays reports whether an SE block whose depthwise output has oh×ow
// pixels is fused by default: at 28×28 and more (V3-Large's features.4-6,
// V3-Small's first block), where the scale folded into the weights saves
// more than the bands cost. At 14×14 and 7×7 (expanded rows of 14·672
// floats: bands of one or two rows) V3-Large's blocks ran 5-7% slower
// fused (single thread, per-step medians: 1.54 ms against 1.44 ms for the
// five).
func seBlockPays(oh, ow int) bool { return oh*ow >= 28*28 }

// makeSEBlock builds the SE block step from steps i-1 (when n is 5) to i+5.
func (s *State) makeSEBlock(i, n int) (plan.Step, pendingStep) {
	p := s.Plan
	first := i + 4 - n
	var sub []plan.Step
	var fused []string
	for j := first; j <= i+5; j++ {
		t := p.Steps[j]
		fused = append(fused, t.Fused...)
		if j != first {
			s.fusedBytes += int64(s.steps[j-1].out.Shape.Size()) * 4
		}
		if t.Kind == plan.KindGlobalAvgPool || t.Kind == plan.KindScaleChannels {
			continue
		}
		t.In = t.In[:1] // the project's residual is the block's second input
		t.InPlace, t.InPlaceIn = false, 0
		t.In[0].Off, t.Out.Off = 0, 0
		sub = append(sub, t)
	}
	return s.blockStep(first, i+5, sub, fused, func(st *plan.Step, budget int) (int, int) { return SEBlockBand(s.Set, st, budget) })
}

// SEBlockBand chooses an SE block's band height (output rows) and returns
// it with the per-thread scratch (floats) it needs: the whole depthwise
// output of one image and the vectors are fixed; the expanded rows of a
// band take as many rows as fit in a quarter of budget bytes (the rest is
// for D, the weights and the input rows), at least one, evened out over
// the bands.
func SEBlockBand(set *kernels.Set, st *plan.Step, budget int) (band, scratch int) {
	d := &st.Sub[plan.SEDepthwise(st)]
	oh := d.Out.Shape[2]
	size := func(r int) int {
		l, _ := plan.SEBlockLayout(set, st, r) // the shapes were checked by emit
		return l.Total
	}
	x := d.In[0].Shape // NCHW
	sh, kh := d.Attrs.Strides[0], d.WShape[2]
	band = 1
	for band < oh && (band*sh+kh)*x[3]*x[1]*4 <= budget/4 { // band+1 rows' expanded input
		band++
	}
	band = evenBands(oh, band)
	return band, size(band)
}
