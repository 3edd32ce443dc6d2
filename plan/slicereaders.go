package plan

import "github.com/mnc-go/mnc/ir"

// SliceReader reports whether a step of kind k and op reads its input i
// correctly when that input is a channel slice of a wider NHWC F32 tensor
// (Operand.Pitch; the pass slice-in-place makes them, the runtime refuses
// any other): a 1×1-conv GEMM's A (the kernels take lda) and the generic
// steps whose code addresses views with the pixel stride, writing a dense
// output (NHWC for Resize). The caller checks the rest (F32, no Sub, a
// generic step not writing a slice itself).
func SliceReader(k Kind, op ir.Op, i int, outNHWC bool) bool {
	switch k {
	case KindGemm:
		return i == 0 && outNHWC
	case KindGeneric:
		switch op {
		case ir.OpResize:
			return outNHWC
		case ir.OpSoftmax, ir.OpMaxPool, ir.OpAveragePool, ir.OpPad, ir.OpReduceMean, ir.OpTranspose, ir.OpSlice,
			ir.OpAdd, ir.OpSub, ir.OpMul, ir.OpDiv, ir.OpGlobalAveragePool:
			return true
		}
		return op.IsActivation()
	}
	return false
}
