package runtime

import (
	"fmt"
	"slices"

	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/plan"
)

// Fused inverted-residual blocks (plan.KindBlock).
//
// A block's output rows are computed band by band: for output rows
// [oy0, oy1) the depthwise windows cover input rows [ib0, ib1); the expand
// GEMM computes those rows of the expanded tensor into the thread's
// scratch (E), the depthwise kernel (DWConvBand: channel block by channel
// block, so the rows it slides over stay in L1) reads them as a small image of
// ib1-ib0 rows (its top padding shifted accordingly) and writes the band's
// depthwise output into scratch (D), and the project GEMM writes the
// band's output rows (adding the residual) to the arena. Consecutive bands
// overlap by the kernel's halo: the rows already expanded are moved to the
// top of E instead of recomputed. Work is split into chunks of (image,
// share of the rows); only a chunk's first band computes its halo.

// blockPlan is what a block's chunks share, resolved once.
type blockPlan struct {
	set        *kernels.Set
	expand     bool
	dense      bool // the expand is a dense conv (kernels Conv), not a GEMM
	conv       kernels.ConvParams
	h, w, cin  int // block input, per image
	cexp       int // depthwise channels
	dw         kernels.DWParams
	oh, ow     int
	cout       int
	band       int
	we, be     []float32 // expand weights (packed), bias
	wd, bd     []float32
	wp, bp     []float32
	epE, epP   kernels.Epilogue
	in, r, out []float32
	eSize      int  // floats of E in scratch (0 without expand)
	dSize      int  // floats of D in scratch (0 when the block ends in its depthwise conv)
	pitch      int  // floats per pixel of E (the depthwise input pitch)
	project    bool // false: the block ends in its depthwise conv, whose output is the block's
	batch      int
	parts      int // chunks per image
	// bandDW holds, per thread, the depthwise parameters of the band being
	// computed (preallocated: a local passed to a kernel through a func
	// value would be allocated on every call).
	bandDW   []kernels.DWParams
	bandConv []kernels.ConvParams
}

func (e *Executor) prepBlock(s *plan.Step) (stepFunc, error) {
	b, err := e.blockPlan(s) // an SE block is prepSEBlock's (executor.go: phases)
	if err != nil {
		return nil, err
	}
	scratch, err := e.blockScratch(s)
	if err != nil {
		return nil, err
	}
	return func(tid, c, nc int) {
		img, part := c/b.parts, c%b.parts
		if nc == 1 {
			for img := 0; img < b.batch; img++ {
				b.rows(tid, scratch[tid], img, 0, b.oh)
			}
			return
		}
		lo, hi := split(b.oh, 1, part, b.parts)
		if lo < hi {
			b.rows(tid, scratch[tid], img, lo, hi)
		}
	}, nil
}

// blockScratch returns each thread's band scratch for block step s.
func (e *Executor) blockScratch(s *plan.Step) ([][]float32, error) {
	scratch := e.scratch
	if t := s.BandThreads; t > 0 {
		// The first t threads' band scratch is in the arena (see
		// plan.Step.BandOff): a range no tensor uses during this step.
		end := s.BandOff + t*s.Scratch
		if s.BandOff < 0 || t > 256 || s.Scratch <= 0 || end > len(e.arena) || overlaps(s.BandOff, end, s.Out.Off, s.Out.End()) ||
			slices.ContainsFunc(s.In, func(o plan.Operand) bool { return overlaps(s.BandOff, end, o.Off, o.End()) }) {
			return nil, fmt.Errorf("band scratch [%d,%d) for %d threads is outside the arena (%d floats) or overlaps the block's operands", s.BandOff, end, t, len(e.arena))
		}
		scratch = append([][]float32(nil), e.scratch...)
		for tid := 0; tid < min(t, len(scratch)); tid++ {
			off := s.BandOff + tid*s.Scratch
			scratch[tid] = e.arena[off : off+s.Scratch : off+s.Scratch]
		}
	}
	return scratch, nil
}

