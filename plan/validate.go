package plan

import (
	"fmt"

	"github.com/mnc-go/mnc/ir"
)

// MaxRank is the highest tensor rank a plan may hold (the runtime's generic
// steps index with fixed-size arrays of this length).
const MaxRank = 8

// maxArena bounds the arena (floats) a plan may ask for: 16 GiB.
const maxArena = 4 << 30

// Validate checks the plan's structure: every operand inside the arena,
// sane shapes, operand and constant counts that fit each step kind, blob
// indices in range. It does not know kernel packing sizes; the runtime
// checks those against its kernels.Set. Errors name the step.
func (p *Plan) Validate() error {
	if p.Batch < 1 {
		return fmt.Errorf("batch %d must be at least 1", p.Batch)
	}
	if p.ArenaSize < 0 || p.ArenaSize > maxArena {
		return fmt.Errorf("arena size %d floats is out of range", p.ArenaSize)
	}
	if len(p.Inputs) == 0 || len(p.Outputs) == 0 {
		return fmt.Errorf("plan has %d inputs and %d outputs; it needs at least one of each", len(p.Inputs), len(p.Outputs))
	}
	for _, io := range append(append([]IO(nil), p.Inputs...), p.Outputs...) {
		if err := p.checkOperand(io.Buf); err != nil {
			return fmt.Errorf("graph input/output %q: %w", io.Name, err)
		}
		if io.Buf.NHWC || io.Buf.DType != F32 {
			return fmt.Errorf("graph input/output %q must be stored NCHW as float32", io.Name)
		}
	}
	for i := range p.Steps {
		if err := p.checkStep(&p.Steps[i]); err != nil {
			return fmt.Errorf("step %d (%s %q): %w", i, p.Steps[i].Kind, p.Steps[i].Name, err)
		}
	}
	// The arena holds the tensors and nothing else: a plan file asking for
	// more (4 GiB, CRC fixed) is refused, not allocated.
	if end := p.arenaEnd(); p.ArenaSize > (end+15)/16*16+16 {
		return fmt.Errorf("arena of %d floats, but its tensors end at %d", p.ArenaSize, end)
	}
	return nil
}

// arenaEnd is one past the last arena float any operand uses.
func (p *Plan) arenaEnd() int {
	end := 0
	for _, io := range p.Inputs {
		end = max(end, io.Buf.End())
	}
	for _, io := range p.Outputs {
		end = max(end, io.Buf.End())
	}
	var steps func([]Step)
	steps = func(ss []Step) {
		for i := range ss {
			s := &ss[i]
			for j, o := range s.In {
				if j < len(s.ConstIn) && s.ConstIn[j] != NoBlob {
					continue
				}
				end = max(end, o.End())
			}
			end = max(end, s.Out.End())
			steps(s.Sub)
		}
	}
	steps(p.Steps)
	return end
}

func (p *Plan) checkOperand(o Operand) error {
	if len(o.Shape) == 0 || len(o.Shape) > MaxRank {
		return fmt.Errorf("rank %d is outside 1..%d", len(o.Shape), MaxRank)
	}
	n := 1
	for _, d := range o.Shape {
		if d < 1 || d > maxArena {
			return fmt.Errorf("shape %v has a dimension outside 1..%d", o.Shape, maxArena)
		}
		n *= d
		if n > maxArena {
			return fmt.Errorf("shape %v is too large", o.Shape)
		}
	}
	if o.NHWC && len(o.Shape) != 4 {
		return fmt.Errorf("NHWC operand of rank %d", len(o.Shape))
	}
	if o.DType >= numDTypes || o.DType == F32 && o.ZP != 0 || o.ZP < 0 || o.ZP > 255 {
		return fmt.Errorf("storage type %s with zero point %d is invalid", o.DType, o.ZP)
	}
	if o.Pitch != 0 || o.ChanOff != 0 {
		if !o.NHWC || o.DType != F32 || o.ChanOff < 0 || o.Pitch > maxArena || o.ChanOff+o.Shape[1] > o.Pitch {
			return fmt.Errorf("channel slice %d…%d of %d (NHWC %v, %s) is invalid", o.ChanOff, o.ChanOff+o.Shape[1], o.Pitch, o.NHWC, o.DType)
		}
		if px := n / o.Shape[1]; px > maxArena/o.Pitch {
			return fmt.Errorf("channel slice of %d pixels of %d channels is too large", px, o.Pitch)
		}
	}
	if n = o.Floats(); o.Off < 0 || o.Off+n > p.ArenaSize {
		return fmt.Errorf("operand [%d, %d) lies outside the arena of %d floats", o.Off, o.Off+n, p.ArenaSize)
	}
	return nil
}

