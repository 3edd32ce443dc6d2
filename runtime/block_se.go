package runtime

import (
	"fmt"
	"math"

	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/plan"
)

// Fused blocks with squeeze-and-excitation (plan.IsSEBlock; see
// passes/fuseblocks_se.go). An image's expand and depthwise run band by
// band into its whole depthwise output D in a thread's scratch (sized to
// stay in L2), which is pooled per channel; then fc1 and fc2 make the
// channel scale s, and the project reads D·s, the scale folded into a
// per-image copy of the packed project weights (diag(s)·W: rows of W
// scaled) or, where D is the smaller, into D; one GEMM projects the image.
//
// When the images share the threads evenly (and on one thread), one image
// is one chunk of one step: a thread runs it whole in its own scratch.
// The images that are left over (batch 1 on 2 threads, the third image on
// 2) are split within: the block runs as four steps (phases, executor.go)
// with the pool's wait for every row between them:
//
//	bands:   parts of each image's output rows (every part its first
//	         band's halo rows), D in the scratch of thread u for the
//	         u-th such image, each thread's expanded rows in its own
//	         scratch;
//	pool:    channel ranges of D;
//	excite:  fc1 and fc2 (small: every chunk its own, into its thread's
//	         scratch) and a range of the scaled weights' copy (fold), or
//	         fc1 and fc2 once into the image's scratch (no fold);
//	project: row ranges of the GEMM (scaling their rows of D first
//	         without fold), cut at Gemm's row multiples so that every row
//	         is computed as by one GEMM over the image.
//
// The pool is the unfused pool's kernel, in its order per channel, and
// every row of the project GEMM sits in the same tile as in one GEMM, so
// the split changes no result but through the expand's band edges, as the
// bands do.

// seBlock is what an SE block's chunks share, resolved once.
type seBlock struct {
	*blockPlan
	lay            plan.SELayout
	w1, b1, w2, b2 []float32
	n1             int // squeezed channels
	ep1, ep2       kernels.Epilogue
	fold           bool
	// runs cuts the packed project weights into runs of floats by the
	// rows of W they belong to (packedRows; fold only).
	runs []int32
}

func (e *Executor) prepSEBlock(s *plan.Step) ([]phase, error) {
	b, err := e.seBlockPlan(s)
	if err != nil {
		return nil, err
	}
	scratch, err := e.blockScratch(s)
	if err != nil {
		return nil, err
	}
	nt := e.nt
	whole := b.batch // images run whole, one a chunk
	if nt > 1 {
		whole -= b.batch % nt
	}
	var ph []phase
	if whole > 0 {
		chunks := whole
		if nt == 1 {
			chunks = 1
		}
		ph = append(ph, phase{func(tid, c, nc int) {
			if nc == 1 {
				for img := 0; img < whole; img++ {
					b.image(tid, scratch[tid], img)
				}
				return
			}
			b.image(tid, scratch[tid], c)
		}, chunks})
	}
	if whole < b.batch {
		ph = append(ph, b.splitPhases(scratch, whole, b.batch-whole, nt)...)
	}
	return ph, nil
}

// seWeightChunk is the fewest floats of the scaled weights' copy per
// chunk when the copy is split over threads (a variable: the tests split
// the small models' copies too).
var seWeightChunk = 1 << 14

