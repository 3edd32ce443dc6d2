package kernels

import (
	"fmt"
	"math"
)

// The int8 GEMM (issue #14's building block; plans do not use it yet):
//
//	C[i][j] = Σ_p A[i][p]·W[j][p]   A uint8 m×k (row stride lda), W int8 [n][k], C int32
//
// exact in int32 for k < 2^31/(255·128). Weights are packed once by
// PackGemmS8 into panels of 32 columns, each k rounded up to a multiple of
// 4 (kq groups) and stored group by group: 32 columns × 4 bytes, the
// operand layout of VPDPBUSD (and of SDOT). After the panels come the
// column sums 128·Σ_p W[j][p] as little-endian int32, one per packed
// column: the NEON kernels (no u8×s8 multiply before ARMv8.6's USDOT)
// multiply a−128 as signed bytes and start from these sums. Zero-point compensation,
// bias and requantization are the caller's: with activations stored as
// uint8 x and symmetric weights, Σ(x−xzp)·w = Σx·w − xzp·Σw, and Σw is
// per output channel, known at pack time.

// GemmS8Panel is the column width of a PackGemmS8 panel.
const GemmS8Panel = 32

// PackedGemmS8Size is the length of PackGemmS8's output.
func PackedGemmS8Size(n, k int) int {
	return gemmS8SumsOffset(n, (k+3)/4) + 4*(n+GemmS8Panel-1)/GemmS8Panel*GemmS8Panel
}

// gemmS8SumsOffset is where the column sums start in a packed buffer.
func gemmS8SumsOffset(n, kq int) int {
	return (n + GemmS8Panel - 1) / GemmS8Panel * GemmS8Panel * kq * 4
}

// gemmS8Sums reads the 16 column sums starting at column j0 (a multiple of
// 16) of a packed buffer.
func gemmS8Sums(dst *[16]int32, bp []int8, n, kq, j0 int) {
	b := bp[gemmS8SumsOffset(n, kq)+4*j0:][:64]
	for j := range dst {
		dst[j] = int32(uint32(uint8(b[4*j])) | uint32(uint8(b[4*j+1]))<<8 | uint32(uint8(b[4*j+2]))<<16 | uint32(uint8(b[4*j+3]))<<24)
	}
}

// PackGemmS8 packs w ([n][k]) into dst (PackedGemmS8Size(n, k) bytes),
// zero-filling the columns past n and the inputs past k.
func PackGemmS8(dst, w []int8, n, k int) {
	kq := (k + 3) / 4
	if len(w) < n*k || len(dst) < PackedGemmS8Size(n, k) {
		panic(fmt.Sprintf("kernels: PackGemmS8: w has %d, dst %d elements for n %d, k %d", len(w), len(dst), n, k))
	}
	for p0 := 0; p0 < n; p0 += GemmS8Panel {
		panel := dst[p0*kq*4:][:GemmS8Panel*kq*4]
		for q := 0; q < kq; q++ {
			for j := 0; j < GemmS8Panel; j++ {
				for t := 0; t < 4; t++ {
					var v int8
					if c, p := p0+j, 4*q+t; c < n && p < k {
						v = w[c*k+p]
					}
					panel[(q*GemmS8Panel+j)*4+t] = v
				}
			}
		}
	}
	sums := dst[gemmS8SumsOffset(n, kq):][:4*(n+GemmS8Panel-1)/GemmS8Panel*GemmS8Panel]
	clear(sums)
	for c := 0; c < n; c++ {
		var s int32
		for _, v := range w[c*k:][:k] {
			s += int32(v)
		}
		s *= 128
		sums[4*c], sums[4*c+1], sums[4*c+2], sums[4*c+3] = int8(s), int8(s>>8), int8(s>>16), int8(s>>24)
	}
}

// gemmU8S8NoAVX512VNNI makes the amd64 dispatch ignore AVX-512 VNNI
// (tests: GemmU8S8 as an AVX-VNNI-only client runs it).
var gemmU8S8NoAVX512VNNI bool

