package runtime

import (
	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/plan"
)

// denseGeneric returns the split-by-threads function of a Resize or
// ConvTranspose generic step, or nil for other ops. The general forms
// address their operands through views, so they run on NHWC and NCHW
// storage alike; a group-1 ConvTranspose on NHWC runs on the GEMM kernels
// (convTransposeGemm).
func (e *Executor) denseGeneric(s *plan.Step, in []view, out view) stepFunc {
	switch s.Op {
	case ir.OpResize:
		var r *view
		if s.Attrs.Fused.Residual && len(in) > 1 {
			r = &in[1]
		}
		return resizeFunc(&s.Attrs, in[0], r, out, e.nt)
	case ir.OpConvTranspose:
		var bias []float32
		if len(in) > 2 {
			bias = in[2].data
		}
		if f := e.convTransposeGemm(s, in[1].data, bias); f != nil {
			return f
		}
		return convTransposeFunc(&s.Attrs, in[0], in[1], bias, out)
	case ir.OpConcat:
		return concatChannelsNHWC(s, in, out)
	case ir.OpConv:
		return e.dilatedDepthwise(s)
	case ir.OpArgMax:
		if s.Attrs.ResizeMode != "" {
			return argMaxResized(s, in[0], out, e.nt)
		}
		return argMaxFunc(s, in[0], out)
	}
	return nil
}

// parallelGeneric reports whether a generic step's function splits its work
// over chunks (Resize, ConvTranspose, a channel Concat, a dilated
// depthwise conv): the executor then cuts it like a kernel step.
func parallelGeneric(s *plan.Step) bool {
	if s.Kind != plan.KindGeneric {
		return false
	}
	switch s.Op {
	case ir.OpResize, ir.OpConvTranspose, ir.OpArgMax:
		return true
	case ir.OpConcat:
		return s.Out.NHWC && !concatAllInPlace(s) // all in place: nothing to do, no barrier
	case ir.OpConv:
		return isDilatedDepthwise(s)
	case ir.OpSoftmax:
		return softmaxRows(s) // softmax_fast.go
	}
	return false
}

// isDilatedDepthwise: a depthwise conv that the dwconv kernels would run but
// for its dilation (stride 1, padding d·(k−1)/2, constant weights, NHWC, no
// residual): LR-ASPP's dilated last stage.
func isDilatedDepthwise(s *plan.Step) bool {
	a := &s.Attrs
	if s.Op != ir.OpConv || len(s.In) < 2 || len(s.In[1].Shape) != 4 || a.Fused.Residual || !s.In[0].NHWC || !s.Out.NHWC ||
		s.ConstIn == nil || s.ConstIn[1] == plan.NoBlob || len(s.In) > 2 && s.ConstIn[2] == plan.NoBlob {
		return false
	}
	w, c := s.In[1].Shape, s.In[0].Shape[1]
	d := a.Dilations[0]
	return a.Group == c && w[0] == c && w[1] == 1 && w[2]%2 == 1 && w[3]%2 == 1 && d > 1 && a.Dilations[1] == d &&
		a.Strides == [2]int{1, 1} && a.Pads == [4]int{d * (w[2] - 1) / 2, d * (w[3] - 1) / 2, d * (w[2] - 1) / 2, d * (w[3] - 1) / 2}
}

