//go:build arm64 && !purego

package kernels

import (
	"unsafe"

	"github.com/mnc-go/mnc/asm"
)

// qdwArgsNEON is the q block of the generated NEON int8 depthwise kernel
// (codegen/neon/qdw.go).
type qdwArgsNEON struct {
	w      *byte // the first 8-channel group of the packed blob
	zp, hi int32 // yzp, 255
}

// fillQDWARM64: NEON packs layout 4 and runs the generated kernel on the
// channels in groups of 8, Go on the last c%8.
func fillQDWARM64(s *Set) {
	s.PackedQDWSize = func(c, kh, kw int) int { return qdwLayoutSize(qdwNEON, c, kh, kw) }
	s.PackQDW = func(dst []byte, w, bias []int32, mult []float32, xzp int32, c, kh, kw int) error {
		return packQDWLayout(qdwNEON, dst, w, bias, mult, xzp, c, kh, kw)
	}
	s.QDWScratchSize = func(p *QDWParams) int { return (p.W + p.KW) * p.InStride }
	s.QDWConv = func(p *QDWParams, in, wp, out, scratch []byte, oy0, oy1 int) {
		checkQDWArgs(p, len(in), len(out), len(scratch), (p.W+p.KW)*p.InStride, oy0, oy1)
		l, err := qdwBlob(wp, p.C, p.KH, p.KW)
		if err != nil {
			panic(err.Error())
		}
		if l != qdwNEON || p.KH*p.KW > 25 || p.C < 8 {
			qdwGeneric(l, p, in, wp, out, oy0, oy1)
			return
		}
		qdwRunNEON(p, in, wp, out, scratch, oy0, oy1)
	}
}

// qdwRunNEON: per output row one kernel call for the columns whose window
// is inside the image horizontally and one per border column, with the
// k·k tap pointers of the call's first pixel (padding taps point into a
// row of zero-point bytes); the channels past the last group of 8 in Go.
func qdwRunNEON(p *QDWParams, in, wp, out, scratch []byte, oy0, oy1 int) {
	kh, kw, is, os := p.KH, p.KW, p.InStride, p.OutStride
	c8 := p.C &^ 7
	zrow := scratch[:(p.W+kw)*is]
	zfilled := false
	zero := func(off int) *uint8 {
		if !zfilled {
			fillBytes(zrow, byte(p.XZP))
			zfilled = true
		}
		return &zrow[off]
	}
	args := qdwArgsNEON{w: &wp[qdwHeader], zp: p.YZP, hi: 255}
	q := (*int32)(unsafe.Pointer(&args))
	var taps [25]*uint8
	oxLo := min((p.PadL+p.SW-1)/p.SW, p.OW)
	oxHi := oxLo
	if p.W-kw+p.PadL >= 0 {
		oxHi = min(max((p.W-kw+p.PadL)/p.SW+1, oxLo), p.OW)
	}
	for oy := oy0; oy < oy1; oy++ {
		iy0 := oy*p.SH - p.PadT
		if oxLo < oxHi {
			ix := oxLo*p.SW - p.PadL
			for y := 0; y < kh; y++ {
				iy := iy0 + y
				for x := 0; x < kw; x++ {
					if iy >= 0 && iy < p.H {
						taps[y*kw+x] = &in[(iy*p.W+ix+x)*is]
					} else {
						taps[y*kw+x] = zero(x * is)
					}
				}
			}
			asm.QDWConvNEON(&taps[0], kh*kw, p.SW*is, c8, q, &out[(oy*p.OW+oxLo)*os], os, oxHi-oxLo)
		}
		for ox := 0; ox < p.OW; ox++ {
			if ox == oxLo && oxLo < oxHi {
				ox = oxHi - 1
				continue
			}
			ix0 := ox*p.SW - p.PadL
			for y := 0; y < kh; y++ {
				iy := iy0 + y
				for x := 0; x < kw; x++ {
					if ix := ix0 + x; iy >= 0 && iy < p.H && ix >= 0 && ix < p.W {
						taps[y*kw+x] = &in[(iy*p.W+ix)*is]
					} else {
						taps[y*kw+x] = zero(0)
					}
				}
			}
			asm.QDWConvNEON(&taps[0], kh*kw, 0, c8, q, &out[(oy*p.OW+ox)*os], os, 1)
		}
	}
	if c8 < p.C {
		qdwAnyGoChannels(qdwNEON, p, in, wp, out, oy0, oy1, c8, p.C)
	}
}
