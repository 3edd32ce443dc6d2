package passes

import (
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/plan"
)

// align is the offset granularity in floats (64 bytes: one cache line, one
// AVX-512 vector), so kernels see aligned rows where shapes allow.
const align = 16

// planMemory assigns every tensor an arena offset. A tensor lives from the
// step that writes it to the last step that reads it (views share their
// source's storage and extend its life; graph inputs live from the start,
// graph outputs to the end). A step whose kernel allows it writes in place
// over an input that dies there with the same size and layout; the two then
// form one buffer. Buffers are placed greedily by size, largest first, each
// at the lowest offset where it overlaps no buffer whose lifetime
// intersects its own (TFLite's "greedy by size"), which packs much tighter
// than allocating in program order.
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
	// Buffers: one per storage root, merged along in-place chains.
	bufOf := map[*ir.Value]*buffer{}
	var bufs []*buffer
	newBuf := func(v *ir.Value, def int) {
		b := &buffer{size: roundUp(max(s.operand(v).Floats(), 1)), def: def, last: def}
		if def >= 0 && s.Opts.Threads == 2 {
			b.channels = plan.ChannelSplit(&p.Steps[def], 2, s.Set)
		}
		if l, ok := last[v]; ok {
			b.last = max(b.last, l)
		}
		bufOf[v] = b
		bufs = append(bufs, b)
	}
	for _, v := range s.G.Inputs {
		newBuf(v, -1)
	}
	total := s.fusedBytes
	for i := range s.steps {
		ps, st := &s.steps[i], &p.Steps[i]
		// Step outputs are never views, but for the channel slices of
		// concat-in-place: they live in their Concat's buffer, which
		// starts at the first slice's writer.
		out := ps.out
		if r := s.root(out); r != out {
			if bufOf[r] == nil {
				newBuf(r, i)
			}
			continue
		}
		total += int64(s.operand(out).Bytes())
		if b := bufOf[out]; b != nil { // a Concat whose slices' writers made its buffer
			continue
		}
		if r, j := s.inPlaceSource(ps, last, isOut, i); r != nil {
			st.InPlace, st.InPlaceIn = true, j
			b := bufOf[r]
			bufOf[out] = b
			if l, ok := last[out]; ok {
				b.last = max(b.last, l)
			}
			continue
		}
		newBuf(out, i)
	}
	if n, at := peakLive(bufs, end); n > MaxLive {
		name := "the graph's outputs"
		if at >= 0 && at < len(p.Steps) {
			name = fmt.Sprintf("step %d %q", at, p.Steps[at].Name)
		}
		return fmt.Errorf("%d tensors are live at once (at %s); mnc plans at most %d %w (placing them takes time quadratic in that number)", n, name, MaxLive, ErrTooManyLive)
	}
	arenaSize := placeBuffers(bufs, false)
	if s.Opts.Threads == 2 {
		// The centred layout buys 1-3% at two threads; take it only when
		// it costs at most a fifth more arena (V1: +17%), so a plan keeps
		// the small arena fused blocks earn (V2 1.34 MiB; centred 1.95).
		// Channel-split outputs placed above it (placeChannelSplit) buy
		// about 1% more on V1; take that only within a third more than the
		// lowest layout (V1: +25% at 224², 4.59 -> 5.74 MiB; +33% at 64²-128²),
		// so the arena a two-thread plan takes stays bounded.
		lowest := make([]int, len(bufs))
		for i, b := range bufs {
			lowest[i] = b.off
		}
		if c := placeBuffers(bufs, true); c*5 <= arenaSize*6 {
			if chans := channelSplitBuffers(bufs); len(chans) > 0 {
				centred := make([]int, len(bufs))
				for i, b := range bufs {
					centred[i] = b.off
				}
				if cs := placeChannelSplit(bufs, chans); cs*3 <= arenaSize*4 {
					c = cs
				} else {
					for i, b := range bufs {
						b.off = centred[i]
					}
				}
			}
			arenaSize = c
		} else {
			for i, b := range bufs {
				b.off = lowest[i]
			}
		}
	}
	placeBandScratch(p, bufs, arenaSize, max(1, s.Opts.Threads))
	// Live bytes per step from a difference array (index t+1 for step t).
	delta := make([]int64, end+3)
	for _, b := range bufs {
		delta[b.def+1] += int64(b.size) * 4
		delta[b.last+2] -= int64(b.size) * 4
	}
	var peak, live int64
	for _, d := range delta {
		live += d
		peak = max(peak, live)
	}
	off := map[*ir.Value]int{}
	for v, b := range bufOf {
		off[v] = b.off
	}
	operand := func(v *ir.Value) plan.Operand {
		o := s.operand(v)
		o.Off = off[s.root(v)]
		if c, ok := s.slices[v]; ok {
			o.Pitch, o.ChanOff = s.root(v).Shape[1], c
		}
		return o
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
	p.ArenaSize = arenaSize
	p.PeakBytes = int64(arenaSize) * 4
	s.report.ArenaBytes = p.PeakBytes
	s.report.LivePeakBytes = peak
	s.report.IntermediateBytes = total
	s.report.ScratchBytes = int64(p.ScratchFor(max(1, s.Opts.Threads))) * 4
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
		if _, sliced := s.slices[v]; sliced {
			continue
		}
		if v.IsConst() || isPrecomputed(*ps, v) || isOut[r] || last[r] != i || r.Shape.Size() != ps.out.Shape.Size() || v.NHWC != ps.out.NHWC ||
			s.isQ8(r) != s.isQ8(ps.out) || s.operand(r).Floats() != s.operand(ps.out).Floats() {
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

// buffer is a range of the arena used from step def to step last.
type buffer struct {
	size, off int
	def, last int
	// channels: on two threads the step that makes it is cut into channel
	// ranges of every pixel (plan.ChannelSplit), so each thread's lines
	// interleave with the other's (see placeChannelSplit).
	channels bool
}

func roundUp(n int) int { return (n + align - 1) / align * align }

// placeBuffers assigns offsets, largest buffer first, each at the lowest
// offset that collides with no already placed buffer live at the same
// time; it returns the arena size.
//
// centred (plans for two threads): a buffer first tries the slots centred
// on the midpoints of the arena's first centreSlots stretches of the
// largest buffer's size, lowest first, and takes the lowest offset only
// when each clashes. Two threads split a step's rows in halves (each owns
// a contiguous half of the chunks, runtime/pool.go), so every byte below a
// midpoint is then always written by one thread and every byte above it by
// the other: a step never stores over lines the other core wrote last.
// Without it (V1 on the 2-core Zen 5), a depthwise step whose output lay
// over the other thread's half of an earlier, larger tensor ran 2-2.5×
// slower per row than on one thread (cross-core ownership transfers): the
// 56² one 103 → 62 µs on two threads (63 on one), V1 3% faster, V2 and
// V3 1-2% (in-process alternated runs), for arenas 0.6-0.8 MiB larger
// (planMemory keeps it only where that is at most a fifth more).
func placeBuffers(bufs []*buffer, centred bool) int {
	order := append([]*buffer(nil), bufs...)
	sort.SliceStable(order, func(i, j int) bool {
		if order[i].size != order[j].size {
			return order[i].size > order[j].size
		}
		return order[i].def < order[j].def
	})
	// The buffers already placed are listed under every step they live in,
	// so a buffer's clashes are found by looking at its own steps only:
	// linear in the total lifetime, not quadratic in the buffers (a long
	// chain has thousands of buffers but two or three live at any step).
	// When lifetimes are long enough that this costs more, scan instead.
	first, span := 0, 0
	for _, b := range bufs {
		first = min(first, b.def)
		span = max(span, b.last)
	}
	var total int
	for _, b := range bufs {
		total += b.last - b.def + 1
	}
	var byStep [][]*buffer
	if total <= 64*len(bufs)+1<<20 {
		byStep = make([][]*buffer, span-first+1)
	}
	seen := map[*buffer]int{}
	var placed []*buffer
	size := 0
	for k, b := range order {
		var clash []*buffer
		if byStep != nil {
			for t := b.def; t <= b.last; t++ {
				for _, q := range byStep[t-first] {
					if seen[q] != k+1 {
						seen[q] = k + 1
						clash = append(clash, q)
					}
				}
			}
		} else {
			for _, q := range placed {
				if q.def <= b.last && b.def <= q.last {
					clash = append(clash, q)
				}
			}
		}
		sort.Slice(clash, func(i, j int) bool { return clash[i].off < clash[j].off })
		off := -1
		if centred {
			big := order[0].size
			for j := 0; j < centreSlots && off < 0; j++ {
				at := (j*big + big/2 - b.size/2) / align * align
				if !overlaps(clash, at, b.size) {
					off = at
				}
			}
		}
		if off < 0 {
			off = 0
			for _, q := range clash {
				if off+b.size <= q.off {
					break
				}
				off = max(off, q.off+q.size)
			}
		}
		b.off = off
		placed = append(placed, b)
		if byStep != nil {
			for t := b.def; t <= b.last; t++ {
				byStep[t-first] = append(byStep[t-first], b)
			}
		}
		size = max(size, off+b.size)
	}
	return size
}

// MaxLive bounds the tensors live at once in a plan: placeBuffers compares
// each buffer with those live beside it, so a graph of 10^5 outputs (or
// branches meeting in one Concat) took hours. MobileNets keep 2-4 live.
const MaxLive = 4096

// ErrTooManyLive is wrapped by the error of a compile that needed more than
// MaxLive tensors live at once (quant's calibration then runs the graph on
// the reference executor instead).
var ErrTooManyLive = errors.New("tensors live at once")

// peakLive is the largest number of buffers live at one step and the first
// step where it is reached (-1: the graph inputs; end: the outputs).
func peakLive(bufs []*buffer, end int) (peak, at int) {
	delta := make([]int, end+3) // index t+1 for step t
	for _, b := range bufs {
		delta[b.def+1]++
		delta[b.last+2]--
	}
	live := 0
	for i, d := range delta {
		if live += d; live > peak {
			peak, at = live, i-1
		}
	}
	return peak, at
}

// channelSplitBuffers returns the buffers made by channel-split steps.
func channelSplitBuffers(bufs []*buffer) []*buffer {
	var chans []*buffer
	for _, b := range bufs {
		if b.channels {
			chans = append(chans, b)
		}
	}
	return chans
}

// placeChannelSplit lays out a two-thread arena in which the buffers made
// by channel-split steps (chans) lie above all others: the rest centred
// as placeBuffers does, these packed lowest first among themselves from
// its top. A channel-split step writes a run of lines per pixel on each
// thread; over a centred buffer's halves (one thread's below the
// midpoint), half of its stores took lines the other core wrote last, and
// so did the row-split stores of the next run over it. V1 on 2 threads
// (the 7×7 GEMMs split by columns and the depthwise step by channels):
// 3,200 of each thread's lines a run changed cores, 1,536 at the input
// step, 1,536 at the stem, 1,536 at features.12's GEMM, 1,552 at
// features.13's depthwise; with this none but 112 at the stride-2 7×7
// depthwise (7 rows split 3 | 4), for 0.39 MiB more arena. It returns the
// arena size.
func placeChannelSplit(bufs, chans []*buffer) int {
	var rows []*buffer
	for _, b := range bufs {
		if !b.channels {
			rows = append(rows, b)
		}
	}
	top := placeBuffers(rows, true)
	for _, b := range chans {
		b.off = 0
	}
	size := placeBuffers(chans, false)
	for _, b := range chans {
		b.off += top
	}
	return top + size
}

// centreSlots is how many centred slots placeBuffers tries.
const centreSlots = 3

// overlaps reports whether [off, off+size) meets one of bufs.
func overlaps(bufs []*buffer, off, size int) bool {
	for _, q := range bufs {
		if off < q.off+q.size && q.off < off+size {
			return true
		}
	}
	return false
}

// placeBandScratch gives each fused block the band scratch of up to nt
// threads in the arena, in a range no buffer occupies during the block's
// step, when the arena has one without growing (plan.Step.BandOff): memory
// the steps before have just used is in cache, while per-thread scratch
// allocated apart is cold whenever a block starts after other steps
// (V3-Small's one block: expand of the first band 1.8x slower per row than
// the later bands; with its scratch in the arena the block took 0.91x the
// unfused steps' time instead of 1.12-1.16x, interleaved runs).
func placeBandScratch(p *plan.Plan, bufs []*buffer, arenaSize, nt int) {
	for i := range p.Steps {
		st := &p.Steps[i]
		st.BandOff, st.BandThreads = 0, 0
		if st.Kind != plan.KindBlock || st.Scratch <= 0 || st.Scratch%align != 0 {
			continue
		}
		var live []*buffer
		for _, b := range bufs {
			if b.def <= i && i <= b.last {
				live = append(live, b)
			}
		}
		slices.SortFunc(live, func(a, b *buffer) int { return a.off - b.off })
		// The widest gap, for as many threads as fit.
		best, bestOff, at := 0, 0, 0
		for k := 0; k <= len(live); k++ {
			end := arenaSize
			if k < len(live) {
				end = live[k].off
			}
			if end-at > best {
				best, bestOff = end-at, at
			}
			if k < len(live) {
				at = max(at, live[k].off+live[k].size)
			}
		}
		if t := min(nt, best/st.Scratch); t > 0 {
			st.BandOff, st.BandThreads = bestOff, t
		}
	}
}
