package runtime

import (
	"fmt"

	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/plan"
)

// prepare checks one step against the kernel set and returns the function
// that computes a thread's share of it (of every step but an SE block:
// phases). Everything a run needs — slices of
// the arena, kernel parameters — is resolved here, once.
func (e *Executor) prepare(s *plan.Step) (stepFunc, error) {
	if err := checkDTypes(s); err != nil {
		return nil, err
	}
	if err := checkSlices(s); err != nil {
		return nil, err
	}
	switch s.Kind {
	case plan.KindQGemm:
		return e.prepQGemm(s)
	case plan.KindQDWConv:
		return e.prepQDW(s)
	case plan.KindQConv:
		return e.prepQConv(s)
	case plan.KindQLUT:
		return e.prepQLUT(s)
	case plan.KindQScale:
		return e.prepQScale(s)
	case plan.KindQuant:
		return e.prepQuant(s)
	case plan.KindDequant:
		return e.prepDequant(s)
	case plan.KindGemm:
		return e.prepGemm(s)
	case plan.KindDWConv:
		return e.prepDW(s)
	case plan.KindConv:
		return e.prepConv(s)
	case plan.KindGlobalAvgPool:
		return e.prepGAP(s)
	case plan.KindScaleChannels:
		return e.prepScale(s)
	case plan.KindAdd, plan.KindActivate:
		return e.prepElementwise(s)
	case plan.KindToNHWC, plan.KindToNCHW:
		return e.prepLayout(s)
	case plan.KindGeneric:
		return e.prepGeneric(s)
	case plan.KindBlock:
		return e.prepBlock(s)
	}
	return nil, fmt.Errorf("unknown step kind %s", s.Kind)
}

func (e *Executor) buf(o plan.Operand) []float32 { return e.arena[o.Start():o.End():o.End()] }

// blob returns constant i, or nil for plan.NoBlob, checking it holds want
// values (want < 0: any length).
func (e *Executor) blob(i, want int, what string) ([]float32, error) {
	if i == plan.NoBlob {
		return nil, nil
	}
	b := e.plan.Blobs[i]
	if want >= 0 && len(b) != want {
		return nil, fmt.Errorf("%s blob %d has %d values, want %d", what, i, len(b), want)
	}
	return b, nil
}

// split returns thread t's share [lo, hi) of n units, in multiples of
// grain (the last share takes the remainder).
func split(n, grain, t, nt int) (lo, hi int) {
	units := (n + grain - 1) / grain
	lo = units * t / nt * grain
	hi = units * (t + 1) / nt * grain
	return min(lo, n), min(hi, n)
}

// forRows calls f(image, lo, hi) for the output rows of chunk t of nt,
// the batch's images × oh rows cut as one range (so a batch of small maps,
// like 7×7, still gives every thread rows).
func forRows(batch, oh, t, nt int, f func(b, lo, hi int)) {
	lo, hi := split(batch*oh, 1, t, nt)
	for b := lo / oh; b < batch && b*oh < hi; b++ {
		f(b, max(lo-b*oh, 0), min(hi-b*oh, oh))
	}
}

