package passes

import (
	"math"
	"unsafe"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/plan"
	"github.com/mnc-go/mnc/reference"
)

// int8Storage decides which quantized activations live in the arena as
// bytes (plan.U8) instead of float32 centred integers. A value qualifies
// when its producer bounds it to an 8-bit range: a Conv/Gemm with a
// requantizing epilogue (fuse-requant), an 8-bit QuantizeLinear, QAdd or
// Requantize; the re-centring Sub of lower-qlinear and a Flatten/Reshape
// that keeps the innermost dimension are free views of their byte input
// with another zero point. Graph inputs and outputs stay float32.
//
// The value's logical (centred) number is byte − ZP with ZP = −(lowest
// value), so an int8 tensor is stored shifted by 128 and every kernel sees
// uint8. emit-steps then runs 1×1 convs and FCs whose input and output are
// bytes as int8 GEMMs (plan.KindQGemm), and puts conversion steps
// (KindDequant, KindQuant) around any step that has no byte version yet:
// those float islands compute what the float plan computes, so results do
// not change.
func int8Storage(s *State) error {
	g := s.G
	s.q8 = map[*ir.Value]int32{}
	s.q8View = map[*ir.Value]bool{}
	s.q8Float = map[*ir.Value]*ir.Value{}
	s.q8Packed = map[q8Key][][]float32{}
	for _, n := range g.Nodes {
		if len(n.Outputs) != 1 {
			continue
		}
		out := n.Output()
		if g.IsOutput(out) || out.IsConst() || len(out.Shape) == 0 {
			continue
		}
		switch n.Op {
		case ir.OpConv, ir.OpGemm:
			if zp, ok := byteRange(n.Attrs.Fused); ok && len(out.Shape) >= 2 {
				s.q8[out] = zp
			}
		case ir.OpQuantizeLinear, ir.OpQAdd, ir.OpRequantize:
			zpIn := map[ir.Op]int{ir.OpQuantizeLinear: 2, ir.OpQAdd: 5, ir.OpRequantize: 2}[n.Op]
			lo, hi := n.Attrs.QType.Range()
			if hi-lo != 255 {
				continue
			}
			zp := float32(0)
			if v := n.Input(zpIn); v != nil {
				if !v.IsConst() || v.Shape.Size() != 1 {
					continue
				}
				zp = v.Const.Data[0]
			}
			if n.Op == ir.OpQuantizeLinear {
				// Its output is the uncentred q: the byte is q − lo.
				if sc := n.Input(1); !sc.IsConst() || sc.Shape.Size() != 1 {
					continue
				}
				s.q8[out] = -lo
				continue
			}
			if zp != float32(int32(zp)) || int32(zp) < lo || int32(zp) > hi {
				continue
			}
			s.q8[out] = int32(zp) - lo // centred: byte = y − zp + (zp − lo)
		case ir.OpSub, ir.OpAdd:
			x, c := n.Input(0), n.Input(1)
			z, ok := s.q8[x]
			if !ok || !c.IsConst() || c.Shape.Size() != 1 || !out.Shape.Equal(x.Shape) {
				continue
			}
			v := float64(c.Const.Data[0])
			if n.Op == ir.OpAdd {
				v = -v
			}
			// out = x − v: the same bytes stand for values v lower.
			if nz := float64(z) + v; v == math.Trunc(v) && nz >= 0 && nz <= 255 {
				s.q8[out], s.q8View[out] = int32(nz), true
			}
		case ir.OpFlatten, ir.OpReshape, ir.OpIdentity:
			x := n.Input(0)
			z, ok := s.q8[x]
			if !ok || !s.rowMajorBytes(x) || len(out.Shape) < 2 || out.NHWC {
				continue
			}
			xo := plan.Operand{Shape: x.Shape, NHWC: x.NHWC, DType: plan.U8}
			oo := plan.Operand{Shape: out.Shape, DType: plan.U8}
			if xo.RowStride() == oo.RowStride() && xo.Bytes() == oo.Bytes() {
				s.q8[out], s.q8View[out] = z, true
			}
		}
	}
	s.findLUTs()
	if !s.Opts.Int8Islands {
		s.keepNative()
	}
	// A table replaces its chain only where its input and output stayed bytes.
	for q, l := range s.luts {
		if !s.isQ8(l.x) || !s.isQ8(q.Output()) {
			delete(s.luts, q)
			continue
		}
		for _, n := range l.chain {
			s.lutSkip[n] = true
		}
	}
	return nil
}

