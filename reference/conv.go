package reference

import "github.com/mnc-go/mnc/ir"

// conv is ONNX Conv on NCHW x with weight w [M, C/group, KH, KW]: groups
// (depthwise when group == C), per-side pads (top, left, bottom, right),
// strides and dilations; then the fused epilogue. Taps that fall in the
// padding read zero. Each output is one float64 sum.
func conv(a *ir.Attrs, x, w, bias, res *ir.Tensor, shape ir.Shape) *ir.Tensor {
	out := ir.NewTensor(shape...)
	n, c, h, wd := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	m, cPerGroup, kh, kw := w.Shape[0], w.Shape[1], w.Shape[2], w.Shape[3]
	oh, ow := shape[2], shape[3]
	mPerGroup := m / a.Group
	for b := 0; b < n; b++ {
		for oc := 0; oc < m; oc++ {
			g := oc / mPerGroup
			for oy := 0; oy < oh; oy++ {
				for ox := 0; ox < ow; ox++ {
					var acc float64
					if bias != nil {
						acc = float64(bias.Data[oc])
					}
					for ci := 0; ci < cPerGroup; ci++ {
						ic := g*cPerGroup + ci
						for ky := 0; ky < kh; ky++ {
							iy := oy*a.Strides[0] - a.Pads[0] + ky*a.Dilations[0]
							if iy < 0 || iy >= h {
								continue
							}
							for kx := 0; kx < kw; kx++ {
								ix := ox*a.Strides[1] - a.Pads[1] + kx*a.Dilations[1]
								if ix < 0 || ix >= wd {
									continue
								}
								xv := x.Data[((b*c+ic)*h+iy)*wd+ix]
								wv := w.Data[((oc*cPerGroup+ci)*kh+ky)*kw+kx]
								acc += float64(xv) * float64(wv)
							}
						}
					}
					i := ((b*m+oc)*oh+oy)*ow + ox
					out.Data[i] = finish(&a.Fused, acc, res, i)
				}
			}
		}
	}
	return out
}