// splitPhases returns the phases that compute images [first, first+r) of
// the block split within each image on nt threads (r < nt): image
// first+u keeps its D, pool, scale and scaled weights in scratch[u].
func (b *seBlock) splitPhases(scratch [][]float32, first, r, nt int) []phase {
	set, l := b.set, &b.lay
	c, hw := b.cexp, b.oh*b.ow
	d := func(u int) []float32 { return scratch[u][l.D : l.D+hw*c] }
	inSz, outSz := b.h*b.w*b.cin, hw*b.cout

	// As many parts as threads (at least plan.BlockMinPartRows rows
	// each), not the plain blocks' two a thread (plan.BlockParts): every
	// part but the first expands its window's halo rows again, 4 of 7 rows
	// at V3-Large's 28×28 5×5 blocks.
	parts := max(1, min((nt+r-1)/r, b.oh/plan.BlockMinPartRows))
	bands := func(tid, ch, nc int) {
		u, p := ch/parts, ch%parts
		lo, hi := split(b.oh, 1, p, parts)
		img := first + u
		b.bands(tid, scratch[tid][l.E:l.D], b.in[img*inSz:(img+1)*inSz], d(u), lo, hi)
	}

	pc := 1
	if set.GlobalAvgPoolChannels != nil && c >= 2*kernels.DWChannelQuantum*nt {
		pc = nt
	}
	pool := func(tid, ch, nc int) {
		u, q := ch/pc, ch%pc
		pv := scratch[u][l.Pool : l.Pool+c]
		if pc == 1 {
			set.GlobalAvgPool(d(u), hw, c, pv)
			return
		}
		c0, c1 := split(c, kernels.DWChannelQuantum, q, pc)
		set.GlobalAvgPoolChannels(d(u), hw, c, c0, c1, pv)
	}

	// The scaled weights' copy in ranges of whole cache lines, each with
	// its share of the runs.
	wc := 1
	if b.fold {
		wc = max(1, min(nt, len(b.wp)/seWeightChunk))
	}
	wruns := make([][]int32, wc)
	for q := range wruns {
		lo, hi := split(len(b.wp), 16, q, wc)
		wruns[q] = splitRuns(b.runs, lo, hi)
	}
	excite := func(tid, ch, nc int) {
		u, q := ch/wc, ch%wc
		sc := scratch[u] // the image's: one chunk
		if wc > 1 {
			sc = scratch[tid] // every chunk its own s
		}
		sv := b.excite(scratch[u][l.Pool:l.Pool+c], sc)
		if b.fold {
			scaleRows(scratch[u][l.W:l.W+len(b.wp)], b.wp, sv, wruns[q])
		}
	}

	rq := max(1, set.RowMultiple, set.RowQuantum)
	pj := max(1, min(chunksPerThread*nt, (hw+rq-1)/rq))
	project := func(tid, ch, nc int) {
		u, q := ch/pj, ch%pj
		lo, hi := split(hw, rq, q, pj)
		if lo == hi {
			return
		}
		img := first + u
		du := d(u)[lo*c : hi*c]
		wp := b.wp
		if b.fold {
			wp = scratch[u][l.W : l.W+len(b.wp)]
		} else {
			set.ScaleChannels(du, hi-lo, c, scratch[u][l.Scale:l.Scale+c], du)
		}
		var res []float32
		if b.r != nil {
			res = b.r[img*outSz+lo*b.cout:]
		}
		set.Gemm(hi-lo, b.cout, c, du, c, wp, b.bp, res, b.cout, b.out[img*outSz+lo*b.cout:], b.cout, 0, b.cout, &b.epP)
	}
	return []phase{{bands, r * parts}, {pool, r * pc}, {excite, r * wc}, {project, r * pj}}
}

// splitRuns returns the part of runs (packedRows) that covers packed
// floats [lo, hi): runs cut at lo and hi, a run of alternating rows cut
// at an odd offset starting with its other row.
func splitRuns(runs []int32, lo, hi int) []int32 {
	var out []int32
	for i := 0; i+3 < len(runs); i += 4 {
		a, b, k0, k1 := int(runs[i]), int(runs[i+1]), runs[i+2], runs[i+3]
		a1, b1 := max(a, lo), min(b, hi)
		if a1 >= b1 {
			continue
		}
		if (a1-a)%2 == 1 {
			k0, k1 = k1, k0
		}
		out = append(out, int32(a1), int32(b1), k0, k1)
	}
	return out
}