// qlut is a quantized unary chain: bytes x → elementwise float ops on
// their centred values → an 8-bit QuantizeLinear. Its 256 possible results
// are a table (computed by the reference executor's definitions of each
// op, the oracle), so the chain runs as one byte lookup (plan.KindQLUT):
// the h-swish, h-sigmoid, ReLU or DequantizeLinear scaling a quantizer
// leaves in float between a conv and the next QuantizeLinear.
type qlut struct {
	x     *ir.Value
	chain []*ir.Node // in order, from the reader of x; the QuantizeLinear not included
	table []byte
	// An SE channel scale instead (plan.KindQScale): Q(DQ(x)·scale)
	// with the dequantized values dq and QuantizeLinear's parameters.
	scale *ir.Value
	dq    []float32
}

// findLUTs finds the chains (at most 8 ops, each read only by the next)
// ending in an 8-bit per-tensor QuantizeLinear whose start is a byte value.
func (s *State) findLUTs() {
	g := s.G
	s.luts = map[*ir.Node]*qlut{}
	s.lutSkip = map[*ir.Node]bool{}
	cons := g.Consumers()
	for _, q := range g.Nodes {
		if q.Op != ir.OpQuantizeLinear || !s.isQ8(q.Output()) {
			continue
		}
		var chain []*ir.Node
		v := q.Input(0)
		for len(chain) < 8 && v.Producer != nil && lutOp(v.Producer) && len(cons[v]) == 1 && !g.IsOutput(v) {
			chain = append([]*ir.Node{v.Producer}, chain...)
			v = v.Producer.Input(0)
			if s.isQ8(v) {
				break
			}
		}
		if len(chain) == 0 || !s.isQ8(v) || !v.Shape.Equal(q.Output().Shape) || v.NHWC != q.Output().NHWC {
			continue
		}
		if t, ok := s.lutTable(v, chain, q); ok {
			s.luts[q] = &qlut{x: v, chain: chain, table: t}
		}
	}
	// SE scales: Q(Mul(Mul(x, sx), s)) with x bytes, sx a scalar constant
	// (the DequantizeLinear) and s a [N, C, 1, 1] vector.
	for _, q := range g.Nodes {
		if q.Op != ir.OpQuantizeLinear || !s.isQ8(q.Output()) || s.luts[q] != nil {
			continue
		}
		m := q.Input(0).Producer
		if m == nil || m.Op != ir.OpMul || len(cons[m.Output()]) != 1 || g.IsOutput(m.Output()) {
			continue
		}
		for k := 0; k < 2; k++ {
			a, sc := m.Input(k), m.Input(1-k)
			d := a.Producer
			if d == nil || d.Op != ir.OpMul || len(cons[a]) != 1 || g.IsOutput(a) || !isChannelScale(a, sc) || !a.NHWC {
				continue
			}
			x, sx := d.Input(0), d.Input(1)
			if !s.isQ8(x) || !sx.IsConst() || sx.Shape.Size() != 1 || !x.Shape.Equal(q.Output().Shape) || !q.Output().NHWC {
				continue
			}
			dq := make([]float32, 256)
			for i := range dq {
				dq[i] = float32(int32(i)-s.q8[x]) * sx.Const.Data[0]
			}
			s.luts[q] = &qlut{x: x, chain: []*ir.Node{d, m}, scale: sc, dq: dq}
			break
		}
	}
}

// lutOp reports whether n maps each element of its first input on its own
// (an activation, or arithmetic with a constant scalar).
func lutOp(n *ir.Node) bool {
	if len(n.Outputs) != 1 || !n.Output().Shape.Equal(n.Input(0).Shape) {
		return false
	}
	switch n.Op {
	case ir.OpMul, ir.OpAdd, ir.OpSub, ir.OpDiv:
		c := n.Input(1)
		return c.IsConst() && c.Shape.Size() == 1
	}
	return n.Op.IsElementwiseActivation() && len(n.Inputs) == 1
}

