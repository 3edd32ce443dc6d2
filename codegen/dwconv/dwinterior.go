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
// Groups of P pixels are followed by one group of the P-1 or fewer left
// (a size for each: on 7×7 maps this is 20% faster than halving).
// Same signature and weight layout as the column-range kernels in
// dwconv.go (inPixStride must be S·inColStride: the pixels are adjacent
// in one input row).

func dwInteriorName(t *target, k, s int) string {
	return fmt.Sprintf("DWConv%dx%ds%d%s", k, k, s, t.Name)
}

// dwInteriorPixels is P: 8 accumulators, K weights, a column and the AVX2
// tail mask fit in AVX2's 16 registers (the epilogue constants are loaded
// lazily); AVX-512 could hold more, but 8 chains already cover the FMA
// latency. AVX2 at stride 2 measured faster with 4 (112×112×96: 118 µs
// against 136 µs with 8).
func dwInteriorPixels(t *target, s int) int {
	if t.VL == 8 && s == 2 {
		return 4
	}
	return 8
}

func genDWInterior(t *target, k, s int) {
	name := dwInteriorName(t, k, s)
	doc := fmt.Sprintf("%s computes npix output pixels of a %dx%d stride-%d depthwise conv whose windows are inside the image horizontally.", name, k, k, s)
	dwDriver(t, k, name, doc, dwInteriorPixels(t, s), true, func(f *dwFrame, P int) {
		acc := f.loadBias(P)
		p := GP64()
		LEAQ(Mem{Base: f.in, Index: f.j, Scale: 1}, p)
		wp := GP64()
		MOVQ(f.wblk, wp)
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
				ADDQ(f.cs, col)
			}
		}
		ADDQ(paramMem("inRowStride"), p)
		ADDQ(U32(k*t.bytes()), wp)
		DECQ(rows)
		JNZ(LabelRef(row))
		f.storeGroup(acc)
	})
}
