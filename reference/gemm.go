package reference

import "github.com/mnc-go/mnc/ir"

// gemm is ONNX Gemm: Y = Alpha·op(A)·op(B) + Beta·C, where op transposes
// when TransA/TransB and C broadcasts to [M, N]; then the fused epilogue
// (Beta·C plays the bias, then the residual R, then the activation).
func gemm(a *ir.Attrs, x, w, c, res *ir.Tensor, shape ir.Shape) *ir.Tensor {
	m, n := shape[0], shape[1]
	k := x.Shape[1]
	if a.TransA {
		k = x.Shape[0]
	}
	at := func(i, p int) float64 { // op(A)[i][p]
		if a.TransA {
			return float64(x.Data[p*m+i])
		}
		return float64(x.Data[i*k+p])
	}
	bt := func(p, j int) float64 { // op(B)[p][j]
		if a.TransB {
			return float64(w.Data[j*k+p])
		}
		return float64(w.Data[p*n+j])
	}
	var cIdx []int
	if c != nil {
		cIdx = broadcastIndex(c.Shape, shape)
	}
	out := ir.NewTensor(m, n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var dot float64
			for p := 0; p < k; p++ {
				dot += at(i, p) * bt(p, j)
			}
			acc := float64(a.Alpha) * dot
			if c != nil {
				acc += float64(a.Beta) * float64(c.Data[cIdx[i*n+j]])
			}
			out.Data[i*n+j] = finish(&a.Fused, acc, res, i*n+j, j)
		}
	}
	return out
}

// matMul is numpy's matmul: 1-D operands are promoted (A to a row, B to a
// column) and the promoted axis dropped from the result; leading (batch)
// axes broadcast.
func matMul(x, y *ir.Tensor, shape ir.Shape) *ir.Tensor {
	xs, ys := x.Shape, y.Shape
	if len(xs) == 1 {
		xs = ir.Shape{1, xs[0]}
	}
	if len(ys) == 1 {
		ys = ir.Shape{ys[0], 1}
	}
	m, k, n := xs[len(xs)-2], xs[len(xs)-1], ys[len(ys)-1]
	batch, _ := ir.BroadcastShapes(xs[:len(xs)-2], ys[:len(ys)-2])
	xb := broadcastIndex(xs[:len(xs)-2], batch)
	yb := broadcastIndex(ys[:len(ys)-2], batch)
	out := ir.NewTensor(shape...)
	for b := range xb {
		xo, yo, oo := xb[b]*m*k, yb[b]*k*n, b*m*n
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				var acc float64
				for p := 0; p < k; p++ {
					acc += float64(x.Data[xo+i*k+p]) * float64(y.Data[yo+p*n+j])
				}
				out.Data[oo+i*n+j] = float32(acc)
			}
		}
	}
	return out
}
