package reference

import "github.com/mnc-go/mnc/ir"

// finish applies a Conv or Gemm epilogue to one accumulated value, in the
// order ir.Epilogue defines: the bias is already in acc, then the residual
// is added (still in float64), then the value is rounded once to float32
// and the activation applied exactly as ir.ApplyAct defines it; c is the
// output channel (PRelu's slope index).
func finish(e *ir.Epilogue, acc float64, res *ir.Tensor, i, c int) float32 {
	if res != nil {
		acc += float64(res.Data[i])
	}
	return e.ApplyC(float32(acc), c)
}
