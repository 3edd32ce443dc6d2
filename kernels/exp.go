package kernels

import "math"

// Expf is e^x in float32, the generic ExpSum's exponential: with
// x = (256k + j)·ln2/256 + r, |r| ≤ ln2/512, it is 2^k · 2^(j/256) ·
// (1 + r + r²/2), in float32 with a 256-entry table; within 3 ulp of
// float32(math.Exp(x)) (TestExpSum), at a quarter of its cost. NaN gives
// NaN; outside (−87, 88), where 2^k would leave the normal range, it is
// float32(math.Exp(x)) (0 below −103.97, +Inf above 88.73).
func Expf(x float32) float32 {
	if !(x > -87 && x < 88) {
		return expSlow(x)
	}
	t := x*(256/math.Ln2) + roundMagic
	k := t - roundMagic
	r := x - k*ln2By256Hi - k*ln2By256Lo
	n := int32(math.Float32bits(t)&0x7fffff) - 1<<22 // round(x·256/ln2)
	p := exp2Table[n&255] * (1 + r + 0.5*r*r)
	return math.Float32frombits(math.Float32bits(p) + uint32(n>>8)<<23)
}

func expSlow(x float32) float32 {
	if x != x {
		return x
	}
	return float32(math.Exp(float64(x)))
}

const (
	roundMagic = 1.5 * (1 << 23)      // adding it leaves round(x) in the low mantissa bits
	ln2By256Hi = 0.693359375 / 256    // ln2/256 = ln2By256Hi + ln2By256Lo; Hi has few bits
	ln2By256Lo = -2.12194440e-4 / 256 // so k·Hi is exact
)

// exp2Table[j] = 2^(j/256), rounded to float32.
var exp2Table = func() (t [256]float32) {
	for j := range t {
		t[j] = float32(math.Exp2(float64(j) / 256))
	}
	return t
}()

// expSumGeneric is ExpSum in Go: Expf element by element, summed in order.
func expSumGeneric(x, out []float32, m float32) float32 {
	out = out[:len(x)]
	var sum float32
	for i, v := range x {
		e := Expf(v - m)
		out[i] = e
		sum += e
	}
	return sum
}

func maxGeneric(x []float32, init float32) float32 {
	m := init
	for _, v := range x {
		if v > m || v != v {
			m = v
		}
	}
	return m
}

// sigmoidGeneric is Sigmoid in Go, on Expf.
func sigmoidGeneric(x, out []float32) {
	out = out[:len(x)]
	for i, v := range x {
		out[i] = 1 / (1 + Expf(-v))
	}
}
