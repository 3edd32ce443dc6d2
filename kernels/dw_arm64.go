//go:build arm64 && !purego

package kernels

import (
	"fmt"

	"github.com/mnc-go/mnc/asm"
	"github.com/mnc-go/mnc/internal/epi"
)

// NEON depthwise conv: weights packed [ceil(C/4)][KH·KW][4] (zero padded
// lanes). Each output row is split into border pixels (window clipped by
// padding: DWConvEdgeNEON, one call per pixel) and the interior run
// (DWConv<K>x<K>s<S>NEON for 3×3/5×5, stride 1/2; other shapes use the
// edge kernel everywhere). Channels past the last full group of 4 are
// computed here in Go.
func fillDWARM64(s *Set) {
	s.PackedDWSize = neonPackedDWSize
	s.PackDW = neonPackDW
	s.DWConv = neonDWConv
	s.DWConvBand = neonDWConv
	s.DWConvChannels = nil // the generic one reads tap-major weights, not PackDW's NEON layout
}

func neonPackedDWSize(c, kh, kw int) int { return (c + 3) / 4 * 4 * kh * kw }

func neonPackDW(dst, w []float32, c, kh, kw int) {
	need("PackDW(neon)", "dst", len(dst), neonPackedDWSize(c, kh, kw))
	need("PackDW(neon)", "w", len(w), c*kh*kw)
	taps := kh * kw
	for g := 0; g < (c+3)/4; g++ {
		for t := 0; t < taps; t++ {
			for l := 0; l < 4; l++ {
				v := float32(0)
				if ch := 4*g + l; ch < c {
					v = w[ch*taps+t]
				}
				dst[(g*taps+t)*4+l] = v
			}
		}
	}
}

func neonDWConv(p *DWParams, in, wp, bias, out []float32, oy0, oy1 int) {
	const name = "DWConv(neon)"
	if p.KH <= 0 || p.KW <= 0 || p.SH <= 0 || p.SW <= 0 || p.C <= 0 {
		panic(fmt.Sprintf("kernels: %s: kernel %d×%d, stride %d×%d, channels %d must be positive", name, p.KH, p.KW, p.SH, p.SW, p.C))
	}
	if oy0 < 0 || oy1 > p.OH {
		panic(fmt.Sprintf("kernels: %s: row range [%d, %d) outside [0, %d]", name, oy0, oy1, p.OH))
	}
	if oy0 >= oy1 {
		return
	}
	if p.InPitch != 0 && p.InPitch < p.C {
		panic(fmt.Sprintf("kernels: %s: input pitch %d is less than %d channels", name, p.InPitch, p.C))
	}
	need(name, "in", len(in), dwInputSize(p))
	need(name, "out", len(out), p.OH*p.OW*p.C)
	need(name, "packed weights", len(wp), neonPackedDWSize(p.C, p.KH, p.KW))
	if bias != nil {
		need(name, "bias", len(bias), p.C)
	}
	var prm EpParams
	act, post := p.Ep.params(&prm, p.Ep.Act == ActPRelu) // the depthwise kernels implement SlopeC, not Requant
	if act == epi.SlopeC {
		prm.Slopes = &p.Ep.Slope[0] // each call starts at channel 0 and steps a group of 4 at a time
	}
	// The generated kernels step input and output pixels alike: an input
	// at another pitch (the runtime gives none: Set.DWBandPitch is nil) is
	// computed by the Go loop, every channel.
	groups := p.C / 4
	if p.Pitch() != p.C {
		groups, post = 0, false
	}
	for oy := oy0; oy < oy1; oy++ {
		if groups > 0 {
			neonDWRowGroups(p, in, wp, bias, out, oy, act, &prm.A)
		}
		neonDWRowTail(p, in, wp, bias, out, oy, groups*4)
		if post {
			row := out[oy*p.OW*p.C : (oy+1)*p.OW*p.C]
			for x := 0; x < p.OW; x++ {
				for ch := 0; ch < p.C/4*4; ch++ {
					row[x*p.C+ch] = neonActScalar(&p.Ep, row[x*p.C+ch], ch)
				}
			}
		}
	}
}

// neonDWRowGroups computes output row oy for the whole 4-channel groups:
// the pixels whose window columns are inside the image with the generated
// DWConv<K>x<K>s<S>NEON on the row's valid kernel rows, when there is such
// a kernel; every other pixel with DWConvEdgeNEON on its clipped window.
func neonDWRowGroups(p *DWParams, in, wp, bias, out []float32, oy, act int, epp *float32) {
	C, groups, taps := p.C, p.C/4, p.KH*p.KW
	var bb *float32
	if bias != nil {
		bb = &bias[0]
	}
	iy := oy*p.SH - p.PadT
	ky0, ky1 := max(0, -iy), min(p.KH, p.H-iy)
	outRow := oy * p.OW * C
	// Output columns [oxLo, oxHi) have every kx inside the image.
	oxLo := (p.PadL + p.SW - 1) / p.SW
	oxHi := 0
	if last := p.W - p.KW + p.PadL; last >= 0 {
		oxHi = min(p.OW, last/p.SW+1)
	}
	interior := p.KH == p.KW && p.SH == p.SW && asm.HasDWConvInteriorNEON(p.KH, p.SH)
	runLo, runHi := 0, 0
	if interior && ky1 > ky0 && oxLo < oxHi {
		runLo, runHi = oxLo, oxHi
		ix := runLo*p.SW - p.PadL
		asm.DWConvInteriorNEON(p.KH, p.SH, &in[((iy+ky0)*p.W+ix)*C], p.W*C, C, &wp[ky0*p.KW*4], bb, &out[outRow+runLo*C],
			runHi-runLo, groups, ky1-ky0, act, epp)
	}
	for ox := 0; ox < p.OW; ox++ {
		if ox == runLo && runHi > runLo {
			ox = runHi - 1
			continue
		}
		ix := ox*p.SW - p.PadL
		kx0, kx1 := max(0, -ix), min(p.KW, p.W-ix)
		nky, nkx, inp, w := 0, 0, &in[0], &wp[0]
		if ky1 > ky0 && kx1 > kx0 {
			nky, nkx = ky1-ky0, kx1-kx0
			inp = &in[((iy+ky0)*p.W+ix+kx0)*C]
			w = &wp[(ky0*p.KW+kx0)*4]
		}
		asm.DWConvEdgeNEON(inp, p.W*C, C, w, p.KW*4, taps*4, bb, &out[outRow+ox*C], nky, nkx, groups, act, epp)
	}
}

// neonDWRowTail computes output row oy for channels [ch0, C), in Go, with
// the full epilogue.
func neonDWRowTail(p *DWParams, in, wp, bias, out []float32, oy, ch0 int) {
	C, taps, pitch := p.C, p.KH*p.KW, p.Pitch()
	iy := oy*p.SH - p.PadT
	ky0, ky1 := max(0, -iy), min(p.KH, p.H-iy)
	for ch := ch0; ch < C; ch++ {
		g, l := ch/4, ch%4
		for ox := 0; ox < p.OW; ox++ {
			ix := ox*p.SW - p.PadL
			var acc float32
			for ky := ky0; ky < ky1; ky++ {
				for kx := max(0, -ix); kx < min(p.KW, p.W-ix); kx++ {
					acc += in[((iy+ky)*p.W+ix+kx)*pitch+ch] * wp[(g*taps+ky*p.KW+kx)*4+l]
				}
			}
			if bias != nil {
				acc += bias[ch]
			}
			out[(oy*p.OW+ox)*C+ch] = neonActScalar(&p.Ep, acc, ch)
		}
	}
}
