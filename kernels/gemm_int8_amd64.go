//go:build amd64 && !purego

package kernels

import "github.com/mnc-go/mnc/asm"

// gemmU8S8Arch runs GemmU8S8 on the generated VPDPBUSD kernels (8 rows ×
// 32 columns, then single rows; a partial panel through a 32-wide row
// buffer) when the machine has AVX-512 VNNI; false otherwise.
func gemmU8S8Arch(m, n, kq int, a []uint8, lda int, bp []int8, c []int32, ldc int) bool {
	if !HasVNNI() || kq == 0 {
		return false
	}
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
	return true
}
