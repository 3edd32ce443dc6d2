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
	mask [4]int32 // VNNI: the last vector's outputs (16 bits); AVX2: its dwords
}

// qconvArch runs the direct 3×3 kernels (AVX-512 VNNI, else AVX2) on the
// blob's direct layouts d: per output row one call for the columns whose
// window is inside the image horizontally and one per border column,
// padding taps reading a row of zero-point bytes. False where it does not
// apply.
func qconvArch(isa ISA, p *QConvParams, in, d, out, scratch []byte, oy0, oy1 int) bool {
	vnni := isa == AVX512 && HasVNNI()
	if !vnni && isa != AVX2 && isa != AVX512 {
		return false
	}
	const k, is = 3, 4
	nb, os := qconvVectors(p), p.OutStride
	args := qstemArgs{w: &d[0], fhi: float32(255 - p.YZP), zp: p.YZP}
	if vnni {
		args.mask[0] = 1<<(p.Cout-16*(nb-1)) - 1
	} else {
		args.w = &d[(9+2)*64*nb]
		nb = qconvVectors8(p)
		args.mask[0] = -1
		if p.Cout-8*(nb-1) > 4 {
			args.mask[1] = -1
		}
	}
	q := (*int32)(unsafe.Pointer(&args))
	var taps [9]*uint8
	call := func(pixStride int, o *uint8, npix int) {
		if vnni {
			asm.QStemConvAVX512VNNI(nb, &taps[0], pixStride, q, o, os, npix)
		} else {
			asm.QStemConvAVX2(nb, &taps[0], pixStride, q, o, os, npix)
		}
	}
	zrow := scratch[:(p.W+k)*is]
	zfilled := false
	zero := func(off int) *uint8 {
		if !zfilled {
			fillBytes(zrow, byte(p.XZP))
			zfilled = true
		}
		return &zrow[off]
	}
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
			call(p.SW*is, &out[(oy*p.OW+oxLo)*os], oxHi-oxLo)
		}
		qBorderPixels(taps[:], in, out, k, iy0, oy, p.OW, p.SW, p.PadL, p.H, p.W, is, os, oxLo, oxHi, zero, call)
	}
	return true
}
