//go:build amd64 && !purego

package kernels

import (
	"unsafe"

	"github.com/mnc-go/mnc/asm"
)

// gemmU8S8Arch runs GemmU8S8 on the generated kernels: VPDPBUSD on zmm with
// AVX-512 VNNI, else VEX VPDPBUSD on ymm with AVX-VNNI, else the exact
// VPMADDUBSW/VPMADDWD kernels with AVX2; false (the caller runs pure Go)
// without any.
func gemmU8S8Arch(m, n, kq int, a []uint8, lda int, bp []int8, c []int32, ldc int) bool {
	switch {
	case kq == 0:
		return false
	case HasVNNI() && !gemmU8S8NoAVX512VNNI:
		gemmU8S8VNNI(m, n, kq, a, lda, bp, c, ldc)
	case HasAVXVNNI():
		gemmU8S8AVXVNNI(m, n, kq, a, lda, bp, c, ldc)
	case Supported(AVX2):
		gemmU8S8AVX2(m, n, kq, a, lda, bp, c, ldc)
	default:
		return false
	}
	return true
}

// gemmU8S8ForISA is gemmU8S8Arch limited to the paths isa allows: AVX-512
// VNNI only for AVX512, AVX-VNNI and the AVX2 kernels for AVX2 and AVX512;
// false for Generic.
func gemmU8S8ForISA(isa ISA, m, n, kq int, a []uint8, lda int, bp []int8, c []int32, ldc int) bool {
	switch {
	case kq == 0 || isa == Generic:
		return false
	case isa == AVX512 && HasVNNI() && !gemmU8S8NoAVX512VNNI:
		gemmU8S8VNNI(m, n, kq, a, lda, bp, c, ldc)
	case HasAVXVNNI():
		gemmU8S8AVXVNNI(m, n, kq, a, lda, bp, c, ldc)
	case Supported(AVX2):
		gemmU8S8AVX2(m, n, kq, a, lda, bp, c, ldc)
	default:
		return false
	}
	return true
}

// gemmU8S8Paths are the generated paths this machine runs (for tests).
func gemmU8S8Paths() map[string]func(m, n, kq int, a []uint8, lda int, bp []int8, c []int32, ldc int) {
	p := map[string]func(m, n, kq int, a []uint8, lda int, bp []int8, c []int32, ldc int){}
	if HasVNNI() {
		p["vnni"] = gemmU8S8VNNI
	}
	if HasAVXVNNI() {
		p["avxvnni"] = gemmU8S8AVXVNNI
	}
	if Supported(AVX2) {
		p["avx2"] = gemmU8S8AVX2
	}
	return p
}

// gemmU8S8VNNI: 8 rows × 32 columns, then single rows; a partial panel
// through a row buffer.
func gemmU8S8VNNI(m, n, kq int, a []uint8, lda int, bp []int8, c []int32, ldc int) {
	var tmp [8 * GemmS8Panel]int32
	for p0 := 0; p0 < n; p0 += GemmS8Panel {
		pb := &bp[p0*kq*4]
		cols := min(GemmS8Panel, n-p0)
		i := 0
		for ; i+8 <= m; i += 8 {
			if cols == GemmS8Panel {
				asm.GemmU8S8x8x32VNNI(kq, &a[i*lda], lda, pb, &c[i*ldc+p0], ldc)
				continue
			}
			asm.GemmU8S8x8x32VNNI(kq, &a[i*lda], lda, pb, &tmp[0], GemmS8Panel)
			for r := 0; r < 8; r++ {
				copy(c[(i+r)*ldc+p0:][:cols], tmp[r*GemmS8Panel:][:cols])
			}
		}
		for ; i < m; i++ {
			if cols == GemmS8Panel {
				asm.GemmU8S8x1x32VNNI(kq, &a[i*lda], lda, pb, &c[i*ldc+p0], ldc)
				continue
			}
			asm.GemmU8S8x1x32VNNI(kq, &a[i*lda], lda, pb, &tmp[0], GemmS8Panel)
			copy(c[i*ldc+p0:][:cols], tmp[:cols])
		}
	}
}

