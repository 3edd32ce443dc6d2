package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// Depthwise convolution kernels.
//
// One call computes npix output pixels, channels [0, c) of the pointers
// given: pixels inPixStride bytes apart in the input and outPixStride
// apart in the output, so a call covers a run of one row or (for a border
// column) a run of rows. Adjacent input columns are inColStride bytes
// apart (4·C for the whole image's C channels): with c < C and pointers
// offset to a channel, a call computes a range of channels (the runtime
// splits small maps between threads by channels).
// Weights are packed channel-block-major, [ceil(C/VL)][K·K][VL], so within
// a block every tap's weight vector sits at a constant offset. The Go
// wrapper removes padding before calling: it passes only the valid kernel
// rows (nrows, starting at the first one inside the image) and picks the
// kernel generated for the valid kernel columns [kw0, kw1) (this file);
// the interior of a row, where all columns are valid, goes to the
// per-stride interior kernels (dwinterior.go). So there are no zero
// buffers and no masking of taps.
//
// Loop order: groups of up to 4 pixels (independent FMA chains), then
// channel blocks, then kernel rows (kept as a loop: it is 1..K) with the
// row's weights in registers, then the pixels and kernel columns unrolled.

const dwSig = "func(in *float32, inRowStride, inColStride, nrows, inPixStride, c int, w, bias, out *float32, outPixStride, npix int, ep *float32, mode int, mask *int32)"

func dwName(t *target, k, kw0, kw1 int) string {
	return fmt.Sprintf("DWConv%dx%dkw%dto%d%s", k, k, kw0, kw1, t.Name)
}

// dwFrame is what a depthwise block body works with: the channel block at
// byte offset j of the pixel group starting at in/out, weights at wblk.
type dwFrame struct {
	t                    *target
	k                    int // kernel size: a weight block is k·k vectors
	ac                   actConsts
	in, cs, j, wblk, out GPVirtual
}

// dwDriver emits a depthwise kernel's frame: argument loads, then groups
// of P = maxP, maxP/2, ..., 1 pixels (everyP: maxP, maxP-1, ..., 1, so
// the pixels left after the full groups are a single group), each looping
// over the channel blocks (full vectors, then the masked tail) and calling
// block for them.
// Pixels are inPixStride / outPixStride bytes apart.
func dwDriver(t *target, k int, name, doc string, maxP int, everyP bool, block func(f *dwFrame, P int)) {
	TEXT(name, NOSPLIT, dwSig)
	Pragma("noescape")
	Doc(doc)
	f := &dwFrame{t: t, k: k}
	f.in = loadGP("in")
	c := loadGP("c")
	f.cs = loadGP("inColStride") // bytes per input pixel
	cb := GP64()                 // bytes of the channels computed
	MOVQ(c, cb)
	SHLQ(U8(2), cb)
	jend := GP64() // byte offset where the channel tail starts
	MOVQ(c, jend)
	ANDQ(I32(^(t.VL - 1)), jend)
	SHLQ(U8(2), jend)
	t.setupTail(c)
	f.ac = lazyActConsts()
	f.out = loadGP("out")
	npix := loadGP("npix")

	for P := maxP; P >= 1; P = nextP(P, everyP) {
		group, next := fmt.Sprintf("group%d", P), fmt.Sprintf("group%d_done", P)
		Label(group)
		CMPQ(npix, U8(P))
		JB(LabelRef(next))

		f.j = GP64()
		XORQ(f.j, f.j)
		f.wblk = loadGP("w")
		blk, tail, done := uniq("block"), uniq("tail"), uniq("pixels_done")
		Label(blk)
		CMPQ(f.j, jend)
		JAE(LabelRef(tail))
		t.masked = false
		block(f, P)
		ADDQ(U8(t.bytes()), f.j)
		ADDQ(U32(f.blockBytes()), f.wblk)
		JMP(LabelRef(blk))
		Label(tail)
		CMPQ(f.j, cb)
		JAE(LabelRef(done))
		t.masked = true
		block(f, P)
		t.masked = false
		Label(done)

		for i := 0; i < P; i++ {
			ADDQ(paramMem("inPixStride"), f.in)
			ADDQ(paramMem("outPixStride"), f.out)
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

// blockBytes is the size of one channel block's weights.
func (f *dwFrame) blockBytes() int { return f.k * f.k * f.t.bytes() }

// storeGroup applies the epilogue to the P accumulators and stores them
// at the pixels' outputs (outPixStride apart), channel block j.
func (f *dwFrame) storeGroup(acc []VecVirtual) {
	activateAll(f.t, f.ac, acc, func(slopes GPVirtual) Mem { return Mem{Base: slopes, Index: f.j, Scale: 1} })
	o := GP64()
	LEAQ(Mem{Base: f.out, Index: f.j, Scale: 1}, o)
	for i, a := range acc {
		f.t.store(a, Mem{Base: o})
		if i < len(acc)-1 {
			ADDQ(paramMem("outPixStride"), o)
		}
	}
}

// loadBias starts P accumulators at the bias of channel block j.
func (f *dwFrame) loadBias(P int) []VecVirtual {
	bias := loadGP("bias")
	acc := make([]VecVirtual, P)
	for i := range acc {
		acc[i] = f.t.vec()
		if i == 0 {
			f.t.load(Mem{Base: bias, Index: f.j, Scale: 1}, acc[i])
		} else {
			VMOVAPS(acc[0], acc[i]) // a register copy: no load port
		}
	}
	return acc
}

// dwColumnPixels is P for the column-range kernels: each pixel loads its
// own inputs, so P only buys independent FMA chains. Every group size down
// to 1 is generated (a border column down 3 rows is one group of 3: 5×5 on
// 7×7×960 38 -> 34 µs).
const dwColumnPixels = 4

func genDW(t *target, k, kw0, kw1 int) {
	name := dwName(t, k, kw0, kw1)
	doc := fmt.Sprintf("%s computes npix output pixels of a %dx%d depthwise conv using kernel columns [%d,%d).", name, k, k, kw0, kw1)
	dwDriver(t, k, name, doc, dwColumnPixels, true, func(f *dwFrame, P int) {
		nkw := kw1 - kw0
		acc := f.loadBias(P)
		p := GP64() // first pixel's input at its first valid tap, channel j
		LEAQ(Mem{Base: f.in, Index: f.j, Scale: 1}, p)
		wp := GP64()
		MOVQ(f.wblk, wp)
		rows := loadGP("nrows")
		row := uniq("row")
		Label(row)
		wv := make([]VecVirtual, nkw)
		for kw := range wv {
			wv[kw] = t.vec()
			VMOVUPS(Mem{Base: wp, Disp: kw * t.bytes()}, wv[kw])
		}
		px := GP64()
		MOVQ(p, px)
		for i := 0; i < P; i++ {
			for kw := 0; kw < nkw; kw++ {
				x := t.vec()
				t.load(colAddr(px, f.cs, kw), x)
				VFMADD231PS(wv[kw], x, acc[i])
			}
			if i < P-1 {
				ADDQ(paramMem("inPixStride"), px)
			}
		}
		ADDQ(paramMem("inRowStride"), p)
		ADDQ(U32(k*t.bytes()), wp)
		DECQ(rows)
		JNZ(LabelRef(row))
		f.storeGroup(acc)
	})
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

// nextP is the group size after P: every size down to 1, or halving.
func nextP(P int, every bool) int {
	if every {
		return P - 1
	}
	return P / 2
}
