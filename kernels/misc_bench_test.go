package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// The small kernels on MobileNet shapes; GB/s counts bytes read + written.
func BenchmarkMisc(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	x, y := randSlice(rng, 112*112*16), randSlice(rng, 112*112*16)
	o := make([]float32, len(x))
	sc := randSlice(rng, 960)
	hswish := &Epilogue{Act: ActHardSwish}
	cases := []struct {
		name  string
		bytes int
		run   func(s *Set)
	}{
		{"GlobalAvgPool_7x7x960", 4 * (49*960 + 960), func(s *Set) { s.GlobalAvgPool(x[:49*960], 49, 960, o) }},
		{"ScaleChannels_14x14x672", 4 * 2 * 196 * 672, func(s *Set) { s.ScaleChannels(x[:196*672], 196, 672, sc, o) }},
		{"Add_56x56x24", 4 * 3 * 56 * 56 * 24, func(s *Set) { s.Add(x[:56*56*24], y[:56*56*24], o[:56*56*24], nil) }},
		{"HardSwish_112x112x16", 4 * 2 * 112 * 112 * 16, func(s *Set) { s.Activate(x[:112*112*16], o[:112*112*16], hswish) }},
		{"NCHWToNHWC_3x224x224", 4 * 2 * 3 * 224 * 224, func(s *Set) { s.NCHWToNHWC(x[:3*224*224], 3, 224*224, o) }},
	}
	for _, isa := range Available() {
		s, _ := ForISA(isa)
		for _, c := range cases {
			b.Run(fmt.Sprintf("%s/%s", isa, c.name), func(b *testing.B) {
				benchLoop(b, 0, float64(c.bytes), func() { c.run(s) })
			})
		}
	}
}
