package kernels

// Pure-Go depthwise convolution. Weights are packed tap-major, [KH·KW][C],
// so every tap's filter values for all channels are one contiguous slice
// and the inner loop runs over channels like the SIMD kernels do.

func fillDWGeneric(s *Set) {
	s.PackedDWSize = func(c, kh, kw int) int { return kh * kw * c }
	s.PackDW = packDWTapMajor
	s.DWConv = dwConvGeneric
}

// packDWTapMajor turns w [C][KH][KW] into [KH·KW][C].
func packDWTapMajor(dst, w []float32, c, kh, kw int) {
	taps := kh * kw
	for ch := 0; ch < c; ch++ {
		for t := 0; t < taps; t++ {
			dst[t*c+ch] = w[ch*taps+t]
		}
	}
}

// tapRange returns the kernel taps [k0, k1) of a k-tap window starting at
// input coordinate i0 that fall inside [0, n).
func tapRange(i0, k, n int) (k0, k1 int) {
	k0, k1 = 0, k
	if i0 < 0 {
		k0 = -i0
	}
	if i0+k > n {
		k1 = n - i0
	}
	if k1 < k0 {
		k1 = k0
	}
	return k0, k1
}

func dwConvGeneric(p *DWParams, in, wp, bias, out []float32, oy0, oy1 int) {
	for oy := oy0; oy < oy1; oy++ {
		dwConvPixelsGeneric(p, in, wp, bias, out, oy, 0, p.OW)
	}
}

// dwConvPixelsGeneric computes output pixels [ox0, ox1) of row oy with
// weights in tap-major layout (see packDWTapMajor).
func dwConvPixelsGeneric(p *DWParams, in, wp, bias, out []float32, oy, ox0, ox1 int) {
	c := p.C
	iy0 := oy*p.SH - p.PadT
	kh0, kh1 := tapRange(iy0, p.KH, p.H)
	for ox := ox0; ox < ox1; ox++ {
		ix0 := ox*p.SW - p.PadL
		kw0, kw1 := tapRange(ix0, p.KW, p.W)
		o := out[(oy*p.OW+ox)*c:][:c]
		if bias != nil {
			copy(o, bias[:c])
		} else {
			clear(o)
		}
		for kh := kh0; kh < kh1; kh++ {
			row := (iy0 + kh) * p.W
			for kw := kw0; kw < kw1; kw++ {
				x := in[(row+ix0+kw)*c:][:c]
				w := wp[(kh*p.KW+kw)*c:][:len(x)]
				o := o[:len(x)]
				for ch, v := range x {
					o[ch] += v * w[ch]
				}
			}
		}
		actSlice(&p.Ep, o, o)
	}
}
