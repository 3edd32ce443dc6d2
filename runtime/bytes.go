package runtime

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/plan"
)

// Steps on byte operands (plan.U8: value = byte − ZP, innermost dimension
// stored with stride RowStride; see plan.Operand).

// bytes returns a byte operand's storage.
func (e *Executor) bytes(o plan.Operand) []uint8 {
	f := e.arena[o.Off:o.End():o.End()]
	if len(f) == 0 {
		return nil
	}
	return unsafe.Slice((*uint8)(unsafe.Pointer(&f[0])), o.Bytes())
}

// blobBytes and blobInt32s view a blob's bits (plan blobs are float32).
func blobBytes(b []float32) []int8 {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*int8)(unsafe.Pointer(&b[0])), 4*len(b))
}

func blobInt32s(b []float32) []int32 {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*int32)(unsafe.Pointer(&b[0])), len(b))
}

// byteKinds are the steps that read or write byte operands: which inputs
// may be bytes and whether the output may be.
func checkDTypes(s *plan.Step) error {
	inOK, outOK := make([]bool, len(s.In)), false
	switch s.Kind {
	case plan.KindQGemm, plan.KindQDWConv, plan.KindQConv, plan.KindQLUT, plan.KindQScale:
		inOK[0], outOK = true, true
	case plan.KindQuant:
		outOK = true
	case plan.KindConv:
		outOK = len(s.In) == 1
	case plan.KindDequant, plan.KindGlobalAvgPool:
		inOK[0] = true
	case plan.KindGeneric:
		switch s.Op {
		case ir.OpQuantizeLinear, ir.OpRequantize:
			outOK = true
		case ir.OpQAdd:
			if len(s.In) == 6 {
				inOK[0], inOK[1], outOK = true, true, true
			}
		}
	}
	for i, o := range s.In {
		if o.DType != plan.F32 && !inOK[i] {
			return fmt.Errorf("input %d is stored as %s, which this step does not read", i, o.DType)
		}
	}
	if s.Out.DType != plan.F32 && !outOK {
		return fmt.Errorf("output is stored as %s, which this step does not write", s.Out.DType)
	}
	switch s.Kind {
	case plan.KindQGemm, plan.KindQDWConv, plan.KindQConv, plan.KindQLUT, plan.KindQScale, plan.KindQuant:
		if s.Out.DType != plan.U8 {
			return fmt.Errorf("%s step must write bytes", s.Kind)
		}
	}
	switch s.Kind {
	case plan.KindQGemm, plan.KindQDWConv, plan.KindQConv, plan.KindQLUT, plan.KindQScale, plan.KindDequant:
		if s.In[0].DType != plan.U8 {
			return fmt.Errorf("%s step must read bytes", s.Kind)
		}
	}
	return nil
}

// rows returns the number of rows (pixels of an NHWC tensor, rows of a
// row-major one) and the innermost size of an operand.
func rows(o plan.Operand) (n, c int) {
	c = o.Shape[len(o.Shape)-1]
	if o.NHWC && len(o.Shape) == 4 {
		c = o.Shape[1]
	}
	return o.Size() / c, c
}

