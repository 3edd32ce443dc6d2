package kernels

import (
	"fmt"
	"maps"
	"math/rand"
	"slices"
	"testing"
	"time"

	"github.com/mnc-go/mnc/ir"
)

// TestGemmU8S8: every int8 GEMM path the machine runs (VPDPBUSD with
// AVX-512 VNNI, VEX VPDPBUSD with AVX-VNNI (directly and through
// GemmU8S8's dispatch with AVX-512 VNNI ignored), VPMADDUBSW/VPMADDWD with
// AVX2; on arm64 SUDOT with I8MM,
// SDOT with the dot-product extension, SMULL/SADALP, and those in small row
// blocks; pure Go) equals exact int64 sums, on the extremes of both types
// (255·−128 products), k not a multiple of 4, partial panels and half
// panels, 8-row blocks and 1–3-row tails, padded strides.
func TestGemmU8S8(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	tested := map[string]bool{}
	defer func() { t.Logf("paths: %v", tested) }()
	for _, m := range []int{1, 6, 7, 8, 9, 13, 17, 50} {
		for _, n := range []int{1, 31, 32, 33, 100} {
			for _, k := range []int{1, 3, 4, 5, 64, 147} {
				kq := (k + 3) / 4
				lda, ldc := 4*kq+(m%3)*4, n+m%2
				a := make([]uint8, (m-1)*lda+4*kq)
				for i := range a {
					a[i] = uint8(rng.Intn(256))
					if rng.Intn(4) == 0 {
						a[i] = 255
					}
				}
				w := make([]int8, n*k)
				for i := range w {
					w[i] = int8(rng.Intn(256) - 128)
					if rng.Intn(4) == 0 {
						w[i] = -128
					}
				}
				bp := make([]int8, PackedGemmS8Size(n, k))
				PackGemmS8(bp, w, n, k)
				paths := gemmU8S8Paths()
				paths["generic"] = gemmU8S8Generic
				if HasAVXVNNI() { // GemmU8S8's dispatch as on a client without AVX-512 VNNI
					paths["avxvnni-dispatch"] = func(m, n, kq int, a []uint8, lda int, bp []int8, c []int32, ldc int) {
						defer func(b bool) { gemmU8S8NoAVX512VNNI = b }(gemmU8S8NoAVX512VNNI)
						gemmU8S8NoAVX512VNNI = true
						GemmU8S8(m, n, 4*kq, a, lda, bp, c, ldc)
					}
				}
				for _, path := range append(slices.Sorted(maps.Keys(paths)), "blocked") {
					f := paths[path]
					if path == "blocked" { // the arm64 kernels' row blocks of A, 8 bytes each
						f = func(m, n, kq int, a []uint8, lda int, bp []int8, c []int32, ldc int) {
							defer func(b int) { int8BlockBytes = b }(int8BlockBytes)
							int8BlockBytes = 8
							GemmU8S8(m, n, 4*kq, a, lda, bp, c, ldc)
						}
					}
					tested[path] = true
					c := make([]int32, (m-1)*ldc+n)
					f(m, n, kq, a, lda, bp, c, ldc)
					for i := 0; i < m; i++ {
						for j := 0; j < n; j++ {
							var want int64
							for p := 0; p < k; p++ {
								want += int64(a[i*lda+p]) * int64(w[j*k+p])
							}
							if got := c[i*ldc+j]; int64(got) != want {
								t.Fatalf("%s m%d n%d k%d: C[%d][%d] = %d, want %d", path, m, n, k, i, j, got, want)
							}
						}
					}
				}
			}
		}
	}
}

