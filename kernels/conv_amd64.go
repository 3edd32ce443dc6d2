//go:build amd64 && !purego

package kernels

import "github.com/mnc-go/mnc/asm"

// The stem fast path: a 3×3 stride-2 dense conv on 3 input channels with
// at most 4 vectors of outputs runs the generated stem kernels on the
// pixels whose window is inside the image; border pixels, other shapes and
// convs with a residual use the pure-Go conv (on the same weight layout,
// [KH][KW][Cin][Cout padded to vectors]).

func fillStemAMD64(s *Set, vl int) {
	stemVectors := func(p *ConvParams) int {
		if p.KH != 3 || p.KW != 3 || p.SH != 2 || p.SW != 2 || p.Cin != 3 || p.DH != 1 || p.DW != 1 {
			return 0
		}
		if nb := (p.Cout + vl - 1) / vl; nb <= 4 {
			return nb
		}
		return 0
	}
	s.PackedConvSize = func(p *ConvParams) int {
		if nb := stemVectors(p); nb > 0 {
			return 27*nb*vl + nb*vl // weights, then zeros standing in for a nil bias
		}
		return convPackedSize(p)
	}
	s.PackConv = func(dst, w []float32, p *ConvParams) {
		if nb := stemVectors(p); nb > 0 {
			clear(dst[:27*nb*vl+nb*vl])
			packConvHWIOStride(dst, w, p, nb*vl)
			return
		}
		packConvHWIO(dst, w, p)
	}
	s.Conv = func(p *ConvParams, in, wp, bias, r, out, scratch []float32, oy0, oy1 int) {
		nb := stemVectors(p)
		if nb == 0 {
			convGeneric(p, in, wp, bias, r, out, scratch, oy0, oy1)
			return
		}
		stemConv(vl, nb, p, in, wp, bias, r, out, oy0, oy1)
	}
}

func stemConv(vl, nb int, p *ConvParams, in, wp, bias, r, out []float32, oy0, oy1 int) {
	wstride := nb * vl
	checkConvArgs(p, len(in), len(wp), 28*wstride, bias, r, len(out), oy0, oy1)
	if r != nil {
		for oy := oy0; oy < oy1; oy++ {
			convPixelsGeneric(p, in, wp, wstride, bias, r, out, oy, 0, p.OW)
		}
		return
	}
	if bias == nil {
		bias = wp[27*wstride:]
	}
	ae, mode, goAct := toAffine(&p.Ep)
	tail := p.Cout - (nb-1)*vl
	mask := &dwTailMask[0] // AVX2: the last vector's tail lanes, 1..8 of them
	if vl == 8 {
		mask = &dwTailMask[8-tail]
	}
	cin, cout := 3, p.Cout
	// Output columns whose 3×3 window lies inside the image.
	oxLo, oxHi := interiorCols(p.W, 3, 2, p.PadL, p.OW)
	for oy := oy0; oy < oy1; oy++ {
		iy0 := oy*2 - p.PadT
		if iy0 < 0 || iy0+3 > p.H || oxLo >= oxHi {
			convPixelsGeneric(p, in, wp, wstride, bias, nil, out, oy, 0, p.OW)
			continue
		}
		convPixelsGeneric(p, in, wp, wstride, bias, nil, out, oy, 0, oxLo)
		src := &in[(iy0*p.W+oxLo*2-p.PadL)*cin]
		o := out[(oy*p.OW+oxLo)*cout:]
		if vl == 16 {
			asm.StemConvAVX512(nb, src, p.W*cin*4, 2*cin*4, &wp[0], &bias[0], &o[0], cout*4, oxHi-oxLo, tail, &ae.A, mode, mask)
		} else {
			asm.StemConvAVX2FMA(nb, src, p.W*cin*4, 2*cin*4, &wp[0], &bias[0], &o[0], cout*4, oxHi-oxLo, tail, &ae.A, mode, mask)
		}
		if goAct {
			actSlice(&p.Ep, o[:(oxHi-oxLo)*cout], o[:(oxHi-oxLo)*cout])
		}
		convPixelsGeneric(p, in, wp, wstride, bias, nil, out, oy, oxHi, p.OW)
	}
}
