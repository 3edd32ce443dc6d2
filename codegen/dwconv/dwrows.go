package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// Depthwise kernels for a block of output rows whose windows are all
// inside the input (every kernel row and column valid), channel block by
// channel block: for one block of VL channels the K·K weight vectors are
// loaded into registers once, then every output row and every pixel of
// the rows is computed, before the next block. A block's input rows (K
// rows × the row's columns × VL floats) then stay in L1 while the window
// slides down, which the pixel-major interior kernels (dwinterior.go) do
// not: they walk all channels of a row before the next, so on a row of
// 56×144 floats each input row comes from L2 K times. A row's pixels are
// done in groups of 16 (independent FMA chains), then one group each of
// 8, 4, 2 and 1 for the bits of the rest (54 pixels: 16+16+16+4+2; moving
// the last 16-group back over computed pixels instead cost up to a fifth
// more work on MobileNet's 28- and 56-wide rows). The 3×3 kernels keep
// all 9 weight vectors in registers for the block; 5×5 (25 vectors and 16
// accumulators do not fit the 32 zmm registers) loads a kernel row's 5
// per group. AVX-512 only (AVX2's 16 registers hold too few accumulators).
//
// Output pixel (r, i) of channel ch, for r < nrows, i < npix, ch < c:
// out[r·outRowStride + i·outPixStride + ch] = act(bias[ch] +
// Σ in[(r·S + kh)·inRowStride + (i·S + kw)·inColStride + ch]·w[kh][kw][ch])
// (strides in bytes; weights packed as for the other depthwise kernels).

const dwRowsSig = "func(in *float32, inRowStride, inColStride, c int, w, bias, out *float32, outPixStride, outRowStride, npix, nrows int, ep *float32, mode int, mask *int32)"

func dwRowsName(t *target, k, s int) string {
	return fmt.Sprintf("DWConv%dx%ds%d%sRows", k, k, s, t.Name)
}

func genDWRows(t *target, k, s int) {
	name := dwRowsName(t, k, s)
	TEXT(name, NOSPLIT, dwRowsSig)
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes nrows rows of npix output pixels of a %dx%d stride-%d depthwise conv whose windows are inside the input, one channel block at a time.", name, k, k, s))
	c := loadGP("c")
	t.setupTail(c)
	ac := lazyActConsts()
	j := GP64() // byte offset of the channel block
	XORQ(j, j)
	wblk := loadGP("w")
	blk, tail, done := uniq("rblock"), uniq("rtail"), uniq("rdone")
	jend := GP64()
	MOVQ(c, jend)
	ANDQ(I32(^(t.VL - 1)), jend)
	SHLQ(U8(2), jend)
	Label(blk)
	CMPQ(j, jend)
	JAE(LabelRef(tail))
	t.masked = false
	dwRowsBlock(t, ac, k, s, j, wblk)
	ADDQ(U8(t.bytes()), j)
	ADDQ(U32(k*k*t.bytes()), wblk)
	JMP(LabelRef(blk))
	Label(tail)
	cb := GP64()
	MOVQ(paramMem("c"), cb)
	SHLQ(U8(2), cb)
	CMPQ(j, cb)
	JAE(LabelRef(done))
	t.masked = true
	dwRowsBlock(t, ac, k, s, j, wblk)
	t.masked = false
	Label(done)
	VZEROUPPER()
	RET()
}