// BenchmarkGemmU8S8 times the int8 GEMM on MobileNet V2's 1×1 shapes and
// reports int8 GOPS (2 per multiply-add), the best call's, and with
// AVX-512 VNNI or arm64 SDOT that as a share of the VPDPBUSD / SDOT peak
// (the best of short bursts of the peak loop, measured in the same run).
func BenchmarkGemmU8S8(b *testing.B) {
	peakRun, peakMACs, peakName := Int8PeakLoop()
	for _, s := range []struct{ m, n, k int }{{3136, 144, 24}, {3136, 24, 144}, {784, 192, 32}, {196, 384, 64}, {196, 64, 384}, {49, 960, 160}, {49, 1280, 320}} {
		b.Run(fmt.Sprintf("m%d_n%d_k%d", s.m, s.n, s.k), func(b *testing.B) {
			kq := (s.k + 3) / 4
			a := make([]uint8, s.m*4*kq)
			w := make([]int8, s.n*s.k)
			for i := range a {
				a[i] = uint8(i * 7)
			}
			for i := range w {
				w[i] = int8(i * 13)
			}
			bp := make([]int8, PackedGemmS8Size(s.n, s.k))
			PackGemmS8(bp, w, s.n, s.k)
			c := make([]int32, s.m*s.n)
			b.ResetTimer()
			bestNs := int64(1 << 62) // the least-disturbed call: this machine is shared
			for range b.N {
				start := time.Now()
				GemmU8S8(s.m, s.n, s.k, a, 4*kq, bp, c, s.n)
				bestNs = min(bestNs, max(time.Since(start).Nanoseconds(), 1))
			}
			el := float64(max(b.Elapsed().Nanoseconds(), 1))
			ops := 2 * float64(s.m*s.n*s.k)
			b.ReportMetric(ops*float64(b.N)/el, "GOPS")
			gops := ops / float64(bestNs)
			b.ReportMetric(gops, "best-GOPS")
			if peakRun != nil { // the best of short bursts too: the same measure
				const iters = 1 << 12
				best := 0.0
				for r := 0; r < 5; r++ {
					start := time.Now()
					peakRun(iters)
					best = max(best, 2*float64(iters*peakMACs)/float64(max(time.Since(start).Nanoseconds(), 1)))
				}
				b.ReportMetric(100*gops/best, "best-%"+peakName+"-peak")
			}
		})
	}
}

// BenchmarkGemmU8S8Paths times each generated int8 GEMM path the machine
// runs (AVX-512 VNNI, AVX-VNNI, exact AVX2) on three of V2's 1×1 shapes,
// the paths interleaved shape by shape (GOPS: 2 ops per multiply-add, the
// best call's; the machine may be shared).
func BenchmarkGemmU8S8Paths(b *testing.B) {
	paths := gemmU8S8Paths()
	for _, s := range []struct{ m, n, k int }{{3136, 144, 24}, {784, 192, 32}, {196, 64, 384}} {
		kq := (s.k + 3) / 4
		a := make([]uint8, s.m*4*kq)
		w := make([]int8, s.n*s.k)
		for i := range a {
			a[i] = uint8(i * 7)
		}
		for i := range w {
			w[i] = int8(i * 13)
		}
		bp := make([]int8, PackedGemmS8Size(s.n, s.k))
		PackGemmS8(bp, w, s.n, s.k)
		c := make([]int32, s.m*s.n)
		for _, name := range slices.Sorted(maps.Keys(paths)) {
			f := paths[name]
			b.Run(fmt.Sprintf("m%d_n%d_k%d/%s", s.m, s.n, s.k, name), func(b *testing.B) {
				bestNs := int64(1 << 62)
				for range b.N {
					start := time.Now()
					f(s.m, s.n, kq, a, 4*kq, bp, c, s.n)
					bestNs = min(bestNs, max(time.Since(start).Nanoseconds(), 1))
				}
				b.ReportMetric(2*float64(s.m*s.n*s.k)/float64(bestNs), "best-GOPS")
			})
		}
	}
}

