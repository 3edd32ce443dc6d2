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
