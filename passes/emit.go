package passes

import (
	"fmt"
	"slices"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/plan"
)

// emitSteps turns the graph into plan steps, one per remaining node (and
// none for free views such as Flatten of [N,C,1,1]), plus layout
// conversions at the graph's edges. Operand offsets and constant blobs are
// filled in later by plan-memory and pack-weights.
func emitSteps(s *State) error {
	g := s.G
	p := &plan.Plan{Name: g.Name, ISA: s.Set.ISA, Batch: g.Inputs[0].Shape[0], Packing: s.Set.Packing()}
	p.Steps = make([]plan.Step, 0, len(g.Nodes)+len(g.Inputs)+len(g.Outputs))
	s.steps = make([]pendingStep, 0, cap(p.Steps))
	s.Plan = p
	cons := g.Consumers()
	for _, v := range g.Inputs {
		p.Inputs = append(p.Inputs, plan.IO{Name: v.Name})
		if c, ok := s.edgeIn[v]; ok && len(cons[v]) > 0 {
			s.add(plan.Step{Kind: plan.KindToNHWC, Name: c.Name}, pendingStep{in: []*ir.Value{v}, out: c})
		}
	}
	for _, n := range g.Nodes {
		if err := s.emitNode(n); err != nil {
			return fmt.Errorf("node %q (%s): %w", n.Name, n.Op, err)
		}
	}
	for _, v := range g.Outputs {
		if v.IsConst() {
			return fmt.Errorf("graph output %q is a constant; nothing computes it", v.Name)
		}
		out := v // a graph input returned as is stays in its NCHW input buffer

		if v.NHWC && !s.rowMajorBytes(v) {
			out = &ir.Value{Name: v.Name + ".nchw", Shape: v.Shape.Clone()}
			s.add(plan.Step{Kind: plan.KindToNCHW, Name: out.Name}, pendingStep{in: []*ir.Value{v}, out: out})
		}
		p.Outputs = append(p.Outputs, plan.IO{Name: v.Name})
		s.outVals = append(s.outVals, out)
	}
	return nil
}

// add appends a step; its operands get shapes and layouts now and arena
// offsets from plan-memory.
//
// With byte storage (int8-storage), an operand the step cannot take as
// bytes is read from a float copy and a float result is converted to
// bytes by a step after it (a float island).
func (s *State) add(st plan.Step, ps pendingStep) {
	if len(s.q8) == 0 {
		s.addRaw(st, ps)
		return
	}
	inOK, outOK := s.byteIO(&st, &ps)
	for j, v := range ps.in {
		if !v.IsConst() && s.isQ8(v) && !inOK[j] {
			ps.in[j] = s.floatOf(v)
		}
	}
	out := ps.out
	if !s.isQ8(out) || outOK {
		s.addRaw(st, ps)
		return
	}
	f := &ir.Value{Name: out.Name + ".f32", Shape: out.Shape.Clone()}
	f.NHWC = out.NHWC
	ps.out = f
	s.addRaw(st, ps)
	s.addRaw(plan.Step{Kind: plan.KindQuant, Name: out.Name + ".u8"}, pendingStep{in: []*ir.Value{f}, out: out})
}

// addRaw appends a step as it is.
func (s *State) addRaw(st plan.Step, ps pendingStep) {
	for _, v := range ps.in {
		st.In = append(st.In, s.operand(v))
	}
	st.Out = s.operand(ps.out)
	s.Plan.Steps = append(s.Plan.Steps, st)
	s.steps = append(s.steps, ps)
}

// in returns the value a node reads for graph value v (the NHWC copy of a
// 4-D graph input).
func (s *State) in(v *ir.Value) *ir.Value {
	if c, ok := s.edgeIn[v]; ok {
		return c
	}
	return v
}