func (e *Executor) prepGemm(s *plan.Step) (stepFunc, error) {
	m, n, k, err := plan.GemmDims(s)
	if err != nil {
		return nil, err
	}
	if s.In[0].Size() != m*k || s.Out.Size() != m*n {
		return nil, fmt.Errorf("gemm operands %v -> %v do not fit m=%d n=%d k=%d", s.In[0].Shape, s.Out.Shape, m, n, k)
	}
	set := e.set
	bp, err := e.blob(s.Consts[0], set.PackedGemmSize(n, k), "weight")
	if err != nil {
		return nil, err
	}
	bias, err := e.blob(s.Consts[1], n, "bias")
	if err != nil {
		return nil, err
	}
	a, c := e.buf(s.In[0]), e.buf(s.Out)
	ldc := s.Out.RowStride() // n, or the concat's channels when writing a slice of it (concat-in-place)
	var r []float32
	if len(s.In) > 1 {
		if !s.In[1].Shape.Equal(s.Out.Shape) || s.In[1].NHWC != s.Out.NHWC {
			return nil, fmt.Errorf("residual %v does not match output %v", s.In[1].Shape, s.Out.Shape)
		}
		r = e.buf(s.In[1])
	}
	ep := plan.KernelEpilogue(s.Attrs.Fused)
	// gemm runs rows [lo, hi), columns [n0, n1), through a padded copy of
	// A when its stride aliases in L1 (see gemm_pad.go).
	// sa: k, or the wider tensor's channels when A is a channel slice of
	// it (slice-in-place: a Split or Slice read where it lies).
	sa := s.In[0].RowStride()
	lda, pads, block := paddedStride(m, k, sa), e.pads, padRows(set)
	gemm := func(tid, lo, hi, n0, n1 int) {
		if lda == 0 {
			var rr []float32
			if r != nil {
				rr = r[lo*n:]
			}
			set.Gemm(hi-lo, n, k, a[lo*sa:], sa, bp, bias, rr, n, c[lo*ldc:], ldc, n0, n1, &ep)
			return
		}
		for b0 := lo; b0 < hi; b0 += block {
			rows := min(block, hi-b0)
			copyRows(pads[tid], a[b0*sa:], rows, k, sa, lda)
			var rr []float32
			if r != nil {
				rr = r[b0*n:]
			}
			set.Gemm(rows, n, k, pads[tid], lda, bp, bias, rr, n, c[b0*ldc:], ldc, n0, n1, &ep)
		}
	}
	// Many rows: split rows, in multiples of the kernels' row quantum so
	// blocks end on whole micro-tiles. Also rows when every thread gets
	// at least plan.MinGemmRows and the weights fit in L2 (V3's 7×7 maps): each
	// thread then reads only the rows of A it made, not the other core's
	// freshly written lines, and the weights stay cached in both cores. Few
	// rows (FC, SE) or big weights (V1's 7×7 layers, 2–4 MB): split columns
	// in NR panels, so no thread runs a ragged tile of a handful of rows or
	// streams all the weights.
	byRows := plan.GemmByRows(m, n, k, e.nt, set)
	quantum := max(1, set.RowQuantum)
	gr, gc := gemmGrid(m, n, k, e.nt, set)
	rows := gemmRowSplit{m: m, quantum: quantum, threads: e.nt}
	if byRows && len(s.Out.Shape) == 4 && gemmShareImageRows(m, s.Out.Shape[0]*s.Out.Shape[2], quantum, e.nt) {
		rows.imageRows, rows.width = s.Out.Shape[0]*s.Out.Shape[2], s.Out.Shape[3]
	}
	return func(tid, t, nt int) {
		if nt == 1 {
			gemm(tid, 0, m, 0, n)
			return
		}
		if byRows {
			if lo, hi := rows.chunk(t, nt); lo < hi {
				gemm(tid, lo, hi, 0, n)
			}
			return
		}
		if gr > 1 && nt == gr*gc {
			// A grid, column-major: chunk t is row block t%gr of column
			// block t/gr, so a thread's run of chunks (pool.go's owned)
			// shares its weight panels, as with columns alone.
			lo, hi := split(m, quantum, t%gr, gr)
			n0, n1 := split(n, set.NR, t/gr, gc)
			if lo < hi && n0 < n1 {
				gemm(tid, lo, hi, n0, n1)
			}
			return
		}
		if lo, hi := split(n, set.NR, t, nt); lo < hi {
			gemm(tid, 0, m, lo, hi)
		}
	}, nil
}

// gemmRowSplit cuts the rows of a GEMM split by rows into chunks. With
// imageRows set (the rows are the pixels of imageRows image rows of width
// pixels), each thread's share of the chunks (pool.go's owned) covers
// whole image rows, the same rows the depthwise step before it and after
// it give that thread (forRows), and its chunks are cut in row quanta
// from the share's start, so that each share ends in its own ragged tile.
// A thread's GEMM chunks then read only what its depthwise chunks wrote,
// which lets the GEMM start without a barrier (local.go). Without it, the
// rows are cut in quanta from row 0: on 2 threads V1's 14×14 layers (196
// rows: 16 tiles and 4 rows) split 96 | 100 rows, a few pixels away from
// the depthwise steps' 98 | 98, and only the second share ended in a
// ragged tile (by image rows each runs 8 tiles and 2 rows).
type gemmRowSplit struct {
	m, quantum, threads int
	imageRows, width    int // 0: rows cut in quanta from row 0
}