// lutTable evaluates the chain and the QuantizeLinear on the 256 values
// byte − ZP of x; it returns the output bytes (q − lo).
func (s *State) lutTable(x *ir.Value, chain []*ir.Node, q *ir.Node) ([]byte, bool) {
	t := ir.NewTensor(256)
	for i := range t.Data {
		t.Data[i] = float32(int32(i) - s.q8[x])
	}
	for _, n := range append(append([]*ir.Node(nil), chain...), q) {
		in := []*ir.Tensor{t}
		for _, v := range n.Inputs[1:] {
			if v == nil {
				in = append(in, nil)
				continue
			}
			if !v.IsConst() || v.Shape.Size() != 1 {
				return nil, false
			}
			in = append(in, v.Const)
		}
		m := &ir.Node{Name: n.Name, Op: n.Op, Attrs: n.Attrs, Outputs: []*ir.Value{{Name: n.Name}}}
		for i, v := range n.Inputs {
			if i == 0 {
				m.Inputs = append(m.Inputs, &ir.Value{Name: "x", Shape: ir.Shape{256}})
			} else {
				m.Inputs = append(m.Inputs, v)
			}
		}
		r, err := reference.Eval(m, in)
		if err != nil || len(r.Data) != 256 {
			return nil, false
		}
		t = r
	}
	lo, _ := q.Attrs.QType.Range()
	out := make([]byte, 256)
	for i, v := range t.Data {
		b := int32(v) - lo
		if float32(int32(v)) != v || b < 0 || b > 255 {
			return nil, false
		}
		out[i] = byte(b)
	}
	return out, true
}

// keepNative leaves as bytes only the values whose producer writes bytes
// and whose readers all read bytes with their own kernels: a float island
// (convert, compute in float, convert back) costs two more passes over the
// tensor than the float plan, more than the int8 kernels save around it.
// Removing one value can take the byte kernel from a neighbour (an int8
// GEMM needs both its input and its output as bytes), so it iterates to
// the fixed point.
func (s *State) keepNative() {
	g := s.G
	cons := g.Consumers()
	for changed := true; changed; {
		changed = false
		for _, n := range g.Nodes {
			if len(n.Outputs) != 1 || !s.isQ8(n.Output()) {
				continue
			}
			out := n.Output()
			w := s.writesBytes(n)
			all, some := true, false
			for _, c := range cons[out] {
				r := s.readsBytes(c, out)
				all, some = all && r, some || r
			}
			// A small tensor (an FC's input or output) may cross between
			// float and bytes: the conversion costs next to nothing.
			small := out.Shape.Size() <= smallIsland*max(out.Shape[0], 1)
			if !(w && all) && !(small && (w || some)) {
				delete(s.q8, out)
				delete(s.q8View, out)
				changed = true
			}
		}
	}
}

// smallIsland is the largest tensor (elements per image) int8-storage
// keeps as bytes with a conversion to or from float beside it.
const smallIsland = 4096

// writesBytes reports whether the step emitted for n writes its output as
// bytes itself (given the current byte values).
func (s *State) writesBytes(n *ir.Node) bool {
	if l, ok := s.luts[n]; ok && s.isQ8(l.x) {
		return true
	}
	switch n.Op {
	case ir.OpQuantizeLinear, ir.OpRequantize:
		return !s.isQ8(n.Input(0))
	case ir.OpQAdd:
		return s.qaddBytes(n)
	case ir.OpConv, ir.OpGemm:
		if n.Attrs.Algo == "conv" && !s.isQ8(n.Input(0)) && len(n.Inputs) <= 3 {
			return s.convWritesBytes(n.Attrs.Fused, n.Output())
		}
		return s.int8Conv(n, n.Input(0)) != nil
	}
	return s.q8View[n.Output()] && s.isQ8(n.Input(0))
}

// convWritesBytes reports whether a dense conv step (float kernels) may
// store its output as bytes: its requantizing epilogue clamps to exactly
// the byte range of out (runtime prepConvBytes).
func (s *State) convWritesBytes(ep ir.Epilogue, out *ir.Value) bool {
	zp, ok := s.q8[out]
	return ok && ep.Act == ir.ActRequant && !ep.Residual && ep.Min == float32(-zp) && ep.Max == float32(255-zp) && out.NHWC
}

