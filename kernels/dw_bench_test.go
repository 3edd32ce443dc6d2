package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// MobileNet depthwise layers (input H×W×C, kernel, stride), "same" padding.
var dwBenchShapes = []struct {
	name        string
	hw, c, k, s int
}{
	{"V1_112x112x32_3x3s1", 112, 32, 3, 1},
	{"V2_112x112x96_3x3s2", 112, 96, 3, 2},
	{"V2_56x56x144_3x3s1", 56, 144, 3, 1},
	{"V2_28x28x192_3x3s1", 28, 192, 3, 1},
	{"V2_14x14x576_3x3s1", 14, 576, 3, 1},
	{"V2_7x7x960_3x3s1", 7, 960, 3, 1},
	{"V3_14x14x672_5x5s1", 14, 672, 5, 1},
	{"V3_7x7x960_5x5s1", 7, 960, 5, 1},
}

func BenchmarkDWConv(b *testing.B) {
	for _, isa := range Available() {
		s, _ := ForISA(isa)
		for _, sh := range dwBenchShapes {
			p, _ := dwShape(sh.hw, sh.hw, sh.c, sh.k, sh.s, sh.k/2, sh.k/2, Epilogue{Act: ActClip, Max: 6})
			b.Run(fmt.Sprintf("%s/%s", isa, sh.name), func(b *testing.B) {
				rng := rand.New(rand.NewPCG(1, 1))
				in := randSlice(rng, p.H*p.W*p.C)
				wp := make([]float32, s.PackedDWSize(p.C, p.KH, p.KW))
				s.PackDW(wp, randSlice(rng, p.C*p.KH*p.KW), p.C, p.KH, p.KW)
				bias := randSlice(rng, p.C)
				out := make([]float32, p.OH*p.OW*p.C)
				flops := 2.0 * float64(p.OH*p.OW*p.C*p.KH*p.KW)
				bytes := 4.0 * float64(len(in)+len(out)+p.C*p.KH*p.KW)
				benchLoop(b, flops, bytes, func() { s.DWConv(&p, in, wp, bias, out, 0, p.OH) })
			})
		}
	}
}

// The stem: 224×224×3 → 112×112×Cout, 3×3 stride 2, pad 1 (V1/V2: 32, V3: 16);
// a dense 3×3 conv like "Conv MobileNet"'s; and MobileNetV4's FusedIB
// expansions, 3×3 stride 2: V4-Small's 112²×32→32 and 56²×32→96, V4-Medium's
// 128²×32→128 (at 256²), V4-Large's 192²×24→96 (at 384²).
func BenchmarkStemConv(b *testing.B) {
	for _, isa := range Available() {
		s, _ := ForISA(isa)
		for _, sh := range []struct{ hw, cin, cout, st int }{{224, 3, 32, 2}, {224, 3, 16, 2}, {28, 128, 128, 1},
			{112, 32, 32, 2}, {56, 32, 96, 2}, {128, 32, 128, 2}, {192, 24, 96, 2}} {
			cout := sh.cout
			p, _ := convShape(sh.hw, sh.hw, sh.cin, cout, 3, sh.st, 1, 1, 1, 1, 1, Epilogue{Act: ActClip, Max: 6})
			b.Run(fmt.Sprintf("%s/%dx%dx%d_to_%d_s%d", isa, sh.hw, sh.hw, sh.cin, cout, sh.st), func(b *testing.B) {
				rng := rand.New(rand.NewPCG(1, 1))
				in := randSlice(rng, p.H*p.W*p.Cin)
				wp := make([]float32, s.PackedConvSize(&p))
				s.PackConv(wp, randSlice(rng, cout*p.Cin*9), &p)
				bias := randSlice(rng, cout)
				out := make([]float32, p.OH*p.OW*cout)
				scratch := make([]float32, s.ConvScratchSize(&p, p.OH))
				flops := 2.0 * float64(p.OH*p.OW*cout*9*p.Cin)
				bytes := 4.0 * float64(len(in)+len(out)+9*p.Cin*cout)
				benchLoop(b, flops, bytes, func() { s.Conv(&p, in, wp, bias, nil, out, scratch, 0, p.OH) })
			})
		}
	}
}
