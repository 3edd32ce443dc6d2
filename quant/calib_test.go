package quant

import (
	"fmt"
	"math"
	"testing"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/passes"
)

// TestCalibrateRanges: minmax keeps an outlier, percentile drops it;
// NaN and ±Inf never enter a range.
func TestCalibrateRanges(t *testing.T) {
	g := ir.New("id")
	x := g.AddInput("x", 1, 100000)
	g.SetOutputs(g.AddNode(ir.OpRelu, "relu", ir.Attrs{}, x))
	if err := g.InferShapes(); err != nil {
		t.Fatal(err)
	}
	s := ir.NewTensor(1, 100000)
	for i := range s.Data {
		s.Data[i] = float32(i%2001-1000) / 1000 // [-1, 1]
	}
	s.Data[7] = 1000
	s.Data[8] = float32(math.NaN())
	s.Data[9] = float32(math.Inf(1))
	s.Data[10] = float32(math.Inf(-1))
	relu := g.Outputs[0]
	for _, c := range []struct {
		o        Options
		xlo, xhi float32
		rhi      float32
	}{
		{Options{Method: MinMax, Reference: true}, -1, 1000, 1000},
		{Options{Method: Percentile, Percentile: 99.99, Reference: true}, -1, 1.15, 1.15}, // 8192 bins over [-1, 1000]
		{Options{Method: Percentile, Percentile: 99.99}, -1, 1.15, 1.15},                  // the compiled plan
	} {
		r, outs, err := calibrate(g, []*ir.Value{x, relu}, []*ir.Tensor{s}, c.o)
		if err != nil {
			t.Fatal(err)
		}
		if len(outs) != 1 || outs[0].Data[7] != 1000 {
			t.Errorf("%+v: float outputs %v", c.o, outs)
		}
		xr, rr := r[x], r[relu]
		if xr[0] < c.xlo-0.01 || xr[0] > c.xlo+0.01 || xr[1] > c.xhi || xr[1] < 0.99 {
			t.Errorf("%+v: input range %v, want about [%g, %g]", c.o, xr, c.xlo, c.xhi)
		}
		if rr[0] != 0 || rr[1] > c.rhi || rr[1] < 0.99 {
			t.Errorf("%+v: relu range %v, want [0, ≤%g]", c.o, rr, c.rhi)
		}
	}
}

// TestActParams: ONNX Runtime's formulas, and the degenerate ranges.
func TestActParams(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	for _, c := range []struct {
		lo, hi float32
		s      float32
		zp     int32
	}{
		{0, 6, 6.0 / 255, 0},
		{-1, 1, 2.0 / 255, 127},  // 1/(2/255) is 127.49999 in float32, as numpy computes it
		{2, 3, 3.0 / 255, 0},     // widened to hold 0
		{-4, -1, 4.0 / 255, 255}, // likewise
		{0, 0, 1, 0},
		{nan, 1, 1, 0},
		{-inf, 1, 1, 0},
		{0, inf, 1, 0},
	} {
		s, zp := actParams(c.lo, c.hi)
		if math.Abs(float64(s-c.s)) > 1e-7 || zp != c.zp {
			t.Errorf("actParams(%g, %g) = %g, %d; want %g, %d", c.lo, c.hi, s, zp, c.s, c.zp)
		}
	}
	if s := weightScale(0); s != 1 {
		t.Errorf("weightScale(0) = %g, want 1 (an empty channel)", s)
	}
	if s := weightScale(127); s != 1 {
		t.Errorf("weightScale(127) = %g, want 1", s)
	}
	if q := quantizeWeight(float32(math.NaN()), 1); q != 0 {
		t.Errorf("quantizeWeight(NaN) = %g", q)
	}
	if q := quantizeBias(1e30, 1e-8); q != math.MaxInt32 {
		t.Errorf("quantizeBias saturates: %g", q)
	}
}

// TestHistogramGrows: counts survive the range growing; the percentile
// edges of two samples in different ranges are those of their union.
func TestHistogramGrows(t *testing.T) {
	var h histogram
	a := make([]float32, 1000)
	for i := range a {
		a[i] = float32(i) / 1000 // [0, 1)
	}
	b := make([]float32, 1000)
	for i := range b {
		b[i] = -5 + 10*float32(i)/1000 // [-5, 5)
	}
	h.add(a, 0, 0.999)
	h.add(b, -5, 4.99)
	var total int64
	for _, c := range h.n {
		total += c
	}
	if total != 2000 {
		t.Errorf("%d counts after growing, want 2000", total)
	}
	bin := float32((h.hi - h.lo) / bins)
	l, u, ok := h.cut(0)
	if !ok || l > -5+bin || l < -5-bin || u < 4.99 || u > 4.99+2*bin {
		t.Errorf("cut(0) = %g, %g, %v; want about -5, 4.99", l, u, ok)
	}
	// 10% on each side: 200 of the 2000 values. The lowest 200 are b's
	// [-5, -3), the highest 200 b's [3, 5).
	l, u, _ = h.cut(0.1)
	if l < -3.05 || l > -2.95 || u < 2.95 || u > 3.05 {
		t.Errorf("cut(0.1) = %g, %g; want about -3, 3", l, u)
	}
}

// TestCalibrateManyActivations: a graph with more activations than a plan
// keeps live at once (passes.MaxLive) still calibrates (on the reference
// executor); the compiled plan refuses it.
func TestCalibrateManyActivations(t *testing.T) {
	g := ir.New("chain")
	x := g.AddInput("x", 1, 8)
	var ts []*ir.Value
	v := x
	for i := 0; i < passes.MaxLive+8; i++ {
		v = g.AddNode(ir.OpRelu, fmt.Sprintf("relu%d", i), ir.Attrs{}, v)
		ts = append(ts, v)
	}
	g.SetOutputs(v)
	if err := g.InferShapes(); err != nil {
		t.Fatal(err)
	}
	s := ir.NewTensor(1, 8)
	for i := range s.Data {
		s.Data[i] = float32(i) - 3
	}
	r, _, err := calibrate(g, ts, []*ir.Tensor{s}, Options{Method: MinMax})
	if err != nil {
		t.Fatal(err)
	}
	if got := r[ts[len(ts)-1]]; got != [2]float32{0, 4} {
		t.Errorf("last relu's range %v, want [0 4]", got)
	}
}