// TestQGemmU8S8: the requantizing int8 GEMM (every ISA's path, every
// generated kernel the machine runs: the VNNI epilogue, NEON SUDOT, SDOT
// and SMULL; the Go epilogue) equals ir.Requantize of the exact sum
// minus the compensation, for uint8 and int8 outputs, zero points at the
// range ends, clamps inside the type's range (fused ReLU), multipliers
// from 1e-8 to 1e3, partial panels and halves, row tails of 1 to 3 rows.
func TestQGemmU8S8(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	for _, qt := range []ir.QType{ir.QUint8, ir.QInt8} {
		tlo, thi := qt.Range()
		for _, zp := range []int32{tlo, 3, thi} {
			for si, sh := range []struct{ m, n, k int }{{9, 33, 64}, {17, 32, 147}, {1, 5, 3}, {8, 100, 24}, {7, 40, 20}, {6, 16, 36}} {
				m, n, k := sh.m, sh.n, sh.k
				lo, hi := tlo, thi
				if si%2 == 1 { // a clamp inside the type's range, as a fused ReLU/ReLU6 gives
					lo, hi = max(tlo, zp-20), min(thi, zp+40)
				}
				kq := (k + 3) / 4
				a := make([]uint8, m*4*kq)
				for i := range a {
					a[i] = uint8(rng.Intn(256))
				}
				w := make([]int8, n*k)
				for i := range w {
					w[i] = int8(rng.Intn(256) - 128)
				}
				comp, mult := make([]int32, n), make([]float32, n)
				for j := range comp {
					comp[j] = int32(rng.Intn(200001) - 100000)
					mult[j] = []float32{1e-8, 0.0037, 1.0 / 512, 0.25, 1e3, 0.000731}[j%6]
				}
				bp := make([]int8, PackedGemmS8Size(n, k))
				PackGemmS8(bp, w, n, k)
				type run struct {
					name string
					f    func(out []uint8)
					isa  ISA // the ISA whose allocations are checked, numISA for none
				}
				var runs []run
				for _, isa := range Available() {
					runs = append(runs, run{isa.String(), func(out []uint8) {
						QGemmU8S8ISA(isa, m, n, k, a, 4*kq, bp, comp, mult, zp, lo, hi, out, n)
					}, isa})
				}
				runs = append(runs, run{"QGemmU8S8", func(out []uint8) {
					QGemmU8S8(m, n, k, a, 4*kq, bp, comp, mult, zp, lo, hi, out, n)
				}, numISA}, run{"blocked", func(out []uint8) { // the arm64 kernels' row blocks of A, 8 bytes each
					defer func(b int) { int8BlockBytes = b }(int8BlockBytes)
					int8BlockBytes = 8
					QGemmU8S8(m, n, k, a, 4*kq, bp, comp, mult, zp, lo, hi, out, n)
				}, numISA})
				paths := qgemmU8S8Paths() // every generated path (both NEON kernels)
				for _, name := range slices.Sorted(maps.Keys(paths)) {
					runs = append(runs, run{name, func(out []uint8) {
						if !paths[name](m, n, kq, a, 4*kq, bp, comp, mult, zp, lo, hi, out, n) {
							t.Fatalf("%s declined finite multipliers", name)
						}
					}, numISA})
				}
				for _, r := range runs {
					out := make([]uint8, m*n)
					r.f(out)
					for i := 0; i < m; i++ {
						for j := 0; j < n; j++ {
							var acc int64
							for p := 0; p < k; p++ {
								acc += int64(a[i*4*kq+p]) * int64(w[j*k+p])
							}
							want := min(max(ir.Requantize(float64(acc-int64(comp[j])), mult[j], zp, qt), float32(lo)), float32(hi))
							got := float32(out[i*n+j])
							if qt == ir.QInt8 {
								got = float32(int8(out[i*n+j]))
							}
							if got != want {
								t.Fatalf("%s %v zp %d m%d n%d k%d: y[%d][%d] = %g, want %g (acc %d − %d, m %g)", r.name, qt, zp, m, n, k, i, j, got, want, acc, comp[j], mult[j])
							}
						}
					}
					if r.isa == numISA {
						continue
					}
					if allocs := testing.AllocsPerRun(2, func() { r.f(out) }); allocs != 0 {
						t.Errorf("%s: QGemmU8S8 allocates %v times per call", r.name, allocs)
					}
				}
			}
		}
	}
}

// BenchmarkQGemmU8S8 is BenchmarkGemmU8S8 with the requantizing epilogue
// (bytes out): what a 1×1 QLinearConv on u8 storage would cost.
func BenchmarkQGemmU8S8(b *testing.B) {
	for _, s := range []struct{ m, n, k int }{{3136, 144, 24}, {3136, 24, 144}, {196, 384, 64}, {196, 64, 384}} {
		b.Run(fmt.Sprintf("m%d_n%d_k%d", s.m, s.n, s.k), func(b *testing.B) {
			kq := (s.k + 3) / 4
			a := make([]uint8, s.m*4*kq)
			bp := make([]int8, PackedGemmS8Size(s.n, s.k))
			comp, mult := make([]int32, s.n), make([]float32, s.n)
			for j := range mult {
				mult[j] = 0.003
			}
			out := make([]uint8, s.m*s.n)
			bestNs := int64(1 << 62)
			for range b.N {
				start := time.Now()
				QGemmU8S8(s.m, s.n, s.k, a, 4*kq, bp, comp, mult, 0, 0, 255, out, s.n)
				bestNs = min(bestNs, max(time.Since(start).Nanoseconds(), 1))
			}
			b.ReportMetric(2*float64(s.m*s.n*s.k)/float64(bestNs), "best-GOPS")
		})
	}
}

// BenchmarkSDOTPeak is the single-core SDOT throughput (independent SDOT by
// element, 16 s8 multiply-adds each) in int8 GOPS; skipped without the
// arm64 dot-product extension.
func BenchmarkSDOTPeak(b *testing.B) {
	run, macs := sdotPeakLoop()
	if run == nil {
		b.Skip("no arm64 dot-product extension on this machine/build")
	}
	const iters = 1 << 14
	for range b.N {
		run(iters)
	}
	el := max(b.Elapsed().Nanoseconds(), 1)
	b.ReportMetric(2*float64(iters)*float64(macs)*float64(b.N)/float64(el), "GOPS")
}
