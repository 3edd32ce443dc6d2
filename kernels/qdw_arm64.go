//go:build arm64 && !purego

package kernels

import (
	"fmt"

	"github.com/mnc-go/mnc/asm"
)

// fillQDWARM64: the NEON Set packs 3×3 and 5×5 depthwise weights in layout
// 4 and runs the generated QDWConv<K>x<K>NEON kernels (codegen/neon/qdw.go);
// other kernel sizes keep the pure-Go path's layout 3.
func fillQDWARM64(s *Set) {
	if s.ISA != NEON {
		return
	}
	layout := func(kh, kw int) int {
		if qdwNEONKernel(kh, kw) {
			return qdwNEON
		}
		return qdwTaps
	}
	s.PackedQDWSize = func(c, kh, kw int) int { return qdwLayoutSize(layout(kh, kw), c, kh, kw) }
	s.PackQDW = func(dst []byte, w, bias []int32, mult []float32, xzp int32, c, kh, kw int) error {
		return packQDWLayout(layout(kh, kw), dst, w, bias, mult, xzp, c, kh, kw)
	}
	s.QDWScratchSize = qdwScratchNEON
	s.QDWConv = func(p *QDWParams, in, wp, out, scratch []byte, oy0, oy1 int) {
		checkQDWArgs(p, len(in), len(out), len(scratch), qdwScratchNEON(p), oy0, oy1)
		l, err := qdwBlob(wp, p.C, p.KH, p.KW)
		if err != nil {
			panic(err.Error())
		}
		if l != qdwNEON || !qdwNEONKernel(p.KH, p.KW) {
			qdwGeneric(l, p, in, wp, out, oy0, oy1)
			return
		}
		qdwRunNEON(p, in, wp, out, scratch, oy0, oy1)
	}
}

func qdwNEONKernel(kh, kw int) bool { return kh == kw && (kh == 3 || kh == 5) }

// qdwScratchNEON: a row of zero-point bytes that padding taps read.
func qdwScratchNEON(p *QDWParams) int {
	if !qdwNEONKernel(p.KH, p.KW) {
		return 0
	}
	return (p.W + p.KW) * p.InStride
}

// qdwRunNEON runs the generated kernels over output rows [oy0, oy1): per
// row, one call for the columns whose window is inside the image
// horizontally, and one call per border column; each passes the k·k tap
// pointers of its first pixel, those in the padding pointing into the
// zero-point row (at the tap's column offset, so that they advance with
// the run's pixels and stay inside the row).
func qdwRunNEON(p *QDWParams, in, wp, out, scratch []byte, oy0, oy1 int) {
	k, is, os := p.KH, p.InStride, p.OutStride
	c4 := (p.C + 3) &^ 3
	zrow := scratch[:(p.W+k)*is]
	zfilled := false
	zero := func(off int) *uint8 {
		if !zfilled {
			fillBytes(zrow, byte(p.XZP))
			zfilled = true
		}
		return &zrow[off]
	}
	var taps [25]*uint8
	w := &wp[qdwHeader]
	call := func(pixStride int, o *uint8, npix int) {
		if !asm.QDWConvNEON(k, p.SW, &taps[0], pixStride, c4, w, int(p.YZP), o, os, npix) {
			panic(fmt.Sprintf("kernels: no generated %dx%d int8 depthwise NEON kernel", k, k))
		}
	}
	oxLo, oxHi := qdwInteriorCols(p.W, k, p.SW, p.PadL, p.OW)
	for oy := oy0; oy < oy1; oy++ {
		iy0 := oy*p.SH - p.PadT
		if oxLo < oxHi {
			ix := oxLo*p.SW - p.PadL
			for kh := 0; kh < k; kh++ {
				iy := iy0 + kh
				for kw := 0; kw < k; kw++ {
					if iy < 0 || iy >= p.H {
						taps[kh*k+kw] = zero(kw * is)
					} else {
						taps[kh*k+kw] = &in[(iy*p.W+ix+kw)*is]
					}
				}
			}
			call(p.SW*is, &out[(oy*p.OW+oxLo)*os], oxHi-oxLo)
		}
		qBorderPixels(taps[:], in, out, k, iy0, oy, p.OW, p.SW, p.PadL, p.H, p.W, is, os, oxLo, oxHi, zero, call)
	}
}

// qdwInteriorCols returns the output columns [lo, hi) whose k-wide window
// at stride s, after pad columns of padding, lies inside a w-wide image.
func qdwInteriorCols(w, k, s, pad, ow int) (lo, hi int) {
	lo = (pad + s - 1) / s
	if w-k+pad < 0 {
		return lo, lo
	}
	hi = min(max((w-k+pad)/s+1, lo), ow)
	return lo, max(hi, lo)
}
