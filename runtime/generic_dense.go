package runtime

import (
	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/plan"
)

// denseGeneric returns the split-by-threads function of a Resize or
// ConvTranspose generic step, or nil for other ops. Both address their
// operands through views, so they run on NHWC and NCHW storage alike.
func denseGeneric(s *plan.Step, in []view, out view) stepFunc {
	switch s.Op {
	case ir.OpResize:
		return resizeFunc(&s.Attrs, in[0], out)
	case ir.OpConvTranspose:
		var bias []float32
		if len(in) > 2 {
			bias = in[2].data
		}
		return convTransposeFunc(&s.Attrs, in[0], in[1], bias, out)
	}
	return nil
}

// resizeFunc interpolates with the index tables of ir.ResizeTable; threads
// split the output rows (image, y). The channel loop is innermost, which on
// NHWC storage walks contiguous memory.
func resizeFunc(a *ir.Attrs, x, out view) stepFunc {
	n, c, h, w := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
	oh, ow := out.shape[2], out.shape[3]
	y0, y1, wy64 := ir.ResizeTable(a, 0, h, oh)
	x0, x1, wx64 := ir.ResizeTable(a, 1, w, ow)
	wy, wx := f32s(wy64), f32s(wx64)
	xs, os := x.stride, out.stride
	nearest := a.ResizeMode == "nearest"
	return func(tid, t, nt int) {
		lo, hi := split(n*oh, 1, t, nt)
		for r := lo; r < hi; r++ {
			b, oy := r/oh, r%oh
			src0, src1 := x.data[b*xs[0]+y0[oy]*xs[2]:], x.data[b*xs[0]+y1[oy]*xs[2]:]
			dst := out.data[b*os[0]+oy*os[2]:]
			fy := wy[oy]
			for ox := 0; ox < ow; ox++ {
				d := dst[ox*os[3]:]
				if nearest {
					s := src0[x0[ox]*xs[3]:]
					for ch := 0; ch < c; ch++ {
						d[ch*os[1]] = s[ch*xs[1]]
					}
					continue
				}
				fx := wx[ox]
				a0, a1 := src0[x0[ox]*xs[3]:], src0[x1[ox]*xs[3]:]
				b0, b1 := src1[x0[ox]*xs[3]:], src1[x1[ox]*xs[3]:]
				for ch := 0; ch < c; ch++ {
					k := ch * xs[1]
					top := a0[k] + fx*(a1[k]-a0[k])
					bot := b0[k] + fx*(b1[k]-b0[k])
					d[ch*os[1]] = top + fy*(bot-top)
				}
			}
		}
	}
}

func f32s(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

// convTransposeFunc gathers, for each output pixel, the input pixels and
// taps that scatter into it (oy = iy·stride − pad + ky·dilation), so threads
// can split output rows without write conflicts; sums in float32 from the bias.
func convTransposeFunc(a *ir.Attrs, x, w view, bias []float32, out view) stepFunc {
	n, c, h, wd := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
	mg, kh, kw := w.shape[1], w.shape[2], w.shape[3]
	m, oh, ow := out.shape[1], out.shape[2], out.shape[3]
	cg := c / a.Group
	sh, sw, dh, dw := a.Strides[0], a.Strides[1], a.Dilations[0], a.Dilations[1]
	ph, pw := a.Pads[0], a.Pads[1]
	xs, os := x.stride, out.stride
	return func(tid, t, nt int) {
		lo, hi := split(n*oh, 1, t, nt)
		for r := lo; r < hi; r++ {
			b, oy := r/oh, r%oh
			for ox := 0; ox < ow; ox++ {
				dst := out.data[b*os[0]+oy*os[2]+ox*os[3]:]
				for oc := 0; oc < m; oc++ {
					var sum float32
					if bias != nil {
						sum = bias[oc]
					}
					g, j := oc/mg, oc%mg
					for ky := 0; ky < kh; ky++ {
						ty := oy + ph - ky*dh
						if ty < 0 || ty%sh != 0 || ty/sh >= h {
							continue
						}
						iy := ty / sh
						for kx := 0; kx < kw; kx++ {
							tx := ox + pw - kx*dw
							if tx < 0 || tx%sw != 0 || tx/sw >= wd {
								continue
							}
							ix := tx / sw
							src := x.data[b*xs[0]+iy*xs[2]+ix*xs[3]:]
							for ci := g * cg; ci < (g+1)*cg; ci++ {
								sum += src[ci*xs[1]] * w.data[((ci*mg+j)*kh+ky)*kw+kx]
							}
						}
					}
					dst[oc*os[1]] = sum
				}
			}
		}
	}
}
