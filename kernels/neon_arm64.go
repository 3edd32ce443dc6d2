//go:build arm64 && !purego

package kernels

import "github.com/mnc-go/mnc/ir"

// neonEpilogue turns ep into the act code and the 4 constants the generated
// NEON epilogues read (layout documented in codegen/neon/epilogue.go).
// Sigmoid and Swish have no NEON epilogue: post reports that the caller
// must apply ep with neonActScalar after the kernel ran with act 0.
func neonEpilogue(ep *Epilogue) (act int, consts [4]float32, post bool) {
	if ep == nil {
		return 0, consts, false
	}
	switch ep.Act {
	case ActNone:
	case ActRelu:
		act = 1
	case ActClip:
		act, consts = 2, [4]float32{ep.Min, ep.Max}
	case ActHardSwish:
		act, consts = 3, [4]float32{3, 0, 6, 1.0 / 6}
	case ActHardSigmoid:
		act, consts = 4, [4]float32{ep.Alpha, ep.Beta, 0, 1}
	default:
		post = true
	}
	return act, consts, post
}

// neonActScalar is the scalar epilogue for tails and the activations the
// NEON kernels do not vectorise; it is ir.ApplyAct, the definition.
func neonActScalar(ep *Epilogue, x float32) float32 {
	if ep == nil {
		return x
	}
	return ir.ApplyAct(ir.Act(ep.Act), x, ep.Min, ep.Max, ep.Alpha, ep.Beta)
}

// neonNeed panics with a message naming the kernel and slice when a slice
// is shorter than the parameters require: the assembly does no bounds
// checks, so this is the last line before memory corruption.
func neonNeed(kernel, what string, have, need int) {
	if have < need {
		panic("kernels: " + kernel + ": " + what + " has " + itoa(have) + " elements, need " + itoa(need))
	}
}

func itoa(v int) string {
	if v == 0 {
		return "0"
	}
	neg := v < 0
	if neg {
		v = -v
	}
	var b [20]byte
	i := len(b)
	for v > 0 {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
