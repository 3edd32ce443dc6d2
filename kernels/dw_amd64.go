//go:build amd64 && !purego

package kernels

import "github.com/mnc-go/mnc/asm"

// Depthwise convolution on AVX2+FMA / AVX-512: generated kernels for 3×3
// and 5×5 (codegen/dwconv); other shapes use the pure-Go path on tap-major
// weights, so PackDW and DWConv agree on the layout per kernel shape.

func fillDWAMD64(s *Set) {
	vl := simdWidth(s.ISA)
	if vl == 0 {
		return
	}
	simd := func(kh, kw int) bool { return kh == kw && (kh == 3 || kh == 5) }
	s.PackedDWSize = func(c, kh, kw int) int {
		if simd(kh, kw) {
			return dwBlockedSize(c, kh, kw, vl)
		}
		return kh * kw * c
	}
	s.PackDW = func(dst, w []float32, c, kh, kw int) {
		if simd(kh, kw) {
			packDWBlocked(dst, w, c, kh, kw, vl)
			return
		}
		packDWTapMajor(dst, w, c, kh, kw)
	}
	s.DWConv = func(p *DWParams, in, wp, bias, out []float32, oy0, oy1 int) {
		if simd(p.KH, p.KW) {
			dwConvSIMD(vl, p, in, wp, bias, out, oy0, oy1)
			return
		}
		dwConvGeneric(p, in, wp, bias, out, oy0, oy1)
	}
}

// interiorCols returns the output columns [lo, hi) whose k-wide window at
// stride s, after pad columns of padding, lies inside a w-wide image.
func interiorCols(w, k, s, pad, ow int) (lo, hi int) {
	lo = (pad + s - 1) / s
	if w-k+pad < 0 {
		return lo, lo
	}
	hi = min(max((w-k+pad)/s+1, lo), ow)
	return lo, max(hi, lo)
}

// simdWidth is the float32 lanes per vector the generated kernels of isa
// use, or 0 when isa has none.
func simdWidth(isa ISA) int {
	switch isa {
	case AVX2:
		return 8
	case AVX512:
		return 16
	}
	return 0
}

// dwTailMask[8-r:] starts with r all-ones lanes: the AVX2 kernels' mask
// for a tail of r channels (VMASKMOVPS reads the lanes' sign bits).
var dwTailMask = [16]int32{-1, -1, -1, -1, -1, -1, -1, -1}

// tailMask is the AVX2 mask argument for n elements: n%8 leading lanes on.
func tailMask(n int) *int32 { return &dwTailMask[8-n%8] }

// dwConvSIMD splits every output row into runs of pixels that use the same
// kernel rows and columns (the interior is one run; borders are short
// runs) and calls the generated kernel for each run's column range.
func dwConvSIMD(vl int, p *DWParams, in, wp, bias, out []float32, oy0, oy1 int) {
	k, c := p.KH, p.C
	checkDWArgs(p, len(in), len(wp), dwBlockedSize(c, k, k, vl), bias, len(out), oy0, oy1)
	if bias == nil {
		bias = wp[dwBlockedWeights(c, k, k, vl):] // zeros kept after the weights
	}
	ae, mode, goAct := toAffine(&p.Ep)
	mask := tailMask(c)
	rowStride, pixStride := p.W*c*4, p.SW*c*4
	// Output columns whose whole window is inside the image.
	oxLo, oxHi := interiorCols(p.W, k, p.SW, p.PadL, p.OW)
	for oy := oy0; oy < oy1; oy++ {
		iy0 := oy*p.SH - p.PadT
		kh0, kh1 := tapRange(iy0, k, p.H)
		orow := out[oy*p.OW*c : (oy+1)*p.OW*c]
		for ox := 0; ox < p.OW; {
			ix0 := ox*p.SW - p.PadL
			kw0, kw1 := tapRange(ix0, k, p.W)
			n := 1
			if ox >= oxLo && ox < oxHi {
				n = oxHi - ox
			}
			if kh0 == kh1 || kw0 == kw1 {
				// No tap inside the image: the output is the bias.
				for i := ox; i < ox+n; i++ {
					actSlice(&p.Ep, bias[:c], orow[i*c:(i+1)*c])
				}
			} else {
				src, w, o := &in[((iy0+kh0)*p.W+ix0+kw0)*c], &wp[(kh0*k+kw0)*vl], &orow[ox*c]
				// Static calls: through a func value ae would escape.
				interior := kw0 == 0 && kw1 == k && p.SW <= 2
				switch {
				case interior && vl == 16:
					asm.DWConvInteriorAVX512(k, p.SW, src, rowStride, kh1-kh0, pixStride, c, w, &bias[0], o, n, &ae.A, mode, mask)
				case interior:
					asm.DWConvInteriorAVX2FMA(k, p.SW, src, rowStride, kh1-kh0, pixStride, c, w, &bias[0], o, n, &ae.A, mode, mask)
				case vl == 16:
					asm.DWConvAVX512(k, kw0, kw1, src, rowStride, kh1-kh0, pixStride, c, w, &bias[0], o, n, &ae.A, mode, mask)
				default:
					asm.DWConvAVX2FMA(k, kw0, kw1, src, rowStride, kh1-kh0, pixStride, c, w, &bias[0], o, n, &ae.A, mode, mask)
				}
			}
			ox += n
		}
		if goAct {
			actSlice(&p.Ep, orow, orow)
		}
	}
}
