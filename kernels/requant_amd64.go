//go:build amd64 && !purego

package kernels

import (
	"math"

	"github.com/mnc-go/mnc/asm"
	"golang.org/x/sys/cpu"
)

// requantRows applies an ActRequant epilogue to x (rows of c channels,
// channel 0 first) with the generated RequantChannels kernel of vector
// length vl, writing out (which may be x). It returns false, doing
// nothing, when ep is not such an epilogue or a multiplier is not finite
// (the kernel does not turn NaN into 0): the caller applies ep in Go.
func requantRows(vl int, ep *Epilogue, x, out []float32, c int) bool {
	if ep == nil || ep.Act != ActRequant || len(x)%max(c, 1) != 0 || len(out) < len(x) || len(x) == 0 || !finiteSlopes(ep.Slope, c) {
		return false
	}
	var prm EpParams
	prm.Lo, prm.Hi = ep.Min, ep.Max
	if vl == 16 {
		asm.RequantChannelsAVX512(&x[0], len(x)/c, c, &ep.Slope[0], &out[0], &prm.A, nil)
	} else {
		asm.RequantChannelsAVX2FMA(&x[0], len(x)/c, c, &ep.Slope[0], &out[0], &prm.A, tailMask(c))
	}
	return true
}

// finiteSlopes reports whether s holds c finite values (one per channel).
func finiteSlopes(s []float32, c int) bool {
	if c == 0 || len(s) != c {
		return false
	}
	for _, v := range s {
		if math.IsInf(float64(v), 0) || v != v {
			return false
		}
	}
	return true
}

// fillQuantAMD64 sets Quantize and QAdd to the generated kernels of vector
// length vl (codegen/dwconv/misc.go). Quantize takes any scale (NaN → zp
// in the kernel); QAdd falls back to Go unless the scales keep every sum
// finite (|a|, |b| ≤ 2^16, so scales ≤ 2^100 cannot overflow) and m is
// finite, so that no NaN (∞ − ∞) can arise.
func fillQuantAMD64(s *Set, vl int) {
	s.Quantize = func(x, out []float32, sc, zp, lo, hi float32) {
		checkElementwise("Quantize", len(x), len(out), len(x))
		if len(x) == 0 {
			return
		}
		p := [4]float32{sc, lo - zp, hi - zp, zp}
		if vl == 16 {
			asm.QuantizeAVX512(&x[0], &out[0], len(x), &p[0], nil)
		} else {
			asm.QuantizeAVX2FMA(&x[0], &out[0], len(x), &p[0], tailMask(len(x)))
		}
	}
	if vl == 16 && cpu.X86.HasAVX512VBMI {
		s.LUTBytes = func(in, out []uint8, table *[256]byte) {
			n := len(in) &^ 63
			if len(in) != len(out) || n == 0 {
				lutBytesGeneric(in, out, table)
				return
			}
			asm.LUTBytesAVX512VBMI(&in[0], &out[0], n, &table[0])
			lutBytesGeneric(in[n:], out[n:], table)
		}
	}
	if vl == 16 {
		s.QAddU8 = func(a, b, out []uint8, as, bs, m, lo, hi float32, za, zb, zy int32) {
			const big = 0x1p100
			n := len(out) &^ 15
			if len(a) != len(out) || len(b) != len(out) || n == 0 ||
				!(math.Abs(float64(as)) <= big && math.Abs(float64(bs)) <= big) || math.IsInf(float64(m), 0) || m != m || m == 0 {
				qaddU8Generic(a, b, out, as, bs, m, lo, hi, za, zb, zy)
				return
			}
			p := [8]float32{as, bs, m, lo, hi, float32(za), float32(zb), float32(zy)}
			asm.QAddU8AVX512(&a[0], &b[0], &out[0], n, &p[0])
			qaddU8Generic(a[n:], b[n:], out[n:], as, bs, m, lo, hi, za, zb, zy)
		}
	}
	s.QAdd = func(a, b, out []float32, as, bs, m, lo, hi float32) {
		checkElementwise("QAdd", len(a), len(out), len(b))
		const big = 0x1p100
		if len(out) == 0 || !(math.Abs(float64(as)) <= big && math.Abs(float64(bs)) <= big) || math.IsInf(float64(m), 0) || m != m || m == 0 {
			qaddGeneric(a, b, out, as, bs, m, lo, hi)
			return
		}
		p := [5]float32{as, bs, m, lo, hi}
		if vl == 16 {
			asm.QAddAVX512(&a[0], &b[0], &out[0], len(out), &p[0], nil)
		} else {
			asm.QAddAVX2FMA(&a[0], &b[0], &out[0], len(out), &p[0], tailMask(len(out)))
		}
	}
}
