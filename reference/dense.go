package reference

import "github.com/mnc-go/mnc/ir"

// resize is ONNX Resize on the H and W axes of NCHW x: each output pixel
// interpolates between the input pixels ir.ResizeTable names (nearest: one
// pixel; linear: bilinear, W first, then H), in float64; a fused residual
// (fuse-upsample-add) is added last.
func resize(a *ir.Attrs, x, res *ir.Tensor, shape ir.Shape) *ir.Tensor {
	out := ir.NewTensor(shape...)
	n, c, h, w := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	oh, ow := shape[2], shape[3]
	y0, y1, wy := ir.ResizeTable(a, 0, h, oh)
	x0, x1, wx := ir.ResizeTable(a, 1, w, ow)
	for p := 0; p < n*c; p++ {
		plane := x.Data[p*h*w : (p+1)*h*w]
		dst := out.Data[p*oh*ow : (p+1)*oh*ow]
		for oy := 0; oy < oh; oy++ {
			r0, r1 := plane[y0[oy]*w:], plane[y1[oy]*w:]
			for ox := 0; ox < ow; ox++ {
				top := (1-wx[ox])*float64(r0[x0[ox]]) + wx[ox]*float64(r0[x1[ox]])
				bot := (1-wx[ox])*float64(r1[x0[ox]]) + wx[ox]*float64(r1[x1[ox]])
				v := (1-wy[oy])*top + wy[oy]*bot
				if res != nil {
					v += float64(res.Data[p*oh*ow+oy*ow+ox])
				}
				dst[oy*ow+ox] = float32(v)
			}
		}
	}
	return out
}

// convTranspose is ONNX ConvTranspose on NCHW x with weight w [C, M/group,
// KH, KW]: every input pixel (iy, ix) of channel ci scatters w·x to output
// (iy·stride − pad + ky·dilation, ix·stride − pad + kx·dilation) of each
// output channel of its group; positions outside the output are dropped.
// Accumulates in float64, starting at the bias; then the fused activation.
func convTranspose(a *ir.Attrs, x, w, bias *ir.Tensor, shape ir.Shape) *ir.Tensor {
	out := ir.NewTensor(shape...)
	n, c, h, wd := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	mg, kh, kw := w.Shape[1], w.Shape[2], w.Shape[3]
	m, oh, ow := shape[1], shape[2], shape[3]
	cg := c / a.Group
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
			g, j := oc/mg, oc%mg
			for ci := g * cg; ci < (g+1)*cg; ci++ {
				plane := x.Data[(b*c+ci)*h*wd : (b*c+ci+1)*h*wd]
				for ky := 0; ky < kh; ky++ {
					for kx := 0; kx < kw; kx++ {
						wv := float64(w.Data[((ci*mg+j)*kh+ky)*kw+kx])
						for iy := 0; iy < h; iy++ {
							oy := iy*a.Strides[0] - a.Pads[0] + ky*a.Dilations[0]
							if oy < 0 || oy >= oh {
								continue
							}
							for ix := 0; ix < wd; ix++ {
								ox := ix*a.Strides[1] - a.Pads[1] + kx*a.Dilations[1]
								if ox >= 0 && ox < ow {
									acc[oy*ow+ox] += wv * float64(plane[iy*wd+ix])
								}
							}
						}
					}
				}
			}
			base := (b*m + oc) * oh * ow
			for i, v := range acc {
				out.Data[base+i] = a.Fused.Apply(float32(v))
			}
		}
	}
	return out
}

// residualAt returns input i when the node has a fused residual there.
func residualAt(a *ir.Attrs, in []*ir.Tensor, i int) *ir.Tensor {
	if !a.Fused.Residual {
		return nil
	}
	return optional(in, i)
}
