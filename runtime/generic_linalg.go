package runtime

import "github.com/mnc-go/mnc/ir"

// matmul is numpy matmul on the last two axes with broadcast batch axes;
// 1-D operands are promoted (and the added axis dropped from out).
func matmul(a, b, out view) {
	aVec, bVec := a.rank == 1, b.rank == 1
	// Promote 1-D operands to matrices: a to [1,K], b to [K,1].
	if aVec {
		a.shape[1], a.stride[1] = a.shape[0], a.stride[0]
		a.shape[0], a.stride[0] = 1, 0
		a.rank = 2
	}
	if bVec {
		b.shape[1], b.stride[1] = 1, 0
		b.rank = 2
	}
	m, k, n := a.shape[a.rank-2], a.shape[a.rank-1], b.shape[b.rank-1]
	rb := out.rank // batch axes of out: all but the matrix axes that survive
	if !aVec {
		rb--
	}
	if !bVec {
		rb--
	}
	var batch [maxRank]int
	copy(batch[:], out.shape[:rb])
	// bstride is operand v's stride for out's batch axis i (0 when broadcast).
	bstride := func(v *view, i int) int {
		j := i - (rb - (v.rank - 2))
		if j < 0 || v.shape[j] == 1 {
			return 0
		}
		return v.stride[j]
	}
	var bi [maxRank]int
	for ok := true; ok; ok = next(&bi, &batch, rb) {
		ao, bo, oo := 0, 0, 0
		for i := 0; i < rb; i++ {
			ao += bi[i] * bstride(&a, i)
			bo += bi[i] * bstride(&b, i)
			oo += bi[i] * out.stride[i]
		}
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				var sum float64
				for p := 0; p < k; p++ {
					sum += float64(a.data[ao+i*a.stride[a.rank-2]+p*a.stride[a.rank-1]]) * float64(b.data[bo+p*b.stride[b.rank-2]+j*b.stride[b.rank-1]])
				}
				o := oo
				if !aVec {
					o += i * out.stride[rb]
				}
				if !bVec {
					o += j * out.stride[out.rank-1]
				}
				out.data[o] = float32(sum)
			}
		}
	}
}

// gemm is ONNX Gemm with its fused epilogue: Alpha·op(A)·op(B) + Beta·C,
// then the residual, then the activation.
func gemm(a *ir.Attrs, in []view, out view) {
	A, B := in[0], in[1]
	m, n := out.shape[0], out.shape[1]
	k := A.shape[1]
	if a.TransA {
		k = A.shape[0]
	}
	var c, r view
	hasC := len(in) > 2 && in[2].data != nil
	if hasC {
		c = in[2].broadcastTo(ir.Shape{m, n})
	}
	hasR := a.Fused.Residual && len(in) > 3
	if hasR {
		r = in[3]
	}
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var sum float64
			for p := 0; p < k; p++ {
				ai, bi := i*A.stride[0]+p*A.stride[1], p*B.stride[0]+j*B.stride[1]
				if a.TransA {
					ai = p*A.stride[0] + i*A.stride[1]
				}
				if a.TransB {
					bi = j*B.stride[0] + p*B.stride[1]
				}
				sum += float64(A.data[ai]) * float64(B.data[bi])
			}
			v := float32(float64(a.Alpha) * sum)
			idx := [maxRank]int{i, j}
			if hasC {
				v += a.Beta * c.at(&idx)
			}
			if hasR {
				v += r.at(&idx)
			}
			out.data[out.offset(&idx)] = a.Fused.ApplyC(v, j)
		}
	}
}

// conv is a direct grouped convolution with the fused epilogue: the
// fallback for groups the kernels do not cover.
func conv(a *ir.Attrs, ws ir.Shape, in []view, out view) {
	x, w := in[0], in[1]
	var bias, res view
	hasB := len(in) > 2
	if hasB {
		bias = in[2]
	}
	hasR := a.Fused.Residual && len(in) > 3
	if hasR {
		res = in[3]
	}
	cpg := ws[1] // input channels per group
	opg := ws[0] / a.Group
	h, wd := x.shape[2], x.shape[3]
	var idx [maxRank]int
	for ok := true; ok; ok = next(&idx, &out.shape, out.rank) {
		n, oc, oy, ox := idx[0], idx[1], idx[2], idx[3]
		g := oc / opg
		var sum float64
		for ic := 0; ic < cpg; ic++ {
			for ky := 0; ky < ws[2]; ky++ {
				iy := oy*a.Strides[0] - a.Pads[0] + ky*a.Dilations[0]
				if iy < 0 || iy >= h {
					continue
				}
				for kx := 0; kx < ws[3]; kx++ {
					ix := ox*a.Strides[1] - a.Pads[1] + kx*a.Dilations[1]
					if ix < 0 || ix >= wd {
						continue
					}
					xi := [maxRank]int{n, g*cpg + ic, iy, ix}
					wi := [maxRank]int{oc, ic, ky, kx}
					sum += float64(x.at(&xi)) * float64(w.at(&wi))
				}
			}
		}
		v := float32(sum)
		if hasB {
			v += bias.data[oc]
		}
		if hasR {
			v += res.at(&idx)
		}
		out.data[out.offset(&idx)] = a.Fused.ApplyC(v, oc)
	}
}
