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

// actSlice sets out[i] = actOne(ep, x[i]); out may be x. A nil ep or
// ActNone costs one comparison.
func actSlice(ep *Epilogue, x, out []float32) {
	if ep == nil || ep.Act == ActNone {
		if &out[0] != &x[0] {
			copy(out, x)
		}
		return
	}
	x = x[:len(out)]
	for i, v := range x {
		out[i] = actOne(ep, v)
	}
}
