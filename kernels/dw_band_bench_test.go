package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// The depthwise bands of MobileNet's fused blocks (runtime/block.go, the
// default bands of passes.BlockBand at 224²): a middle band of out output
// rows whose input rows are all inside, W×C, k×k stride s, same padding
// left and right. It is the DWConvBand call a block makes per band, on
// data that stays in L2 (the block's E). AVX-512, thread CPU, load 3
// (2026-12-05): 3×3 stride 1 133-186 GFLOP/s, stride 2 95-116 (L2-bound:
// BenchmarkDWRowsKernel), 5×5 stride 1 183, stride 2 124; in the blocks
// (V2, one thread) the same to within a tenth.
var dwBandShapes = []struct {
	name            string
	w, c, k, s, out int
}{
	{"V2f1_112x32_s1_b16", 112, 32, 3, 1, 16},
	{"V2f2_112x96_s2_b4", 112, 96, 3, 2, 4},
	{"V2f3_56x144_s1_b7", 56, 144, 3, 1, 7},
	{"V2f4_56x144_s2_b6", 56, 144, 3, 2, 6},
	{"V2f5_28x192_s1_b10", 28, 192, 3, 1, 10},
	{"V2f7_28x192_s2_b7", 28, 192, 3, 2, 7},
	{"V3f2_112x64_s2_b6", 112, 64, 3, 2, 6},
	{"V3f3_56x72_s1_b14", 56, 72, 3, 1, 14},
	{"V3f4_56x72_5s2_b2", 56, 72, 5, 2, 2},
	{"V3f5_28x120_5s1_b5", 28, 120, 5, 1, 5},
	{"V3f7_28x240_s2_b7", 28, 240, 3, 2, 7},
}

func BenchmarkDWConvBand(b *testing.B) {
	for _, isa := range Available() {
		s, _ := ForISA(isa)
		for _, sh := range dwBandShapes {
			h := (sh.out-1)*sh.s + sh.k
			ow := (sh.w+2*(sh.k/2)-sh.k)/sh.s + 1
			p := DWParams{H: h, W: sh.w, C: sh.c, KH: sh.k, KW: sh.k, SH: sh.s, SW: sh.s, PadL: sh.k / 2, OH: sh.out, OW: ow, Ep: Epilogue{Act: ActClip, Max: 6}}
			b.Run(fmt.Sprintf("%s/%s", isa, sh.name), func(b *testing.B) {
				rng := rand.New(rand.NewPCG(1, 1))
				in := randSlice(rng, p.H*p.W*p.C)
				wp := make([]float32, s.PackedDWSize(p.C, p.KH, p.KW))
				s.PackDW(wp, randSlice(rng, p.C*p.KH*p.KW), p.C, p.KH, p.KW)
				bias := randSlice(rng, p.C)
				out := make([]float32, p.OH*p.OW*p.C)
				flops := 2.0 * float64(p.OH*p.OW*p.C*p.KH*p.KW)
				bytes := 4.0 * float64(len(in)+len(out)+p.C*p.KH*p.KW)
				benchLoop(b, flops, bytes, func() { s.DWConvBand(&p, in, wp, bias, out, 0, p.OH) })
			})
		}
	}
}