func (e *Executor) prepQGemm(s *plan.Step) (stepFunc, error) {
	x, y := s.In[0], s.Out
	m, n, k, err := plan.GemmDims(s)
	if err != nil {
		return nil, err
	}
	if len(x.Shape) == 4 && (!x.NHWC || !y.NHWC) {
		return nil, fmt.Errorf("int8 gemm operands must be NHWC")
	}
	if _, c := rows(x); c != k || x.Size() != m*k || y.Size() != m*n {
		return nil, fmt.Errorf("int8 gemm operands %v -> %v do not fit m=%d n=%d k=%d", x.Shape, y.Shape, m, n, k)
	}
	ep := s.Attrs.Fused
	lo, hi := float64(ep.Min)+float64(y.ZP), float64(ep.Max)+float64(y.ZP)
	if ep.Act != ir.ActRequant || lo != math.Trunc(lo) || hi != math.Trunc(hi) || lo < 0 || hi > 255 || lo > float64(y.ZP) || hi < float64(y.ZP) {
		return nil, fmt.Errorf("int8 gemm needs a requantizing epilogue within the output's bytes, got %s [%g, %g] with zero point %d", ep.Act, ep.Min, ep.Max, y.ZP)
	}
	wb, err := e.blob(s.Consts[0], (kernels.PackedGemmS8Size(n, k)+3)/4, "int8 weight")
	if err != nil {
		return nil, err
	}
	cb, err := e.blob(s.Consts[1], n, "compensation")
	if err != nil {
		return nil, err
	}
	mb, err := e.blob(s.Consts[2], n, "multiplier")
	if err != nil {
		return nil, err
	}
	for _, v := range mb {
		if math.IsInf(float64(v), 0) || v != v {
			return nil, fmt.Errorf("int8 gemm multiplier %g is not finite", v)
		}
	}
	bp, comp := blobBytes(wb), blobInt32s(cb)
	a, c := e.bytes(x), e.bytes(y)
	lda, ldc := x.RowStride(), y.RowStride()
	isa, zp, l, h := e.plan.ISA, y.ZP, int32(lo), int32(hi)
	return func(tid, t, nt int) {
		r0, r1 := split(m, qgemmRows, t, nt)
		if r0 < r1 {
			kernels.QGemmU8S8ISA(isa, r1-r0, n, k, a[r0*lda:], lda, bp, comp, mb, zp, l, h, c[r0*ldc:], ldc)
		}
	}, nil
}

func (e *Executor) prepQDW(s *plan.Step) (stepFunc, error) {
	p, err := plan.QDWParams(s)
	if err != nil {
		return nil, err
	}
	set := e.set
	if set.QDWConv == nil {
		return nil, fmt.Errorf("the %s kernels have no int8 depthwise conv", set.ISA)
	}
	return e.qWindowStep(s, "int8 depthwise", set.PackedQDWSize(p.C, p.KH, p.KW), set.QDWScratchSize(&p),
		p.H*p.W*p.InStride, p.OH*p.OW*p.OutStride, p.OH, func(in, wp, out, sc []byte, lo, hi int) {
			set.QDWConv(&p, in, wp, out, sc, lo, hi)
		})
}

func (e *Executor) prepQConv(s *plan.Step) (stepFunc, error) {
	p, err := plan.QConvParams(s)
	if err != nil {
		return nil, err
	}
	set := e.set
	if set.QConv == nil {
		return nil, fmt.Errorf("the %s kernels have no int8 dense conv", set.ISA)
	}
	return e.qWindowStep(s, "int8 conv", set.PackedQConvSize(&p), set.QConvScratchSize(&p),
		p.H*p.W*p.InStride, p.OH*p.OW*p.OutStride, p.OH, func(in, wp, out, sc []byte, lo, hi int) {
			set.QConv(&p, in, wp, out, sc, lo, hi)
		})
}

// qWindowStep is the step of an int8 window kernel on bytes (depthwise or
// dense conv): its packed weights (packed bytes) and scratch (bytes per
// thread) checked against the plan, then output rows over batch × oh rows
// of images of inSz and outSz bytes, each thread with its scratch as bytes.
func (e *Executor) qWindowStep(s *plan.Step, what string, packed, scratchBytes, inSz, outSz, oh int, run func(in, wp, out, sc []byte, lo, hi int)) (stepFunc, error) {
	wb, err := e.blob(s.Consts[0], (packed+3)/4, what+" weight")
	if err != nil {
		return nil, err
	}
	if need := (scratchBytes + 3) / 4; need > s.Scratch {
		return nil, errScratchShort(s.Scratch, "the "+what+" kernel", need)
	}
	wp := unsafe.Slice((*byte)(unsafe.Pointer(&wb[0])), 4*len(wb))
	in, out := e.bytes(s.In[0]), e.bytes(s.Out)
	batch := s.Out.Shape[0]
	scratch := e.scratch
	return func(tid, t, nt int) {
		var sc []byte
		if sf := scratch[tid]; len(sf) > 0 {
			sc = unsafe.Slice((*byte)(unsafe.Pointer(&sf[0])), 4*len(sf))
		}
		forRows(batch, oh, t, nt, func(b, lo, hi int) {
			run(in[b*inSz:(b+1)*inSz], wp, out[b*outSz:(b+1)*outSz], sc, lo, hi)
		})
	}, nil
}

