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

// gemmU8S8VNNI: tiles of a whole panel, then single rows.
func gemmU8S8VNNI(m, n, kq int, a []uint8, lda int, bp []int8, c []int32, ldc int) {
	gemmU8S8Tiles(int8VNNI, m, n, kq, a, lda, bp, c, ldc)
}

// gemmU8S8AVX2: each panel as two halves, then single rows.
func gemmU8S8AVX2(m, n, kq int, a []uint8, lda int, bp []int8, c []int32, ldc int) {
	gemmU8S8Tiles(int8AVX2, m, n, kq, a, lda, bp, c, ldc)
}

// gemmU8S8AVXVNNI: each panel as two halves, then single rows.
func gemmU8S8AVXVNNI(m, n, kq int, a []uint8, lda int, bp []int8, c []int32, ldc int) {
	gemmU8S8Tiles(int8AVXVNNI, m, n, kq, a, lda, bp, c, ldc)
}

// int8Tiles names a family of generated int8 GEMM kernels (codegen/gemm's
// int8Families): a tile of rows × width columns (a whole packed panel, or
// half of one) and its one-row variant; asm's generated table gives their
// shapes and GemmU8S8<tag>/QGemmU8S8<tag> call them. The drivers switch on
// the family to call those directly: through a func value the compiler
// could not see that the kernels keep no pointer, and the row buffers and
// parameter block escaped (allocations on every call).
type int8Tiles int

const (
	int8VNNI    int8Tiles = iota // AVX-512 VNNI
	int8AVXVNNI                  // AVX-VNNI
	int8AVX2                     // exact AVX2
)

func (t int8Tiles) shape() (rows, width int) {
	switch t {
	case int8VNNI:
		return asm.GemmU8S8RowsAVX512VNNI, asm.GemmU8S8WidthAVX512VNNI
	case int8AVXVNNI:
		return asm.GemmU8S8RowsAVXVNNI, asm.GemmU8S8WidthAVXVNNI
	}
	return asm.GemmU8S8RowsAVX2, asm.GemmU8S8WidthAVX2
}

func (t int8Tiles) sums(one bool, kq int, a *uint8, lda int, b *int8, c *int32, ldc int) {
	switch t {
	case int8VNNI:
		asm.GemmU8S8AVX512VNNI(one, kq, a, lda, b, c, ldc)
	case int8AVXVNNI:
		asm.GemmU8S8AVXVNNI(one, kq, a, lda, b, c, ldc)
	default:
		asm.GemmU8S8AVX2(one, kq, a, lda, b, c, ldc)
	}
}

func (t int8Tiles) requant(one bool, kq int, a *uint8, lda int, b *int8, c *uint8, ldc int, q *int32) {
	switch t {
	case int8VNNI:
		asm.QGemmU8S8AVX512VNNI(one, kq, a, lda, b, c, ldc, q)
	case int8AVXVNNI:
		asm.QGemmU8S8AVXVNNI(one, kq, a, lda, b, c, ldc, q)
	default:
		asm.QGemmU8S8AVX2(one, kq, a, lda, b, c, ldc, q)
	}
}