// chunk returns the rows [lo, hi) of chunk c of nc.
func (g gemmRowSplit) chunk(c, nc int) (lo, hi int) {
	nt := g.threads
	if g.imageRows == 0 || nc < nt {
		return split(g.m, g.quantum, c, nc)
	}
	// The share (owner range) holding chunk c: chunks [c0, c1) of
	// owned(nc, ·, nt) are image rows [hr·r/nt, hr·(r+1)/nt).
	r := 0
	for nc*(r+1)/nt <= c {
		r++
	}
	c0, c1 := nc*r/nt, nc*(r+1)/nt
	p0, p1 := g.width*(g.imageRows*r/nt), g.width*(g.imageRows*(r+1)/nt)
	lo, hi = split(p1-p0, g.quantum, c-c0, c1-c0)
	return p0 + lo, p0 + hi
}

// gemmShareImageRows reports whether a GEMM of m rows (the pixels of hr
// image rows, tiles of quantum rows) split by rows on nt threads gives
// each thread whole image rows (gemmRowSplit): when every thread gets at
// least one image row and gemmShareTiles tiles' worth of pixels, so that
// the ragged tile each share then ends in costs little next to it.
func gemmShareImageRows(m, hr, quantum, nt int) bool {
	return nt > 1 && hr >= nt && m >= gemmShareTiles*quantum*nt
}

// gemmShareTiles is the fewest row-quantum tiles per thread of a GEMM
// whose shares are whole image rows (gemmShareImageRows).
const gemmShareTiles = 8

// gemmGrid is how a GEMM not split by rows alone is cut on nt threads: gr
// row blocks × gc column-panel blocks. Columns alone (gr = 1) when there
// are panels for chunksPerThread chunks a thread; else every panel is its
// own column block and the rows are cut too, up to that many chunks: on
// 16 threads V2's 14² projections (196×384→64: two 32-column panels) ran
// on 2 threads split by columns alone, 1.2× faster than on one.
func gemmGrid(m, n, k, nt int, set *kernels.Set) (gr, gc int) {
	q := max(1, set.RowQuantum)
	rows, panels := (m+q-1)/q, (n+set.NR-1)/set.NR
	target := chunksPerThread * nt
	if nt == 1 || plan.GemmByRows(m, n, k, nt, set) {
		return min(rows, target), 1
	}
	if panels >= target {
		return 1, target
	}
	return max(1, min(rows, (target+panels-1)/panels)), panels
}

// gemmChunks is how many chunks a GEMM step is cut into on nt threads:
// the grid's cells (gemmGrid; prepGemm's step function maps a chunk to
// its cell only when their number is exactly that).
func gemmChunks(s *plan.Step, nt int, set *kernels.Set) int {
	m, n, k, err := plan.GemmDims(s)
	if err != nil {
		return 1
	}
	gr, gc := gemmGrid(m, n, k, nt, set)
	return max(1, gr*gc)
}

func (e *Executor) prepDW(s *plan.Step) (stepFunc, error) {
	p, err := plan.DWParams(s)
	if err != nil {
		return nil, err
	}
	if !s.In[0].NHWC || !s.Out.NHWC {
		return nil, fmt.Errorf("depthwise operands must be NHWC")
	}
	set := e.set
	wp, err := e.blob(s.Consts[0], set.PackedDWSize(p.C, p.KH, p.KW), "weight")
	if err != nil {
		return nil, err
	}
	bias, err := e.blob(s.Consts[1], p.C, "bias")
	if err != nil {
		return nil, err
	}
	in, out := e.buf(s.In[0]), e.buf(s.Out)
	inSz, outSz := p.H*p.W*p.C, p.OH*p.OW*p.C
	batch := s.Out.Shape[0]
	if plan.DWByChannels(&p, batch, e.nt, set) {
		return func(tid, t, nt int) {
			c0, c1 := split(p.C, kernels.DWChannelQuantum, t, nt)
			for b := 0; b < batch && c0 < c1; b++ {
				set.DWConvChannels(&p, in[b*inSz:(b+1)*inSz], wp, bias, out[b*outSz:(b+1)*outSz], 0, p.OH, c0, c1)
			}
		}, nil
	}
	// DWConvBand (one block of channels for all rows before the next, the
	// rows it slides over kept in L1) is faster on maps that stay in L2
	// (kernel medians, AVX-512, thread CPU: 14x14x576 s1 27.8 -> 18.4 us,
	// 7x7x960 12.6 -> 10.0; it keeps the pixel-major kernel where its
	// window would alias in L1: kernels.dwRowsFitL1). Larger maps keep
	// DWConv: walked once per block of channels, their lines that the
	// prefetcher brought in are gone before their block's pass (V1's
	// 112x112x64 at stride 2, 3.2 MB: step medians 72-84 -> 75-95 us, also
	// in bands of rows). It needs an output apart from its input.
	dw := set.DWConv
	if set.DWConvBand != nil && p.H*p.W*p.C*4 <= dwBandInput && !overlaps(s.In[0].Off, s.In[0].End(), s.Out.Off, s.Out.End()) {
		dw = set.DWConvBand
	}
	return func(tid, t, nt int) {
		forRows(batch, p.OH, t, nt, func(b, lo, hi int) {
			dw(&p, in[b*inSz:(b+1)*inSz], wp, bias, out[b*outSz:(b+1)*outSz], lo, hi)
		})
	}, nil
}