// arity is the number of arena inputs (min, max) and constants each kind takes.
var arity = [numKinds]struct{ minIn, maxIn, consts int }{
	KindGemm:          {1, 2, 2},
	KindDWConv:        {1, 1, 2},
	KindConv:          {1, 2, 2},
	KindGlobalAvgPool: {1, 1, 0},
	KindScaleChannels: {2, 2, 0},
	KindAdd:           {2, 2, 0},
	KindActivate:      {1, 1, 0},
	KindToNHWC:        {1, 1, 0},
	KindToNCHW:        {1, 1, 0},
	KindGeneric:       {1, 16, -1},
	KindBlock:         {1, 2, 0},
	KindQGemm:         {1, 1, 3},
	KindQuant:         {1, 1, 0},
	KindDequant:       {1, 1, 0},
	KindQDWConv:       {1, 1, 1},
	KindQConv:         {1, 1, 1},
	KindQLUT:          {1, 1, 1},
	KindQScale:        {2, 2, 1},
}

func (p *Plan) checkStep(s *Step) error {
	if s.Kind == KindInvalid || s.Kind >= numKinds {
		return fmt.Errorf("unknown step kind %d", s.Kind)
	}
	a := arity[s.Kind]
	if len(s.In) < a.minIn || len(s.In) > a.maxIn {
		return fmt.Errorf("has %d inputs, want %d..%d", len(s.In), a.minIn, a.maxIn)
	}
	for i, o := range s.In {
		if s.Kind == KindGeneric && i < len(s.ConstIn) && s.ConstIn[i] != NoBlob {
			o.Off = 0 // read from its blob, not the arena: check the shape only
			if o.Size() > p.ArenaSize {
				o.Shape = ir.Shape{1}
			}
		}
		if err := p.checkOperand(o); err != nil {
			return fmt.Errorf("input %d: %w", i, err)
		}
	}
	if err := p.checkOperand(s.Out); err != nil {
		return fmt.Errorf("output: %w", err)
	}
	if a.consts >= 0 && len(s.Consts) != a.consts {
		return fmt.Errorf("has %d constants, want %d", len(s.Consts), a.consts)
	}
	for i, b := range s.Consts {
		if b != NoBlob && (b < 0 || b >= len(p.Blobs)) {
			return fmt.Errorf("constant %d names blob %d of %d", i, b, len(p.Blobs))
		}
	}
	if len(s.Consts) > 0 && s.Kind != KindGeneric && s.Consts[0] == NoBlob {
		return fmt.Errorf("weights are missing")
	}
	if s.Kind == KindGeneric {
		if len(s.ConstIn) != len(s.In) {
			return fmt.Errorf("has %d inputs but %d constant markers", len(s.In), len(s.ConstIn))
		}
		for i, b := range s.ConstIn {
			if b != NoBlob && (b < 0 || b >= len(p.Blobs) || len(p.Blobs[b]) != s.In[i].Size()) {
				return fmt.Errorf("input %d names blob %d that does not hold %v", i, b, s.In[i].Shape)
			}
		}
		if s.Op == ir.OpInvalid {
			return fmt.Errorf("generic step without an operator")
		}
	}
	if s.Scratch < 0 || s.Scratch > maxArena {
		return fmt.Errorf("scratch %d out of range", s.Scratch)
	}
	if s.Kind == KindBlock {
		if err := p.checkBlock(s); err != nil {
			return err
		}
	} else if len(s.Sub) > 0 || s.Band != 0 {
		return fmt.Errorf("only fused blocks have fused steps and a band")
	}
	if s.InPlace {
		if s.InPlaceIn < 0 || s.InPlaceIn >= len(s.In) {
			return fmt.Errorf("in place over input %d of %d", s.InPlaceIn, len(s.In))
		}
		if in := s.In[s.InPlaceIn]; in.Off != s.Out.Off || in.Size() != s.Out.Size() || in.Floats() != s.Out.Floats() {
			return fmt.Errorf("marked in place but output [%d,+%d) is not input %d [%d,+%d)", s.Out.Off, s.Out.Size(), s.InPlaceIn, in.Off, in.Size())
		}
	}
	return nil
}