// int8Conv returns the blobs of n as an int8 step on bytes reading x
// (int8 GEMM or depthwise), or nil. Results are cached per node and input
// zero point (keepNative asks many times).
func (s *State) int8Conv(n *ir.Node, x *ir.Value) [][]float32 {
	zx, ok1 := s.q8[x]
	zy, ok2 := s.q8[n.Output()]
	if !ok1 || !ok2 || n.Input(0) != x {
		return nil
	}
	key := q8Key{n, zx, zy}
	if b, ok := s.q8Packed[key]; ok {
		return b
	}
	var b [][]float32
	switch n.Attrs.Algo {
	case "gemm":
		b, _ = s.qgemmConsts(n, x)
	case "dwconv":
		if d, ok := s.qdwConsts(n, x); ok {
			b = [][]float32{d}
		}
	case "conv":
		if d, ok := s.qconvConsts(n, x); ok {
			b = [][]float32{d}
		}
	}
	s.q8Packed[key] = b
	return b
}

type q8Key struct {
	n      *ir.Node
	zx, zy int32
}

// qdwConsts checks that a depthwise Conv with a requantizing epilogue can
// run on bytes (kernels QDWConv): input and output bytes, channels-last,
// no dilation, the epilogue clamping to the output's whole byte range; and
// packs it (PackQDW refuses weights outside int8 and sums that could
// overflow: the float path stays then).
func (s *State) qdwConsts(n *ir.Node, x *ir.Value) ([]float32, bool) {
	out := n.Output()
	set := s.Set
	a := n.Attrs
	ep := a.Fused
	zx, zy := s.q8[x], s.q8[out]
	w, b := n.Input(1), n.Input(2)
	if set.QDWConv == nil || n.Op != ir.OpConv || ep.Act != ir.ActRequant || ep.Residual || ep.Slope == nil ||
		ep.Min != float32(-zy) || ep.Max != float32(255-zy) || !x.NHWC || !out.NHWC ||
		a.Dilations[0] != 1 || a.Dilations[1] != 1 || !w.IsConst() || (b != nil && !b.IsConst()) || len(w.Shape) != 4 || w.Shape[1] != 1 {
		return nil, false
	}
	c, kh, kw := w.Shape[0], w.Shape[2], w.Shape[3]
	if ep.Slope.Shape.Size() != c || (b != nil && b.Shape.Size() != c) {
		return nil, false
	}
	wi, bi, ok := int32Weights(w, b)
	if !ok {
		return nil, false
	}
	dst := make([]byte, set.PackedQDWSize(c, kh, kw))
	if err := set.PackQDW(dst, wi, bi, ep.Slope.Data, zx, c, kh, kw); err != nil {
		return nil, false
	}
	return bytesAsFloats(dst), true
}

// qconvConsts is qdwConsts for a dense conv (the stem): kernels QConv.
func (s *State) qconvConsts(n *ir.Node, x *ir.Value) ([]float32, bool) {
	out := n.Output()
	set := s.Set
	a := n.Attrs
	ep := a.Fused
	zy := s.q8[out]
	w, b := n.Input(1), n.Input(2)
	if set.QConv == nil || n.Op != ir.OpConv || ep.Act != ir.ActRequant || ep.Residual || ep.Slope == nil ||
		ep.Min != float32(-zy) || ep.Max != float32(255-zy) || !x.NHWC || !out.NHWC || a.Group > 1 ||
		a.Dilations[0] != 1 || a.Dilations[1] != 1 || !w.IsConst() || (b != nil && !b.IsConst()) || len(w.Shape) != 4 || len(x.Shape) != 4 {
		return nil, false
	}
	cout := w.Shape[0]
	if ep.Slope.Shape.Size() != cout || (b != nil && b.Shape.Size() != cout) || w.Shape[1] != x.Shape[1] {
		return nil, false
	}
	wi, bi, ok := int32Weights(w, b)
	if !ok {
		return nil, false
	}
	st := plan.Step{Attrs: a, WShape: w.Shape, In: []plan.Operand{s.operand(x)}, Out: s.operand(out)}
	p, err := plan.QConvParams(&st)
	if err != nil {
		return nil, false
	}
	dst := make([]byte, set.PackedQConvSize(&p))
	if err := set.PackQConv(dst, wi, bi, ep.Slope.Data, &p); err != nil {
		return nil, false
	}
	return bytesAsFloats(dst), true
}

