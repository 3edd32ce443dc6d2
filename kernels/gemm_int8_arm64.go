//go:build arm64 && !purego

package kernels

import (
	"math"

	"github.com/mnc-go/mnc/asm"
	"golang.org/x/sys/cpu"
)

// The int8 GEMM on arm64 runs the generated kernels of codegen/neon/int8.go:
// SUDOT by element (u8 × s8 directly) where the CPU has FEAT_I8MM
// (cpu.ARM64.HasI8MM: ARMv8.6, Cortex-A710/X2, Neoverse V1/N2), else SDOT by
// element with the dot-product extension (ARMv8.2, cpu.ARM64.HasASIMDDP:
// Cortex-A55/A75 and later, Neoverse N1, Apple), else SMULL/SADALP (ARMv8.0:
// Cortex-A53/A57/A72). The last two multiply a−128 as signed bytes and
// start from PackGemmS8's column sums 128·Σw, so all three read the same
// packed weights as the amd64 and pure-Go paths. A kernel covers 16 columns
// (half a panel) and MR rows (4 with the dot products, 2 without), looping
// over row tiles; rows are taken in blocks of about 64 KB of A so that a
// block stays in cache across the half panels.

// int8Kind names the generated int8 kernel family.
type int8Kind uint8

const (
	int8NEON  int8Kind = iota // SMULL/SADALP, ARMv8.0
	int8SDOT                  // SDOT, dot-product extension
	int8SUDOT                 // SUDOT, I8MM
)

var (
	hasSDOT  = cpu.ARM64.HasASIMDDP
	hasSUDOT = cpu.ARM64.HasI8MM
)

// int8Best is the family this CPU runs best.
func int8Best() int8Kind {
	switch {
	case hasSUDOT:
		return int8SUDOT
	case hasSDOT:
		return int8SDOT
	}
	return int8NEON
}

// int8Kinds are the families this CPU runs, by name (for tests).
func int8Kinds() map[string]int8Kind {
	k := map[string]int8Kind{"smull": int8NEON}
	if hasSDOT {
		k["sdot"] = int8SDOT
	}
	if hasSUDOT {
		k["sudot"] = int8SUDOT
	}
	return k
}

func gemmU8S8Arch(m, n, kq int, a []uint8, lda int, bp []int8, c []int32, ldc int) bool {
	if kq == 0 || !cpu.ARM64.HasASIMD {
		return false
	}
	gemmU8S8ARM64(int8Best(), m, n, kq, a, lda, bp, c, ldc)
	return true
}

// gemmU8S8ForISA is gemmU8S8Arch for NEON; false for Generic.
func gemmU8S8ForISA(isa ISA, m, n, kq int, a []uint8, lda int, bp []int8, c []int32, ldc int) bool {
	return isa == NEON && gemmU8S8Arch(m, n, kq, a, lda, bp, c, ldc)
}

// gemmU8S8Paths are the generated paths this machine runs (for tests).
func gemmU8S8Paths() map[string]func(m, n, kq int, a []uint8, lda int, bp []int8, c []int32, ldc int) {
	p := map[string]func(m, n, kq int, a []uint8, lda int, bp []int8, c []int32, ldc int){}
	if !cpu.ARM64.HasASIMD {
		return p
	}
	for name, kind := range int8Kinds() {
		p[name] = func(m, n, kq int, a []uint8, lda int, bp []int8, c []int32, ldc int) {
			gemmU8S8ARM64(kind, m, n, kq, a, lda, bp, c, ldc)
		}
	}
	return p
}

// int8MR is the kernels' tile height (the generated inventory's).
func int8MR(kind int8Kind) int {
	switch kind {
	case int8NEON:
		return asm.GemmU8S8RowsNEON
	case int8SUDOT:
		return asm.GemmU8S8RowsSUDOT
	}
	return asm.GemmU8S8RowsSDOT
}

// int8Init sets init to the accumulators' start for the 16 columns from
// j0: the column sums 128·Σw for the kernels that multiply a−128, minus
// comp (when not nil) for QGemmU8S8, in int32 wrap-around as requantRow's
// s − comp.
func int8Init(init *[16]int32, kind int8Kind, bp []int8, n, kq, j0 int, comp []int32) {
	if kind == int8SUDOT {
		clear(init[:])
	} else {
		gemmS8Sums(init, bp, n, kq, j0)
	}
	if comp != nil {
		for j := range min(16, n-j0) {
			init[j] -= comp[j0+j]
		}
	}
}

// int8RowBlock is the number of rows (a multiple of mr) run against every
// half panel before the next block: about int8BlockBytes of A.
func int8RowBlock(kq, mr int) int { return max(mr, int8BlockBytes/(4*kq)/mr*mr) }

func gemmU8S8ARM64(kind int8Kind, m, n, kq int, a []uint8, lda int, bp []int8, c []int32, ldc int) {
	mrMax := int8MR(kind)
	rb := int8RowBlock(kq, mrMax)
	var init [16]int32
	var tmp [asm.GemmU8S8MaxRows * 16]int32
	call := func(mr int, a *uint8, b *int8, c *int32, ldc, tiles int) {
		switch kind {
		case int8SUDOT:
			asm.GemmU8S8SUDOT(mr, kq, a, lda, b, &init[0], c, ldc, tiles)
		case int8SDOT:
			asm.GemmU8S8SDOT(mr, kq, a, lda, b, &init[0], c, ldc, tiles)
		default:
			asm.GemmU8S8NEON(mr, kq, a, lda, b, &init[0], c, ldc, tiles)
		}
	}
	for i0 := 0; i0 < m; i0 += rb {
		rows := min(rb, m-i0)
		for j0 := 0; j0 < n; j0 += 16 {
			p0 := j0 &^ (GemmS8Panel - 1)
			pb := &bp[p0*kq*4+(j0-p0)*4] // the half's columns within each 128-byte group
			int8Init(&init, kind, bp, n, kq, j0, nil)
			if cols := min(16, n-j0); cols < 16 {
				for i := i0; i < i0+rows; i += mrMax {
					mr := min(mrMax, i0+rows-i)
					call(mr, &a[i*lda], pb, &tmp[0], 16, 1)
					for r := 0; r < mr; r++ {
						copy(c[(i+r)*ldc+j0:][:cols], tmp[r*16:][:cols])
					}
				}
				continue
			}
			if full := rows / mrMax; full > 0 {
				call(mrMax, &a[i0*lda], pb, &c[i0*ldc+j0], ldc, full)
			}
			if rest := rows % mrMax; rest > 0 {
				i := i0 + rows - rest
				call(rest, &a[i*lda], pb, &c[i*ldc+j0], ldc, 1)
			}
		}
	}
}