// prepConvBytes runs a dense conv (an int8 plan's stem) whose output is
// stored as bytes: bands of output rows are computed as small images into
// float scratch (the requantizing epilogue bounds them to the output's
// byte range) and stored as bytes while in cache.
func (e *Executor) prepConvBytes(s *plan.Step, p kernels.ConvParams, wp, bias []float32) (stepFunc, error) {
	set := e.set
	y := s.Out
	ep := s.Attrs.Fused
	if len(s.In) != 1 || ep.Act != ir.ActRequant || ep.Min != float32(-y.ZP) || ep.Max != float32(255-y.ZP) {
		return nil, fmt.Errorf("a conv writing bytes needs one input and a requantizing epilogue onto the output's byte range")
	}
	if need := plan.ConvBytesScratch(set, &p); need > s.Scratch {
		return nil, errScratchShort(s.Scratch, "the kernel", need)
	}
	band := plan.ConvBytesBand(&p)
	kern := (set.ConvScratchSize(&p, band) + 15) &^ 15
	in, out := e.buf(s.In[0]), e.bytes(y)
	inSz, ld := p.H*p.W*p.Cin, y.RowStride()
	outSz := p.OH * p.OW * ld
	rowIn, pix := p.W*p.Cin, p.OW
	zp := y.ZP
	batch := y.Shape[0]
	scratch := e.scratch
	bandP := make([]kernels.ConvParams, len(scratch))
	return func(tid, t, nt int) {
		sc := scratch[tid]
		kbuf, fbuf := sc[:kern], sc[kern:]
		q := &bandP[tid]
		forRows(batch, p.OH, t, nt, func(b, lo, hi int) {
			img, dst := in[b*inSz:(b+1)*inSz], out[b*outSz:(b+1)*outSz]
			for r0 := lo; r0 < hi; r0 += band {
				r1 := min(r0+band, hi)
				// Output rows [r0, r1) read input rows [i0, i1): a small image.
				top := r0*p.SH - p.PadT
				i0 := max(0, top)
				i1 := min(p.H, (r1-1)*p.SH-p.PadT+(p.KH-1)*p.DH+1)
				*q = p
				q.H, q.PadT, q.OH = i1-i0, i0-top, r1-r0
				set.Conv(q, img[i0*rowIn:i1*rowIn], wp, bias, nil, fbuf, kbuf, 0, q.OH)
				for i := 0; i < (r1-r0)*pix; i++ {
					toBytes(fbuf[i*p.Cout:][:p.Cout], dst[(r0*pix+i)*ld:][:p.Cout], zp)
				}
			}
		})
	}, nil
}

// quantBlock is how many floats the QuantizeLinear step quantizes at a
// time before storing them as bytes.
const quantBlock = 1024

// prepQLUT maps bytes through a 256-entry table (a quantized unary chain,
// passes/int8storage.go); input and output share shape and layout, so the
// whole buffers line up (padding bytes too).
func (e *Executor) prepQLUT(s *plan.Step) (stepFunc, error) {
	x, y := s.In[0], s.Out
	if !x.Shape.Equal(y.Shape) || x.NHWC != y.NHWC {
		return nil, fmt.Errorf("byte table step needs an input of the output's shape and layout, got %v -> %v", x.Shape, y.Shape)
	}
	tb, err := e.blob(s.Consts[0], 64, "table")
	if err != nil {
		return nil, err
	}
	table := (*[256]byte)(unsafe.Pointer(&tb[0]))
	in, out := e.bytes(x), e.bytes(y)
	size := len(out)
	set := e.set
	return func(tid, t, nt int) {
		lo, hi := split(size, 64, t, nt)
		if lo < hi {
			set.LUTBytes(in[lo:hi], out[lo:hi], table)
		}
	}, nil
}

