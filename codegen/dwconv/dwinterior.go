package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// Depthwise kernels for the interior of a row: all K kernel columns valid,
// any number of kernel rows (nrows), stride S fixed at generation. They
// compute P adjacent output pixels at once: per kernel row, the K weight
// vectors are loaded into registers once, each of the (P−1)·S+K input
// columns the P windows cover is loaded once and multiplied into every
// pixel that uses it, and the P accumulators are independent FMA chains.
// Groups of P pixels are followed by groups of P/2, ..., 1 for the rest.
// Same signature and weight layout as the column-range kernels in
// dwconv.go (inPixStride must be S·C·4; outPixStride is taken to be C·4:
// the pixels are adjacent in one row).

func dwInteriorName(t *target, k, s int) string {
	return fmt.Sprintf("DWConv%dx%ds%d_%s", k, k, s, t.Name)
}

// dwInteriorPixels is P: AVX-512 has registers for 8 accumulators beside K
// weights, a column and 4 epilogue constants; AVX2 has room for 4.
func dwInteriorPixels(t *target) int {
	if t.VL == 16 {
		return 8
	}
	return 4
}

func genDWInterior(t *target, k, s int) {
	name := dwInteriorName(t, k, s)
	TEXT(name, NOSPLIT, dwSig)
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes npix output pixels of a %dx%d stride-%d depthwise conv whose windows are inside the image horizontally.", name, k, k, s))

	in := loadGP("in")
	c := loadGP("c")
	cs := GP64()
	MOVQ(c, cs)
	SHLQ(U8(2), cs)
	jend := GP64()
	MOVQ(c, jend)
	ANDQ(I32(^(t.VL - 1)), jend)
	SHLQ(U8(2), jend)
	t.setupTail(c)
	ac := loadActConsts(t)
	out := loadGP("out")
	npix := loadGP("npix")

	for P := dwInteriorPixels(t); P >= 1; P /= 2 {
		group, next := fmt.Sprintf("group%d", P), fmt.Sprintf("group%d_done", P)
		Label(group)
		CMPQ(npix, U8(P))
		JB(LabelRef(next))

		j := GP64()
		XORQ(j, j)
		wblk := loadGP("w")
		blk, tail, done := uniq("block"), uniq("tail"), uniq("pixels_done")
		Label(blk)
		CMPQ(j, jend)
		JAE(LabelRef(tail))
		t.masked = false
		dwInteriorBlock(t, ac, k, s, P, in, cs, j, wblk, out)
		ADDQ(U8(t.bytes()), j)
		ADDQ(U32(k*k*t.bytes()), wblk)
		JMP(LabelRef(blk))
		Label(tail)
		CMPQ(j, cs)
		JAE(LabelRef(done))
		t.masked = true
		dwInteriorBlock(t, ac, k, s, P, in, cs, j, wblk, out)
		t.masked = false
		Label(done)

		for i := 0; i < P; i++ {
			ADDQ(paramMem("inPixStride"), in)
			ADDQ(cs, out)
		}
		SUBQ(U8(P), npix)
		if P > 1 {
			JMP(LabelRef(group))
		} else {
			JNZ(LabelRef(group))
		}
		Label(next)
	}
	VZEROUPPER()
	RET()
}

// dwInteriorBlock computes one vector of channels (byte offset j) of P
// pixels.
func dwInteriorBlock(t *target, ac actConsts, k, s, P int, in, cs, j, wblk, out GPVirtual) {
	bias := loadGP("bias")
	acc := make([]VecVirtual, P)
	for i := range acc {
		acc[i] = t.vec()
		t.load(Mem{Base: bias, Index: j, Scale: 1}, acc[i])
	}
	p := GP64()
	LEAQ(Mem{Base: in, Index: j, Scale: 1}, p)
	wp := GP64()
	MOVQ(wblk, wp)
	rows := loadGP("nrows")
	row := uniq("row")
	Label(row)
	wv := make([]VecVirtual, k)
	for kw := range wv {
		wv[kw] = t.vec()
		VMOVUPS(Mem{Base: wp, Disp: kw * t.bytes()}, wv[kw])
	}
	col := GP64()
	MOVQ(p, col)
	ncols := (P-1)*s + k
	for cx := 0; cx < ncols; cx++ {
		x := t.vec()
		t.load(Mem{Base: col}, x)
		for i := 0; i < P; i++ {
			if kw := cx - i*s; kw >= 0 && kw < k {
				VFMADD231PS(wv[kw], x, acc[i])
			}
		}
		if cx < ncols-1 {
			ADDQ(cs, col)
		}
	}
	ADDQ(paramMem("inRowStride"), p)
	ADDQ(U32(k*t.bytes()), wp)
	DECQ(rows)
	JNZ(LabelRef(row))

	activateAll(t, ac, acc)
	o := GP64()
	LEAQ(Mem{Base: out, Index: j, Scale: 1}, o)
	for i, a := range acc {
		t.store(a, Mem{Base: o})
		if i < P-1 {
			ADDQ(cs, o)
		}
	}
}
