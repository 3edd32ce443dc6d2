package kernels

import (
	"math"

	"github.com/mnc-go/mnc/internal/epi"
	"github.com/mnc-go/mnc/ir"
)

// EpParams is the epilogue parameter block every generated kernel reads
// through its ep argument (layout and modes: package internal/epi, the one
// definition the generators share). Fill it with Epilogue.params.
type EpParams struct {
	A, B, Lo, Hi float32
	Slopes       *float32 // epi.SlopeC: the slope of the call's first output channel
	_            [epi.OffWideA - epi.OffSlopes - 8]byte
	Wide         [4][16]float32 // A, B, Lo, Hi, each repeated 16 times
}

// params fills p with ep's parameters and returns the mode the generated
// kernels run with. withSlopeC says whether the caller's kernels implement
// the per-channel modes epi.SlopeC and epi.Requant (then the caller sets
// p.Slopes per call; Requant's multipliers must be finite, as fuse-requant
// ensures: the kernels do not turn NaN into 0). post reports that
// the kernels cannot compute ep's activation (Sigmoid, Swish, PRelu without
// SlopeC): the caller runs them with epi.None and applies ep in Go after
// (actSliceAt).
func (ep *Epilogue) params(p *EpParams, withSlopeC bool) (mode int, post bool) {
	inf := float32(math.Inf(1))
	*p = EpParams{A: 1, Lo: -inf, Hi: inf}
	mode = epi.None
	if ep != nil {
		switch ep.Act {
		case ActRelu:
			p.Lo, mode = 0, epi.Clamp
		case ActClip:
			p.Lo, p.Hi, mode = ep.Min, ep.Max, epi.Clamp
		case ActHardSigmoid:
			p.A, p.B, p.Lo, p.Hi, mode = ep.Alpha, ep.Beta, 0, 1, epi.Affine
		case ActHardSwish:
			p.A, p.B, p.Lo, p.Hi, mode = 1.0/6, 0.5, 0, 1, epi.MulX
		case ActLeakyRelu:
			p.A, p.Lo, p.Hi, mode = ep.Alpha, 0, 0, epi.Slope
		case ActPRelu:
			if withSlopeC {
				p.Lo, p.Hi, mode = 0, 0, epi.SlopeC
			} else {
				post = true
			}
		case ActRequant:
			if withSlopeC {
				p.Lo, p.Hi, mode = ep.Min, ep.Max, epi.Requant
			} else {
				post = true
			}
		case ActNone:
		default:
			post = true
		}
	}
	for i, v := range [4]float32{p.A, p.B, p.Lo, p.Hi} {
		for l := range p.Wide[i] {
			p.Wide[i][l] = v
		}
	}
	return mode, post
}

// actOne applies ep's activation to one value of output channel c;
// ir.ApplyAct is the definition every kernel matches (NaN in gives NaN
// out). PRelu's slope is ep.Slope[c].
func actOne(ep *Epilogue, x float32, c int) float32 {
	alpha := ep.Alpha
	if ep.Act == ActPRelu || ep.Act == ActRequant {
		alpha = ep.Slope[c]
	}
	return ir.ApplyAct(ep.Act, x, ep.Min, ep.Max, alpha, ep.Beta)
}

// actSlice sets out[i] = actOne(ep, x[i]) for rows of whole channel
// vectors (element i is channel i mod len(ep.Slope)); out may be x.
func actSlice(ep *Epilogue, x, out []float32) { actSliceAt(ep, x, out, 0) }

// actSliceAt is actSlice for a slice whose first element is channel c0.
// The switch is outside the loops, which keep ir.ApplyAct's comparisons
// (so NaN propagates the same way).
func actSliceAt(ep *Epilogue, x, out []float32, c0 int) {
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
	case ActPRelu:
		s, c := ep.Slope, c0%len(ep.Slope)
		for i, v := range x {
			if v < 0 {
				v *= s[c]
			}
			out[i] = v
			if c++; c == len(s) {
				c = 0
			}
		}
	case ActRequant:
		requantSlice(ep, x, out, c0)
	default:
		for i, v := range x {
			out[i] = actOne(ep, v, 0)
		}
	}
}

// requantSlice is actSliceAt for ActRequant: the generated kernels run with
// mode None and this requantizes their output while it is in cache. With
// integer bounds under 2^22 in magnitude, clamping before rounding gives
// the same result as after, and adding and subtracting 1.5·2^23 rounds
// half to even in float32 (the explicit conversions keep the compiler from
// fusing the multiply into the add).
func requantSlice(ep *Epilogue, x, out []float32, c0 int) {
	const magic = 0x1.8p23
	s, lo, hi := ep.Slope, ep.Min, ep.Max
	if !(lo >= -1<<22 && hi <= 1<<22) {
		for i, v := range x {
			out[i] = actOne(ep, v, (c0+i)%len(s))
		}
		return
	}
	c := c0 % len(s)
	for i, v := range x {
		r := float32(v * s[c])
		if r != r {
			r = 0
		}
		r = max(min(r, hi), lo) // branch-free (the clamps are data-dependent)
		out[i] = float32(r+magic) - magic
		if c++; c == len(s) {
			c = 0
		}
	}
}
