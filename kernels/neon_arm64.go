//go:build arm64 && !purego

package kernels

// neonEpilogue fills the epilogue block for the generated NEON kernels and
// returns their mode (internal/epi; they implement every mode but
// SlopeC). post reports that the caller must apply ep with neonActScalar
// after the kernel ran with mode None (Sigmoid, Swish, PRelu).
func neonEpilogue(ep *Epilogue, p *EpParams) (mode int, post bool) { return ep.params(p, false) }

// neonActScalar is the scalar epilogue for tails and the activations the
// NEON kernels do not vectorise, for a value of output channel c; it is
// ir.ApplyAct, the definition.
func neonActScalar(ep *Epilogue, x float32, c int) float32 {
	if ep == nil {
		return x
	}
	return actOne(ep, x, c)
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