func (e *Executor) blockPlan(s *plan.Step) (*blockPlan, error) {
	sub := s.Sub
	b := &blockPlan{set: e.set, expand: sub[0].Kind != plan.KindDWConv, project: !plan.IsDWBlock(s), band: s.Band, batch: s.Out.Shape[0]}
	set := e.set
	gemmConsts := func(t *plan.Step) (w, bias []float32, n, k int, err error) {
		_, n, k, err = plan.GemmDims(t)
		if err != nil {
			return
		}
		if w, err = e.blob(t.Consts[0], set.PackedGemmSize(n, k), "weight"); err != nil {
			return
		}
		bias, err = e.blob(t.Consts[1], n, "bias")
		return
	}
	x := s.In[0].Shape
	b.h, b.w, b.cin = x[2], x[3], x[1]
	switch {
	case b.expand && sub[0].Kind == plan.KindConv:
		cp, err := plan.ConvParams(&sub[0])
		if err != nil {
			return nil, fmt.Errorf("expand: %w", err)
		}
		if b.we, err = e.blob(sub[0].Consts[0], set.PackedConvSize(&cp), "weight"); err != nil {
			return nil, err
		}
		if b.be, err = e.blob(sub[0].Consts[1], cp.Cout, "bias"); err != nil {
			return nil, err
		}
		if cp.Cin != b.cin || cp.H != b.h || cp.W != b.w {
			return nil, fmt.Errorf("expand conv reads %dx%dx%d, the block's input is %dx%dx%d", cp.H, cp.W, cp.Cin, b.h, b.w, b.cin)
		}
		b.dense, b.conv, b.cexp = true, cp, cp.Cout
	case b.expand:
		var n, k int
		var err error
		if b.we, b.be, n, k, err = gemmConsts(&sub[0]); err != nil {
			return nil, fmt.Errorf("expand: %w", err)
		}
		if k != b.cin {
			return nil, fmt.Errorf("expand reads %d channels, the block's input has %d", k, b.cin)
		}
		b.epE = plan.KernelEpilogue(sub[0].Attrs.Fused)
		b.cexp = n
	default:
		b.cexp = b.cin
	}
	d := &sub[plan.BlockDepthwise(sub)]
	dp, err := plan.DWParams(d)
	if err != nil {
		return nil, fmt.Errorf("depthwise: %w", err)
	}
	eh, ew := b.h, b.w // the depthwise input's size
	if b.dense {
		eh, ew = b.conv.OH, b.conv.OW
	}
	if dp.C != b.cexp || dp.H != eh || dp.W != ew || dp.PadT >= dp.KH || d.Attrs.Pads[2] >= dp.KH {
		return nil, fmt.Errorf("depthwise %dx%dx%d (pad %d) does not fit the block's %dx%dx%d", dp.H, dp.W, dp.C, dp.PadT, eh, ew, b.cexp)
	}
	b.dw = dp
	if b.wd, err = e.blob(d.Consts[0], set.PackedDWSize(dp.C, dp.KH, dp.KW), "depthwise weight"); err != nil {
		return nil, err
	}
	if b.bd, err = e.blob(d.Consts[1], dp.C, "depthwise bias"); err != nil {
		return nil, err
	}
	b.cout = b.cexp
	if b.project {
		var k int
		if b.wp, b.bp, b.cout, k, err = gemmConsts(&sub[len(sub)-1]); err != nil {
			return nil, fmt.Errorf("project: %w", err)
		}
		if k != b.cexp {
			return nil, fmt.Errorf("project reads %d channels, the depthwise conv makes %d", k, b.cexp)
		}
		b.epP = plan.KernelEpilogue(sub[len(sub)-1].Attrs.Fused)
	}
	b.oh, b.ow = dp.OH, dp.OW
	if y := s.Out.Shape; y[1] != b.cout || y[2] != b.oh || y[3] != b.ow || y[0] != x[0] {
		return nil, fmt.Errorf("block output %v does not match its steps' %dx%dx%d", y, b.oh, b.ow, b.cout)
	}
	l, err := plan.BlockBandLayout(set, sub, b.band)
	if err != nil {
		return nil, err
	}
	if l.Total > s.Scratch {
		return nil, errScratchShort(s.Scratch, "the block's bands", l.Total)
	}
	b.eSize, b.dSize, b.pitch = l.E, l.D, l.Pitch
	b.dw.InPitch = b.pitch
	b.in, b.out = e.buf(s.In[0]), e.buf(s.Out)
	if len(s.In) > 1 {
		b.r = e.buf(s.In[1])
	}
	b.bandDW = make([]kernels.DWParams, e.nt)
	b.bandConv = make([]kernels.ConvParams, e.nt)
	b.parts = blockParts(s, e.nt)
	return b, nil
}

func overlaps(a0, a1, b0, b1 int) bool { return a0 < b1 && b0 < a1 }

// blockChunks is how many chunks a block step is cut into: parts of every
// image (one chunk for one thread).
func blockChunks(s *plan.Step, nt int) int {
	if nt == 1 {
		return 1
	}
	return s.Out.Shape[0] * blockParts(s, nt)
}

// blockParts is how many row ranges each image is cut into on nt threads
// (plan.BlockParts).
func blockParts(s *plan.Step, nt int) int {
	return plan.BlockParts(s.Out.Shape[0], s.Out.Shape[2], nt)
}