// checkBlock checks a fused block's steps (block.go: [expand gemm or conv,]
// depthwise, project gemm; or producer gemm or conv, depthwise), each
// consuming the previous one's output, the first reading the block's
// input and the last writing its output. The fused steps' own operands
// are not in the arena (only their shapes count).
func (p *Plan) checkBlock(s *Step) error {
	if IsSEBlock(s) {
		return p.checkSEBlock(s) // block_se.go
	}
	if len(s.Sub) < 2 || len(s.Sub) > 3 {
		return fmt.Errorf("fused block has %d steps, want 2 or 3", len(s.Sub))
	}
	if len(s.Out.Shape) != 4 || len(s.In[0].Shape) != 4 {
		return fmt.Errorf("fused block operands must be 4-D")
	}
	if s.Band < 1 || s.Band > s.Out.Shape[2] {
		return fmt.Errorf("band of %d rows is out of range", s.Band)
	}
	want := []Kind{KindGemm, KindDWConv, KindGemm}[3-len(s.Sub):]
	if IsDWBlock(s) {
		want = []Kind{KindGemm, KindDWConv}
	}
	prev := s.In[0]
	for i := range s.Sub {
		t := &s.Sub[i]
		kind := t.Kind
		if i == 0 && want[0] == KindGemm && kind == KindConv {
			kind = KindGemm // a dense conv (a stem) expands too
		}
		if kind != want[i] || len(t.In) != 1 || len(t.Sub) > 0 || t.InPlace || t.Band != 0 {
			return fmt.Errorf("fused step %d (%s with %d inputs) does not fit a block", i, t.Kind, len(t.In))
		}
		for _, o := range []Operand{t.In[0], t.Out} {
			q := o
			q.Off = 0
			if len(q.Shape) != 4 || !q.NHWC {
				return fmt.Errorf("fused step %d: operands must be 4-D NHWC", i)
			}
			if err := (&Plan{ArenaSize: maxArena}).checkOperand(q); err != nil {
				return fmt.Errorf("fused step %d: %w", i, err)
			}
		}
		if !t.In[0].Shape.Equal(prev.Shape) {
			return fmt.Errorf("fused step %d reads %v, the previous step makes %v", i, t.In[0].Shape, prev.Shape)
		}
		if len(t.Consts) != 2 || t.Consts[0] == NoBlob {
			return fmt.Errorf("fused step %d has %d constants, want weights and bias", i, len(t.Consts))
		}
		for _, b := range t.Consts {
			if b != NoBlob && (b < 0 || b >= len(p.Blobs)) {
				return fmt.Errorf("fused step %d names blob %d of %d", i, b, len(p.Blobs))
			}
		}
		prev = t.Out
	}
	if !prev.Shape.Equal(s.Out.Shape) || !s.Out.NHWC || !s.In[0].NHWC {
		return fmt.Errorf("fused steps make %v, the block's output is %v", prev.Shape, s.Out.Shape)
	}
	if len(s.In) > 1 && IsDWBlock(s) {
		return fmt.Errorf("a block ending in its depthwise conv has no residual")
	}
	if len(s.In) > 1 && (!s.In[1].Shape.Equal(s.Out.Shape) || !s.In[1].NHWC) {
		return fmt.Errorf("residual %v does not match the output %v", s.In[1].Shape, s.Out.Shape)
	}
	if s.InPlace {
		return fmt.Errorf("a fused block cannot run in place")
	}
	return nil
}