// dilatedDepthwise runs a dilation-d depthwise conv (isDilatedDepthwise) as
// d² undilated ones on the kernels: the pixels of one phase (y ≡ py, x ≡ px
// mod d) only ever meet each other, so each phase is gathered into a dense
// image, convolved by the dwconv kernel with padding (k−1)/2, and its
// output scattered back. The copies move the tensor twice; the kernel does
// k² multiply-adds per value. Chunks split the (image, phase) pairs.
func (e *Executor) dilatedDepthwise(s *plan.Step) stepFunc {
	if !isDilatedDepthwise(s) {
		return nil
	}
	set := e.set
	x, y := s.In[0], s.Out
	n, c, h, w := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	ws := s.In[1].Shape
	kh, kw, d := ws[2], ws[3], s.Attrs.Dilations[0]
	wp := make([]float32, set.PackedDWSize(c, kh, kw))
	set.PackDW(wp, e.plan.Blobs[s.ConstIn[1]], c, kh, kw)
	var bias []float32
	if len(s.In) > 2 {
		bias = e.plan.Blobs[s.ConstIn[2]]
	}
	hp, wq := (h+d-1)/d, (w+d-1)/d
	bufs := make([][2][]float32, e.nt)
	for i := range bufs {
		bufs[i] = [2][]float32{make([]float32, hp*wq*c), make([]float32, hp*wq*c)}
	}
	ep := plan.KernelEpilogue(s.Attrs.Fused)
	in, out := e.buf(x), e.buf(y)
	params := make([]kernels.DWParams, e.nt) // per thread: a DWParams made in the step would escape (an allocation per sub-image and run)
	return func(tid, t, nt int) {
		lo, hi := split(n*d*d, 1, t, nt)
		for job := lo; job < hi; job++ {
			b, py, px := job/(d*d), job/d%d, job%d
			ph, pw := (h-py+d-1)/d, (w-px+d-1)/d
			src, dst := bufs[tid][0][:ph*pw*c], bufs[tid][1][:ph*pw*c]
			img, res := in[b*h*w*c:], out[b*h*w*c:]
			for yy := 0; yy < ph; yy++ {
				for xx := 0; xx < pw; xx++ {
					o := ((py+yy*d)*w + px + xx*d) * c
					copy(src[(yy*pw+xx)*c:][:c], img[o:o+c])
				}
			}
			p := &params[tid]
			*p = kernels.DWParams{H: ph, W: pw, C: c, KH: kh, KW: kw, SH: 1, SW: 1, PadT: (kh - 1) / 2, PadL: (kw - 1) / 2, OH: ph, OW: pw, Ep: ep}
			set.DWConv(p, src, wp, bias, dst, 0, ph)
			for yy := 0; yy < ph; yy++ {
				for xx := 0; xx < pw; xx++ {
					o := ((py+yy*d)*w + px + xx*d) * c
					copy(res[o:o+c], dst[(yy*pw+xx)*c:][:c])
				}
			}
		}
	}
}

// concatChannelsNHWC concatenates NHWC tensors along channels: each output
// pixel is its inputs' channel rows one after another, copied with copy();
// threads split the pixels. nil unless every operand is 4-D NHWC and the
// axis is 1.
func concatChannelsNHWC(s *plan.Step, in []view, out view) stepFunc {
	if ax := s.Attrs.Axis; (ax != 1 && ax != -3) || !s.Out.NHWC || len(s.Out.Shape) != 4 {
		return nil
	}
	for i, o := range s.In {
		if !o.NHWC || s.ConstIn[i] != plan.NoBlob {
			return nil
		}
	}
	px := s.Out.Shape[0] * s.Out.Shape[2] * s.Out.Shape[3]
	c := s.Out.Shape[1]
	// Inputs their producers wrote in place (concat-in-place) are skipped.
	done, err := concatInPlace(s)
	if err != nil {
		return nil
	}
	type part struct {
		data    []float32
		off, xc int
	}
	var parts []part
	off := 0
	for i, x := range in {
		if !done[i] {
			parts = append(parts, part{x.data, off, x.shape[1]})
		}
		off += x.shape[1]
	}
	if len(parts) == 0 {
		return func(tid, t, nt int) {}
	}
	// Pixel-major: each output pixel's row is written whole, its inputs'
	// rows in turn, so every output cache line is filled once; the input-
	// major order wrote each line once per input (PP-OCRv3's 4×24-channel
	// concat at 80×120: 0.34 ms).
	return func(tid, t, nt int) {
		lo, hi := split(px, 1, t, nt)
		for p := lo; p < hi; p++ {
			row := out.data[p*c : (p+1)*c]
			for _, x := range parts {
				copy(row[x.off:x.off+x.xc], x.data[p*x.xc:(p+1)*x.xc])
			}
		}
	}
}

