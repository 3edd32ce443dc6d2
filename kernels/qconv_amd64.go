//go:build amd64 && !purego

package kernels

import (
	"unsafe"

	"github.com/mnc-go/mnc/asm"
)

// qstemArgs is the q block of the generated int8 stem kernels
// (codegen/dwconv/q8stem.go).
type qstemArgs struct {
	w    *byte
	fhi  float32
	zp   int32
	mask uint16
}

// qconvArch runs the direct 3×3 kernel (AVX-512 VNNI) on the blob's direct
// layout d: per output row one call for the columns whose window is
// inside the image horizontally and one per border column, padding taps
// reading a row of zero-point bytes. False where it does not apply.
func qconvArch(isa ISA, p *QConvParams, in, d, out, scratch []byte, oy0, oy1 int) bool {
	if isa != AVX512 || !HasVNNI() {
		return false
	}
	const k, is = 3, 4
	nb, os := qconvVectors(p), p.OutStride
	args := qstemArgs{w: &d[0], fhi: float32(255 - p.YZP), zp: p.YZP, mask: uint16(1<<(p.Cout-16*(nb-1)) - 1)}
	q := (*int32)(unsafe.Pointer(&args))
	zrow := scratch[:(p.W+k)*is]
	zfilled := false
	zero := func(off int) *uint8 {
		if !zfilled {
			fillBytes(zrow, byte(p.XZP))
			zfilled = true
		}
		return &zrow[off]
	}
	var taps [9]*uint8
	oxLo, oxHi := interiorCols(p.W, k, p.SW, p.PadL, p.OW)
	for oy := oy0; oy < oy1; oy++ {
		iy0 := oy*p.SH - p.PadT
		if oxLo < oxHi {
			ix := oxLo*p.SW - p.PadL
			for kh := 0; kh < k; kh++ {
				iy := iy0 + kh
				for kw := 0; kw < k; kw++ {
					if iy >= 0 && iy < p.H {
						taps[kh*k+kw] = &in[(iy*p.W+ix+kw)*is]
					} else {
						taps[kh*k+kw] = zero(kw * is)
					}
				}
			}
			asm.QStemVNNI(nb, &taps[0], p.SW*is, q, &out[(oy*p.OW+oxLo)*os], os, oxHi-oxLo)
		}
		for ox := 0; ox < p.OW; ox++ {
			if ox == oxLo && oxLo < oxHi {
				ox = oxHi - 1
				continue
			}
			ix0 := ox*p.SW - p.PadL
			for kh := 0; kh < k; kh++ {
				iy := iy0 + kh
				for kw := 0; kw < k; kw++ {
					if ix := ix0 + kw; iy >= 0 && iy < p.H && ix >= 0 && ix < p.W {
						taps[kh*k+kw] = &in[(iy*p.W+ix)*is]
					} else {
						taps[kh*k+kw] = zero(0)
					}
				}
			}
			asm.QStemVNNI(nb, &taps[0], 0, q, &out[(oy*p.OW+ox)*os], os, 1)
		}
	}
	return true
}
