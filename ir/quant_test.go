package ir

import (
	"math"
	"testing"
)

func TestQuantizeRoundsHalfToEvenAndSaturates(t *testing.T) {
	inf := float32(math.Inf(1))
	nan := float32(math.NaN())
	cases := []struct {
		x, s float32
		zp   int32
		t    QType
		want float32
	}{
		{2.5, 1, 0, QUint8, 2}, {3.5, 1, 0, QUint8, 4}, {-2.5, 1, 0, QInt8, -2}, {0.5, 1, 10, QUint8, 10},
		{-1, 1, 0, QUint8, 0}, {300, 1, 0, QUint8, 255}, {1000, 1, 0, QInt8, 127}, {-1000, 1, 0, QInt8, -128},
		{1, 1e-8, 0, QInt8, 127}, {1, 1e3, 255, QUint8, 255}, {-1, 1e3, -128, QInt8, -128},
		{inf, 1, 0, QInt8, 127}, {-inf, 1, 3, QUint8, 0}, {nan, 1, 7, QUint8, 7}, {70000, 1, 0, QInt16, 32767},
	}
	for _, c := range cases {
		if got := Quantize(c.x, c.s, c.zp, c.t); got != c.want {
			t.Errorf("Quantize(%g, %g, %d, %v) = %g, want %g", c.x, c.s, c.zp, c.t, got, c.want)
		}
	}
	if got := Requantize(5, 0.5, 0, QUint8); got != 2 { // 2.5 → 2
		t.Errorf("Requantize(5, 0.5) = %g, want 2", got)
	}
	if got := Requantize(-1000, 1, 3, QUint8); got != 0 {
		t.Errorf("Requantize(-1000) = %g, want 0", got)
	}
	if got := Dequantize(200, 128, 0.5); got != 36 {
		t.Errorf("Dequantize(200, 128, 0.5) = %g, want 36", got)
	}
}