func (e *Executor) seBlockPlan(s *plan.Step) (*seBlock, error) {
	d := plan.SEDepthwise(s)
	if len(s.Sub) > 5 || d < 0 {
		return nil, fmt.Errorf("fused SE block of %d steps", len(s.Sub))
	}
	lay, err := plan.SEBlockLayout(e.set, s, s.Band)
	if err != nil {
		return nil, err
	}
	if lay.Total > s.Scratch {
		return nil, errScratchShort(s.Scratch, "the SE block", lay.Total)
	}
	// The block without its SE steps: expand, depthwise and project as
	// blockPlan resolves them.
	t := *s
	t.Sub = append(append([]plan.Step(nil), s.Sub[:d+1]...), s.Sub[d+3])
	t.Scratch = math.MaxInt // lay is checked above, not blockPlan's layout
	bp, err := e.blockPlan(&t)
	if err != nil {
		return nil, err
	}
	if bp.dense {
		return nil, fmt.Errorf("an SE block expands with a 1×1 conv, not a dense one")
	}
	bp.parts = 1
	b := &seBlock{blockPlan: bp, lay: lay}
	fc := func(t *plan.Step, k int) (w, bias []float32, n int, ep kernels.Epilogue, err error) {
		_, n, kk, err := plan.GemmDims(t)
		if err != nil {
			return
		}
		if kk != k {
			return nil, nil, 0, ep, fmt.Errorf("reads %d channels, want %d", kk, k)
		}
		if w, err = e.blob(t.Consts[0], e.set.PackedGemmSize(n, k), "weight"); err != nil {
			return
		}
		bias, err = e.blob(t.Consts[1], n, "bias")
		return w, bias, n, plan.KernelEpilogue(t.Attrs.Fused), err
	}
	if b.w1, b.b1, b.n1, b.ep1, err = fc(&s.Sub[d+1], b.cexp); err != nil {
		return nil, fmt.Errorf("fc1: %w", err)
	}
	var n2 int
	if b.w2, b.b2, n2, b.ep2, err = fc(&s.Sub[d+2], b.n1); err != nil {
		return nil, fmt.Errorf("fc2: %w", err)
	}
	if n2 != b.cexp {
		return nil, fmt.Errorf("fc2 makes %d channels, the depthwise conv %d", n2, b.cexp)
	}
	b.fold = plan.SEFoldsScale(b.oh, b.ow, b.cout)
	if b.fold {
		b.runs = packedRows(e.set, b.cout, b.cexp)
	}
	return b, nil
}

// packedRows describes where PackGemm puts each row p of an n×k weight
// matrix W (row p of W being input channel p), found by packing
// W[j][p] = p+1: runs of consecutive packed floats [a, b) whose rows
// alternate between k0 (even offsets from a) and k1 (odd ones) as
// (a, b, k0, k1) quadruples; k0 = k1 for a panel row, k0+1 = k1 for
// amd64's k-pair panels, k0 = k1 = -1 for a stretch of padding (zeros) of
// a panel row or more. Shorter padding joins the run before it. Every
// ISA's layout is covered, whatever its panels.
func packedRows(set *kernels.Set, n, k int) []int32 {
	w := make([]float32, n*k)
	for j := 0; j < n; j++ {
		for p := 0; p < k; p++ {
			w[j*k+p] = float32(p + 1)
		}
	}
	pk := make([]float32, set.PackedGemmSize(n, k))
	set.PackGemm(pk, w, n, k)
	row := func(i int) int32 { return int32(pk[i]) - 1 }
	// long reports whether padding starting at i lasts a panel row or more.
	long := func(i int) bool {
		for j := i; j < i+set.NR; j++ {
			if j < len(pk) && row(j) >= 0 {
				return false
			}
		}
		return true
	}
	var runs []int32
	for i := 0; i < len(pk); {
		j := i + 1
		if row(i) < 0 && (len(runs) == 0 || long(i)) {
			for j < len(pk) && row(j) < 0 {
				j++
			}
			runs = append(runs, int32(i), int32(j), -1, -1)
			i = j
			continue
		}
		if row(i) < 0 { // short padding: the last run's
			runs[len(runs)-3] = int32(j)
			i = j
			continue
		}
		k0, k1 := row(i), row(i)
		if i+1 < len(pk) && row(i+1) >= 0 {
			k1 = row(i + 1)
		}
		for ; j < len(pk); j++ {
			want := k0
			if (j-i)%2 == 1 {
				want = k1
			}
			if r := row(j); r >= 0 && r != want || r < 0 && long(j) {
				break
			}
		}
		runs = append(runs, int32(i), int32(j), k0, k1)
		i = j
	}
	return runs
}