func (s *State) emitNode(n *ir.Node) error {
	out := n.Output()
	st := plan.Step{Name: out.Name, Op: n.Op, Attrs: n.Attrs, Fused: slices.Clone(n.Attrs.Folded)}
	st.Attrs.SE = false   // the plan's in-place scale says it; plan files do not store it
	st.Attrs.Algo = ""    // the step's Algo says it
	st.Attrs.Folded = nil // the step's Fused says it
	x := n.Input(0)
	if s.q8View[out] {
		s.alias[out] = s.in(x) // the same bytes with another zero point (int8-storage)
		return nil
	}
	if s.lutSkip[n] {
		return nil // computed by its chain's table (int8-storage)
	}
	if l, ok := s.luts[n]; ok && l.scale != nil {
		// Q(DQ(x)·scale): the QuantizeLinear's scale and zero point, its range.
		lo, hi := n.Attrs.QType.Range()
		zp := float32(0)
		if v := n.Input(2); v != nil {
			zp = v.Const.Data[0]
		}
		params := append(append([]float32(nil), l.dq...), n.Input(1).Const.Data[0], zp, float32(lo), float32(hi))
		st.Kind, st.Fused = plan.KindQScale, []string{"se"}
		s.add(st, pendingStep{in: []*ir.Value{l.x, s.in(l.scale)}, out: out, pack: packQGemm, qconsts: [][]float32{params}})
		return nil
	}
	if l, ok := s.luts[n]; ok {
		st.Kind, st.Op = plan.KindQLUT, ir.OpQuantizeLinear
		for _, c := range l.chain {
			st.Fused = append(st.Fused, c.Op.String())
		}
		table := make([]int8, len(l.table))
		for i, b := range l.table {
			table[i] = int8(b)
		}
		s.add(st, pendingStep{in: []*ir.Value{l.x}, out: out, pack: packQGemm, qconsts: [][]float32{int8sAsFloats(table)}})
		return nil
	}
	if n.Op == ir.OpConv || n.Op == ir.OpGemm {
		if qc := s.int8Conv(n, x); qc != nil {
			ps := pendingStep{in: []*ir.Value{x}, out: out, pack: packQGemm, qconsts: qc}
			switch n.Attrs.Algo {
			case "dwconv":
				st.Kind, st.Algo = plan.KindQDWConv, "qdwconv"
				st.WShape = n.Input(1).Shape.Clone()
				s.add(st, ps)
				last := &s.Plan.Steps[len(s.Plan.Steps)-1]
				p, err := plan.QDWParams(last)
				if err != nil {
					return err
				}
				last.Scratch = (s.Set.QDWScratchSize(&p) + 3) / 4
				return nil
			case "conv":
				st.Kind, st.Algo = plan.KindQConv, "qconv"
				st.WShape = n.Input(1).Shape.Clone()
				s.add(st, ps)
				last := &s.Plan.Steps[len(s.Plan.Steps)-1]
				p, err := plan.QConvParams(last)
				if err != nil {
					return err
				}
				last.Scratch = (s.Set.QConvScratchSize(&p) + 3) / 4
				return nil
			}
			st.Kind, st.Algo = plan.KindQGemm, "qgemm"
			st.WShape = ir.Shape{out.Shape[1], x.Shape[1]}
			s.add(st, ps)
			return nil
		}
	}
	switch n.Op {
	case ir.OpConv:
		st.Algo = n.Attrs.Algo
		w, b := n.Input(1), n.Input(2)
		st.WShape = w.Shape.Clone()
		ps := pendingStep{in: []*ir.Value{s.in(x)}, out: out, consts: []*ir.Value{w, b}}
		if n.Attrs.Fused.Residual {
			ps.in = append(ps.in, s.in(n.Input(3)))
		}
		switch st.Algo {
		case "gemm":
			st.Kind, ps.pack = plan.KindGemm, packGemmConv
			if len(ps.in) > 1 {
				ps.inPlace = []int{1} // the GEMM kernels read a tile's residual before storing it
			}
		case "dwconv":
			st.Kind, ps.pack = plan.KindDWConv, packDW
		case "conv":
			st.Kind, ps.pack = plan.KindConv, packConv
		default:
			return s.emitGeneric(n, st)
		}
		s.add(st, ps)
		return nil
	case ir.OpGemm:
		st.Algo = n.Attrs.Algo
		if st.Algo != "gemm" {
			return s.emitGeneric(n, st)
		}
		nOut, k := out.Shape[1], x.Shape[1]
		st.WShape = ir.Shape{nOut, k}
		st.Kind = plan.KindGemm
		ps := pendingStep{in: []*ir.Value{s.in(x)}, out: out, consts: []*ir.Value{n.Input(1), n.Input(2)}, pack: packGemmFC}
		if n.Attrs.Fused.Residual {
			ps.in = append(ps.in, s.in(n.Input(3)))
			ps.inPlace = []int{1}
		}
		s.add(st, ps)
		return nil
	}
	if n.Op.IsElementwiseActivation() {
		ep, _, _ := epilogueOf(n)
		st.Kind, st.Attrs.Fused = plan.KindActivate, ep
		s.add(st, pendingStep{in: []*ir.Value{s.in(x)}, out: out, inPlace: []int{0}})
		return nil
	}
	switch n.Op {
	case ir.OpAdd:
		a, b := n.Input(0), n.Input(1)
		if isPlainAdd(n) && s.in(a).NHWC == s.in(b).NHWC {
			st.Kind = plan.KindAdd // applies the fused activation, if any
			s.add(st, pendingStep{in: []*ir.Value{s.in(a), s.in(b)}, out: out, inPlace: []int{0, 1}})
			return nil
		}
		if ep := n.Attrs.Fused; ep.Act != ir.ActNone {
			// The operands' layouts differ: a generic Add, then the
			// activation fuse-activation put in its epilogue as its own step.
			sum := &ir.Value{Name: out.Name + ".sum", Shape: out.Shape.Clone()}
			sum.NHWC = out.NHWC
			st.Name, st.Attrs.Fused = sum.Name, ir.Epilogue{}
			if err := s.emitGenericTo(n, st, sum); err != nil {
				return err
			}
			act := plan.Step{Name: out.Name, Op: ir.ActOp(ep.Act), Kind: plan.KindActivate, Attrs: ir.ActAttrs(ep)}
			act.Attrs.Fused = ep
			s.add(act, pendingStep{in: []*ir.Value{sum}, out: out, inPlace: []int{0}})
			return nil
		}
	case ir.OpMul:
		// A channel-broadcast Mul runs on the channel-scale kernel; only an
		// SE scale recognised by fuse-se may overwrite its input.
		for k := 0; k < 2; k++ {
			xv, sc := n.Input(k), n.Input(1-k)
			if isChannelScale(xv, sc) && s.in(xv).NHWC {
				st.Kind = plan.KindScaleChannels
				ps := pendingStep{in: []*ir.Value{s.in(xv), s.in(sc)}, out: out}
				if n.Attrs.SE {
					ps.inPlace = []int{0}
				}
				s.add(st, ps)
				return nil
			}
		}
	case ir.OpGlobalAveragePool:
		if len(x.Shape) == 4 && s.in(x).NHWC && !x.IsConst() {
			st.Kind = plan.KindGlobalAvgPool
			s.add(st, pendingStep{in: []*ir.Value{s.in(x)}, out: out})
			return nil
		}
	case ir.OpTranspose:
		if src, ok := s.freeTranspose[n]; ok {
			s.alias[out] = src
			return nil
		}
	case ir.OpIdentity, ir.OpDropout, ir.OpFlatten, ir.OpReshape:
		src := s.in(x)
		if !x.IsConst() && s.rowMajorBytes(src) && s.rowMajorBytes(out) && !s.isQ8(src) && !s.isQ8(out) {
			s.alias[out] = src
			return nil
		}
	case ir.OpBatchNorm:
		return s.emitBatchNorm(n, st)
	}
	return s.emitGeneric(n, st)
}

