package kernels

import "fmt"

// The SIMD depthwise kernels read weights channel-block-major,
// [ceil(C/vl)][KH·KW][vl]: within one block of vl channels each tap's
// weights are one vector at a constant offset. Channels past C are zero,
// and C rounded up to vl zeros follow the weights so that a nil bias can
// point at them.

func dwBlockedWeights(c, kh, kw, vl int) int {
	return (c + vl - 1) / vl * vl * kh * kw
}

func dwBlockedSize(c, kh, kw, vl int) int {
	return dwBlockedWeights(c, kh, kw, vl) + (c+vl-1)/vl*vl
}

// packDWBlocked turns w [C][KH][KW] into the blocked layout.
func packDWBlocked(dst, w []float32, c, kh, kw, vl int) {
	dst = dst[:dwBlockedSize(c, kh, kw, vl)]
	clear(dst)
	taps := kh * kw
	for ch := 0; ch < c; ch++ {
		b, lane := ch/vl, ch%vl
		for t := 0; t < taps; t++ {
			dst[(b*taps+t)*vl+lane] = w[ch*taps+t]
		}
	}
}

// checkDWArgs panics with a description when slices are too short for p:
// the assembly would otherwise read or write out of bounds.
func checkDWArgs(p *DWParams, nIn, nW, wantW int, bias []float32, nOut, oy0, oy1 int) {
	var bad string
	switch {
	case p.InPitch != 0 && p.InPitch < p.C:
		bad = fmt.Sprintf("input pitch %d is less than the channels", p.InPitch)
	case nIn < dwInputSize(p):
		bad = fmt.Sprintf("input has %d elements, want %d", nIn, dwInputSize(p))
	case nW < wantW:
		bad = fmt.Sprintf("packed weights have %d elements, want %d", nW, wantW)
	case bias != nil && len(bias) < p.C:
		bad = fmt.Sprintf("bias has %d elements, want %d", len(bias), p.C)
	case nOut < p.OH*p.OW*p.C:
		bad = fmt.Sprintf("output has %d elements, want %d", nOut, p.OH*p.OW*p.C)
	case oy0 < 0 || oy1 > p.OH || oy0 > oy1:
		bad = fmt.Sprintf("rows [%d,%d) outside [0,%d)", oy0, oy1, p.OH)
	case p.SH < 1 || p.SW < 1 || p.C < 1:
		bad = fmt.Sprintf("strides %d,%d and channels %d must be positive", p.SH, p.SW, p.C)
	default:
		return
	}
	panic(fmt.Sprintf("kernels: DWConv %dx%d on %dx%dx%d: %s", p.KH, p.KW, p.H, p.W, p.C, bad))
}

// dwInputSize is how many floats p's input spans: its last pixel ends C
// floats after its start.
func dwInputSize(p *DWParams) int {
	if p.H*p.W == 0 {
		return 0
	}
	return (p.H*p.W-1)*p.Pitch() + p.C
}