// gemmU8S8AVX2: each panel as two halves of 16 columns, 4 rows at a time,
// then single rows; partial halves through a row buffer.
func gemmU8S8AVX2(m, n, kq int, a []uint8, lda int, bp []int8, c []int32, ldc int) {
	const half = GemmS8Panel / 2
	var tmp [4 * half]int32
	for j0 := 0; j0 < n; j0 += half {
		p0 := j0 / GemmS8Panel * GemmS8Panel
		pb := &bp[p0*kq*4+(j0-p0)*4] // the half's columns within each 128-byte group
		cols := min(half, n-j0)
		i := 0
		for ; i+4 <= m; i += 4 {
			if cols == half {
				asm.GemmU8S8x4x16AVX2(kq, &a[i*lda], lda, pb, &c[i*ldc+j0], ldc)
				continue
			}
			asm.GemmU8S8x4x16AVX2(kq, &a[i*lda], lda, pb, &tmp[0], half)
			for r := 0; r < 4; r++ {
				copy(c[(i+r)*ldc+j0:][:cols], tmp[r*half:][:cols])
			}
		}
		for ; i < m; i++ {
			if cols == half {
				asm.GemmU8S8x1x16AVX2(kq, &a[i*lda], lda, pb, &c[i*ldc+j0], ldc)
				continue
			}
			asm.GemmU8S8x1x16AVX2(kq, &a[i*lda], lda, pb, &tmp[0], half)
			copy(c[i*ldc+j0:][:cols], tmp[:cols])
		}
	}
}

// gemmU8S8AVXVNNI: each panel as two halves of 16 columns, 6 rows at a
// time, then single rows; partial halves through a row buffer.
func gemmU8S8AVXVNNI(m, n, kq int, a []uint8, lda int, bp []int8, c []int32, ldc int) {
	const half, rows = GemmS8Panel / 2, 6
	var tmp [rows * half]int32
	for j0 := 0; j0 < n; j0 += half {
		p0 := j0 / GemmS8Panel * GemmS8Panel
		pb := &bp[p0*kq*4+(j0-p0)*4] // the half's columns within each 128-byte group
		cols := min(half, n-j0)
		i := 0
		for ; i+rows <= m; i += rows {
			if cols == half {
				asm.GemmU8S8x6x16AVXVNNI(kq, &a[i*lda], lda, pb, &c[i*ldc+j0], ldc)
				continue
			}
			asm.GemmU8S8x6x16AVXVNNI(kq, &a[i*lda], lda, pb, &tmp[0], half)
			for r := 0; r < rows; r++ {
				copy(c[(i+r)*ldc+j0:][:cols], tmp[r*half:][:cols])
			}
		}
		for ; i < m; i++ {
			if cols == half {
				asm.GemmU8S8x1x16AVXVNNI(kq, &a[i*lda], lda, pb, &c[i*ldc+j0], ldc)
				continue
			}
			asm.GemmU8S8x1x16AVXVNNI(kq, &a[i*lda], lda, pb, &tmp[0], half)
			copy(c[i*ldc+j0:][:cols], tmp[:cols])
		}
	}
}

// qgemmParams is the q block of the QGemmU8S8 kernels (codegen/gemm/vnni.go).
type qgemmParams struct {
	comp     *int32
	mult     *float32
	flo, fhi float32
	zp       int32
}

// qgemmU8S8Arch runs QGemmU8S8 on the VNNI kernels with the requantizing
// epilogue (8×32 tiles, then rows; a partial panel through a row buffer);
// false without AVX-512 VNNI or with a non-finite multiplier.
func qgemmU8S8Arch(m, n, kq int, a []uint8, lda int, bp []int8, comp []int32, mult []float32, zp, lo, hi int32, out []uint8, ldo int) bool {
	if !HasVNNI() || gemmU8S8NoAVX512VNNI || kq == 0 || !finiteSlopes(mult[:n], n) {
		return false
	}
	var tmp [8 * GemmS8Panel]uint8
	var cpad [GemmS8Panel]int32
	var mpad [GemmS8Panel]float32
	q := qgemmParams{flo: float32(lo - zp), fhi: float32(hi - zp), zp: zp}
	for p0 := 0; p0 < n; p0 += GemmS8Panel {
		pb := &bp[p0*kq*4]
		cols := min(GemmS8Panel, n-p0)
		if cols == GemmS8Panel {
			q.comp, q.mult = &comp[p0], &mult[p0]
		} else { // the kernel reads 32 parameters
			copy(cpad[:], comp[p0:n])
			copy(mpad[:], mult[p0:n])
			q.comp, q.mult = &cpad[0], &mpad[0]
		}
		qp := (*int32)(unsafe.Pointer(&q))
		i := 0
		for ; i+8 <= m; i += 8 {
			if cols == GemmS8Panel {
				asm.QGemmU8S8x8x32VNNI(kq, &a[i*lda], lda, pb, &out[i*ldo+p0], ldo, qp)
				continue
			}
			asm.QGemmU8S8x8x32VNNI(kq, &a[i*lda], lda, pb, &tmp[0], GemmS8Panel, qp)
			for r := 0; r < 8; r++ {
				copy(out[(i+r)*ldo+p0:][:cols], tmp[r*GemmS8Panel:][:cols])
			}
		}
		for ; i < m; i++ {
			if cols == GemmS8Panel {
				asm.QGemmU8S8x1x32VNNI(kq, &a[i*lda], lda, pb, &out[i*ldo+p0], ldo, qp)
				continue
			}
			asm.QGemmU8S8x1x32VNNI(kq, &a[i*lda], lda, pb, &tmp[0], GemmS8Panel, qp)
			copy(out[i*ldo+p0:][:cols], tmp[:cols])
		}
	}
	return true
}

