//go:build arm64 && !purego

package kernels

// neonEpilogue fills the epilogue block for the generated NEON elementwise
// kernels and returns their mode (internal/epi; they implement every mode
// but SlopeC and Requant; the GEMM and depthwise kernels also do SlopeC,
// see neonGemm and neonDWConv). post reports that the caller must apply ep with
// neonActScalar after the kernel ran with mode None (Sigmoid, Swish, PRelu).
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
