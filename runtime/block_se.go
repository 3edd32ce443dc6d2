package runtime

import (
	"fmt"
	"math"

	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/plan"
)

// Fused blocks with squeeze-and-excitation (plan.IsSEBlock; see
// passes/fuseblocks_se.go). One image is one chunk: its expand and
// depthwise run band by band into the image's whole depthwise output D in
// the thread's scratch (sized to stay in L2), which is pooled per channel;
// then fc1 and fc2 make the channel scale s, and the project reads D·s, the
// scale folded into a per-image copy of the packed project weights
// (diag(s)·W: rows of W scaled) or, where D is the smaller, into D; one
// GEMM projects the image.

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

func (e *Executor) prepSEBlock(s *plan.Step) (stepFunc, error) {
	b, err := e.seBlockPlan(s)
	if err != nil {
		return nil, err
	}
	scratch, err := e.blockScratch(s)
	if err != nil {
		return nil, err
	}
	return func(tid, c, nc int) {
		if nc == 1 {
			for img := 0; img < b.batch; img++ {
				b.image(tid, scratch[tid], img)
			}
			return
		}
		b.image(tid, scratch[tid], c)
	}, nil
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
		return nil, fmt.Errorf("plan reserves %d scratch floats, the SE block needs %d", s.Scratch, lay.Total)
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
	in := b.in[img*inSz : (img+1)*inSz]
	out := b.out[img*outSz : (img+1)*outSz]
	var res []float32
	if b.r != nil {
		res = b.r[img*outSz : (img+1)*outSz]
	}
	ebuf := scratch[l.E:l.D]
	dbuf := scratch[l.D : l.D+b.oh*b.ow*c]
	pool := scratch[l.Pool : l.Pool+c]
	hid, sv := scratch[l.Hidden:l.Hidden+b.n1], scratch[l.Scale:l.Scale+c]
	rowD := b.ow * c // floats per depthwise output row
	// ebuf holds about two bands' expanded rows (plan.SEBlockLayout).
	var win expandWindow
	for oy0 := 0; oy0 < b.oh; oy0 += b.band {
		oy1 := min(oy0+b.band, b.oh)
		b.dwRows(tid, in, ebuf, nil, dbuf[oy0*rowD:oy1*rowD], &win, oy0, oy1)
	}
	// The pool reads D from L2 once, in the unfused pool's order (pooled
	// band by band while in L1, the means rounded differently: the test
	// models amplify such a change of the last bit past 1e-5).
	set.GlobalAvgPool(dbuf, b.oh*b.ow, c, pool)
	set.Gemm(1, b.n1, c, pool, c, b.w1, b.b1, nil, 0, hid, b.n1, 0, b.n1, &b.ep1)
	set.Gemm(1, c, b.n1, hid, b.n1, b.w2, b.b2, nil, 0, sv, c, 0, c, &b.ep2)
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