// resizeFunc interpolates with the index tables of ir.ResizeTable, adding
// the fused residual r when it is not nil (fuse-upsample-add); threads
// split the output rows (image, y). The channel loop is innermost, which on
// NHWC storage walks contiguous memory.
func resizeFunc(a *ir.Attrs, x view, r *view, out view, nt int) stepFunc {
	n, c, h, w := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
	oh, ow := out.shape[2], out.shape[3]
	y0, y1, wy64 := ir.ResizeTable(a, 0, h, oh)
	x0, x1, wx64 := ir.ResizeTable(a, 1, w, ow)
	wy, wx := f32s(wy64), f32s(wx64)
	xs, os := x.stride, out.stride
	nearest := a.ResizeMode == "nearest"
	sameR := r == nil || r.stride == out.stride
	if xs[1] == 1 && os[1] == 1 && sameR { // NHWC: channel rows are contiguous
		return resizeNHWC(nearest, x, r, out, y0, y1, x0, x1, wy, wx, nt)
	}
	if xs[1] == 1 && os[3] == 1 && r == nil { // NHWC in, NCHW out (a graph output)
		return resizeToNCHW(x, out, y0, y1, x0, x1, wy, wx, nt)
	}
	var rs [maxRank]int
	var rd []float32
	if r != nil {
		rs, rd = r.stride, r.data
	}
	return func(tid, t, nt int) {
		lo, hi := split(n*oh, 1, t, nt)
		for r := lo; r < hi; r++ {
			b, oy := r/oh, r%oh
			src0, src1 := x.data[b*xs[0]+y0[oy]*xs[2]:], x.data[b*xs[0]+y1[oy]*xs[2]:]
			dst := out.data[b*os[0]+oy*os[2]:]
			fy := wy[oy]
			for ox := 0; ox < ow; ox++ {
				d := dst[ox*os[3]:]
				if nearest {
					s := src0[x0[ox]*xs[3]:]
					for ch := 0; ch < c; ch++ {
						v := s[ch*xs[1]]
						if rd != nil {
							v += rd[b*rs[0]+ch*rs[1]+oy*rs[2]+ox*rs[3]]
						}
						d[ch*os[1]] = v
					}
					continue
				}
				fx := wx[ox]
				a0, a1 := src0[x0[ox]*xs[3]:], src0[x1[ox]*xs[3]:]
				b0, b1 := src1[x0[ox]*xs[3]:], src1[x1[ox]*xs[3]:]
				for ch := 0; ch < c; ch++ {
					k := ch * xs[1]
					top := a0[k] + fx*(a1[k]-a0[k])
					bot := b0[k] + fx*(b1[k]-b0[k])
					v := top + fy*(bot-top)
					if rd != nil {
						v += rd[b*rs[0]+ch*rs[1]+oy*rs[2]+ox*rs[3]]
					}
					d[ch*os[1]] = v
				}
			}
		}
	}
}

// resizeNHWC is resizeFunc on channels-last operands. Nearest copies whole
// channel rows, and a whole output row when it reads the same input row as
// the previous one (every other row of a 2× upsample); linear blends
// contiguous channel rows.
func resizeNHWC(nearest bool, x view, res *view, out view, y0, y1, x0, x1 []int, wy, wx []float32, nt int) stepFunc {
	n, c, oh, ow := x.shape[0], x.shape[1], out.shape[2], out.shape[3]
	xs, os := x.stride, out.stride
	// ps is the output's pixel stride: c, or the concat's channels when the
	// output is a channel slice of it (concat-in-place); the residual has
	// the output's strides (resizeFunc checks).
	ps := os[3]
	rowLen := (ow-1)*ps + c
	// px is the input's pixel stride: c, or the wider tensor's channels
	// when it is a channel slice of one (slice-in-place).
	px := xs[3]
	// Linear: the two input rows are blended once per output row into a
	// per-thread row (w·c values), then each output pixel blends two of
	// its pixels: 1 lerp per value and w/ow of another instead of 3
	// (LR-ASPP's ×8 upsample of 21 classes to 520²: 7.0 → 3.x ms).
	var rows [][]float32
	if !nearest {
		rows = perThread(nt, x.shape[3]*c)
	}
	return func(tid, t, nt int) {
		lo, hi := split(n*oh, 1, t, nt)
		for r := lo; r < hi; r++ {
			b, oy := r/oh, r%oh
			dst := out.data[b*os[0]+oy*os[2]:][:rowLen]
			var add []float32 // the fused residual's row (same layout as out)
			if res != nil {
				add = res.data[b*os[0]+oy*os[2]:][:rowLen]
			}
			if nearest {
				// A repeated row is one copy of the row before when dense; a
				// slice's row is pieces, which the small input row gives
				// from cache.
				if add == nil && ps == c && r > lo && oy > 0 && y0[oy] == y0[oy-1] {
					copy(dst, out.data[b*os[0]+(oy-1)*os[2]:][:rowLen])
					continue
				}
				src := x.data[b*xs[0]+y0[oy]*xs[2]:]
				for ox := 0; ox < ow; ox++ {
					s := src[x0[ox]*px:][:c]
					if add == nil {
						copy(dst[ox*ps:ox*ps+c], s)
						continue
					}
					d, a := dst[ox*ps:ox*ps+c], add[ox*ps:ox*ps+c]
					for ch, v := range s {
						d[ch] = v + a[ch]
					}
				}
				continue
			}
			row := rows[tid]
			fy := wy[oy] // even 0: a NaN in the other row propagates, as in the reference
			if px == c {
				s0, s1 := x.data[b*xs[0]+y0[oy]*xs[2]:][:len(row)], x.data[b*xs[0]+y1[oy]*xs[2]:][:len(row)]
				for i, v := range s0 {
					row[i] = v + fy*(s1[i]-v)
				}
			} else { // the input is a channel slice (slice-in-place): pixel by pixel
				s0, s1 := x.data[b*xs[0]+y0[oy]*xs[2]:], x.data[b*xs[0]+y1[oy]*xs[2]:]
				for ix := 0; ix < x.shape[3]; ix++ {
					p0, p1, d := s0[ix*px:][:c], s1[ix*px:][:c], row[ix*c:][:c]
					for ch, v := range p0 {
						d[ch] = v + fy*(p1[ch]-v)
					}
				}
			}
			for ox := 0; ox < ow; ox++ {
				fx := wx[ox]
				a0, a1 := row[x0[ox]*c:][:c], row[x1[ox]*c:][:c]
				d := dst[ox*ps:][:c]
				for ch, v := range a0 {
					d[ch] = v + fx*(a1[ch]-v)
				}
				if add != nil {
					a := add[ox*ps:][:c]
					for ch := range d {
						d[ch] += a[ch]
					}
				}
			}
		}
	}
}

