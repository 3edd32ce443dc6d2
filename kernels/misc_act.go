package kernels

import "math"

// actOne applies ep's activation to one value exactly as ir.ApplyAct does:
// NaN in gives NaN out, and the clamps compare the way Go's < and > do.
func actOne(ep *Epilogue, x float32) float32 {
	if x != x {
		return x
	}
	switch ep.Act {
	case ActRelu:
		if x < 0 {
			return 0
		}
	case ActClip:
		if x < ep.Min {
			x = ep.Min
		}
		if x > ep.Max {
			x = ep.Max
		}
	case ActHardSwish:
		t := x + 3
		if t < 0 {
			t = 0
		}
		if t > 6 {
			t = 6
		}
		return x * t / 6
	case ActHardSigmoid:
		t := ep.Alpha*x + ep.Beta
		if t < 0 {
			t = 0
		}
		if t > 1 {
			t = 1
		}
		return t
	case ActSigmoid:
		return float32(1 / (1 + math.Exp(-float64(x))))
	case ActSwish:
		return x * float32(1/(1+math.Exp(-float64(x))))
	}
	return x
}

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
