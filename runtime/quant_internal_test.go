package runtime

import (
	"math"
	"testing"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/plan"
)

// quantEdgeValues are inputs at rounding ties, range ends, beyond them,
// NaN and ±Inf.
var quantEdgeValues = []float32{0, 0.5, 1.5, 2.5, -0.5, -2.5, 127.5, -128.5, 255.5, 1e9, -1e9, 3, -7, 65535.5,
	float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 1e-30, 0.4999999}

// TestFastQuantSteps: the direct QuantizeLinear and QAdd loops equal
// ir.Quantize and ir.QAdd (the definitions) for every 8/16-bit type, zero
// points at the range ends and scales 1e-8 to 1e3.
func TestFastQuantSteps(t *testing.T) {
	x := quantEdgeValues
	sh := ir.Shape{1, len(x)}
	op := plan.Operand{Shape: sh}
	for _, qt := range []ir.QType{ir.QUint8, ir.QInt8, ir.QUint16, ir.QInt16} {
		lo, hi := qt.Range()
		for _, zp := range []int32{lo, 0, 3, hi} {
			if zp < lo || zp > hi {
				continue
			}
			for _, sc := range []float32{1, 0.5, 1e-8, 1e3, 0.0078125, 0.37} {
				par := func(v float32) view { return newView([]float32{v}, ir.Shape{1}, false) }
				y := make([]float32, len(x))
				s := &plan.Step{Op: ir.OpQuantizeLinear, Attrs: ir.Attrs{QType: qt}, In: []plan.Operand{op, {Shape: ir.Shape{1}}, {Shape: ir.Shape{1}}}, Out: op}
				f := fastQuantize(s, []view{newView(x, sh, false), par(sc), par(float32(zp))}, newView(y, sh, false), nil)
				if f == nil {
					t.Fatal("fastQuantize declined a per-tensor QuantizeLinear")
				}
				f()
				for i, v := range x {
					if want := ir.Quantize(v, sc, zp, qt); y[i] != want {
						t.Fatalf("%v zp %d: Quantize(%g / %g) = %g, want %g", qt, zp, v, sc, y[i], want)
					}
				}
				// QAdd of centred operands: b is x reversed, the multiplier 1/sc.
				a, b := make([]float32, len(x)), make([]float32, len(x))
				for i := range x {
					a[i] = float32(i*37%255 - 128)
					b[i] = float32(i*91%255) - 100
				}
				as, bs, m := sc, float32(0.02), 1/sc
				s = &plan.Step{Op: ir.OpQAdd, Attrs: ir.Attrs{QType: qt}, In: []plan.Operand{op, op}, Out: op}
				f = fastQAdd(s, []view{newView(a, sh, false), newView(b, sh, false), par(as), par(bs), par(m), par(float32(zp))}, newView(y, sh, false), nil)
				if f == nil {
					t.Fatal("fastQAdd declined")
				}
				f()
				for i := range a {
					if want := ir.QAdd(a[i], as, b[i], bs, m, zp, qt); y[i] != want {
						t.Fatalf("%v zp %d: QAdd(%g·%g + %g·%g) = %g, want %g", qt, zp, a[i], as, b[i], bs, y[i], want)
					}
				}
			}
		}
	}
}