// resizeToNCHW is resizeFunc from an NHWC input to an NCHW output: for each
// output row and channel, a contiguous row of the output plane is blended
// from the input's (small, cached) rows. Nearest modes have zero weights.
func resizeToNCHW(x, out view, y0, y1, x0, x1 []int, wy, wx []float32, threads int) stepFunc {
	n, c, w, oh, ow := x.shape[0], x.shape[1], x.shape[3], out.shape[2], out.shape[3]
	xs, os := x.stride, out.stride
	// Per output row the two input rows are blended once into a per-thread
	// row stored channel-major ([c][w]), so each output plane row is one
	// lerp per value from contiguous memory (LR-ASPP's 21 classes to 520²
	// as its NCHW output: 17 → 3.x ms).
	rows := perThread(threads, c*w)
	return func(tid, t, nt int) {
		lo, hi := split(n*oh, 1, t, nt)
		rt := rows[tid]
		for r := lo; r < hi; r++ {
			b, oy := r/oh, r%oh
			s0, s1 := x.data[b*xs[0]+y0[oy]*xs[2]:][:w*c], x.data[b*xs[0]+y1[oy]*xs[2]:][:w*c]
			fy := wy[oy] // even 0: a NaN in the other row propagates, as in the reference
			for ix := 0; ix < w; ix++ {
				p0, p1 := s0[ix*c:][:c], s1[ix*c:][:c]
				for ch, v := range p0 {
					rt[ch*w+ix] = v + fy*(p1[ch]-v)
				}
			}
			for ch := 0; ch < c; ch++ {
				src := rt[ch*w : (ch+1)*w]
				d := out.data[b*os[0]+ch*os[1]+oy*os[2]:][:ow]
				for ox := range d {
					a := src[x0[ox]]
					d[ox] = a + wx[ox]*(src[x1[ox]]-a)
				}
			}
		}
	}
}

