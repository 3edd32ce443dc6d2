package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// Depthwise convolution kernels.
//
// One call computes npix output pixels, all channels: pixels inPixStride
// bytes apart in the input and outPixStride apart in the output, so a
// call covers a run of one row or (for a border column) a run of rows. Weights are packed channel-block-major, [ceil(C/VL)][K·K][VL],
// so within a block every tap's weight vector sits at a constant offset.
// The Go wrapper removes padding before calling: it passes only the valid
// kernel rows (nrows, starting at the first one inside the image) and
// picks the kernel generated for the valid kernel columns [kw0, kw1); the
// interior of a row is one call with kw0=0, kw1=K, and the few border
// pixels are short calls to the kernels with fewer columns. So there are
// no zero buffers and no masking of taps.
//
// Loop order: pixels, then channel blocks, then kernel rows (kept as a
// loop: it is 1..K), with the kernel columns unrolled.

const dwSig = "func(in *float32, inRowStride, nrows, inPixStride, c int, w, bias, out *float32, outPixStride, npix int, ep *float32, mode int, mask *int32)"

func dwName(t *target, k, kw0, kw1 int) string {
	return fmt.Sprintf("DWConv%dx%d_kw%dto%d_%s", k, k, kw0, kw1, t.Name)
}

func genDW(t *target, k, kw0, kw1 int) {
	name := dwName(t, k, kw0, kw1)
	TEXT(name, NOSPLIT, dwSig)
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes npix output pixels of a %dx%d depthwise conv using kernel columns [%d,%d).", name, k, k, kw0, kw1))

	in := loadGP("in")
	c := loadGP("c")
	cs := GP64() // bytes per input/output pixel
	MOVQ(c, cs)
	SHLQ(U8(2), cs)
	jend := GP64() // byte offset where the channel tail starts
	MOVQ(c, jend)
	ANDQ(I32(^(t.VL - 1)), jend)
	SHLQ(U8(2), jend)
	t.setupTail(c)
	ac := loadActConsts(t)
	out := loadGP("out")
	npix := loadGP("npix")

	Label("pixel")
	j := GP64()
	XORQ(j, j)
	wblk := loadGP("w")
	Label("block")
	CMPQ(j, jend)
	JAE(LabelRef("tail"))
	t.masked = false
	dwBlock(t, ac, k, kw1-kw0, in, cs, j, wblk, out)
	ADDQ(U8(t.bytes()), j)
	ADDQ(U32(k*k*t.bytes()), wblk)
	JMP(LabelRef("block"))

	Label("tail")
	CMPQ(j, cs)
	JAE(LabelRef("next"))
	t.masked = true
	dwBlock(t, ac, k, kw1-kw0, in, cs, j, wblk, out)
	t.masked = false

	Label("next")
	ADDQ(paramMem("inPixStride"), in)
	ADDQ(paramMem("outPixStride"), out)
	DECQ(npix)
	JNZ(LabelRef("pixel"))
	VZEROUPPER()
	RET()
}

// dwBlock computes one vector of channels (offset j bytes) of one pixel:
// bias, the nkw×nrows taps, the activation, the store.
func dwBlock(t *target, ac actConsts, k, nkw int, in, cs, j, wblk, out GPVirtual) {
	acc := t.vec()
	bias := loadGP("bias")
	t.load(Mem{Base: bias, Index: j, Scale: 1}, acc)

	p := GP64() // input row pointer at this pixel's first valid tap, channel j
	LEAQ(Mem{Base: in, Index: j, Scale: 1}, p)
	wp := GP64()
	MOVQ(wblk, wp)
	rows := loadGP("nrows")
	row := uniq("row")
	Label(row)
	for kw := 0; kw < nkw; kw++ {
		x := t.vec()
		t.load(colAddr(p, cs, kw), x)
		VFMADD231PS(Mem{Base: wp, Disp: kw * t.bytes()}, x, acc)
	}
	ADDQ(paramMem("inRowStride"), p)
	ADDQ(U32(k*t.bytes()), wp)
	DECQ(rows)
	JNZ(LabelRef(row))

	activate(t, ac, acc)
	t.store(acc, Mem{Base: out, Index: j, Scale: 1})
}

// colAddr addresses kernel column kw (relative to the first valid one):
// p + kw·cs, using the scaled index where x86 has one.
func colAddr(p, cs GPVirtual, kw int) Mem {
	switch kw {
	case 0:
		return Mem{Base: p}
	case 1, 2, 4:
		return Mem{Base: p, Index: cs, Scale: uint8(kw)}
	case 3:
		q := GP64()
		LEAQ(Mem{Base: p, Index: cs, Scale: 2}, q)
		return Mem{Base: q, Index: cs, Scale: 1}
	}
	panic(fmt.Sprintf("kernel column %d: only kernels up to 5 wide are generated", kw))
}