// GemmU8S8 computes C (m×n, row stride ldc) from A and packed weights bp.
// A's rows are read in whole groups of 4: len(a) ≥ (m−1)·lda + 4·⌈k/4⌉ and
// lda ≥ 4·⌈k/4⌉ (the bytes past k multiply zero weights).
func GemmU8S8(m, n, k int, a []uint8, lda int, bp []int8, c []int32, ldc int) {
	kq := (k + 3) / 4
	if m == 0 || n == 0 {
		return
	}
	if lda < 4*kq || len(a) < (m-1)*lda+4*kq || len(bp) < PackedGemmS8Size(n, k) || ldc < n || len(c) < (m-1)*ldc+n {
		panic(fmt.Sprintf("kernels: GemmU8S8: m %d n %d k %d lda %d ldc %d with a %d, bp %d, c %d elements", m, n, k, lda, ldc, len(a), len(bp), len(c)))
	}
	if gemmU8S8Arch(m, n, kq, a, lda, bp, c, ldc) {
		return
	}
	gemmU8S8Generic(m, n, kq, a, lda, bp, c, ldc)
}

func gemmU8S8Generic(m, n, kq int, a []uint8, lda int, bp []int8, c []int32, ldc int) {
	for p0 := 0; p0 < n; p0 += GemmS8Panel {
		panel := bp[p0*kq*4:][:GemmS8Panel*kq*4]
		cols := min(GemmS8Panel, n-p0)
		for i := 0; i < m; i++ {
			var acc [GemmS8Panel]int32
			row := a[i*lda:][:4*kq]
			for q := 0; q < kq; q++ {
				x := row[4*q:][:4]
				g := panel[q*GemmS8Panel*4:][:GemmS8Panel*4]
				for j := range acc {
					w := g[4*j:][:4]
					acc[j] += int32(x[0])*int32(w[0]) + int32(x[1])*int32(w[1]) + int32(x[2])*int32(w[2]) + int32(x[3])*int32(w[3])
				}
			}
			copy(c[i*ldc+p0:][:cols], acc[:cols])
		}
	}
}

// QGemmU8S8 is a quantized 1×1 convolution or Gemm on bytes: GemmU8S8's
// sums, then per output channel j
//
//	y = sat(roundEven(float32(acc − comp[j])·mult[j]) + zp)   to [lo, hi]
//
// stored as one byte (two's complement for int8 outputs) in out (row
// stride ldo). With u8 activations x of zero point xzp, symmetric s8
// weights w and an int32 bias, comp[j] = xzp·Σ_p w[j][p] − bias[j] (fixed
// at pack time) and mult[j] = xs·ws[j]/ys: ONNX Runtime's QLinearConv.
// mult must be finite; comp and mult have n elements. It does not
// allocate.
func QGemmU8S8(m, n, k int, a []uint8, lda int, bp []int8, comp []int32, mult []float32, zp, lo, hi int32, out []uint8, ldo int) {
	QGemmU8S8ISA(Best(), m, n, k, a, lda, bp, comp, mult, zp, lo, hi, out, ldo)
}

