package runtime

import (
	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/plan"
)

// Direct outputs: a graph output computed by a row-major Concat (a
// detector's cls_logits, [N, anchors, classes] from the heads of every
// feature map) is written by the concat straight into the caller's output
// tensor, not into the arena and then copied out by Run: SSDLite's 1.2 MB
// of class scores moved once per run instead of twice.

// directOutputs returns, per plan output, the index of the step that
// writes it into the caller's tensor, or -1 when Run copies it from the
// arena. An output qualifies when it is the exact Out of a generic
// row-major Concat step (run by one thread), no later step reads or writes
// any byte of its range, and no other output shares any (a view of it as a
// second output would be copied from an arena the concat never wrote).
// Earlier tensors in the range (the memory plan reuses it before the
// output is made) are unaffected: the concat does not write the arena.
//
// The last writer of each range is found in one pass over the steps; the
// checks after it walk the steps once per Concat output, and are skipped
// (every output copied) when that would take more than maxDirectWork
// operands: a plan of 10^4 outputs and 10^4 steps took 7 s in New.
func directOutputs(p *plan.Plan) []int {
	const maxDirectWork = 1 << 24
	direct := make([]int, len(p.Outputs))
	overlap := func(a, b plan.Operand) bool { return a.Off < b.End() && b.Off < a.End() }
	type span struct{ off, size int }
	lastWriter := make(map[span]int, len(p.Steps))
	for si := range p.Steps {
		o := p.Steps[si].Out
		lastWriter[span{o.Off, o.Size()}] = si // the last writer: outputs are not overwritten after it
	}
	work := 0
	for i, out := range p.Outputs {
		direct[i] = -1
		producer, ok := lastWriter[span{out.Buf.Off, out.Buf.Size()}]
		if !ok {
			continue
		}
		s := &p.Steps[producer]
		if s.Kind != plan.KindGeneric || s.Op != ir.OpConcat || s.Out.NHWC {
			continue
		}
		if work += len(p.Steps) + len(p.Outputs); work > maxDirectWork {
			for j := range direct {
				direct[j] = -1
			}
			return direct
		}
		ok = true
		for si := producer + 1; si < len(p.Steps) && ok; si++ {
			t := &p.Steps[si]
			for j, o := range t.In {
				if (t.Kind != plan.KindGeneric || t.ConstIn[j] == plan.NoBlob) && overlap(o, out.Buf) {
					ok = false
				}
			}
			ok = ok && !overlap(t.Out, out.Buf)
		}
		for j, o := range p.Outputs {
			ok = ok && (j == i || !overlap(o.Buf, out.Buf))
		}
		if ok {
			direct[i] = producer
		}
	}
	return direct
}

// directConcat is the step function of a Concat whose output goes to the
// caller: during a Run, outData[k] is the caller's tensor (nil otherwise,
// then the arena).
func directConcat(s *plan.Step, in []view, out view, outData [][]float32, k int) stepFunc {
	axis := s.Attrs.Axis
	return func(tid, t, nt int) {
		if t != 0 {
			return
		}
		o := out
		if d := outData[k]; len(d) == len(out.data) {
			o.data = d
		}
		concat(in, o, axis)
	}
}
