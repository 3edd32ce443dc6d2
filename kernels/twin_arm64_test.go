//go:build arm64 && !purego

package kernels

import (
	"math"
	"math/rand"
	"testing"
)

// TestNeonMatchesGenericSet runs the NEON Set and the pure-Go Set (its
// twin, with its own packing) on the same awkward inputs and compares
// outputs element by element: GEMM with a column range and residual, a
// 5×5 stride-2 depthwise conv with 7 channels on a 7×7 map, and the misc
// kernels on odd lengths. Tolerances scale with the number of summed terms.
func TestNeonMatchesGenericSet(t *testing.T) {
	ns := neonSet(t)
	gs, err := ForISA(Generic)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(8))
	check := func(what string, a, b []float32, terms int) {
		t.Helper()
		for i := range a {
			if !neonClose(a[i], b[i], 1e-6*float64(terms)*(1+math.Abs(float64(b[i])))) {
				t.Fatalf("%s: [%d] neon %v, generic %v", what, i, a[i], b[i])
			}
		}
	}
	ep := Epilogue{Act: ActHardSwish}

	// GEMM: m=11, n=61, k=13, columns [48, 61) (48: a panel start for both
	// Sets, NR 12 and 16), residual and bias.
	m, n, k := 11, 61, 13
	a, w := neonRandSlice(rng, m*k), neonRandSlice(rng, n*k)
	bias, r := neonRandSlice(rng, n), neonRandSlice(rng, m*n)
	var gemmOut [2][]float32
	for i, s := range []*Set{ns, gs} {
		bp := make([]float32, s.PackedGemmSize(n, k))
		s.PackGemm(bp, w, n, k)
		c := neonFilled(m * n)
		s.Gemm(m, n, k, a, k, bp, bias, r, n, c, n, 48, n, &ep)
		gemmOut[i] = c
	}
	check("Gemm", gemmOut[0], gemmOut[1], k+2)

	// Depthwise 5×5 s2, C=7, 7×7 input, pad 2.
	p := DWParams{H: 7, W: 7, C: 7, KH: 5, KW: 5, SH: 2, SW: 2, PadT: 2, PadL: 2, OH: 4, OW: 4, Ep: Epilogue{Act: ActClip, Min: 0, Max: 6}}
	in, dw, db := neonRandSlice(rng, 7*7*7), neonRandSlice(rng, 7*25), neonRandSlice(rng, 7)
	in[10] = float32(math.NaN())
	var dwOut [2][]float32
	for i, s := range []*Set{ns, gs} {
		wp := make([]float32, s.PackedDWSize(p.C, p.KH, p.KW))
		s.PackDW(wp, dw, p.C, p.KH, p.KW)
		out := neonFilled(p.OH * p.OW * p.C)
		s.DWConv(&p, in, wp, db, out, 0, p.OH)
		dwOut[i] = out
	}
	check("DWConv", dwOut[0], dwOut[1], 26)

	// Misc on 4·k+3 elements / channels.
	x, y := neonRandSlice(rng, 43), neonRandSlice(rng, 43)
	var add, act, gap, scale [2][]float32
	for i, s := range []*Set{ns, gs} {
		add[i] = make([]float32, 43)
		s.Add(x, y, add[i], &ep)
		act[i] = make([]float32, 43)
		s.Activate(x, act[i], &Epilogue{Act: ActHardSigmoid, Alpha: 1.0 / 6, Beta: 0.5})
		gap[i] = make([]float32, 43)
		s.GlobalAvgPool(in[:7*43], 7, 43, gap[i])
		scale[i] = make([]float32, 7*43)
		s.ScaleChannels(in[:7*43], 7, 43, y, scale[i])
	}
	check("Add", add[0], add[1], 2)
	check("Activate", act[0], act[1], 1)
	check("GlobalAvgPool", gap[0], gap[1], 8)
	check("ScaleChannels", scale[0], scale[1], 1)
}