// prepQScale is an SE channel scale between int8 layers: per element
// v = t[x]·S[n][c] (t: the 256 dequantized values), then QuantizeLinear
// (v/ys, NaN to the zero point, clamp, round half to even) stored as
// bytes q − lo: the float path's arithmetic (Mul, ScaleChannels,
// Quantize), on bytes.
func (e *Executor) prepQScale(s *plan.Step) (stepFunc, error) {
	x, sc, y := s.In[0], s.In[1], s.Out
	if !x.NHWC || !y.NHWC || !x.Shape.Equal(y.Shape) || len(x.Shape) != 4 || sc.DType != plan.F32 || sc.Size() != x.Shape[0]*x.Shape[1] {
		return nil, fmt.Errorf("byte channel scale needs NHWC bytes x %v and a [N,C] vector, got %v", x.Shape, sc.Shape)
	}
	pb, err := e.blob(s.Consts[0], 260, "channel scale parameters")
	if err != nil {
		return nil, err
	}
	t := pb[:256]
	ys, zp, lo, hi := pb[256], pb[257], pb[258], pb[259]
	if zp != float32(int32(zp)) || hi-lo != 255 || zp < lo || zp > hi || float32(y.ZP) != -lo {
		return nil, fmt.Errorf("byte channel scale: zero point %g, range [%g, %g], storage zero point %d", zp, lo, hi, y.ZP)
	}
	n, hw, c := pixels(x)
	in, sv, out := e.bytes(x), e.buf(sc), e.bytes(y)
	ld := x.RowStride()
	// Per block of pixels: t[x]·s in a per-thread buffer, then the
	// kernels' Quantize (generated: VDIVPS), then stored as bytes q − lo.
	set := e.set
	block := max(1, quantBlock/c)
	bufs := make([][]float32, len(e.scratch)) // per thread, made once
	for i := range bufs {
		bufs[i] = make([]float32, max(quantBlock, c))
	}
	ilo := int32(lo)
	return func(tid, th, nt int) {
		buf := bufs[tid]
		p0, p1 := split(hw, 1, th, nt)
		for b := 0; b < n; b++ {
			svb := sv[b*c : (b+1)*c]
			for q0 := p0; q0 < p1; q0 += block {
				q1 := min(q0+block, p1)
				v := buf[:(q1-q0)*c]
				for p := q0; p < q1; p++ {
					src, dst := in[(b*hw+p)*ld:][:c], v[(p-q0)*c:][:c]
					for j, x := range src {
						dst[j] = t[x] * svb[j]
					}
				}
				set.Quantize(v, v, ys, zp, lo, hi)
				for p := q0; p < q1; p++ {
					toBytes(v[(p-q0)*c:][:c], out[(b*hw+p)*ld:][:c], -ilo)
				}
			}
		}
	}, nil
}

// qgemmRows is the row quantum of a split int8 GEMM (the VNNI tile height).
const qgemmRows = 8

// prepQuant converts float32 integers to bytes: byte = x + ZP. The step
// that made x (a requantizing epilogue) bounds it to [−ZP, 255 − ZP];
// other values give unspecified bytes.
func (e *Executor) prepQuant(s *plan.Step) (stepFunc, error) {
	x, y := s.In[0], s.Out
	if x.DType != plan.F32 || !x.Shape.Equal(y.Shape) || x.NHWC != y.NHWC {
		return nil, fmt.Errorf("to-u8 needs a float input of the output's shape and layout, got %v -> %v", x.Shape, y.Shape)
	}
	n, c := rows(x)
	in, out := e.buf(x), e.bytes(y)
	ld, zp := y.RowStride(), y.ZP
	return func(tid, t, nt int) {
		r0, r1 := split(n, 16, t, nt)
		for r := r0; r < r1; r++ {
			toBytes(in[r*c:][:c], out[r*ld:][:c], zp)
		}
	}, nil
}

// toBytes stores float integers x as bytes x + zp.
func toBytes(x []float32, out []uint8, zp int32) {
	out = out[:len(x)]
	for i, v := range x {
		out[i] = uint8(int32(v) + zp)
	}
}

// prepDequant converts bytes to float32 centred integers: x = byte − ZP.
func (e *Executor) prepDequant(s *plan.Step) (stepFunc, error) {
	x, y := s.In[0], s.Out
	if y.DType != plan.F32 || !x.Shape.Equal(y.Shape) || x.NHWC != y.NHWC {
		return nil, fmt.Errorf("to-f32 needs a float output of the input's shape and layout, got %v -> %v", x.Shape, y.Shape)
	}
	n, c := rows(x)
	in, out := e.bytes(x), e.buf(y)
	ld := x.RowStride()
	var lut [256]float32
	for i := range lut {
		lut[i] = float32(int32(i) - x.ZP)
	}
	return func(tid, t, nt int) {
		r0, r1 := split(n, 16, t, nt)
		for r := r0; r < r1; r++ {
			src, dst := in[r*ld:][:c], out[r*c:][:c]
			for i, b := range src {
				dst[i] = lut[b]
			}
		}
	}, nil
}

