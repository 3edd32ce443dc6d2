package kernels

import "fmt"

// Quantize and QAdd in Go: the clamp comes before the rounding (the bounds
// are integers, so the result is the same) and the rounding adds and
// subtracts 1.5·2^23 (exact for |v| < 2^22; the bounds are 16-bit).

func quantizeGeneric(x, out []float32, sc, zp, lo, hi float32) {
	const magic = 0x1.8p23
	checkElementwise("Quantize", len(x), len(out), len(x))
	l, h := lo-zp, hi-zp
	for i, v := range x {
		q := v / sc
		if q != q {
			q = 0
		}
		q = max(min(q, h), l)
		out[i] = float32(q+magic) - magic + zp
	}
}

func qaddGeneric(a, b, out []float32, as, bs, m, lo, hi float32) {
	const magic = 0x1.8p23
	checkElementwise("QAdd", len(a), len(out), len(b))
	for i := range out {
		r := float32(float32(float32(a[i]*as)+float32(b[i]*bs)) / m)
		if r != r {
			r = 0
		}
		r = max(min(r, hi), lo)
		out[i] = float32(r+magic) - magic
	}
}

func checkElementwise(name string, na, nout, nb int) {
	if na != nout || nb != nout {
		panic(fmt.Sprintf("kernels: %s: operands of %d and %d elements, output %d", name, na, nb, nout))
	}
}

// qaddU8Generic is QAddU8: float32(x−z)·s takes 256 values per operand,
// so both products come from tables (the same float32 products).
func qaddU8Generic(a, b, out []uint8, as, bs, m, lo, hi float32, za, zb, zy int32) {
	const magic = 0x1.8p23
	if len(a) != len(out) || len(b) != len(out) {
		panic(fmt.Sprintf("kernels: QAddU8: operands of %d and %d bytes, output %d", len(a), len(b), len(out)))
	}
	var ta, tb [256]float32
	for i := range ta {
		ta[i] = float32(int32(i)-za) * as
		tb[i] = float32(int32(i)-zb) * bs
	}
	off := float32(zy)
	for i := range out {
		v := (ta[a[i]] + tb[b[i]]) / m
		if v != v {
			v = 0
		}
		v = max(min(v, hi), lo)
		out[i] = uint8(float32(v+magic) - magic + off)
	}
}

func lutBytesGeneric(in, out []uint8, table *[256]byte) {
	if len(in) != len(out) {
		panic(fmt.Sprintf("kernels: LUTBytes: %d bytes in, %d out", len(in), len(out)))
	}
	for i, b := range in {
		out[i] = table[b]
	}
}
