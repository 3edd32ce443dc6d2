package kernels

// Pure-Go dense convolution (group 1), direct: for each output pixel the
// valid taps add x·w[tap][ci][:] into the pixel's Cout outputs. Weights are
// packed [KH][KW][Cin][Cout] so that inner loop is contiguous; no scratch.

func fillConvGeneric(s *Set) {
	s.PackedConvSize = func(p *ConvParams) int { return p.KH * p.KW * p.Cin * p.Cout }
	s.PackConv = packConvHWIO
	s.ConvScratchSize = func(p *ConvParams, rows int) int { return 0 }
	s.Conv = convGeneric
}

// packConvHWIO turns w [Cout][Cin][KH][KW] into [KH][KW][Cin][Cout].
func packConvHWIO(dst, w []float32, p *ConvParams) {
	for co := 0; co < p.Cout; co++ {
		for ci := 0; ci < p.Cin; ci++ {
			for kh := 0; kh < p.KH; kh++ {
				for kw := 0; kw < p.KW; kw++ {
					src := ((co*p.Cin+ci)*p.KH+kh)*p.KW + kw
					dst[((kh*p.KW+kw)*p.Cin+ci)*p.Cout+co] = w[src]
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

func convGeneric(p *ConvParams, in, wp, bias, r, out, scratch []float32, oy0, oy1 int) {
	for oy := oy0; oy < oy1; oy++ {
		convPixelsGeneric(p, in, wp, bias, r, out, oy, 0, p.OW)
	}
}

// convPixelsGeneric computes output pixels [ox0, ox1) of row oy.
func convPixelsGeneric(p *ConvParams, in, wp, bias, r, out []float32, oy, ox0, ox1 int) {
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
				w := wp[(kh*p.KW+kw)*cin*cout:][:cin*cout]
				for ci, v := range x {
					wc := w[ci*cout:][:cout]
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
