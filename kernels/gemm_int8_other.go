//go:build (!amd64 && !arm64) || purego

package kernels

// gemmU8S8Arch: no generated int8 GEMM in this build.
func gemmU8S8Arch(m, n, kq int, a []uint8, lda int, bp []int8, c []int32, ldc int) bool { return false }

func gemmU8S8Paths() map[string]func(m, n, kq int, a []uint8, lda int, bp []int8, c []int32, ldc int) {
	return map[string]func(m, n, kq int, a []uint8, lda int, bp []int8, c []int32, ldc int){}
}

func qgemmU8S8Arch(m, n, kq int, a []uint8, lda int, bp []int8, comp []int32, mult []float32, zp, lo, hi int32, out []uint8, ldo int) bool {
	return false
}

func gemmU8S8ForISA(isa ISA, m, n, kq int, a []uint8, lda int, bp []int8, c []int32, ldc int) bool {
	return false
}

func qgemmU8S8Paths() map[string]qgemmU8S8Func { return map[string]qgemmU8S8Func{} }

// qgemmU8S8AVXVNNI: AVX-VNNI is amd64 only.
func qgemmU8S8AVXVNNI(m, n, kq int, a []uint8, lda int, bp []int8, comp []int32, mult []float32, zp, lo, hi int32, out []uint8, ldo int) bool {
	return false
}

// qgemmU8S8AVX2: amd64 only.
func qgemmU8S8AVX2(m, n, kq int, a []uint8, lda int, bp []int8, comp []int32, mult []float32, zp, lo, hi int32, out []uint8, ldo int) bool {
	return false
}