// int32Weights returns centred weights (which must fit int8) and an
// integer bias as int32.
func int32Weights(w, b *ir.Value) ([]int32, []int32, bool) {
	wi := make([]int32, len(w.Const.Data))
	for i, v := range w.Const.Data {
		if v != float32(int32(v)) || v < -128 || v > 127 {
			return nil, nil, false
		}
		wi[i] = int32(v)
	}
	var bi []int32
	if b != nil {
		bi = make([]int32, len(b.Const.Data))
		for i, v := range b.Const.Data {
			if float64(v) != math.Trunc(float64(v)) || math.Abs(float64(v)) > 1<<30 {
				return nil, nil, false
			}
			bi[i] = int32(v)
		}
	}
	return wi, bi, true
}

func bytesAsFloats(b []byte) []float32 {
	f := make([]float32, (len(b)+3)/4)
	copy(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(f))), len(f)*4), b)
	return f
}

// readsBytes reports whether the step emitted for n reads byte value v
// itself.
func (s *State) readsBytes(n *ir.Node, v *ir.Value) bool {
	for q, l := range s.luts {
		if l.x == v && l.chain[0] == n && s.isQ8(q.Output()) {
			return true
		}
	}
	if len(n.Outputs) == 1 && s.q8View[n.Output()] {
		return n.Input(0) == v
	}
	switch n.Op {
	case ir.OpQAdd:
		return s.qaddBytes(n) && n.Input(2) != v && n.Input(3) != v && n.Input(4) != v && n.Input(5) != v
	case ir.OpConv, ir.OpGemm:
		return s.int8Conv(n, v) != nil
	case ir.OpGlobalAveragePool:
		return n.Input(0) == v && len(v.Shape) == 4 && v.NHWC
	}
	return false
}

// qaddBytes reports whether a QAdd runs on bytes: both operands and the
// result bytes, one shape and layout.
func (s *State) qaddBytes(n *ir.Node) bool {
	a, b, out := n.Input(0), n.Input(1), n.Output()
	return len(n.Inputs) == 6 && s.isQ8(a) && s.isQ8(b) && s.isQ8(out) && a.Shape.Equal(out.Shape) && b.Shape.Equal(out.Shape) &&
		a.NHWC == out.NHWC && b.NHWC == out.NHWC
}

// byteRange returns the zero point of byte storage for an epilogue that
// requantizes to an integer range of at most 256 values containing 0.
func byteRange(ep ir.Epilogue) (int32, bool) {
	lo, hi := float64(ep.Min), float64(ep.Max)
	if ep.Act != ir.ActRequant || ep.Residual || lo != math.Trunc(lo) || hi != math.Trunc(hi) || lo > 0 || hi < 0 || hi-lo > 255 {
		return 0, false
	}
	return int32(-lo), true
}

// operand is v's plan operand without its offset: shape, layout, storage.
func (s *State) operand(v *ir.Value) plan.Operand {
	o := plan.Operand{Shape: v.Shape.Clone(), NHWC: v.NHWC}
	if zp, ok := s.q8[v]; ok {
		o.DType, o.ZP = plan.U8, zp
	}
	return o
}

// isQ8 reports whether v is stored as bytes.
func (s *State) isQ8(v *ir.Value) bool {
	_, ok := s.q8[v]
	return ok
}

// floatOf returns a float32 copy of byte value v, emitting the conversion
// step the first time (later readers share it).
func (s *State) floatOf(v *ir.Value) *ir.Value {
	if f, ok := s.q8Float[v]; ok {
		return f
	}
	f := &ir.Value{Name: v.Name + ".f32", Shape: v.Shape.Clone()}
	f.NHWC = v.NHWC
	s.q8Float[v] = f
	s.addRaw(plan.Step{Kind: plan.KindDequant, Name: f.Name}, pendingStep{in: []*ir.Value{v}, out: f})
	return f
}

// byteIO says which operands of a step may be bytes: for each input, and
// for the output. Every other operand gets a float copy or a float result
// that a conversion step turns into bytes.
func (s *State) byteIO(st *plan.Step, ps *pendingStep) (in []bool, out bool) {
	in = make([]bool, len(ps.in))
	switch st.Kind {
	case plan.KindQGemm, plan.KindQDWConv, plan.KindQConv, plan.KindQLUT, plan.KindQScale:
		in[0], out = true, true
	case plan.KindGlobalAvgPool:
		in[0] = true
	case plan.KindConv:
		out = len(ps.in) == 1 && s.convWritesBytes(st.Attrs.Fused, ps.out)
	case plan.KindGeneric:
		switch st.Op {
		case ir.OpQuantizeLinear, ir.OpRequantize:
			out = true
		case ir.OpQAdd:
			a, b, y := ps.in[0], ps.in[1], ps.out
			if len(ps.in) == 6 && s.isQ8(a) && s.isQ8(b) && s.isQ8(y) && a.Shape.Equal(y.Shape) && b.Shape.Equal(y.Shape) &&
				a.NHWC == y.NHWC && b.NHWC == y.NHWC {
				in[0], in[1], out = true, true, true
			}
		}
	}
	return in, out
}

