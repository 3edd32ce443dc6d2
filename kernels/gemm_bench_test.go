package kernels

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
	"time"
)

// gemmBenchShapes are MobileNet 1×1 convolutions and FC layers (m×k→n:
// pixels × input channels → output channels); the first is a chunk of the
// im2col stem (3×3×3 → 32), the last two a V3 squeeze-and-excitation pair;
// 3136×24→72 and 784×120→40 are V3's (a last panel of 8 columns).
var gemmBenchShapes = [][3]int{
	{256, 27, 32}, {12544, 32, 64}, {12544, 32, 16}, {12544, 16, 96}, {3136, 144, 24}, {3136, 144, 32}, {3136, 144, 16}, {3136, 24, 144},
	{3136, 24, 72}, {784, 120, 40}, {784, 192, 32}, {196, 512, 512}, {196, 384, 64}, {49, 960, 160},
	{49, 160, 960}, {1, 1280, 1000}, {1, 576, 1024}, {1, 480, 120}, {1, 120, 480},
}

// BenchmarkGemm/<isa>/<m>x<k>x<n> reports GFLOP/s (2·m·n·k per call) for
// each MobileNet shape with a ReLU6 epilogue and bias, one thread; also the
// best single call (best-GFLOP/s) and its ratio to the FMA peak measured
// right before and after (best-%peak): on a shared machine the fastest call
// is the one least disturbed by the neighbours.
func BenchmarkGemm(b *testing.B) {
	for _, isa := range Available() {
		s, err := ForISA(isa)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(isa.String(), func(b *testing.B) {
			for _, sh := range gemmBenchShapes {
				m, k, n := sh[0], sh[1], sh[2]
				b.Run(fmt.Sprintf("%dx%dx%d", m, k, n), func(b *testing.B) {
					rng := rand.New(rand.NewSource(1))
					a, w, bias := gemmRand(rng, m*k), gemmRand(rng, n*k), gemmRand(rng, n)
					bp := make([]float32, s.PackedGemmSize(n, k))
					s.PackGemm(bp, w, n, k)
					c := make([]float32, m*n)
					ep := &Epilogue{Act: ActClip, Min: 0, Max: 6}
					peak := gemmPeakNow(isa)
					flops := 2 * float64(m) * float64(n) * float64(k)
					best := time.Duration(math.MaxInt64)
					b.ResetTimer()
					for range b.N {
						start := time.Now()
						s.Gemm(m, n, k, a, k, bp, bias, nil, 0, c, n, 0, n, ep)
						best = min(best, time.Since(start))
					}
					b.StopTimer()
					reportGFLOPs(b, flops)
					bestGFLOPs := flops / float64(best.Nanoseconds())
					b.ReportMetric(bestGFLOPs, "best-GFLOP/s")
					if peak = max(peak, gemmPeakNow(isa)); peak > 0 {
						b.ReportMetric(100*bestGFLOPs/peak, "best-%peak")
					}
					if _, units := FMARate(isa); units > 0 {
						b.ReportMetric(float64(units), "fma-units")
					}
				})
			}
		})
	}
}

// BenchmarkFMAPeak/<isa> is the single-core FMA throughput (independent
// register FMAs) the GEMM numbers are a fraction of, and the host's FMA
// rate: full-width FMAs per cycle (fma/cycle, the measured ratio) and the
// FMA units it rounds to (fma-units: 1 or 2), from FMARate.
func BenchmarkFMAPeak(b *testing.B) {
	for _, p := range gemmFMAPeaks() {
		b.Run(p.isa.String(), func(b *testing.B) {
			rate, units := FMARate(p.isa)
			b.ResetTimer()
			const iters = 1 << 14
			for range b.N {
				p.run(iters)
			}
			reportGFLOPs(b, float64(iters)*float64(p.flopsPerIter))
			b.ReportMetric(rate, "fma/cycle")
			b.ReportMetric(float64(units), "fma-units")
		})
	}
}

// gemmFMAPeak is a generated FMA-throughput loop: run(n) does n iterations
// of flopsPerIter flops.
type gemmFMAPeak struct {
	isa          ISA
	run          func(n int)
	flopsPerIter int
}

func reportGFLOPs(b *testing.B, flopsPerOp float64) float64 {
	el := b.Elapsed()
	if el <= 0 {
		el = time.Nanosecond
	}
	g := flopsPerOp * float64(b.N) / float64(el.Nanoseconds())
	b.ReportMetric(g, "GFLOP/s")
	return g
}

// gemmPeakNow runs isa's FMA-peak loop for about 3 ms and returns the best
// GFLOP/s of its 100 µs rounds (0 when isa has no peak loop, e.g. Generic):
// windows as short as the GEMM calls whose best it is compared with, so
// that a neighbour's interruption counts against both alike (the best of
// three 1 ms rounds read 2-6% low on the shared 2-core machine, and once
// 39 GFLOP/s where every round was interrupted).
func gemmPeakNow(isa ISA) float64 {
	for _, p := range gemmFMAPeaks() {
		if p.isa != isa {
			continue
		}
		best := 0.0
		for round := 0; round < 30; round++ {
			const iters = 1 << 8
			start, calls := time.Now(), 0
			for time.Since(start) < 100*time.Microsecond {
				p.run(iters)
				calls++
			}
			best = max(best, float64(calls*iters*p.flopsPerIter)/float64(time.Since(start).Nanoseconds()))
		}
		return best
	}
	return 0
}

// BenchmarkVNNIPeak is the single-core AVX-512 VNNI throughput (independent
// register VPDPBUSD, 64 u8×s8 multiply-adds each) in int8 GOPS (2 ops per
// multiply-add), the ceiling for int8 kernels; skipped without VNNI.
func BenchmarkVNNIPeak(b *testing.B) {
	run, macs := VNNIPeakLoop()
	if run == nil {
		b.Skip("no AVX-512 VNNI on this machine/build")
	}
	const iters = 1 << 14
	for range b.N {
		run(iters)
	}
	el := max(b.Elapsed().Nanoseconds(), 1)
	b.ReportMetric(2*float64(iters)*float64(macs)*float64(b.N)/float64(el), "GOPS")
}