func f32s(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

// convTransposeFunc gathers, for each output pixel, the input pixels and
// taps that scatter into it (oy = iy·stride − pad + ky·dilation), so threads
// can split output rows without write conflicts; sums in float32 from the
// bias, then applies the fused activation.
func convTransposeFunc(a *ir.Attrs, x, w view, bias []float32, out view) stepFunc {
	n, c, h, wd := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
	mg, kh, kw := w.shape[1], w.shape[2], w.shape[3]
	m, oh, ow := out.shape[1], out.shape[2], out.shape[3]
	cg := c / a.Group
	sh, sw, dh, dw := a.Strides[0], a.Strides[1], a.Dilations[0], a.Dilations[1]
	ph, pw := a.Pads[0], a.Pads[1]
	xs, os := x.stride, out.stride
	ep := a.Fused
	return func(tid, t, nt int) {
		lo, hi := split(n*oh, 1, t, nt)
		for r := lo; r < hi; r++ {
			b, oy := r/oh, r%oh
			for ox := 0; ox < ow; ox++ {
				dst := out.data[b*os[0]+oy*os[2]+ox*os[3]:]
				for oc := 0; oc < m; oc++ {
					var sum float32
					if bias != nil {
						sum = bias[oc]
					}
					g, j := oc/mg, oc%mg
					for ky := 0; ky < kh; ky++ {
						ty := oy + ph - ky*dh
						if ty < 0 || ty%sh != 0 || ty/sh >= h {
							continue
						}
						iy := ty / sh
						for kx := 0; kx < kw; kx++ {
							tx := ox + pw - kx*dw
							if tx < 0 || tx%sw != 0 || tx/sw >= wd {
								continue
							}
							ix := tx / sw
							src := x.data[b*xs[0]+iy*xs[2]+ix*xs[3]:]
							for ci := g * cg; ci < (g+1)*cg; ci++ {
								sum += src[ci*xs[1]] * w.data[((ci*mg+j)*kh+ky)*kw+kx]
							}
						}
					}
					dst[oc*os[1]] = ep.Apply(sum)
				}
			}
		}
	}
}

// convTransposeGemm runs a group-1 ConvTranspose on NHWC operands with the
// kernels' GEMM: the weights are packed once, per kernel row ky, as a
// [kw·M][C] matrix (tap kx, output channel m), so one GEMM of an input row's
// W pixels by it gives every output value that row scatters with that ky.
//
// When stride = kernel, dilation 1 and no padding (FPN/DB heads' 2×2
// stride-2 upsampling), the taps never overlap: pixel ix, tap kx lands at
// output column ix·kw + kx, so the GEMM writes straight into output row
// iy·kh + ky with row stride kw·M, applying bias and activation in its
// epilogue; threads split the input rows. Other shapes return nil (the
// gather loop runs them).
func (e *Executor) convTransposeGemm(s *plan.Step, w, bias []float32) stepFunc {
	a := &s.Attrs
	x, y := s.In[0], s.Out
	if a.Group != 1 || !x.NHWC || !y.NHWC || len(s.In) < 2 || s.ConstIn[1] == plan.NoBlob {
		return nil
	}
	ws := s.In[1].Shape
	kh, kw := ws[2], ws[3]
	n, c, h, wd := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	m, oh, ow := y.Shape[1], y.Shape[2], y.Shape[3]
	if a.Strides != [2]int{kh, kw} || a.Dilations != [2]int{1, 1} || a.Pads != [4]int{} || oh != h*kh || ow != wd*kw {
		return nil
	}
	set := e.set
	nc := kw * m
	size := set.PackedGemmSize(nc, c)
	packed := make([]float32, kh*size)
	wt := make([]float32, nc*c)
	for ky := 0; ky < kh; ky++ {
		for kx := 0; kx < kw; kx++ {
			for j := 0; j < m; j++ {
				for ci := 0; ci < c; ci++ {
					wt[(kx*m+j)*c+ci] = w[((ci*m+j)*kh+ky)*kw+kx]
				}
			}
		}
		set.PackGemm(packed[ky*size:(ky+1)*size], wt, nc, c)
	}
	var bt []float32
	if bias != nil {
		bt = make([]float32, nc)
		for kx := 0; kx < kw; kx++ {
			copy(bt[kx*m:], bias)
		}
	}
	ep := plan.KernelEpilogue(a.Fused)
	sigmoid := a.Fused.Act == ir.ActSigmoid
	if sigmoid {
		ep = kernels.Epilogue{} // applied below by the kernels' Sigmoid
	}
	in, out := e.buf(x), e.buf(y)
	return func(tid, t, nt int) {
		lo, hi := split(n*h, 1, t, nt)
		for r := lo; r < hi; r++ {
			b, iy := r/h, r%h
			src := in[(b*h+iy)*wd*c:]
			for ky := 0; ky < kh; ky++ {
				dst := out[((b*oh)+iy*kh+ky)*ow*m:]
				set.Gemm(wd, nc, c, src, c, packed[ky*size:(ky+1)*size], bt, nil, 0, dst, nc, 0, nc, &ep)
				if sigmoid {
					set.Sigmoid(dst[:ow*m], dst[:ow*m])
				}
			}
		}
	}
}

// perThread is one buffer of n floats for each of threads workers (a
// step's private rows, indexed by the worker's tid), made once when the
// step is built so runs allocate nothing.
func perThread(threads, n int) [][]float32 {
	bufs := make([][]float32, threads)
	for i := range bufs {
		bufs[i] = make([]float32, n)
	}
	return bufs
}