// dwRowsBlock computes channel block j (weights at wblk) of every pixel.
func dwRowsBlock(t *target, ac actConsts, k, s int, j, wblk GPVirtual) {
	var wv []VecVirtual // all weights in registers (3×3), or nil: per row
	if k == 3 {
		wv = make([]VecVirtual, k*k)
		for i := range wv {
			wv[i] = t.vec()
			VMOVUPS(Mem{Base: wblk, Disp: i * t.bytes()}, wv[i])
		}
	}
	rowIn, rowOut := GP64(), GP64()
	MOVQ(paramMem("in"), rowIn)
	ADDQ(j, rowIn)
	MOVQ(paramMem("out"), rowOut)
	ADDQ(j, rowOut)
	rows := loadGP("nrows")
	cs := loadGP("inColStride")
	row := uniq("rrow")
	Label(row)
	pIn, pOut, left := GP64(), GP64(), GP64()
	MOVQ(rowIn, pIn)
	MOVQ(rowOut, pOut)
	MOVQ(paramMem("npix"), left)
	group16, rest := uniq("rgroup16"), uniq("rrest")
	Label(group16)
	CMPQ(left, U8(16))
	JB(LabelRef(rest))
	dwRowsGroup(t, ac, k, s, 16, j, wblk, wv, cs, pIn, pOut, left)
	JMP(LabelRef(group16))
	Label(rest)
	for _, P := range []int{8, 4, 2, 1} {
		skip := uniq("rskip")
		BTQ(U8(bitIndex(P)), left)
		JCC(LabelRef(skip))
		dwRowsGroup(t, ac, k, s, P, j, wblk, wv, cs, pIn, pOut, left)
		Label(skip)
	}
	for i := 0; i < s; i++ {
		ADDQ(paramMem("inRowStride"), rowIn)
	}
	ADDQ(paramMem("outRowStride"), rowOut)
	DECQ(rows)
	JNZ(LabelRef(row))
}

// bitIndex is log2 of a power of two.
func bitIndex(p int) int {
	n := 0
	for p > 1 {
		p >>= 1
		n++
	}
	return n
}

// dwRowsGroup computes P pixels starting at pIn/pOut and advances both
// (and left) by P pixels; wv holds the K·K weights, or is nil and each
// kernel row's K are loaded from wblk.
func dwRowsGroup(t *target, ac actConsts, k, s, P int, j, wblk GPVirtual, wv []VecVirtual, cs, pIn, pOut, left GPVirtual) {
	bias := loadGP("bias")
	acc := make([]VecVirtual, P)
	for i := range acc {
		acc[i] = t.vec()
		if i == 0 {
			t.load(Mem{Base: bias, Index: j, Scale: 1}, acc[i])
		} else {
			VMOVAPS(acc[0], acc[i])
		}
	}
	rp := GP64()
	MOVQ(pIn, rp)
	ncols := (P-1)*s + k
	for kh := 0; kh < k; kh++ {
		w := func(kw int) VecVirtual { return wv[kh*k+kw] }
		if wv == nil {
			row := make([]VecVirtual, k)
			for kw := range row {
				row[kw] = t.vec()
				VMOVUPS(Mem{Base: wblk, Disp: (kh*k + kw) * t.bytes()}, row[kw])
			}
			w = func(kw int) VecVirtual { return row[kw] }
		}
		col := GP64()
		MOVQ(rp, col)
		for cx := 0; cx < ncols; cx++ {
			x := t.vec()
			t.load(Mem{Base: col}, x)
			for i := 0; i < P; i++ {
				if kw := cx - i*s; kw >= 0 && kw < k {
					VFMADD231PS(w(kw), x, acc[i])
				}
			}
			if cx < ncols-1 {
				ADDQ(cs, col)
			}
		}
		if kh < k-1 {
			ADDQ(paramMem("inRowStride"), rp)
		}
	}
	activateAll(t, ac, acc, func(slopes GPVirtual) Mem { return Mem{Base: slopes, Index: j, Scale: 1} })
	o := GP64()
	MOVQ(pOut, o)
	for i, a := range acc {
		t.store(a, Mem{Base: o})
		if i < P-1 {
			ADDQ(paramMem("outPixStride"), o)
		}
	}
	step := GP64()
	MOVQ(cs, step)
	if P*s > 1 {
		IMUL3Q(U8(P*s), step, step)
	}
	ADDQ(step, pIn)
	MOVQ(paramMem("outPixStride"), step)
	if P > 1 {
		IMUL3Q(U8(P), step, step)
	}
	ADDQ(step, pOut)
	SUBQ(U8(P), left)
}
