package kernels

import (
	"math"
	"math/rand"
	"testing"

	"github.com/mnc-go/mnc/ir"
)

// TestRequantSlice: the fused requantization (ActRequant, applied by Go
// after the generated kernels) equals ir.Requantize minus the zero point,
// the definition, on ties, range ends, NaN, ±Inf and every type, for
// every starting channel.
func TestRequantSlice(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	x := []float32{0, 0.5, 1.5, 2.5, -0.5, -2.5, 1e9, -1e9, float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 127.5, -128.5, 3}
	for i := 0; i < 200; i++ {
		x = append(x, float32(r.Intn(1<<20)-1<<19))
	}
	for _, qt := range []ir.QType{ir.QUint8, ir.QInt8, ir.QUint16, ir.QInt16, ir.QInt32} {
		for _, zp := range []int32{0, 3, -128, 255} {
			lo, hi := qt.Range()
			if zp < lo || zp > hi {
				continue
			}
			slope := []float32{1, 0.5, 1e-8, 1e3, 0.0037, float32(math.Inf(1)), 0}
			ep := Epilogue{Act: ActRequant, Slope: slope, Min: float32(float64(lo) - float64(zp)), Max: float32(float64(hi) - float64(zp))}
			for c0 := 0; c0 < len(slope); c0++ {
				out := make([]float32, len(x))
				actSliceAt(&ep, x, out, c0)
				for i, v := range x {
					c := (c0 + i) % len(slope)
					want := ir.Requantize(float64(v), slope[c], zp, qt) - float32(zp)
					if out[i] != want && !(qt == ir.QInt32 && math.Abs(float64(out[i]-want)) <= math.Abs(float64(want))*1e-6) {
						t.Fatalf("%v zp %d: x %g · m %g = %g, want %g", qt, zp, v, slope[c], out[i], want)
					}
				}
			}
		}
	}
}

// TestGemmRequant: Set.Gemm with a fused requantization (the generated
// epi.Requant mode on amd64, Go after the kernel elsewhere) on integer
// operands, whose sums every kernel computes exactly, equals ir.Requantize
// of the exact sum, element for element: full and masked panels, k-pair
// panels, edge rows, column ranges, with bias and residual.
func TestGemmRequant(t *testing.T) {
	forEachGemmISA(t, func(t *testing.T, s *Set) {
		rng := rand.New(rand.NewSource(2))
		ints := func(n, lo, hi int) []float32 {
			v := make([]float32, n)
			for i := range v {
				v[i] = float32(lo + rng.Intn(hi-lo+1))
			}
			return v
		}
		ci := 0
		for _, m := range []int{1, 5, 13, 49} {
			for _, n := range []int{1, 7, 8, 16, 17, 33, 100} {
				for _, k := range []int{3, 17, 144} {
					ci++
					a, w, bias := ints(m*k, -128, 127), ints(n*k, -127, 127), ints(n, -5000, 5000)
					var r []float32
					if ci%3 == 0 {
						r = ints(m*n, -100, 100)
					}
					zp := int32(rng.Intn(256))
					ep := Epilogue{Act: ActRequant, Slope: make([]float32, n), Min: float32(-zp), Max: float32(255 - zp)}
					for c := range ep.Slope {
						ep.Slope[c] = []float32{0.0037, 1.0 / 64, 1e-8, 0.5, 1e3, 0.000731}[(c+ci)%6]
					}
					bp := make([]float32, s.PackedGemmSize(n, k))
					s.PackGemm(bp, w, n, k)
					n0 := 0
					if ci%4 == 1 && n > s.NR {
						n0 = s.NR
					}
					c := make([]float32, m*n)
					s.Gemm(m, n, k, a, k, bp, bias, r, n, c, n, n0, n, &ep)
					for i := 0; i < m; i++ {
						for j := n0; j < n; j++ {
							acc := int64(bias[j])
							for p := 0; p < k; p++ {
								acc += int64(a[i*k+p]) * int64(w[j*k+p])
							}
							if r != nil {
								acc += int64(r[i*n+j])
							}
							want := ir.Requantize(float64(acc), ep.Slope[j], zp, ir.QUint8) - float32(zp)
							if got := c[i*n+j]; got != want {
								t.Fatalf("m%d n%d k%d [%d:]: C[%d][%d] = %g, want %g (acc %d, m %g, zp %d)", m, n, k, n0, i, j, got, want, acc, ep.Slope[j], zp)
							}
						}
					}
				}
			}
		}
	})
}
