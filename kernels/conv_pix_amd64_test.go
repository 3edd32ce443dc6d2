//go:build amd64 && !purego

package kernels

import (
	"math/rand/v2"
	"testing"
)

// TestConvPix runs the pixel-vector conv (conv_pix_amd64.go) against the
// float64 reference on shapes that take it: output rows wide enough,
// awkward channel counts (1, a partial 12-row tile, 24, 40 over two
// tiles...), 3×3 and 5×5 and 1×3 kernels, dilation 2, asymmetric and zero
// padding (including a kernel that stops short of the right edge), every
// activation (Sigmoid and PRelu are applied after the kernel), residuals,
// no bias, several bands per call (96 input channels) and row ranges
// split in two calls (checkConv), pixel panels with a partial last panel.
func TestConvPix(t *testing.T) {
	type shape struct{ h, w, cin, cout, kh, kw, d, pt, pl, pb, pr int }
	shapes := []shape{
		{5, 40, 3, 24, 3, 3, 1, 1, 1, 1, 1},
		{7, 33, 17, 1, 3, 3, 1, 1, 1, 1, 1},
		{4, 64, 8, 13, 3, 3, 1, 0, 0, 0, 0},
		{9, 50, 5, 40, 3, 3, 2, 2, 2, 2, 2},
		{6, 70, 16, 7, 5, 5, 1, 2, 2, 2, 2},
		{3, 45, 4, 24, 1, 3, 1, 0, 1, 0, 1},
		{8, 48, 6, 20, 3, 3, 1, 2, 0, 0, 1},
		{2, 36, 9, 12, 3, 3, 1, 1, 1, 1, 0},
		{12, 200, 64, 5, 1, 3, 1, 0, 1, 0, 1},  // two bands
		{12, 100, 96, 24, 3, 3, 1, 1, 1, 1, 1}, // two bands, PP-OCR's channels
		{1, 80, 2, 5, 3, 3, 1, 1, 1, 1, 1},
	}
	eachISADW(t, func(t *testing.T, s *Set) {
		vl := simdWidth(s.ISA)
		rng := rand.New(rand.NewPCG(21, 22))
		taken := 0
		for n, sh := range shapes {
			for a, ep := range dwTestActs {
				if sh.cin > 20 && (n+a)%5 != 0 {
					continue // the big shapes: a few activations
				}
				p := ConvParams{H: sh.h, W: sh.w, Cin: sh.cin, Cout: sh.cout, KH: sh.kh, KW: sh.kw, SH: 1, SW: 1, DH: sh.d, DW: sh.d,
					PadT: sh.pt, PadL: sh.pl, Ep: withSlopes(ep, sh.cout)}
				p.OH = sh.h + sh.pt + sh.pb - (sh.kh-1)*sh.d
				p.OW = sh.w + sh.pl + sh.pr - (sh.kw-1)*sh.d
				if convPixUse(&p, vl) {
					taken++
				}
				checkConvRandom(t, s, rng, &p, (n+a)%4 != 0, (n+a)%3 == 1)
			}
		}
		if vl > 0 && taken < 20 {
			t.Errorf("%s: only %d cases took the pixel-vector path", s.ISA, taken)
		}
	})
}

// TestTransposeF32 checks the 8×8-block transpose with its Go edges on
// sizes around the block size, with strides wider than the rows, and that
// nothing outside the destination's rows × cols is written.
func TestTransposeF32(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	for _, rows := range []int{1, 7, 8, 9, 16, 23} {
		for _, cols := range []int{1, 8, 13, 24, 31} {
			lds, ldd := cols+3, rows+5
			src := randSlice(rng, rows*lds)
			dst := make([]float32, cols*ldd)
			for i := range dst {
				dst[i] = sentinel
			}
			transposeF32(src, lds, dst, ldd, rows, cols)
			for j := 0; j < cols; j++ {
				for i := 0; i < ldd; i++ {
					want := float32(sentinel)
					if i < rows {
						want = src[i*lds+j]
					}
					if got := dst[j*ldd+i]; got != want {
						t.Fatalf("%dx%d: dst[%d][%d] = %v, want %v", rows, cols, j, i, got, want)
					}
				}
			}
		}
	}
}