// dwBandInput is the largest depthwise input (bytes per image) an unfused
// step gives DWConvBand: half of a 1 MiB L2.
const dwBandInput = 512 << 10

func (e *Executor) prepConv(s *plan.Step) (stepFunc, error) {
	p, err := plan.ConvParams(s)
	if err != nil {
		return nil, err
	}
	if !s.In[0].NHWC || !s.Out.NHWC {
		return nil, fmt.Errorf("conv operands must be NHWC")
	}
	set := e.set
	wp, err := e.blob(s.Consts[0], set.PackedConvSize(&p), "weight")
	if err != nil {
		return nil, err
	}
	bias, err := e.blob(s.Consts[1], p.Cout, "bias")
	if err != nil {
		return nil, err
	}
	if s.Out.DType == plan.U8 {
		return e.prepConvBytes(s, p, wp, bias)
	}
	if need := set.ConvScratchSize(&p, p.OH); need > s.Scratch {
		return nil, errScratchShort(s.Scratch, "the kernel", need)
	}
	in, out := e.buf(s.In[0]), e.buf(s.Out)
	var r []float32
	if len(s.In) > 1 {
		if !s.In[1].Shape.Equal(s.Out.Shape) || !s.In[1].NHWC {
			return nil, fmt.Errorf("residual %v does not match output %v", s.In[1].Shape, s.Out.Shape)
		}
		r = e.buf(s.In[1])
	}
	inSz, outSz := p.H*p.W*p.Cin, p.OH*p.OW*p.Cout
	batch := s.Out.Shape[0]
	scratch := e.scratch // not e: step closures must not keep the executor alive
	return func(tid, t, nt int) {
		forRows(batch, p.OH, t, nt, func(b, lo, hi int) {
			var rb []float32
			if r != nil {
				rb = r[b*outSz : (b+1)*outSz]
			}
			set.Conv(&p, in[b*inSz:(b+1)*inSz], wp, bias, rb, out[b*outSz:(b+1)*outSz], scratch[tid], lo, hi)
		})
	}, nil
}

// pixels returns batch, pixels per image and channels of an NHWC operand.
func pixels(o plan.Operand) (n, hw, c int) {
	return o.Shape[0], o.Shape[2] * o.Shape[3], o.Shape[1]
}

func (e *Executor) prepGAP(s *plan.Step) (stepFunc, error) {
	if !s.In[0].NHWC || len(s.Out.Shape) != 4 || s.Out.Size() != s.In[0].Shape[0]*s.In[0].Shape[1] {
		return nil, fmt.Errorf("global pool needs NHWC input and [N,C,1,1] output, got %v -> %v", s.In[0].Shape, s.Out.Shape)
	}
	if s.In[0].DType == plan.U8 {
		return e.prepGAPBytes(s)
	}
	n, hw, c := pixels(s.In[0])
	in, out := e.buf(s.In[0]), e.buf(s.Out)
	set := e.set
	if n < e.nt && set.GlobalAvgPoolChannels != nil && c >= 2*kernels.DWChannelQuantum*e.nt {
		// Fewer images than threads: split channels, so that every
		// thread pools (after V1's column-split last GEMM, and its
		// channel-split depthwise) the channels it wrote itself; V1's
		// pool on 2 threads 11.5 -> 5.7 µs (it ran on thread 0 alone).
		return func(tid, t, nt int) {
			c0, c1 := split(c, kernels.DWChannelQuantum, t, nt)
			for b := 0; b < n; b++ {
				set.GlobalAvgPoolChannels(in[b*hw*c:(b+1)*hw*c], hw, c, c0, c1, out[b*c:(b+1)*c])
			}
		}, nil
	}
	return func(tid, t, nt int) {
		for b := t; b < n; b += nt {
			set.GlobalAvgPool(in[b*hw*c:(b+1)*hw*c], hw, c, out[b*c:(b+1)*c])
		}
	}, nil
}