// qgemmU8S8AVXVNNI runs QGemmU8S8 on the AVX-VNNI kernels with the
// requantizing epilogue; false without AVX-VNNI or with a non-finite
// multiplier.
func qgemmU8S8AVXVNNI(m, n, kq int, a []uint8, lda int, bp []int8, comp []int32, mult []float32, zp, lo, hi int32, out []uint8, ldo int) bool {
	if !HasAVXVNNI() {
		return false
	}
	return qgemmU8S8Halves(true, m, n, kq, a, lda, bp, comp, mult, zp, lo, hi, out, ldo)
}

// qgemmU8S8AVX2 runs QGemmU8S8 on the exact AVX2 kernels with the
// requantizing epilogue; false without AVX2 or with a non-finite
// multiplier.
func qgemmU8S8AVX2(m, n, kq int, a []uint8, lda int, bp []int8, comp []int32, mult []float32, zp, lo, hi int32, out []uint8, ldo int) bool {
	if !Supported(AVX2) {
		return false
	}
	return qgemmU8S8Halves(false, m, n, kq, a, lda, bp, comp, mult, zp, lo, hi, out, ldo)
}

// qgemmU8S8Halves runs the ymm QGemm kernels (AVX-VNNI: 6 rows, else
// AVX2: 4 rows) on half panels of 16 columns, then single rows; a partial
// half through a row buffer.
func qgemmU8S8Halves(vnni bool, m, n, kq int, a []uint8, lda int, bp []int8, comp []int32, mult []float32, zp, lo, hi int32, out []uint8, ldo int) bool {
	if kq == 0 || !finiteSlopes(mult[:n], n) {
		return false
	}
	const half = GemmS8Panel / 2
	rows := 4
	if vnni {
		rows = 6
	}
	var tmp [6 * half]uint8
	var cpad [half]int32
	var mpad [half]float32
	q := qgemmParams{flo: float32(lo - zp), fhi: float32(hi - zp), zp: zp}
	qp := (*int32)(unsafe.Pointer(&q))
	for j0 := 0; j0 < n; j0 += half {
		p0 := j0 / GemmS8Panel * GemmS8Panel
		pb := &bp[p0*kq*4+(j0-p0)*4] // the half's columns within each 128-byte group
		cols := min(half, n-j0)
		if cols == half {
			q.comp, q.mult = &comp[j0], &mult[j0]
		} else { // the kernel reads 16 parameters
			copy(cpad[:], comp[j0:n])
			copy(mpad[:], mult[j0:n])
			q.comp, q.mult = &cpad[0], &mpad[0]
		}
		i := 0
		for ; i+rows <= m; i += rows {
			dst, ld := &out[i*ldo+j0], ldo
			if cols < half {
				dst, ld = &tmp[0], half
			}
			if vnni {
				asm.QGemmU8S8x6x16AVXVNNI(kq, &a[i*lda], lda, pb, dst, ld, qp)
			} else {
				asm.QGemmU8S8x4x16AVX2(kq, &a[i*lda], lda, pb, dst, ld, qp)
			}
			if cols < half {
				for r := 0; r < rows; r++ {
					copy(out[(i+r)*ldo+j0:][:cols], tmp[r*half:][:cols])
				}
			}
		}
		for ; i < m; i++ {
			dst := &out[i*ldo+j0]
			if cols < half {
				dst = &tmp[0]
			}
			if vnni {
				asm.QGemmU8S8x1x16AVXVNNI(kq, &a[i*lda], lda, pb, dst, ldo, qp)
			} else {
				asm.QGemmU8S8x1x16AVX2(kq, &a[i*lda], lda, pb, dst, ldo, qp)
			}
			if cols < half {
				copy(out[i*ldo+j0:][:cols], tmp[:cols])
			}
		}
	}
	return true
}

// qgemmU8S8Paths are the generated QGemmU8S8 paths this machine runs (for tests).
func qgemmU8S8Paths() map[string]qgemmU8S8Func {
	p := map[string]qgemmU8S8Func{}
	if HasVNNI() {
		p["vnni"] = qgemmU8S8Arch
	}
	if HasAVXVNNI() {
		p["avxvnni"] = qgemmU8S8AVXVNNI
	}
	if Supported(AVX2) {
		p["avx2-kernel"] = qgemmU8S8AVX2
	}
	return p
}
