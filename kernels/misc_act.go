package kernels

import "github.com/mnc-go/mnc/ir"

// actOne applies ep's activation to one value; ir.ApplyAct is the
// definition every kernel matches (NaN in gives NaN out).
func actOne(ep *Epilogue, x float32) float32 {
	return ir.ApplyAct(ir.Act(ep.Act), x, ep.Min, ep.Max, ep.Alpha, ep.Beta)
}

// kernels.Act and ir.Act are the same numbering: a mismatch fails to compile.
var _ = [1]struct{}{}[int(ActSwish)-int(ir.ActSwish)]
var _ = [1]struct{}{}[int(ActHardSigmoid)-int(ir.ActHardSigmoid)]

// actSlice sets out[i] = actOne(ep, x[i]); out may be x. The switch is
// outside the loops, which keep actOne's comparisons (so NaN propagates
// the same way).
func actSlice(ep *Epilogue, x, out []float32) {
	if len(out) == 0 {
		return
	}
	x = x[:len(out)]
	if ep == nil || ep.Act == ActNone {
		if &out[0] != &x[0] {
			copy(out, x)
		}
		return
	}
	switch ep.Act {
	case ActRelu:
		for i, v := range x {
			if v < 0 {
				v = 0
			}
			out[i] = v
		}
	case ActClip:
		lo, hi := ep.Min, ep.Max
		for i, v := range x {
			if v < lo {
				v = lo
			}
			if v > hi {
				v = hi
			}
			out[i] = v
		}
	case ActHardSwish:
		for i, v := range x {
			t := v + 3
			if t < 0 {
				t = 0
			}
			if t > 6 {
				t = 6
			}
			out[i] = v * t / 6
		}
	default:
		for i, v := range x {
			out[i] = actOne(ep, v)
		}
	}
}