// qgemmConsts checks that a Conv (1×1, as lower-conv's "gemm") or Gemm
// with a requantizing epilogue can run as an int8 GEMM on bytes — input
// and output stored as bytes, weights integers in [−128, 127], an integer
// bias, a finite multiplier per channel — and returns its three blobs:
// the weights packed by kernels.PackGemmS8 (as bytes), comp = xzp·Σw − bias
// (int32 bits) and the multipliers.
func (s *State) qgemmConsts(n *ir.Node, x *ir.Value) ([][]float32, bool) {
	out := n.Output()
	xz, ok1 := s.q8[x]
	_, ok2 := s.q8[out]
	a := n.Attrs
	if !ok1 || !ok2 || a.Fused.Act != ir.ActRequant || a.Fused.Residual || a.Fused.Slope == nil {
		return nil, false
	}
	w, b := n.Input(1), n.Input(2)
	if !w.IsConst() || (b != nil && !b.IsConst()) {
		return nil, false
	}
	var nOut, k int
	at := func(o, i int) float32 { return w.Const.Data[o*k+i] }
	switch n.Op {
	case ir.OpConv:
		if len(w.Shape) != 4 || w.Shape[2]*w.Shape[3] != 1 || a.Group > 1 || len(x.Shape) != 4 || !x.NHWC || !out.NHWC {
			return nil, false
		}
		nOut, k = w.Shape[0], w.Shape[1]
	case ir.OpGemm:
		if len(w.Shape) != 2 || len(x.Shape) != 2 || a.TransA || a.Alpha != 1 || (b != nil && a.Beta != 1) {
			return nil, false
		}
		if a.TransB {
			nOut, k = w.Shape[0], w.Shape[1]
		} else {
			k, nOut = w.Shape[0], w.Shape[1]
			at = func(o, i int) float32 { return w.Const.Data[i*nOut+o] }
		}
	default:
		return nil, false
	}
	if k != x.Shape[1] || nOut != out.Shape[1] || a.Fused.Slope.Shape.Size() != nOut || (b != nil && b.Shape.Size() != nOut) {
		return nil, false
	}
	wq := make([]int8, nOut*k)
	comp := make([]float32, nOut)
	mult := make([]float32, nOut)
	for o := 0; o < nOut; o++ {
		var sum int64
		for i := 0; i < k; i++ {
			v := at(o, i)
			if v != float32(int8(v)) || v < -128 || v > 127 {
				return nil, false
			}
			wq[o*k+i] = int8(v)
			sum += int64(v)
		}
		c := int64(xz) * sum
		if b != nil {
			bv := float64(b.Const.Data[o])
			if bv != math.Trunc(bv) || math.Abs(bv) > 1<<30 {
				return nil, false
			}
			c -= int64(bv)
		}
		m := a.Fused.Slope.Data[o]
		if c < -1<<31 || c >= 1<<31 || math.IsInf(float64(m), 0) || m != m {
			return nil, false
		}
		comp[o] = math.Float32frombits(uint32(int32(c)))
		mult[o] = m
	}
	packed := make([]int8, packedS8Floats(nOut, k)*4)
	packGemmS8(packed, wq, nOut, k)
	return [][]float32{int8sAsFloats(packed), comp, mult}, true
}

func packedS8Floats(n, k int) int { return (kernels.PackedGemmS8Size(n, k) + 3) / 4 }

func packGemmS8(dst, w []int8, n, k int) { kernels.PackGemmS8(dst, w, n, k) }

// int8sAsFloats copies bytes into a float32 blob (plan blobs are float32;
// byte blobs are read back through unsafe views, in the machine's byte
// order: plan files are little-endian, as every target mnc builds for).
func int8sAsFloats(b []int8) []float32 {
	f := make([]float32, (len(b)+3)/4)
	copy(unsafe.Slice((*int8)(unsafe.Pointer(unsafe.SliceData(f))), len(f)*4), b)
	return f
}
