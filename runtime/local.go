package runtime

import (
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/plan"
)

// Steps without a barrier before them.
//
// A pointwise (1×1) conv reads each pixel of its input alone. When the
// step before it is the depthwise conv that makes that input, split by
// output rows, and the GEMM's row split gives every thread the same image
// rows (gemmRowSplit), each thread's GEMM chunks read only what that
// thread's share of depthwise chunks wrote. The threads then need not all
// meet between the two steps: before running the GEMM chunks of a share,
// a thread waits only until the depthwise chunks of the same share are
// done (normally by itself, just before; someone else's only when that
// share's depthwise chunks were taken by another thread).
//
// The GEMM's output may lie where the depthwise input was (the arena
// reuses a buffer once its last reader has run): a GEMM chunk whose output
// overlaps input rows that another share's depthwise chunks read (the rows
// around each share that its 3×3 window reaches) waits for the whole
// depthwise step first. Each share claims such chunks last (claimOrder),
// so that by then the other threads are normally done with the depthwise
// step. The depthwise step itself still waits for the whole step before
// it (its window reads the rows around its share).

// localStep says how step i is run when it waits for the same share of
// step i−1 only: wait[c] marks the chunks that wait for the whole of
// step i−1 (their output overlaps what another share of it reads), and
// reversed[o] marks the owners (pool.go's owned) that claim their chunks
// from the last, so that those chunks come last.
type localStep struct {
	wait     []bool
	reversed []bool
}

// shareLocal returns how step i (cut into chunks[i] chunks on nt threads)
// runs without a barrier before it, or nil when it needs one.
func shareLocal(p *plan.Plan, i int, chunks []int, nt int, set *kernels.Set) *localStep {
	if nt < 2 || i == 0 || chunks[i] < nt || chunks[i-1] < nt {
		return nil
	}
	dw, g := &p.Steps[i-1], &p.Steps[i]
	if dw.Kind != plan.KindDWConv || g.Kind != plan.KindGemm || len(g.In) != 1 {
		return nil
	}
	if dw.Out.DType != plan.F32 || g.Out.DType != plan.F32 || len(dw.Out.Shape) != 4 || len(g.Out.Shape) != 4 {
		return nil
	}
	a, o := dw.Out, g.In[0]
	if a.Off != o.Off || !a.Shape.Equal(o.Shape) || !a.NHWC || !o.NHWC || a.Pitch != 0 || o.Pitch != 0 {
		return nil
	}
	dp, err := plan.DWParams(dw)
	if err != nil || plan.DWByChannels(&dp, dw.Out.Shape[0], nt, set) {
		return nil
	}
	m, n, k, err := plan.GemmDims(g)
	q := max(1, set.RowQuantum)
	batch := g.Out.Shape[0]
	if err != nil || !plan.GemmByRows(m, n, k, nt, set) || !gemmShareImageRows(m, batch*g.Out.Shape[2], q, nt) {
		return nil
	}
	if overlaps(dw.Out.Off, dw.Out.End(), g.Out.Off, g.Out.End()) {
		return nil
	}
	rows := gemmRowSplit{m: m, quantum: q, threads: nt, imageRows: batch * g.Out.Shape[2], width: g.Out.Shape[3]}
	in, ldc := dw.In[0], g.Out.RowStride()
	ls := &localStep{wait: make([]bool, chunks[i]), reversed: make([]bool, nt)}
	inSz := dp.H * dp.W * dp.C
	for t := 0; t < nt; t++ {
		lo, hi := owned(chunks[i], t, nt)
		first, last := false, false
		for c := lo; c < hi; c++ {
			r0, r1 := rows.chunk(c, chunks[i])
			o0, o1 := g.Out.Off+r0*ldc, g.Out.Off+r1*ldc+g.Out.ChanOff
			// The depthwise input rows the other shares read.
			for u := 0; u < nt && !ls.wait[c]; u++ {
				if u == t {
					continue
				}
				d0, d1 := owned(chunks[i-1], u, nt)
				for d := d0; d < d1; d++ {
					forRows(batch, dp.OH, d, chunks[i-1], func(b, y0, y1 int) {
						iy0 := max(0, y0*dp.SH-dp.PadT)
						iy1 := min(dp.H, (y1-1)*dp.SH-dp.PadT+dp.KH)
						base := in.Off + b*inSz
						if iy0 < iy1 && overlaps(o0, o1, base+iy0*dp.W*dp.C, base+iy1*dp.W*dp.C) {
							ls.wait[c] = true
						}
					})
				}
			}
			first = first || c == lo && ls.wait[c]
			last = last || c == hi-1 && ls.wait[c]
		}
		// Claim from the last when only the first chunk waits.
		ls.reversed[t] = first && !last
	}
	return ls
}