func qgemmU8S8Arch(m, n, kq int, a []uint8, lda int, bp []int8, comp []int32, mult []float32, zp, lo, hi int32, out []uint8, ldo int) bool {
	if kq == 0 || !cpu.ARM64.HasASIMD || !int8QArgsOK(mult[:n], lo, hi) {
		return false
	}
	qgemmU8S8ARM64(int8Best(), m, n, kq, a, lda, bp, comp, mult, zp, lo, hi, out, ldo)
	return true
}

// qgemmU8S8Paths are the generated QGemmU8S8 paths this machine runs (for tests).
func qgemmU8S8Paths() map[string]qgemmU8S8Func {
	p := map[string]qgemmU8S8Func{}
	if !cpu.ARM64.HasASIMD {
		return p
	}
	for name, kind := range int8Kinds() {
		p[name] = func(m, n, kq int, a []uint8, lda int, bp []int8, comp []int32, mult []float32, zp, lo, hi int32, out []uint8, ldo int) bool {
			if kq == 0 || !int8QArgsOK(mult[:n], lo, hi) {
				return false
			}
			qgemmU8S8ARM64(kind, m, n, kq, a, lda, bp, comp, mult, zp, lo, hi, out, ldo)
			return true
		}
	}
	return p
}

// int8QArgsOK reports whether the q kernels take these parameters: every
// multiplier finite and the clamp within the bytes (they clamp in int16);
// QGemmU8S8 runs the Go epilogue otherwise.
func int8QArgsOK(s []float32, lo, hi int32) bool {
	if lo < -128 || hi > 255 {
		return false
	}
	for _, v := range s {
		if math.IsInf(float64(v), 0) || v != v {
			return false
		}
	}
	return true
}

func qgemmU8S8ARM64(kind int8Kind, m, n, kq int, a []uint8, lda int, bp []int8, comp []int32, mult []float32, zp, lo, hi int32, out []uint8, ldo int) {
	mrMax := int8MR(kind)
	rb := int8RowBlock(kq, mrMax)
	var init [16]int32
	var mpad [16]float32
	var tmp [asm.GemmU8S8MaxRows * 16]uint8
	ep := [3]int16{int16(zp), int16(lo), int16(hi)} // within [−128, 255]: QGemmU8S8 checked lo ≤ zp ≤ hi, bytes
	var mp *float32
	call := func(mr int, a *uint8, b *int8, c *uint8, ldc, tiles int) {
		switch kind {
		case int8SUDOT:
			asm.QGemmU8S8SUDOT(mr, kq, a, lda, b, &init[0], mp, &ep[0], c, ldc, tiles)
		case int8SDOT:
			asm.QGemmU8S8SDOT(mr, kq, a, lda, b, &init[0], mp, &ep[0], c, ldc, tiles)
		default:
			asm.QGemmU8S8NEON(mr, kq, a, lda, b, &init[0], mp, &ep[0], c, ldc, tiles)
		}
	}
	for i0 := 0; i0 < m; i0 += rb {
		rows := min(rb, m-i0)
		for j0 := 0; j0 < n; j0 += 16 {
			p0 := j0 &^ (GemmS8Panel - 1)
			pb := &bp[p0*kq*4+(j0-p0)*4]
			cols := min(16, n-j0)
			int8Init(&init, kind, bp, n, kq, j0, comp)
			if cols < 16 { // the kernel reads 16 multipliers
				clear(mpad[:])
				copy(mpad[:], mult[j0:n])
				mp = &mpad[0]
				for i := i0; i < i0+rows; i += mrMax {
					mr := min(mrMax, i0+rows-i)
					call(mr, &a[i*lda], pb, &tmp[0], 16, 1)
					for r := 0; r < mr; r++ {
						copy(out[(i+r)*ldo+j0:][:cols], tmp[r*16:][:cols])
					}
				}
				continue
			}
			mp = &mult[j0]
			if full := rows / mrMax; full > 0 {
				call(mrMax, &a[i0*lda], pb, &out[i0*ldo+j0], ldo, full)
			}
			if rest := rows % mrMax; rest > 0 {
				i := i0 + rows - rest
				call(rest, &a[i*lda], pb, &out[i*ldo+j0], ldo, 1)
			}
		}
	}
}

// qgemmU8S8AVXVNNI: AVX-VNNI is amd64 only.
func qgemmU8S8AVXVNNI(m, n, kq int, a []uint8, lda int, bp []int8, comp []int32, mult []float32, zp, lo, hi int32, out []uint8, ldo int) bool {
	return false
}

// qgemmU8S8AVX2: amd64 only.
func qgemmU8S8AVX2(m, n, kq int, a []uint8, lda int, bp []int8, comp []int32, mult []float32, zp, lo, hi int32, out []uint8, ldo int) bool {
	return false
}