// QGemmU8S8ISA is QGemmU8S8 on the paths isa allows (a plan compiled for
// an ISA runs that ISA's code, as its float steps do): the VNNI kernels
// with their requantizing epilogue for AVX512 on a machine with AVX-512
// VNNI, else the AVX-VNNI kernels with their requantizing epilogue for
// AVX2 and AVX512 on a machine with AVX-VNNI, else the exact AVX2 kernels
// with the same epilogue, the NEON kernels with their epilogue for NEON (SUDOT
// with I8MM, SDOT with the dot-product extension, else SMULL/SADALP), pure
// Go for Generic. Every path gives the same bytes:
// the sums are exact and the epilogue is ir.Requantize's arithmetic.
func QGemmU8S8ISA(isa ISA, m, n, k int, a []uint8, lda int, bp []int8, comp []int32, mult []float32, zp, lo, hi int32, out []uint8, ldo int) {
	kq := (k + 3) / 4
	if m == 0 || n == 0 {
		return
	}
	if lda < 4*kq || len(a) < (m-1)*lda+4*kq || len(bp) < PackedGemmS8Size(n, k) || ldo < n || len(out) < (m-1)*ldo+n ||
		len(comp) < n || len(mult) < n || lo > zp || zp > hi {
		panic(fmt.Sprintf("kernels: QGemmU8S8: m %d n %d k %d lda %d ldo %d zp %d [%d, %d] with a %d, bp %d, comp %d, mult %d, out %d elements",
			m, n, k, lda, ldo, zp, lo, hi, len(a), len(bp), len(comp), len(mult), len(out)))
	}
	if (isa == AVX512 || isa == NEON) && qgemmU8S8Arch(m, n, kq, a, lda, bp, comp, mult, zp, lo, hi, out, ldo) {
		return
	}
	if (isa == AVX512 || isa == AVX2) && (qgemmU8S8AVXVNNI(m, n, kq, a, lda, bp, comp, mult, zp, lo, hi, out, ldo) ||
		qgemmU8S8AVX2(m, n, kq, a, lda, bp, comp, mult, zp, lo, hi, out, ldo)) {
		return
	}
	// Blocks of 8 rows × one 32-column panel through a buffer on the stack.
	var acc [8 * GemmS8Panel]int32
	for p0 := 0; p0 < n; p0 += GemmS8Panel {
		cols := min(GemmS8Panel, n-p0)
		pb := bp[p0*kq*4:]
		for i := 0; i < m; i += 8 {
			rows := min(8, m-i)
			ai := a[i*lda:]
			if !gemmU8S8ForISA(isa, rows, cols, kq, ai, lda, pb, acc[:], GemmS8Panel) {
				gemmU8S8Generic(rows, cols, kq, ai, lda, pb, acc[:], GemmS8Panel)
			}
			for r := 0; r < rows; r++ {
				requantRow(acc[r*GemmS8Panel:][:cols], comp[p0:], mult[p0:], zp, lo, hi, out[(i+r)*ldo+p0:][:cols])
			}
		}
	}
}

// requantRow is QGemmU8S8's epilogue in Go (ir.Requantize's arithmetic).
func requantRow(acc, comp []int32, mult []float32, zp, lo, hi int32, out []uint8) {
	flo, fhi := float32(lo-zp), float32(hi-zp)
	for j, s := range acc {
		v := float32(s-comp[j]) * mult[j]
		v = max(min(v, fhi), flo)
		out[j] = uint8(int32(math.RoundToEven(float64(v))) + zp)
	}
}

// int8BlockBytes is how many bytes of A the arm64 kernels run against
// every column panel before moving on (a variable so that tests can make
// the blocks small).
var int8BlockBytes = 65536

// qgemmU8S8Func is the signature of QGemmU8S8's paths (for tests); an
// arch path returns false when it does not take the call.
type qgemmU8S8Func = func(m, n, kq int, a []uint8, lda int, bp []int8, comp []int32, mult []float32, zp, lo, hi int32, out []uint8, ldo int) bool

// Int8PeakLoop returns this machine's int8 dot-product throughput loop and
// the multiply-adds one iteration does: VPDPBUSD with AVX-512 VNNI, SDOT on
// arm64 with the dot-product extension (name "vnni" or "sdot"); nil
// elsewhere.
func Int8PeakLoop() (run func(n int), macsPerIter int, name string) {
	if run, macs := VNNIPeakLoop(); run != nil {
		return run, macs, "vnni"
	}
	if run, macs := sdotPeakLoop(); run != nil {
		return run, macs, "sdot"
	}
	return nil, 0, ""
}

// Int8Path names the int8 GEMM code QGemmU8S8ISA runs for isa on this
// machine: "vnni", "avxvnni", "avx2", "neon" or "go".
func Int8Path(isa ISA) string {
	switch {
	case isa == AVX512 && HasVNNI():
		return "vnni"
	case (isa == AVX512 || isa == AVX2) && HasAVXVNNI() && HasInt8GEMM():
		return "avxvnni"
	case (isa == AVX512 || isa == AVX2) && Supported(AVX2) && HasInt8GEMM():
		return "avx2"
	case isa == NEON && HasInt8GEMM():
		return "neon"
	}
	return "go"
}

// HasInt8GEMM reports whether this build has generated int8 GEMM kernels
// for this machine (amd64 with AVX2, arm64).
func HasInt8GEMM() bool { return len(gemmU8S8Paths()) > 0 }
