//go:build amd64 && !purego

package kernels

import (
	"fmt"
	"unsafe"

	"github.com/mnc-go/mnc/asm"
)

// qdwArgs is the args block of the generated int8 depthwise kernels
// (codegen/dwconv/q8.go).
type qdwArgs struct {
	w    *byte    // the first channel block of the packed blob
	fhi  float32  // 255 − yzp
	zp   int32    // yzp
	mask [4]int32 // AVX2: dwords of the last partial 8-channel group
}

// fillQDWAMD64: AVX-512 with VNNI packs layout 1 and runs the VNNI
// kernels; AVX2, and AVX-512 without VNNI, pack layout 0 and run the AVX2
// kernels. Kernels other than 3×3 and 5×5 run in Go.
func fillQDWAMD64(s *Set) {
	if s.ISA != AVX2 && s.ISA != AVX512 {
		return
	}
	layout := func(kh, kw int) int {
		switch {
		case s.ISA == AVX512 && HasVNNI() && !qdwNoVNNI && qdwSIMD(kh, kw):
			return qdwVNNI
		case kh == 3 && kw == 3:
			return qdwPairs
		}
		return qdwGroups
	}
	s.PackedQDWSize = func(c, kh, kw int) int { return qdwLayoutSize(layout(kh, kw), c, kh, kw) }
	s.PackQDW = func(dst []byte, w, bias []int32, mult []float32, xzp int32, c, kh, kw int) error {
		return packQDWLayout(layout(kh, kw), dst, w, bias, mult, xzp, c, kh, kw)
	}
	s.QDWScratchSize = qdwScratch
	s.QDWConv = func(p *QDWParams, in, wp, out, scratch []byte, oy0, oy1 int) {
		checkQDWArgs(p, len(in), len(out), len(scratch), qdwScratch(p), oy0, oy1)
		l, err := qdwBlob(wp, p.C, p.KH, p.KW)
		if err != nil {
			panic(err.Error())
		}
		if !qdwSIMD(p.KH, p.KW) || l == qdwVNNI && !HasVNNI() || l == qdwPairs && p.SW > 2 {
			qdwGeneric(l, p, in, wp, out, oy0, oy1)
			return
		}
		qdwRun(l, p, in, wp, out, scratch, oy0, oy1)
	}
}

func qdwSIMD(kh, kw int) bool { return kh == kw && (kh == 3 || kh == 5) }

// qdwScratch: a row of zero-point bytes that padding taps read.
func qdwScratch(p *QDWParams) int {
	if !qdwSIMD(p.KH, p.KW) {
		return 0
	}
	return (p.W + p.KW) * p.InStride
}

// qdwRun runs the generated kernels over output rows [oy0, oy1): per row,
// one call for the columns whose window is inside the image horizontally,
// and one call per border column; each passes the k·k tap pointers of its
// first pixel, those in the padding pointing into the zero-point row.
func qdwRun(l int, p *QDWParams, in, wp, out, scratch []byte, oy0, oy1 int) {
	k, is, os, c := p.KH, p.InStride, p.OutStride, p.C
	vnni, reuse := l == qdwVNNI, k == 3 && p.SW <= 2 && (l == qdwVNNI || l == qdwPairs)
	zrow := scratch[:(p.W+k)*is]
	zfilled := false
	args := qdwArgs{w: &wp[qdwHeader], fhi: float32(255 - p.YZP), zp: p.YZP}
	if r := c % 8; r > 0 {
		args.mask[0] = -1
		if r > 4 {
			args.mask[1] = -1
		}
	}
	q := (*int32)(unsafe.Pointer(&args))
	var taps [25]*uint8
	zero := func(off int) *uint8 {
		if !zfilled {
			fillBytes(zrow, byte(p.XZP))
			zfilled = true
		}
		return &zrow[off]
	}
	call := func(pixStride int, o *uint8, npix int) {
		var ok bool
		switch {
		case vnni && reuse:
			ok = asm.QDWConv3x3sAVX512VNNI(p.SW, &taps[0], pixStride, c, q, o, os, npix)
		case reuse:
			ok = asm.QDWConv3x3sAVX2(p.SW, &taps[0], pixStride, c, q, o, os, npix)
		case vnni:
			ok = asm.QDWConvAVX512VNNI(k, &taps[0], pixStride, c, q, o, os, npix)
		default:
			ok = asm.QDWConvAVX2(k, &taps[0], pixStride, c, q, o, os, npix)
		}
		if !ok {
			panic(fmt.Sprintf("kernels: no generated %dx%d int8 depthwise kernel", k, k))
		}
	}
	oxLo, oxHi := interiorCols(p.W, k, p.SW, p.PadL, p.OW)
	// The column-reusing 3×3 kernels read the first k−s kernel columns of
	// the first pixel only (its "prologue"): a left border pixel whose
	// padding lies there joins the run (its padding taps point at the
	// zero-point row), so a row of a 3×3 pad-1 conv is one call and the
	// right border pixel.
	// A 32-channel 3×3 s1 conv on 32-byte pixels runs two pixels per
	// 64-byte vector: the stride-2 kernel on "pixels" 64 bytes apart with
	// the blob's second block (the 32 channels twice); a 16-channel one
	// four pixels per vector on the per-pixel kernel (taps 64 bytes on per
	// group of 4 pixels, the 16 channels 4 times); then the pixels left
	// over. The left border pixel then stays out of the run.
	pairs := vnni && reuse && p.SW == 1 && qdwHasPairs(l, c, k, p.KW) && is == c && os == c
	group := 64 / c
	pargs := args
	if pairs {
		pargs.w = &wp[qdwLayoutSize(l, c, k, p.KW)-qdwPairBlock]
	}
	if reuse && !pairs && oxLo == 1 && oxLo < oxHi && p.PadL <= k-p.SW {
		oxLo = 0
	}
	for oy := oy0; oy < oy1; oy++ {
		iy0 := oy*p.SH - p.PadT
		if oxLo < oxHi {
			ix := oxLo*p.SW - p.PadL
			for kh := 0; kh < k; kh++ {
				iy := iy0 + kh
				for kw := 0; kw < k; kw++ {
					switch {
					case iy < 0 || iy >= p.H:
						taps[kh*k+kw] = zero(kw * is)
					case ix+kw < 0:
						taps[kh*k+kw] = zero(0) // read at the first pixel only
					default:
						taps[kh*k+kw] = &in[(iy*p.W+ix+kw)*is]
					}
				}
			}
			n := oxHi - oxLo
			if pairs && n >= group {
				pq, po := (*int32)(unsafe.Pointer(&pargs)), &out[(oy*p.OW+oxLo)*os]
				if group == 2 {
					asm.QDWConv3x3sAVX512VNNI(2, &taps[0], 64, 64, pq, po, 64, n/2)
				} else {
					asm.QDWConvAVX512VNNI(3, &taps[0], 64, 64, pq, po, 64, n/4)
				}
				if r := n % group; r > 0 {
					for i := range taps[:k*k] {
						taps[i] = (*uint8)(unsafe.Add(unsafe.Pointer(taps[i]), (n-r)*is))
					}
					call(is, &out[(oy*p.OW+oxHi-r)*os], r)
				}
			} else {
				call(p.SW*is, &out[(oy*p.OW+oxLo)*os], n)
			}
		}
		qBorderPixels(taps[:], in, out, k, iy0, oy, p.OW, p.SW, p.PadL, p.H, p.W, is, os, oxLo, oxHi, zero, call)
	}
}
