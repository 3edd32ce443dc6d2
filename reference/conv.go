package reference

import "github.com/mnc-go/mnc/ir"

// conv is ONNX Conv on NCHW x with weight w [M, C/group, KH, KW]: groups
// (depthwise when group == C), per-side pads (top, left, bottom, right),
// strides and dilations; then the fused epilogue. Taps that fall in the
// padding read zero.
//
// Each output channel is accumulated as a float64 plane: it starts at the
// bias, and every weight tap (input channel, ky, kx) adds w·x to the output
// pixels whose tap lands inside the input. Walking taps outermost keeps the
// inner loop a plain strided row update, which makes whole-model runs fast
// enough for tests while the arithmetic stays a direct transcription.
func conv(a *ir.Attrs, x, w, bias, res *ir.Tensor, shape ir.Shape) *ir.Tensor {
	out := ir.NewTensor(shape...)
	n, c, h, wd := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	m, cPerGroup, kh, kw := w.Shape[0], w.Shape[1], w.Shape[2], w.Shape[3]
	oh, ow := shape[2], shape[3]
	sh, sw := a.Strides[0], a.Strides[1]
	dh, dw := a.Dilations[0], a.Dilations[1]
	padT, padL := a.Pads[0], a.Pads[1]
	mPerGroup := m / a.Group
	acc := make([]float64, oh*ow)
	for b := 0; b < n; b++ {
		for oc := 0; oc < m; oc++ {
			var b0 float64
			if bias != nil {
				b0 = float64(bias.Data[oc])
			}
			for i := range acc {
				acc[i] = b0
			}
			g := oc / mPerGroup
			for ci := 0; ci < cPerGroup; ci++ {
				ic := g*cPerGroup + ci
				plane := x.Data[(b*c+ic)*h*wd : (b*c+ic+1)*h*wd]
				for ky := 0; ky < kh; ky++ {
					oy0, oy1 := validOutputs(h, oh, sh, padT, ky*dh)
					for kx := 0; kx < kw; kx++ {
						ox0, ox1 := validOutputs(wd, ow, sw, padL, kx*dw)
						wv := float64(w.Data[((oc*cPerGroup+ci)*kh+ky)*kw+kx])
						for oy := oy0; oy < oy1; oy++ {
							row := plane[(oy*sh-padT+ky*dh)*wd:]
							accRow := acc[oy*ow : (oy+1)*ow]
							ix := ox0*sw - padL + kx*dw
							for ox := ox0; ox < ox1; ox++ {
								accRow[ox] += wv * float64(row[ix])
								ix += sw
							}
						}
					}
				}
			}
			base := (b*m + oc) * oh * ow
			for i, v := range acc {
				out.Data[base+i] = finish(&a.Fused, v, res, base+i, oc)
			}
		}
	}
	return out
}

// validOutputs returns the range [lo, hi) of output positions o (of out)
// whose tap at offset off reads input position o·stride − pad + off inside
// [0, in).
func validOutputs(in, out, stride, pad, off int) (lo, hi int) {
	// o·stride ≥ pad − off  and  o·stride ≤ in − 1 + pad − off.
	if first := pad - off; first > 0 {
		lo = (first + stride - 1) / stride
	}
	last := in - 1 + pad - off
	if last < 0 {
		return 0, 0
	}
	hi = last/stride + 1
	if hi > out {
		hi = out
	}
	if lo > hi {
		lo = hi
	}
	return lo, hi
}