// gemmU8S8Tiles runs t's kernels over column blocks of its width (a
// half panel's columns lie within each 128-byte group), its rows at a
// time, then single rows; a partial block goes through a row buffer.
func gemmU8S8Tiles(t int8Tiles, m, n, kq int, a []uint8, lda int, bp []int8, c []int32, ldc int) {
	rows, width := t.shape()
	var tmp [asm.GemmU8S8MaxRows * GemmS8Panel]int32
	for j0 := 0; j0 < n; j0 += width {
		p0 := j0 / GemmS8Panel * GemmS8Panel
		pb := &bp[p0*kq*4+(j0-p0)*4]
		cols := min(width, n-j0)
		i := 0
		for ; i+rows <= m; i += rows {
			if cols == width {
				t.sums(false, kq, &a[i*lda], lda, pb, &c[i*ldc+j0], ldc)
				continue
			}
			t.sums(false, kq, &a[i*lda], lda, pb, &tmp[0], width)
			for r := 0; r < rows; r++ {
				copy(c[(i+r)*ldc+j0:][:cols], tmp[r*width:][:cols])
			}
		}
		for ; i < m; i++ {
			if cols == width {
				t.sums(true, kq, &a[i*lda], lda, pb, &c[i*ldc+j0], ldc)
				continue
			}
			t.sums(true, kq, &a[i*lda], lda, pb, &tmp[0], width)
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
// epilogue (whole-panel tiles, then rows); false without AVX-512 VNNI or with a
// non-finite multiplier.
func qgemmU8S8Arch(m, n, kq int, a []uint8, lda int, bp []int8, comp []int32, mult []float32, zp, lo, hi int32, out []uint8, ldo int) bool {
	if !HasVNNI() || gemmU8S8NoAVX512VNNI {
		return false
	}
	return qgemmU8S8Tiles(int8VNNI, m, n, kq, a, lda, bp, comp, mult, zp, lo, hi, out, ldo)
}

// qgemmU8S8AVXVNNI runs QGemmU8S8 on the AVX-VNNI kernels with the
// requantizing epilogue; false without AVX-VNNI or with a non-finite
// multiplier.
func qgemmU8S8AVXVNNI(m, n, kq int, a []uint8, lda int, bp []int8, comp []int32, mult []float32, zp, lo, hi int32, out []uint8, ldo int) bool {
	if !HasAVXVNNI() {
		return false
	}
	return qgemmU8S8Tiles(int8AVXVNNI, m, n, kq, a, lda, bp, comp, mult, zp, lo, hi, out, ldo)
}

// qgemmU8S8AVX2 runs QGemmU8S8 on the exact AVX2 kernels with the
// requantizing epilogue; false without AVX2 or with a non-finite
// multiplier.
func qgemmU8S8AVX2(m, n, kq int, a []uint8, lda int, bp []int8, comp []int32, mult []float32, zp, lo, hi int32, out []uint8, ldo int) bool {
	if !Supported(AVX2) {
		return false
	}
	return qgemmU8S8Tiles(int8AVX2, m, n, kq, a, lda, bp, comp, mult, zp, lo, hi, out, ldo)
}

// qgemmU8S8Tiles runs t's requantizing kernels as gemmU8S8Tiles runs its
// sums; a partial block also gets zero-padded parameters (the kernels read
// width of them). False for kq = 0 or a non-finite multiplier (the Go
// epilogue handles those).
func qgemmU8S8Tiles(t int8Tiles, m, n, kq int, a []uint8, lda int, bp []int8, comp []int32, mult []float32, zp, lo, hi int32, out []uint8, ldo int) bool {
	if kq == 0 || !finiteSlopes(mult[:n], n) {
		return false
	}
	rows, width := t.shape()
	var tmp [asm.GemmU8S8MaxRows * GemmS8Panel]uint8
	var cpad [GemmS8Panel]int32
	var mpad [GemmS8Panel]float32
	q := qgemmParams{flo: float32(lo - zp), fhi: float32(hi - zp), zp: zp}
	qp := (*int32)(unsafe.Pointer(&q))
	for j0 := 0; j0 < n; j0 += width {
		p0 := j0 / GemmS8Panel * GemmS8Panel
		pb := &bp[p0*kq*4+(j0-p0)*4] // the block's columns within each 128-byte group
		cols := min(width, n-j0)
		if cols == width {
			q.comp, q.mult = &comp[j0], &mult[j0]
		} else {
			copy(cpad[:], comp[j0:n])
			copy(mpad[:], mult[j0:n])
			q.comp, q.mult = &cpad[0], &mpad[0]
		}
		i := 0
		for ; i+rows <= m; i += rows {
			if cols == width {
				t.requant(false, kq, &a[i*lda], lda, pb, &out[i*ldo+j0], ldo, qp)
				continue
			}
			t.requant(false, kq, &a[i*lda], lda, pb, &tmp[0], width, qp)
			for r := 0; r < rows; r++ {
				copy(out[(i+r)*ldo+j0:][:cols], tmp[r*width:][:cols])
			}
		}
		for ; i < m; i++ {
			if cols == width {
				t.requant(true, kq, &a[i*lda], lda, pb, &out[i*ldo+j0], ldo, qp)
				continue
			}
			t.requant(true, kq, &a[i*lda], lda, pb, &tmp[0], width, qp)
			copy(out[i*ldo+j0:][:cols], tmp[:cols])
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
