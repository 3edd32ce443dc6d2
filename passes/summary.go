package passes

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/plan"
)

// Summarize writes a plan's overview: target, steps by kind, conv
// algorithms, what was fused, memory; then one line per step.
func Summarize(w io.Writer, p *plan.Plan) {
	weights := 0
	for _, b := range p.Blobs {
		weights += len(b)
	}
	fmt.Fprintf(w, "plan %s: isa %s, batch %d, %d steps, arena %s, packed constants %s\n",
		p.Name, p.ISA, p.Batch, len(p.Steps), bytesString(p.PeakBytes), bytesString(int64(weights)*4))
	kinds, algos, fused := map[string]int{}, map[string]int{}, map[string]int{}
	inPlace := 0
	for _, s := range p.Steps {
		k := s.Kind.String()
		if s.Kind == plan.KindGeneric {
			k = "generic:" + s.Op.String()
		}
		kinds[k]++
		if s.Algo != "" {
			algos[s.Algo]++
		}
		for _, f := range s.Fused {
			fused[f]++
		}
		if s.InPlace {
			inPlace++
		}
	}
	fmt.Fprintf(w, "  steps by kind: %s\n", counts(kinds))
	fmt.Fprintf(w, "  conv/gemm algorithms: %s\n", counts(algos))
	fmt.Fprintf(w, "  fused: %s; %d steps in place\n", counts(fused), inPlace)
	if n, conv := int8Steps(p); n > 0 || conv > 0 {
		fmt.Fprintf(w, "  int8: %d steps on bytes (%s), %d float-island conversions\n", n, kernels.Int8Path(p.ISA), conv)
	}
	summarizeBlocks(w, p)
	DumpSteps(w, p)
}

// DumpSteps writes one line per step: index, kind, name, algorithm, fused
// ops, and operands as shape@offset (h = NHWC).
func DumpSteps(w io.Writer, p *plan.Plan) {
	for i, s := range p.Steps {
		var ins []string
		for j, o := range s.In {
			if s.Kind == plan.KindGeneric && s.ConstIn[j] != plan.NoBlob {
				ins = append(ins, fmt.Sprintf("$%d%v", s.ConstIn[j], o.Shape))
			} else {
				ins = append(ins, operandString(o))
			}
		}
		extra := ""
		if s.Algo != "" {
			extra += " algo=" + s.Algo
		}
		if len(s.Fused) > 0 {
			extra += " fused=" + strings.Join(s.Fused, "+")
		}
		if s.Kind == plan.KindGeneric {
			extra += " op=" + s.Op.String()
		}
		if s.Scratch > 0 {
			extra += fmt.Sprintf(" scratch=%d", s.Scratch)
		}
		if s.InPlace {
			extra += " in-place"
		}
		if s.Kind == plan.KindBlock {
			extra += fmt.Sprintf(" band=%d rows (%s)", s.Band, blockShape(p, &s))
		}
		fmt.Fprintf(w, "  %3d %-8s %-24s %s -> %s%s\n", i, s.Kind, s.Name, strings.Join(ins, ", "), operandString(s.Out), extra)
	}
}

func operandString(o plan.Operand) string {
	l := ""
	if o.NHWC {
		l = "h"
	}
	if o.Sliced() { // concat-in-place: channels ChanOff… of a Pitch-channel tensor
		return fmt.Sprintf("%v%s@%d[c%d/%d]", o.Shape, l, o.Off, o.ChanOff, o.Pitch)
	}
	return fmt.Sprintf("%v%s@%d", o.Shape, l, o.Off)
}

