package kernels

import "math"

// affineAct is an Epilogue rewritten in the one form the generated SIMD
// kernels evaluate, so a single epilogue covers every piecewise-linear
// activation:
//
//	t = min(max(A·x + B, Lo), Hi)   (mode affineClampX skips A·x + B)
//	y = t, or x·t for affineMulX (HardSwish).
//
// Sigmoid and Swish have no such form: the kernels run with affineNone and
// Go applies them afterwards (needsGo).
type affineAct struct {
	A, B, Lo, Hi float32
}

// Modes of an affineAct; the generated kernels branch on these numbers.
const (
	affineNone   = 0 // y = x
	affineClampX = 1 // y = min(max(x, Lo), Hi): Relu, Clip
	affineClamp  = 2 // y = min(max(A·x+B, Lo), Hi): HardSigmoid
	affineMulX   = 3 // y = x·min(max(A·x+B, Lo), Hi): HardSwish
)

// toAffine returns ep's affine form and mode, and whether Go must apply the
// activation after the kernel (Sigmoid, Swish).
func toAffine(ep *Epilogue) (a affineAct, mode int, needsGo bool) {
	inf := float32(math.Inf(1))
	a = affineAct{A: 1, B: 0, Lo: -inf, Hi: inf}
	if ep == nil {
		return a, affineNone, false
	}
	switch ep.Act {
	case ActRelu:
		a.Lo = 0
		return a, affineClampX, false
	case ActClip:
		a.Lo, a.Hi = ep.Min, ep.Max
		return a, affineClampX, false
	case ActHardSigmoid:
		return affineAct{A: ep.Alpha, B: ep.Beta, Lo: 0, Hi: 1}, affineClamp, false
	case ActHardSwish:
		return affineAct{A: 1.0 / 6, B: 0.5, Lo: 0, Hi: 1}, affineMulX, false
	case ActSigmoid, ActSwish:
		return a, affineNone, true
	}
	return a, affineNone, false
}