// prepGAPBytes is the global average pool of a byte NHWC input: exact
// integer sums, then float32(Σ(x − ZP))·(1/hw), which is what the float
// kernels compute on the same (integer, exactly summed) values.
func (e *Executor) prepGAPBytes(s *plan.Step) (stepFunc, error) {
	x := s.In[0]
	n, hw, c := pixels(x)
	in, out := e.bytes(x), e.buf(s.Out)
	ld := x.RowStride()
	if hw*255 >= 1<<24 {
		return nil, fmt.Errorf("byte global pool of %d pixels could round its sums", hw)
	}
	inv := 1 / float32(hw)
	zhw := int32(hw) * x.ZP
	return func(tid, t, nt int) {
		var acc [256]int32
		for b := t; b < n; b += nt {
			for c0 := 0; c0 < c; c0 += len(acc) {
				cs := min(len(acc), c-c0)
				sum := acc[:cs]
				clear(sum)
				for p := 0; p < hw; p++ {
					for j, v := range in[(b*hw+p)*ld+c0:][:cs] {
						sum[j] += int32(v)
					}
				}
				o := out[b*c+c0:][:cs]
				for j, v := range sum {
					o[j] = float32(v-zhw) * inv
				}
			}
		}
	}, nil
}

// genericBytes runs the generic steps that read or write bytes: the
// model's input QuantizeLinear and a Requantize (float in, bytes out),
// and QAdd on bytes. nil, nil when no operand is a byte.
func (e *Executor) genericBytes(s *plan.Step) (stepFunc, error) {
	anyU8 := s.Out.DType == plan.U8
	for _, o := range s.In {
		anyU8 = anyU8 || o.DType == plan.U8
	}
	if !anyU8 {
		return nil, nil
	}
	scalar := func(i int) (float32, error) {
		if i >= len(s.In) {
			return 0, nil
		}
		b := s.ConstIn[i]
		if b == plan.NoBlob || len(e.plan.Blobs[b]) != 1 {
			return 0, fmt.Errorf("%s on bytes needs constant scalar parameters", s.Op)
		}
		return e.plan.Blobs[b][0], nil
	}
	y := s.Out
	qt := s.Attrs.QType
	lo, hi := qt.Range()
	if hi-lo != 255 || y.DType != plan.U8 {
		return nil, fmt.Errorf("%s on bytes needs an 8-bit type and a byte output", s.Op)
	}
	if err := checkGenericShape(s); err != nil {
		return nil, err
	}
	for _, o := range s.In[:1] {
		if !o.Shape.Equal(y.Shape) || o.NHWC != y.NHWC || s.ConstIn[0] != plan.NoBlob {
			return nil, fmt.Errorf("%s on bytes needs an input of the output's shape and layout", s.Op)
		}
	}
	n, c := rows(y)
	out, ldo := e.bytes(y), y.RowStride()
	switch s.Op {
	case ir.OpQuantizeLinear:
		sc, err := scalar(1)
		if err != nil {
			return nil, err
		}
		zp, err := scalar(2)
		if err != nil {
			return nil, err
		}
		if zp != float32(int32(zp)) || int32(zp) < lo || int32(zp) > hi || y.ZP != -lo {
			return nil, fmt.Errorf("QuantizeLinear to bytes: zero point %g, storage zero point %d for type %v", zp, y.ZP, qt)
		}
		in := e.buf(s.In[0])
		// ir.Quantize: q = sat(roundEven(x/sc) + zp); byte = q − lo. The
		// kernels' Quantize (generated where the ISA has it) computes q
		// for a block of rows in a buffer on the stack; then it is stored.
		set := e.set
		flo, fhi := float32(lo), float32(hi)
		block := max(1, quantBlock/c)
		bufs := make([][]float32, len(e.scratch)) // per thread, made once
		for i := range bufs {
			bufs[i] = make([]float32, quantBlock)
		}
		return func(tid, t, nt int) {
			buf := bufs[tid]
			r0, r1 := split(n, 16, t, nt)
			if c > quantBlock { // long rows: in pieces
				for r := r0; r < r1; r++ {
					for j0 := 0; j0 < c; j0 += quantBlock {
						q := buf[:min(quantBlock, c-j0)]
						set.Quantize(in[r*c+j0:][:len(q)], q, sc, zp, flo, fhi)
						toBytes(q, out[r*ldo+j0:], -lo)
					}
				}
				return
			}
			for b0 := r0; b0 < r1; b0 += block {
				b1 := min(b0+block, r1)
				q := buf[:(b1-b0)*c]
				set.Quantize(in[b0*c:b1*c], q, sc, zp, flo, fhi)
				if c == 3 && ldo == 4 { // an image: no call per pixel
					dst := out[b0*4 : b1*4]
					for p := 0; p+3 < len(dst); p += 4 {
						v := q[p/4*3:][:3]
						dst[p], dst[p+1], dst[p+2] = uint8(int32(v[0])-lo), uint8(int32(v[1])-lo), uint8(int32(v[2])-lo)
					}
					continue
				}
				for r := b0; r < b1; r++ {
					toBytes(q[(r-b0)*c:][:c], out[r*ldo:][:c], -lo)
				}
			}
		}, nil
	case ir.OpRequantize:
		zp, err := scalar(2)
		if err != nil {
			return nil, err
		}
		if len(s.In) != 3 || s.ConstIn[1] == plan.NoBlob || zp != float32(int32(zp)) || int32(zp)-lo != y.ZP {
			return nil, fmt.Errorf("Requantize to bytes: zero point %g, storage zero point %d for type %v", zp, y.ZP, qt)
		}
		m := e.plan.Blobs[s.ConstIn[1]]
		if len(m) != 1 && len(m) != y.Shape[1] || len(y.Shape) == 4 && !y.NHWC && y.Shape[2]*y.Shape[3] != 1 {
			return nil, fmt.Errorf("Requantize to bytes needs a per-tensor or per-channel multiplier on channels-last data")
		}
		in := e.buf(s.In[0])
		z := int32(zp)
		return func(tid, t, nt int) {
			if t != 0 {
				return
			}
			for r := 0; r < n; r++ {
				dst := out[r*ldo:][:c]
				for i, v := range in[r*c:][:c] {
					mm := m[0]
					if len(m) > 1 {
						mm = m[i]
					}
					dst[i] = uint8(int32(ir.Requantize(float64(v), mm, z, qt)) - lo)
				}
			}
		}, nil
	case ir.OpQAdd:
		a, b := s.In[0], s.In[1]
		if a.DType != plan.U8 || b.DType != plan.U8 || !b.Shape.Equal(y.Shape) || b.NHWC != y.NHWC || s.ConstIn[1] != plan.NoBlob {
			return nil, fmt.Errorf("QAdd on bytes needs two byte operands of the output's shape and layout")
		}
		var p [4]float32
		for i := range p {
			v, err := scalar(2 + i)
			if err != nil {
				return nil, err
			}
			p[i] = v
		}
		as, bs, m, zp := p[0], p[1], p[2], p[3]
		if zp != float32(int32(zp)) || int32(zp)-lo != y.ZP {
			return nil, fmt.Errorf("QAdd to bytes: zero point %g, storage zero point %d for type %v", zp, y.ZP, qt)
		}
		// One shape and layout: the operands' bytes line up, padding too
		// (don't-care bytes in, don't-care bytes out).
		ab, bb := e.bytes(a), e.bytes(b)
		if a.RowStride() != ldo || b.RowStride() != ldo || len(ab) != len(out) || len(bb) != len(out) {
			return nil, fmt.Errorf("QAdd on bytes needs operands stored like the output")
		}
		set := e.set
		l, h := float32(lo)-zp, float32(hi)-zp
		za, zb, zy := a.ZP, b.ZP, y.ZP
		size := len(out)
		return func(tid, t, nt int) {
			r0, r1 := split(size, 64, t, nt)
			if r0 < r1 {
				set.QAddU8(ab[r0:r1], bb[r0:r1], out[r0:r1], as, bs, m, l, h, za, zb, zy)
			}
		}, nil
	}
	return nil, fmt.Errorf("%s has no byte version", s.Op)
}
