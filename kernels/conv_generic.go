package kernels

import "fmt"

// Direct dense convolution (group 1) in pure Go: for each output pixel the
// valid taps add x·w[tap][ci][:] into the pixel's Cout outputs, weights
// packed [KH][KW][Cin][Cout stride]. The Set's Conv is im2col + GEMM
// (conv_im2col.go); this direct form serves the amd64 stem path's residual
// case, on the stem's weight layout.

func fillConvGeneric(s *Set) { fillConvIm2col(s) }

// packConvHWIOStride is packConvHWIO with rows of stride ≥ Cout floats
// (entries past Cout are left as they are).
func packConvHWIOStride(dst, w []float32, p *ConvParams, stride int) {
	for co := 0; co < p.Cout; co++ {
		for ci := 0; ci < p.Cin; ci++ {
			for kh := 0; kh < p.KH; kh++ {
				for kw := 0; kw < p.KW; kw++ {
					src := ((co*p.Cin+ci)*p.KH+kh)*p.KW + kw
					dst[((kh*p.KW+kw)*p.Cin+ci)*stride+co] = w[src]
				}
			}
		}
	}
}

// dilatedTapRange is tapRange for taps spaced d apart: taps t with
// 0 ≤ i0 + t·d < n.
func dilatedTapRange(i0, k, d, n int) (k0, k1 int) {
	k0, k1 = 0, k
	if i0 < 0 {
		k0 = (-i0 + d - 1) / d
	}
	if last := n - 1 - i0; last < (k-1)*d {
		if last < 0 {
			return k0, k0
		}
		k1 = last/d + 1
	}
	if k1 < k0 {
		k1 = k0
	}
	return k0, k1
}

// convPixelsGeneric computes output pixels [ox0, ox1) of row oy; packed
// weight rows are wstride floats apart.
func convPixelsGeneric(p *ConvParams, in, wp []float32, wstride int, bias, r, out []float32, oy, ox0, ox1 int) {
	cin, cout := p.Cin, p.Cout
	iy0 := oy*p.SH - p.PadT
	kh0, kh1 := dilatedTapRange(iy0, p.KH, p.DH, p.H)
	for ox := ox0; ox < ox1; ox++ {
		ix0 := ox*p.SW - p.PadL
		kw0, kw1 := dilatedTapRange(ix0, p.KW, p.DW, p.W)
		at := (oy*p.OW + ox) * cout
		o := out[at:][:cout]
		if bias != nil {
			copy(o, bias[:cout])
		} else {
			clear(o)
		}
		for kh := kh0; kh < kh1; kh++ {
			iy := iy0 + kh*p.DH
			for kw := kw0; kw < kw1; kw++ {
				x := in[(iy*p.W+ix0+kw*p.DW)*cin:][:cin]
				w := wp[(kh*p.KW+kw)*cin*wstride:]
				for ci, v := range x {
					wc := w[ci*wstride:][:cout]
					o := o[:len(wc)]
					for co, wv := range wc {
						o[co] += v * wv
					}
				}
			}
		}
		if r != nil {
			for co, v := range r[at:][:cout] {
				o[co] += v
			}
		}
		actSlice(&p.Ep, o, o)
	}
}

// checkConvArgs panics with a description when slices are too short for p
// or the parameters cannot describe a conv.
func checkConvArgs(p *ConvParams, nIn, nW, wantW int, bias, r []float32, nOut, oy0, oy1 int) {
	var bad string
	switch {
	case p.SH < 1 || p.SW < 1 || p.DH < 1 || p.DW < 1 || p.Cin < 1 || p.Cout < 1:
		bad = fmt.Sprintf("strides %d,%d, dilations %d,%d and channels must be positive", p.SH, p.SW, p.DH, p.DW)
	case nIn < p.H*p.W*p.Cin:
		bad = fmt.Sprintf("input has %d elements, want %d", nIn, p.H*p.W*p.Cin)
	case nW < wantW:
		bad = fmt.Sprintf("packed weights have %d elements, want %d", nW, wantW)
	case bias != nil && len(bias) < p.Cout:
		bad = fmt.Sprintf("bias has %d elements, want %d", len(bias), p.Cout)
	case r != nil && len(r) < p.OH*p.OW*p.Cout:
		bad = fmt.Sprintf("residual has %d elements, want %d", len(r), p.OH*p.OW*p.Cout)
	case nOut < p.OH*p.OW*p.Cout:
		bad = fmt.Sprintf("output has %d elements, want %d", nOut, p.OH*p.OW*p.Cout)
	case oy0 < 0 || oy1 > p.OH || oy0 > oy1:
		bad = fmt.Sprintf("rows [%d,%d) outside [0,%d)", oy0, oy1, p.OH)
	default:
		return
	}
	panic(fmt.Sprintf("kernels: Conv %dx%d %d->%d on %dx%d: %s", p.KH, p.KW, p.Cin, p.Cout, p.H, p.W, bad))
}

func convScratchMsg(p *ConvParams, have, want int) string {
	return fmt.Sprintf("kernels: Conv %dx%d %d->%d on %dx%d: scratch has %d elements, want ConvScratchSize = %d",
		p.KH, p.KW, p.Cin, p.Cout, p.H, p.W, have, want)
}