// scaleRows writes the packed weights of diag(s)·W to dst, from W's
// packed in src (runs from packedRows).
func scaleRows(dst, src, s []float32, runs []int32) {
	for i := 0; i+3 < len(runs); i += 4 {
		a, b, k0, k1 := runs[i], runs[i+1], runs[i+2], runs[i+3]
		d, w := dst[a:b], src[a:b]
		w = w[:len(d)]
		switch {
		case k0 < 0:
			clear(d)
		case k0 == k1:
			f := s[k0]
			for len(d) >= 8 && len(w) >= 8 {
				d[0], d[1], d[2], d[3] = w[0]*f, w[1]*f, w[2]*f, w[3]*f
				d[4], d[5], d[6], d[7] = w[4]*f, w[5]*f, w[6]*f, w[7]*f
				d, w = d[8:], w[8:]
			}
			for j := range d {
				d[j] = w[j] * f
			}
		default:
			f0, f1 := s[k0], s[k1]
			for len(d) >= 2 && len(w) >= 2 {
				d[0], d[1] = w[0]*f0, w[1]*f1
				d, w = d[2:], w[2:]
			}
			if len(d) > 0 {
				d[0] = w[0] * f0
			}
		}
	}
}

// image computes image img of the block.
func (b *seBlock) image(tid int, scratch []float32, img int) {
	set, l := b.set, &b.lay
	c := b.cexp
	inSz, outSz := b.h*b.w*b.cin, b.oh*b.ow*b.cout
	out := b.out[img*outSz : (img+1)*outSz]
	var res []float32
	if b.r != nil {
		res = b.r[img*outSz : (img+1)*outSz]
	}
	dbuf := scratch[l.D : l.D+b.oh*b.ow*c]
	b.bands(tid, scratch[l.E:l.D], b.in[img*inSz:(img+1)*inSz], dbuf, 0, b.oh)
	// The pool reads D from L2 once, in the unfused pool's order (pooled
	// band by band while in L1, the means rounded differently: the test
	// models amplify such a change of the last bit past 1e-5).
	pool := scratch[l.Pool : l.Pool+c]
	set.GlobalAvgPool(dbuf, b.oh*b.ow, c, pool)
	sv := b.excite(pool, scratch)
	wp := b.wp
	if b.fold {
		wp = scratch[l.W : l.W+len(b.wp)]
		scaleRows(wp, b.wp, sv, b.runs)
	} else {
		set.ScaleChannels(dbuf, b.oh*b.ow, c, sv, dbuf)
	}
	// One GEMM over the image (in bands, its edge tiles would round some
	// rows differently from the unfused project's).
	set.Gemm(b.oh*b.ow, b.cout, c, dbuf, c, wp, b.bp, res, b.cout, out, b.cout, 0, b.cout, &b.epP)
}

// bands computes output rows [r0, r1) of an image's depthwise output
// (in: the image's block input) into the same rows of d, band by band,
// the expanded rows in ebuf (about two bands': plan.SEBlockLayout).
func (b *seBlock) bands(tid int, ebuf, in, d []float32, r0, r1 int) {
	rowD := b.ow * b.cexp
	var win expandWindow
	for oy0 := r0; oy0 < r1; oy0 += b.band {
		oy1 := min(oy0+b.band, r1)
		b.dwRows(tid, in, ebuf, nil, d[oy0*rowD:oy1*rowD], &win, oy0, oy1)
	}
}

// excite runs fc1 and fc2 on the pooled channels into the hidden and
// scale vectors of scratch (plan.SELayout) and returns the scale.
func (b *seBlock) excite(pool, scratch []float32) []float32 {
	l, c := &b.lay, b.cexp
	hid, sv := scratch[l.Hidden:l.Hidden+b.n1], scratch[l.Scale:l.Scale+c]
	b.set.Gemm(1, b.n1, c, pool, c, b.w1, b.b1, nil, 0, hid, b.n1, 0, b.n1, &b.ep1)
	b.set.Gemm(1, c, b.n1, hid, b.n1, b.w2, b.b2, nil, 0, sv, c, 0, c, &b.ep2)
	return sv
}
