package kernels

import "fmt"

// Pure-Go depthwise convolution. Weights are packed tap-major, [KH·KW][C],
// so every tap's filter values for all channels are one contiguous slice
// and the inner loop runs over channels like the SIMD kernels do.

func fillDWGeneric(s *Set) {
	s.PackedDWSize = func(c, kh, kw int) int { return kh * kw * c }
	s.PackDW = packDWTapMajor
	s.DWConv = dwConvGeneric
	s.DWConvChannels = dwConvChannelsGeneric
	s.DWConvBand = dwConvGeneric
}

// DWChannelQuantum is the channel count DWConvChannels' ranges start at
// multiples of: a whole vector of every ISA's depthwise kernels.
const DWChannelQuantum = 16

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
		dwConvPixelsGeneric(p, in, wp, bias, out, oy, 0, p.OW, 0, p.C)
	}
}

// dwConvChannelsGeneric is dwConvGeneric for channels [c0, c1).
func dwConvChannelsGeneric(p *DWParams, in, wp, bias, out []float32, oy0, oy1, c0, c1 int) {
	checkDWChannels(p, c0, c1)
	for oy := oy0; oy < oy1; oy++ {
		dwConvPixelsGeneric(p, in, wp, bias, out, oy, 0, p.OW, c0, c1)
	}
}

// checkDWChannels panics when [c0, c1) is not a channel range DWConvChannels takes.
func checkDWChannels(p *DWParams, c0, c1 int) {
	if c0 < 0 || c1 > p.C || c0 > c1 || c0%DWChannelQuantum != 0 {
		panic(fmt.Sprintf("kernels: DWConvChannels: channels [%d,%d) of %d (the first must be a multiple of %d)", c0, c1, p.C, DWChannelQuantum))
	}
}

// dwConvPixelsGeneric computes channels [c0, c1) of output pixels
// [ox0, ox1) of row oy with weights in tap-major layout (see packDWTapMajor).
func dwConvPixelsGeneric(p *DWParams, in, wp, bias, out []float32, oy, ox0, ox1, c0, c1 int) {
	c, nc, pitch := p.C, c1-c0, p.Pitch()
	iy0 := oy*p.SH - p.PadT
	kh0, kh1 := tapRange(iy0, p.KH, p.H)
	for ox := ox0; ox < ox1; ox++ {
		ix0 := ox*p.SW - p.PadL
		kw0, kw1 := tapRange(ix0, p.KW, p.W)
		o := out[(oy*p.OW+ox)*c+c0:][:nc]
		if bias != nil {
			copy(o, bias[c0:c1])
		} else {
			clear(o)
		}
		for kh := kh0; kh < kh1; kh++ {
			row := (iy0 + kh) * p.W
			for kw := kw0; kw < kw1; kw++ {
				x := in[(row+ix0+kw)*pitch+c0:][:nc]
				w := wp[(kh*p.KW+kw)*c+c0:][:len(x)]
				o := o[:len(x)]
				for ch, v := range x {
					o[ch] += v * w[ch]
				}
			}
		}
		actSliceAt(&p.Ep, o, o, c0)
	}
}
