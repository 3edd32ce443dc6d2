//go:build arm64 && !purego

package kernels

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

// TestNeonConvVsGeneric compares the NEON im2col+GEMM conv with the pure-Go
// Set's direct conv (an independent algorithm) on the stem shape, a
// pointwise conv (the no-im2col path), a dilated 3×3 and a conv whose rows
// span several im2col chunks, each with a residual and a middle row range.
func TestNeonConvVsGeneric(t *testing.T) {
	s := neonSet(t)
	g, err := ForISA(Generic)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(7))
	for _, p := range []ConvParams{
		{H: 17, W: 17, Cin: 3, Cout: 16, KH: 3, KW: 3, SH: 2, SW: 2, DH: 1, DW: 1, PadT: 1, PadL: 1, OH: 9, OW: 9, Ep: Epilogue{Act: ActHardSwish}},
		{H: 5, W: 7, Cin: 6, Cout: 13, KH: 1, KW: 1, SH: 1, SW: 1, DH: 1, DW: 1, OH: 5, OW: 7, Ep: Epilogue{Act: ActClip, Min: 0, Max: 6}},
		{H: 9, W: 8, Cin: 5, Cout: 7, KH: 3, KW: 3, SH: 1, SW: 1, DH: 2, DW: 2, PadT: 2, PadL: 2, OH: 9, OW: 8, Ep: Epilogue{Act: ActRelu}},
		{H: 40, W: 9, Cin: 2, Cout: 12, KH: 3, KW: 2, SH: 1, SW: 1, DH: 1, DW: 1, PadT: 1, PadL: 0, OH: 40, OW: 8, Ep: Epilogue{Act: ActSwish}},
	} {
		t.Run(fmt.Sprintf("%dx%d_%dto%d_k%dx%d_s%d_d%d", p.H, p.W, p.Cin, p.Cout, p.KH, p.KW, p.SH, p.DH), func(t *testing.T) {
			in := neonRandSlice(rng, p.H*p.W*p.Cin)
			w := neonRandSlice(rng, p.Cout*p.Cin*p.KH*p.KW)
			bias := neonRandSlice(rng, p.Cout)
			r := neonRandSlice(rng, p.OH*p.OW*p.Cout)
			in[0] = float32(math.NaN())
			for _, rows := range [][2]int{{0, p.OH}, {1, p.OH - 1}} {
				var outs [2][]float32
				for i, set := range []*Set{s, g} {
					wp := make([]float32, set.PackedConvSize(&p))
					set.PackConv(wp, w, &p)
					out := neonFilled(p.OH * p.OW * p.Cout)
					scratch := make([]float32, set.ConvScratchSize(&p, rows[1]-rows[0]))
					set.Conv(&p, in, wp, bias, r, out, scratch, rows[0], rows[1])
					outs[i] = out
				}
				tol := 1e-5 * float64(p.KH*p.KW*p.Cin)
				for i := range outs[0] {
					if got, want := outs[0][i], outs[1][i]; !neonClose(got, want, tol*(1+math.Abs(float64(want)))) {
						t.Fatalf("rows %v: out[%d] neon %v, generic %v", rows, i, got, want)
					}
				}
			}
		})
	}
}