// rows computes output rows [r0, r1) of image img, band by band.
func (b *blockPlan) rows(tid int, scratch []float32, img, r0, r1 int) {
	set := b.set
	inSz, outSz := b.h*b.w*b.cin, b.oh*b.ow*b.cout
	in := b.in[img*inSz : (img+1)*inSz]
	out := b.out[img*outSz : (img+1)*outSz]
	var res []float32
	if b.r != nil {
		res = b.r[img*outSz : (img+1)*outSz]
	}
	ebuf, dbuf, cbuf := scratch[:b.eSize], scratch[b.eSize:b.eSize+b.dSize], scratch[b.eSize+b.dSize:]
	var win expandWindow
	for oy0 := r0; oy0 < r1; oy0 += b.band {
		oy1 := min(oy0+b.band, r1)
		if !b.project {
			b.dwRows(tid, in, ebuf, cbuf, out[oy0*b.ow*b.cout:], &win, oy0, oy1)
			continue
		}
		b.dwRows(tid, in, ebuf, cbuf, dbuf, &win, oy0, oy1)
		var rr []float32
		if res != nil {
			rr = res[oy0*b.ow*b.cout:]
		}
		set.Gemm((oy1-oy0)*b.ow, b.cout, b.cexp, dbuf, b.cexp, b.wp, b.bp, rr, b.cout, out[oy0*b.ow*b.cout:], b.cout, 0, b.cout, &b.epP)
	}
}

// expandWindow is the part of the expanded tensor a block's scratch E
// holds: rows [e0, have) from its top.
type expandWindow struct{ e0, have int }

// dwRows computes depthwise output rows [oy0, oy1) of one image into dst.
// Their input rows come from in or, with an expand, are expanded into
// ebuf, a window sliding down the expanded rows: the rows a band shares
// with the last one are kept, and moved to the top only when the band's
// rows would run past ebuf's end (every band when ebuf holds one band's
// rows, every other band or less when it holds two). The band is run as
// a small image whose rows start at its first input row.
func (b *blockPlan) dwRows(tid int, in, ebuf, cbuf, dst []float32, w *expandWindow, oy0, oy1 int) {
	dp := &b.dw
	top := oy0*dp.SH - dp.PadT
	ib0 := max(0, top)
	ib1 := min(dp.H, (oy1-1)*dp.SH-dp.PadT+dp.KH)
	rowE := dp.W * b.pitch // floats per expanded (or input) row
	var src []float32
	if b.expand {
		if ib0 >= w.have { // nothing to keep (a chunk's first band)
			w.e0, w.have = ib0, ib0
		}
		if ib1-w.e0 > len(ebuf)/rowE {
			copy(ebuf, ebuf[(ib0-w.e0)*rowE:(w.have-w.e0)*rowE])
			w.e0 = ib0
		}
		if w.have < ib1 {
			b.expandRows(tid, in, ebuf[(w.have-w.e0)*rowE:], cbuf, w.have, ib1)
			w.have = ib1
		}
		src = ebuf[(ib0-w.e0)*rowE : (ib1-w.e0)*rowE]
	} else {
		src = in[ib0*rowE : ib1*rowE]
	}
	p := &b.bandDW[tid]
	*p = *dp
	p.H, p.PadT, p.OH = ib1-ib0, ib0-top, oy1-oy0
	b.set.DWConvBand(p, src, b.wd, b.bd, dst, 0, p.OH)
}

// expandRows computes rows [from, to) of the expanded tensor into dst.
func (b *blockPlan) expandRows(tid int, in, dst, scratch []float32, from, to int) {
	if !b.dense {
		b.set.Gemm((to-from)*b.w, b.cexp, b.cin, in[from*b.w*b.cin:], b.cin, b.we, b.be, nil, 0, dst, b.pitch, 0, b.cexp, &b.epE)
		return
	}
	// A dense conv's output rows [from, to) read input rows [i0, i1): run
	// it on those rows as a small image, its top padding shifted.
	cp := &b.conv
	top := from*cp.SH - cp.PadT
	i0 := max(0, top)
	i1 := min(cp.H, (to-1)*cp.SH-cp.PadT+(cp.KH-1)*cp.DH+1)
	q := &b.bandConv[tid]
	*q = *cp
	q.H, q.PadT, q.OH = i1-i0, i0-top, to-from
	rowIn := cp.W * cp.Cin
	b.set.Conv(q, in[i0*rowIn:i1*rowIn], b.we, b.be, nil, dst, scratch, 0, q.OH)
}
