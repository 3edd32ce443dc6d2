//go:build amd64 && !purego

package kernels

import (
	"fmt"
	"slices"
	"testing"

	"github.com/mnc-go/mnc/asm"
	"github.com/mnc-go/mnc/internal/epi"
)

// BenchmarkDWRowsKernel runs the channel-block-major kernel alone
// (asm.DWConvAVX512Rows, no border columns) on windows that fit in L1 and
// on ones that do not, to tell the kernel's ceiling from the cache's.
// Thread CPU, load 3 (2026-12-05): 3×3 stride 2, 16 channels, 16 pixels
// × 4 rows in L1 187-201 GFLOP/s, 48 pixels (56 KiB, past L1) 112-146,
// a 112×96 band 122-130: stride 2 reads 4 new input lines per 9 FMAs
// from L2 (prefetching the next output row's input lines in the kernel
// did not help). 5×5 stride 1 in L1 243-250: loading a kernel row's 5
// weights per group costs nothing (all 25 resident would leave 6
// accumulators, at the same loads per FMA).
func BenchmarkDWRowsKernel(b *testing.B) {
	if !slices.Contains(Available(), AVX512) {
		b.Skip("no AVX-512")
	}
	for _, sh := range []struct{ k, s, npix, nrows, c, w, pitch int }{
		{3, 1, 32, 4, 16, 34, 16}, {3, 2, 16, 4, 16, 34, 16}, {3, 2, 32, 4, 16, 66, 16},
		{3, 2, 48, 4, 16, 98, 16}, {3, 2, 48, 4, 16, 98, 48}, {3, 2, 55, 4, 96, 112, 96},
		{3, 1, 54, 7, 144, 56, 144}, {5, 1, 32, 4, 16, 36, 16}, {5, 1, 24, 5, 120, 28, 120},
	} {
		b.Run(fmt.Sprintf("k%ds%d_%dpx_%drows_c%d_w%d_pitch%d", sh.k, sh.s, sh.npix, sh.nrows, sh.c, sh.w, sh.pitch), func(b *testing.B) {
			h := (sh.nrows-1)*sh.s + sh.k
			in := make([]float32, h*sh.w*sh.pitch)
			for i := range in {
				in[i] = float32(i%7) * 0.1
			}
			wp := make([]float32, dwBlockedSize(sh.c, sh.k, sh.k, 16))
			bias := make([]float32, (sh.c+15)&^15)
			out := make([]float32, sh.nrows*sh.npix*sh.c)
			var prm EpParams
			flops := 2.0 * float64(sh.nrows*sh.npix*sh.c*sh.k*sh.k)
			benchLoop(b, flops, 0, func() {
				asm.DWConvAVX512Rows(sh.k, sh.s, &in[0], sh.w*sh.pitch*4, sh.pitch*4, sh.c, &wp[0], &bias[0], &out[0], sh.c*4, sh.npix*sh.c*4, sh.npix, sh.nrows, &prm.A, epi.None, tailMask(sh.c))
			})
		})
	}
}