func (e *Executor) prepScale(s *plan.Step) (stepFunc, error) {
	x, sc := s.In[0], s.In[1]
	if !x.NHWC || !s.Out.Shape.Equal(x.Shape) || !s.Out.NHWC || sc.Size() != x.Shape[0]*x.Shape[1] {
		return nil, fmt.Errorf("channel scale needs NHWC x %v and a [N,C] vector, got %v", x.Shape, sc.Shape)
	}
	n, hw, c := pixels(x)
	in, sv, out := e.buf(x), e.buf(sc), e.buf(s.Out)
	set := e.set
	return func(tid, t, nt int) {
		lo, hi := split(hw, 1, t, nt)
		if lo == hi {
			return
		}
		for b := 0; b < n; b++ {
			base := b * hw * c
			set.ScaleChannels(in[base+lo*c:base+hi*c], hi-lo, c, sv[b*c:(b+1)*c], out[base+lo*c:base+hi*c])
		}
	}, nil
}

func (e *Executor) prepElementwise(s *plan.Step) (stepFunc, error) {
	for _, o := range s.In {
		if !o.Shape.Equal(s.Out.Shape) || o.NHWC != s.Out.NHWC {
			return nil, fmt.Errorf("elementwise operand %v does not match output %v", o.Shape, s.Out.Shape)
		}
	}
	ep := plan.KernelEpilogue(s.Attrs.Fused)
	out := e.buf(s.Out)
	a := e.buf(s.In[0])
	set := e.set
	size := len(out)
	if s.Kind == plan.KindActivate {
		return func(tid, t, nt int) {
			lo, hi := split(size, 16, t, nt)
			if lo < hi {
				set.Activate(a[lo:hi], out[lo:hi], &ep)
			}
		}, nil
	}
	b := e.buf(s.In[1])
	return func(tid, t, nt int) {
		lo, hi := split(size, 16, t, nt)
		if lo < hi {
			set.Add(a[lo:hi], b[lo:hi], out[lo:hi], &ep)
		}
	}, nil
}

func (e *Executor) prepLayout(s *plan.Step) (stepFunc, error) {
	x := s.In[0]
	toNHWC := s.Kind == plan.KindToNHWC
	if len(x.Shape) != 4 || !x.Shape.Equal(s.Out.Shape) || x.NHWC == toNHWC || s.Out.NHWC != toNHWC {
		return nil, fmt.Errorf("layout conversion %v (nhwc=%v) -> %v (nhwc=%v) is inconsistent", x.Shape, x.NHWC, s.Out.Shape, s.Out.NHWC)
	}
	n, hw, c := pixels(x)
	in, out := e.buf(x), e.buf(s.Out)
	set := e.set
	inData := e.inData
	src := -1 // the graph input read in place of the arena copy, if any
	for i, io := range e.plan.Inputs {
		if toNHWC && e.direct[i] && io.Buf.Off == x.Off && io.Buf.Size() == x.Size() {
			src = i
		}
	}
	return func(tid, t, nt int) {
		from := in
		if src >= 0 {
			from = inData[src]
		}
		if toNHWC && n < nt {
			// Fewer images than threads (batch 1): split the pixels.
			lo, hi := split(hw, 64, t, nt)
			for b := 0; b < n; b++ {
				set.NCHWToNHWCPixels(from[b*hw*c:(b+1)*hw*c], c, hw, out[b*hw*c:(b+1)*hw*c], lo, hi)
			}
			return
		}
		for b := t; b < n; b += nt {
			img := from[b*hw*c : (b+1)*hw*c]
			dst := out[b*hw*c : (b+1)*hw*c]
			if toNHWC {
				set.NCHWToNHWC(img, c, hw, dst)
			} else {
				set.NHWCToNCHW(img, hw, c, dst)
			}
		}
	}, nil
}