func counts(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

func bytesString(b int64) string {
	switch {
	case b >= 1<<20:
		return fmt.Sprintf("%.2f MiB", float64(b)/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(b)/(1<<10))
	}
	return fmt.Sprintf("%d B", b)
}

// summarizeBlocks writes one line about the fused blocks: how many, their
// band heights and the largest per-thread scratch.
func summarizeBlocks(w io.Writer, p *plan.Plan) {
	var names []string
	n, se, dw := 0, 0, 0
	for i := range p.Steps {
		s := &p.Steps[i]
		if s.Kind != plan.KindBlock {
			continue
		}
		n++
		name := fmt.Sprintf("%s:%d", s.Name, s.Band)
		switch {
		case plan.IsSEBlock(s):
			se++
			name += "+se"
		case plan.IsDWBlock(s):
			dw++
			name += "→dw" // the block ends in its depthwise conv
		}
		names = append(names, name)
	}
	if n == 0 {
		fmt.Fprintf(w, "  blocks: none fused\n")
		return
	}
	var forms []string
	if se > 0 {
		forms = append(forms, fmt.Sprintf("%d with SE", se))
	}
	if dw > 0 {
		forms = append(forms, fmt.Sprintf("%d ending in their depthwise conv (→dw)", dw))
	}
	withSE := ""
	if len(forms) > 0 {
		withSE = " (" + strings.Join(forms, "; ") + ")"
	}
	fmt.Fprintf(w, "  blocks: %d fused%s, scratch %s per thread; band rows %s\n", n, withSE, bytesString(int64(p.MaxScratch())*4), strings.Join(names, " "))
}

// blockShape says what a block step fused: "expand 16→96, dw 3×3/2,
// project 96→24"; a block ending in its depthwise conv "pw 128→128 at
// pitch 144, dw 3×3/1, out dw" (the producer's band rows at the pitch the
// depthwise band kernel reads, when it is not the channel count).
func blockShape(p *plan.Plan, s *plan.Step) string {
	var parts []string
	if plan.IsDWBlock(s) {
		t := &s.Sub[0]
		head := fmt.Sprintf("pw %d→%d", t.In[0].Shape[1], t.Out.Shape[1])
		if t.Kind == plan.KindConv {
			head = fmt.Sprintf("conv %d×%d/%d %d→%d", t.WShape[2], t.WShape[3], t.Attrs.Strides[0], t.In[0].Shape[1], t.Out.Shape[1])
		}
		if set, err := kernels.ForISA(p.ISA); err == nil {
			if l, err := plan.BlockBandLayout(set, s.Sub, s.Band); err == nil && l.Pitch != t.Out.Shape[1] {
				head += fmt.Sprintf(" at pitch %d", l.Pitch)
			}
		}
		d := &s.Sub[1]
		return fmt.Sprintf("%s, dw %d×%d/%d, out dw", head, d.WShape[2], d.WShape[3], d.Attrs.Strides[0])
	}
	for i := range s.Sub {
		t := &s.Sub[i]
		switch t.Kind {
		case plan.KindConv:
			parts = append(parts, fmt.Sprintf("conv %d×%d/%d %d→%d", t.WShape[2], t.WShape[3], t.Attrs.Strides[0], t.In[0].Shape[1], t.Out.Shape[1]))
		case plan.KindDWConv:
			parts = append(parts, fmt.Sprintf("dw %d×%d/%d", t.WShape[2], t.WShape[3], t.Attrs.Strides[0]))
		case plan.KindGemm:
			what := "expand"
			if i == len(s.Sub)-1 {
				what = "project"
			} else if plan.IsSEBlock(s) && i > plan.SEDepthwise(s) {
				what = "se" // fc1, fc2
			}
			parts = append(parts, fmt.Sprintf("%s %d→%d", what, t.In[0].Shape[1], t.Out.Shape[1]))
		}
	}
	return strings.Join(parts, ", ")
}

// int8Steps counts the steps that compute on byte operands (int8-storage)
// and the conversions around float islands.
func int8Steps(p *plan.Plan) (n, conv int) {
	for _, s := range p.Steps {
		if s.Kind == plan.KindQuant || s.Kind == plan.KindDequant {
			conv++
			continue
		}
		u8 := s.Out.DType == plan.U8
		for _, o := range s.In {
			u8 = u8 || o.DType == plan.U8
		}
		if u8 {
			n++
		}
	}
	return n, conv
}