// isChannelScale reports whether x·sc is x scaled per (image, channel).
func isChannelScale(x, sc *ir.Value) bool {
	return len(x.Shape) == 4 && !x.IsConst() && !sc.IsConst() && sc.Shape.Equal(ir.Shape{x.Shape[0], x.Shape[1], 1, 1})
}

// emitBatchNorm emits a BatchNorm that fold-bn left (or -O0 kept) as a
// generic step reading a precomputed per-channel scale and shift:
// y = x·scale[c] + shift[c].
func (s *State) emitBatchNorm(n *ir.Node, st plan.Step) error {
	sc, sh, ok := BNAffine(n)
	if !ok {
		return s.emitGeneric(n, st) // never reached by our frontends; kept general
	}
	c := len(sc)
	scale, shift := make([]float32, c), make([]float32, c)
	for i := 0; i < c; i++ {
		scale[i], shift[i] = float32(sc[i]), float32(sh[i])
	}
	st.Kind = plan.KindGeneric
	cv := &ir.Value{Name: n.Name + ".scale", Shape: ir.Shape{c}}
	sv := &ir.Value{Name: n.Name + ".shift", Shape: ir.Shape{c}}
	s.add(st, pendingStep{
		in: []*ir.Value{s.in(n.Input(0)), cv, sv}, out: n.Output(),
		precomputed: map[int][]float32{1: scale, 2: shift}, inPlace: []int{0},
	})
	return nil
}

// emitGeneric emits a step the runtime computes with its generic,
// layout-aware code; constant inputs become blobs.
func (s *State) emitGeneric(n *ir.Node, st plan.Step) error {
	return s.emitGenericTo(n, st, n.Output())
}

// emitGenericTo is emitGeneric writing the step's result to out.
func (s *State) emitGenericTo(n *ir.Node, st plan.Step, out *ir.Value) error {
	st.Kind = plan.KindGeneric
	ps := pendingStep{out: out}
	for i, v := range n.Inputs {
		if v == nil {
			if i < len(n.Inputs)-1 && n.Inputs[len(n.Inputs)-1] != nil {
				return fmt.Errorf("absent input %d before a present one is not supported by generic steps", i)
			}
			break
		}
		ps.in = append(ps.in, s.in(v))
	}
	if !genericSupported(n.Op) {
		return fmt.Errorf("no runtime implementation for %s", n.Op)
	}
	if len(out.Shape) == 0 { // ArgMax or ReduceMean of a 1-D tensor without keepdims
		return fmt.Errorf("the output is a scalar: plan tensors have rank 1 to %d (keep the reduced axis: keepdims=1)", plan.MaxRank)
	}
	if genericInPlace(n) {
		ps.inPlace = []int{0}
	}
	s.add(st, ps)
	return nil
}

// genericSupported reports whether the runtime runs op as a generic step:
// every registered operator (runtime's TestEveryOpHasGenericStep holds the
// runtime to it), so a new op needs no line here.
func genericSupported(op ir.Op) bool { return op.Info() != nil }

// genericInPlace reports whether the runtime's generic code for n may write
// its output over input 0: elementwise ops whose output has input 0's shape
// (each output element is written after the only read of the same element).
func genericInPlace(n *ir.Node) bool {
	switch n.Op {
	case ir.OpAdd, ir.OpSub, ir.OpMul, ir.OpDiv:
		return n.Input(0).Shape.Equal(n.Output().Shape) && !n.Input(0).IsConst()
	}
	return false
}
