package main

import (
	"fmt"
	"strings"

	"github.com/mnc-go/mnc/codegen/neon/enc"
)

// Int8 depthwise convolution on u8 NHWC bytes (kernels.Set.QDWConv on
// NEON, kernels/qdw_arm64.go). Per output pixel and channel
//
//	acc = bias'[c] + Σ_taps x·w[c][tap]     x the input byte, w the centred weight
//	y   = clamp(roundEven(float32(acc)·mult[c]) + yzp, 0, 255)
//
// with bias' = bias − xzp·Σw folded at pack time, so a padding tap must
// read xzp bytes (the Go driver points it at a row of them). That is
// ir.Requantize of bias + Σ (x − xzp)·w, the pure-Go path's result, bit
// for bit: x ∈ [0, 255] and w ∈ [−128, 127] are exact int16, SMLAL
// widens their products into int32 (|Σ| ≤ 25·255·128, and PackQDW bounds
// bias' so that the sum cannot overflow).
//
// QDWConv<K>x<K>NEON (K = 3, 5) computes npix output pixels; for each, the
// K·K tap pointers taps[t] + pix·pixStride address the first channel of
// the tap's input pixel (a border pixel is a call with npix = 1 whose
// padding taps point at zero-point bytes). The channels, rounded up to 4
// (c4: pixel strides are multiples of 4, so those bytes can be read and
// written), go in blocks of 16, then one of 8 and one of 4 as c4 needs;
// the packed weights (kernels layout 4) hold per block of n channels n
// int32 bias', n float32 multipliers and K·K × n int16 weights, blocks in
// channel order. Loop order: blocks outside, pixels inside (a block's
// multipliers load once per call), pixels in pairs that share each tap's
// weight loads and give 8 independent accumulator chains (v18–v21,
// v27–v30), an odd last pixel alone. Per pixel pair, tap and 16 channels:
// two LDR q of input bytes (register offset), two LDR q of weights (at
// immediate offsets from the block), UXTL/UXTL2 to int16 (in place for
// the high half), 8 SMLAL/SMLAL2. Software-pipelined for in-order cores:
// tap t+2's loads and tap t+1's widening are issued before tap t's
// products (three register sets v0–v17); the 3×3 tap pointers live in
// registers, the 5×5 ones are loaded 3 taps ahead. The epilogue is the
// int8 GEMM kernels' (int8.go), each step over both pixels: SCVTF, FMUL,
// FCVTNS (ties to even, saturating), SQXTN/SQXTN2 to int16, SQADD yzp,
// then SQXTUN/SQXTUN2 to bytes, whose saturation to [0, 255] is the
// clamp: equal to the float clamp before rounding because −yzp and
// 255 − yzp are integers (rounding and the clamp commute) and every
// earlier saturation lies beyond them in the clamp's direction.
//
// QDWConv<K>x<K>s<S>NEON, for strides 1 and 2, share input columns within a
// pair (qdwPairShared).
//
// llvm-mca (scripts/neon_mca.py: a model, not a measurement) per output
// pixel of 16 channels, bias and epilogue included, general pair kernel
// (stride 1, stride 2 shared-column kernels): 3×3 Cortex-A53 109 (101,
// 106) cycles, A55 88 (82, 85), A76 (LLVM 14's A57 model) 53 (49, 49),
// apple-m1 26 (25, 25); 5×5 250 (224, 234), 216 (199, 206), 115 (109,
// 110), 58 (57, 57). First version (per pixel, weights and tap pointers loaded
// per tap, one tap ahead): 3×3 A55 204, A76 72, apple-m1 31; 5×5 460,
// 168, 74. For scale, the fp32 3×3 kernel's inner loop (8 pixels × 4
// channels × 3 taps, no epilogue) runs 1.2–1.4 multiply-adds per cycle on
// the in-order models and 4.0 on the A76 model; these 1.3–1.9 and 2.7–3.5.

var (
	qdwKs      = []int{3, 5}
	qdwStrides = []int{1, 2} // strides with shared-column kernels
)

func qdwKernels() []*Func {
	var fs []*Func
	for _, k := range qdwKs {
		fs = append(fs, genQDW(k, 0))
	}
	for _, st := range qdwStrides {
		for _, k := range qdwKs {
			fs = append(fs, genQDW(k, st))
		}
	}
	return fs
}

// qdwName: s > 0 names the stride-s kernel whose pixel pairs share input
// columns (qdwPairShared).
func qdwName(k, s int) string {
	if s > 0 {
		return fmt.Sprintf("QDWConv%dx%ds%dNEON", k, k, s)
	}
	return fmt.Sprintf("QDWConv%dx%dNEON", k, k)
}

// General registers: the arguments R0–R7 (R4, zp, becomes the pixel
// counter once v26 holds it), then qC0 (the block's first channel byte),
// qWPtr (scratch for the multipliers' address), qBlocks (16-channel blocks
// left), qOutPtr (the pixel's output), qOff (pixel offset + c0: tap t of
// the pixel is at taps[t] + qOff), and the pair's second pixel's (qPair).
// 3×3 kernels keep the 9 tap pointers in qTaps3 for the whole call; 5×5
// kernels load each tap's pointer three taps ahead into the qTapRot
// registers.
const (
	qTaps, qPixStride, qC4, qW, qZP, qOut, qOutStride, qNPix = 0, 1, 2, 3, 4, 5, 6, 7
	qPixLeft, qC0, qWPtr, qBlocks, qOutPtr, qOff             = 4, 8, 10, 12, 14, 15
)

var (
	qTaps3  = []int{16, 17, 19, 20, 21, 22, 23, 24, 25}
	qTapRot = [3]int{9, 11, 13}
	qAcc    = 18               // v18–v21: int32 sums (bias' first)
	qMult   = 22               // v22–v25: multipliers of the block
	qZPV    = 26               // yzp in every int16 lane
	qXSets  = [3]int{0, 6, 12} // per pixel x (high half widened in place) and its low half, then weights a, b
)

func genQDW(k, st int) *Func {
	f := newFunc(qdwName(k, st),
		"taps **uint8", "pixStride int", "c4 int", "w *uint8", "zp int", "out *uint8", "outStride int", "npix int")
	f.Doc = []string{
		fmt.Sprintf("npix output pixels of a %d×%d int8 depthwise conv on u8 NHWC bytes (SMLAL into int32, requantized to bytes).", k, k),
	}
	for i, a := range f.Args {
		f.LoadArg(a.Name, i)
	}
	f.I("CBZ R%d, done", qNPix)
	f.Comment("v%d = yzp in every int16 lane", qZPV)
	f.I("VDUP R%d, V%d.H8", qZP, qZPV)
	if k == 3 {
		f.Comment("the 9 tap pointers of the first pixel, for the whole call")
		for t, r := range qTaps3 {
			f.I("MOVD %d(R%d), R%d", 8*t, qTaps, r)
		}
	}
	f.I("MOVD ZR, R%d", qC0)
	f.I("LSR $4, R%d, R%d", qC4, qBlocks)
	f.I("CBZ R%d, tail8", qBlocks)
	f.Label("g16")
	qdwBlock(f, k, 16, st)
	f.I("SUBS $1, R%d, R%d", qBlocks, qBlocks)
	f.I("BNE g16")
	f.Label("tail8")
	f.I("TBZ $3, R%d, tail4", qC4)
	qdwBlock(f, k, 8, st)
	f.Label("tail4")
	f.I("TBZ $2, R%d, done", qC4)
	qdwBlock(f, k, 4, st)
	f.Label("done")
	f.I("RET")
	return f
}

// qdwBlock emits one block of n = 16, 8 or 4 channels over all npix
// pixels: the block's multipliers are loaded once, then pixel pairs and
// an odd last pixel (qdwPixels). qW points at the block (bias',
// multipliers, weights) and moves to the next block at the end.
func qdwBlock(f *Func, k, n, st int) {
	taps := k * k
	na := n / 4
	f.Comment("%d channels: multipliers", n)
	f.I("ADD $%d, R%d, R%d", 4*n, qW, qWPtr)
	f.I("VLD1 (R%d), %s", qWPtr, VList(seq(qMult, na)...))
	f.I("MOVD R%d, R%d", qC0, qOff)
	f.I("ADD R%d, R%d, R%d", qC0, qOut, qOutPtr)
	f.I("MOVD R%d, R%d", qNPix, qPixLeft)
	pair, single, end := fmt.Sprintf("pp%d", n), fmt.Sprintf("ps%d", n), fmt.Sprintf("pe%d", n)
	f.I("SUBS $2, R%d, R%d", qPixLeft, qPixLeft)
	f.I("BLT %s", single)
	f.Label(pair)
	if st > 0 {
		qdwPairShared(f, k, n, st)
	} else {
		qdwPixels(f, k, n, 2)
	}
	f.I("SUBS $2, R%d, R%d", qPixLeft, qPixLeft)
	f.I("BGE %s", pair)
	f.Label(single)
	f.I("TBZ $0, R%d, %s", qNPix, end)
	qdwPixels(f, k, n, 1)
	f.Label(end)
	f.I("ADD $%d, R%d, R%d", n, qC0, qC0)
	f.I("ADD $%d, R%d, R%d", n*(8+2*taps), qW, qW)
}

// qPair are the second pixel's input offset and output pointer
// registers (3×3, 5×5; the 3×3 tap pointers hold R16 and R17).
func qPair(k int) (off2, outPtr2 int) {
	if k == 3 {
		return 9, 11
	}
	return 16, 17
}

const qAcc2 = 27 // v27–v30: the second pixel's sums

// qdwPixels emits the taps, epilogue and store of P = 1 or 2 neighbouring
// pixels of an n-channel block (pixel p at qOff + p·pixStride), then
// advances qOff and qOutPtr by P pixels. The loads of tap t go to register
// set t%(number of sets), issued ahead of the arithmetic of earlier taps.
func qdwPixels(f *Func, k, n, P int) {
	taps := k * k
	na := n / 4
	acc := [][]int{seq(qAcc, na), seq(qAcc2, na)}[:P]
	off2, outPtr2 := qPair(k)
	off, outPtr := []int{qOff, off2}[:P], []int{qOutPtr, outPtr2}[:P]
	if P == 2 {
		f.I("ADD R%d, R%d, R%d", qPixStride, qOff, off[1])
		f.I("ADD R%d, R%d, R%d", qOutStride, qOutPtr, outPtr[1])
	}
	// bias' by single 16-byte loads at immediate offsets from qW:
	// llvm-mca's Cortex-A55 model holds the load pipe longer for LD1 of 4
	// registers and LDP q than for the same bytes in LDRs
	for p := range P {
		for i, a := range acc[p] {
			f.I("FMOVQ %d(R%d), F%d", 16*i, qW, a)
		}
	}
	type regs struct {
		x, xl  [2]int
		wa, wb int
	}
	set := func(t int) regs {
		b := qXSets[t%3]
		return regs{[2]int{b, b + 2}, [2]int{b + 1, b + 3}, b + 4, b + 5}
	}
	tapReg := func(t int) int {
		if k == 3 {
			return qTaps3[t]
		}
		return qTapRot[t%3]
	}
	ptr := func(t int) {
		if k != 3 && t < taps {
			f.I("MOVD %d(R%d), R%d", 8*t, qTaps, tapReg(t))
		}
	}
	load := func(t int) {
		if t >= taps {
			return
		}
		r, rp := set(t), tapReg(t)
		for p := range P {
			switch n {
			case 16:
				f.W(enc.LDRQReg(r.x[p], rp, off[p]))
			case 8:
				f.I("FMOVD (R%d)(R%d), F%d", rp, off[p], r.x[p])
			case 4:
				f.I("FMOVS (R%d)(R%d), F%d", rp, off[p], r.x[p])
			}
		}
		o := 8*n + 2*n*t // tap t's weights in the block
		switch n {
		case 16:
			f.I("FMOVQ %d(R%d), F%d", o, qW, r.wa)
			f.I("FMOVQ %d(R%d), F%d", o+16, qW, r.wb)
		case 8:
			f.I("FMOVQ %d(R%d), F%d", o, qW, r.wa)
		case 4:
			f.I("FMOVD %d(R%d), F%d", o, qW, r.wa)
		}
	}
	widen := func(t int) {
		if t >= taps {
			return
		}
		r := set(t)
		for p := range P {
			f.I("VUXTL V%d.B8, V%d.H8", r.x[p], r.xl[p])
			if n == 16 {
				f.I("VUXTL2 V%d.B16, V%d.H8", r.x[p], r.x[p])
			}
		}
	}
	mac := func(t int) {
		r := set(t)
		for p := range P {
			x, xl := r.x[p], r.xl[p]
			f.W(enc.SMLAL(acc[p][0], xl, r.wa))
			if n >= 8 {
				f.W(enc.SMLAL2(acc[p][1], xl, r.wa))
			}
			if n == 16 {
				f.W(enc.SMLAL(acc[p][2], x, r.wb))
				f.W(enc.SMLAL2(acc[p][3], x, r.wb))
			}
		}
	}
	const ahead = 2 // taps between a load and its products (three register sets)
	for t := 0; t <= ahead; t++ {
		ptr(t)
	}
	for t := 0; t < ahead; t++ {
		load(t)
	}
	// tap t+1 is widened before the products of tap t, so no product
	// waits on the widening before it (in-order cores)
	widen(0)
	for t := 0; t < taps; t++ {
		ptr(t + ahead + 1)
		load(t + ahead)
		widen(t + 1)
		mac(t)
	}
	qdwEpilogue(f, k, n, acc)
}

// qdwEpilogue requantizes the P = len(acc) pixels' sums, each step over
// all of them, stores them, and advances qOff and qOutPtr by P pixels.
func qdwEpilogue(f *Func, k, n int, acc [][]int) {
	P, na := len(acc), n/4
	off2, outPtr2 := qPair(k)
	off, outPtr := []int{qOff, off2}, []int{qOutPtr, outPtr2}
	f.Comment("requantize: float32·mult, round to nearest even, +yzp, saturate to bytes")
	each := func(emit func(a []int)) {
		for p := range P {
			emit(acc[p])
		}
	}
	each(func(a []int) {
		for _, r := range a {
			f.W(enc.SCVTF(r, r))
		}
	})
	each(func(a []int) {
		for i, r := range a {
			f.W(enc.FMUL(r, r, qMult+i))
		}
	})
	each(func(a []int) {
		for _, r := range a {
			f.W(enc.FCVTNS(r, r))
		}
	})
	each(func(a []int) {
		for i := 0; i < na; i += 2 {
			f.W(enc.SQXTN(a[i], a[i]))
		}
	})
	each(func(a []int) {
		for i := 1; i < na; i += 2 {
			f.W(enc.SQXTN2(a[i-1], a[i]))
		}
	})
	each(func(a []int) {
		for i := 0; i < na; i += 2 {
			f.W(enc.SQADD8H(a[i], a[i], qZPV))
		}
	})
	each(func(a []int) {
		f.W(enc.SQXTUN(a[0], a[0]))
		if n == 16 {
			f.W(enc.SQXTUN2(a[0], a[2]))
		}
	})
	for p := range P {
		switch n {
		case 16:
			f.I("FMOVQ F%d, (R%d)", acc[p][0], outPtr[p])
		case 8:
			f.I("FMOVD F%d, (R%d)", acc[p][0], outPtr[p])
		case 4:
			f.I("FMOVS F%d, (R%d)", acc[p][0], outPtr[p])
		}
	}
	f.I("ADD R%d, R%d, R%d", qPixStride, off[P-1], qOff)
	f.I("ADD R%d, R%d, R%d", qOutStride, outPtr[P-1], qOutPtr)
}

// qdwPairShared is qdwPixels for a pair of stride-st pixels, which share
// input columns: per kernel row K+st columns are loaded and widened once
// (column c is pixel 0's tap c and pixel 1's tap c−st) instead of 2K.
// Only interior runs come here (npix ≥ 2), whose tap pointers in a row
// are one pixel apart (pixStride = st pixels); columns c ≥ K are read
// through pixel 1's tap c−st. Columns go to register sets v0–v5 (x, low
// half), tap t's weights to v6+2·(t%5) (live for st+1 columns); column
// i+2 is loaded and i+1 widened before column i's products (5×5: column
// i+3's tap pointer loaded).
func qdwPairShared(f *Func, k, n, st int) {
	cols := k + st // columns per kernel row
	na := n / 4
	acc := [][]int{seq(qAcc, na), seq(qAcc2, na)}
	off2, outPtr2 := qPair(k)
	f.I("ADD R%d, R%d, R%d", qPixStride, qOff, off2)
	f.I("ADD R%d, R%d, R%d", qOutStride, qOutPtr, outPtr2)
	for p := range 2 {
		for i, a := range acc[p] {
			f.I("FMOVQ %d(R%d), F%d", 16*i, qW, a)
		}
	}
	items := k * cols
	col := func(i int) (x, xl int) { return 2 * (i % 3), 2*(i%3) + 1 }
	// column i's tap pointer: 3×3 in registers, 5×5 loaded 3 columns ahead
	colTap := func(i int) int {
		if c := i % cols; c >= k {
			return i/cols*k + c - st
		}
		return i%cols + i/cols*k
	}
	colPtr := func(i int) int {
		if k == 3 {
			return qTaps3[colTap(i)]
		}
		return qTapRot[i%3]
	}
	ptr := func(i int) {
		if k != 3 && i < items {
			f.I("MOVD %d(R%d), R%d", 8*colTap(i), qTaps, colPtr(i))
		}
	}
	wreg := func(t int) int { return 6 + 2*(t%5) }
	load := func(i int) {
		if i >= items {
			return
		}
		kh, c := i/cols, i%cols
		x, _ := col(i)
		rp, ro := colPtr(i), qOff
		if c >= k {
			ro = off2
		}
		switch n {
		case 16:
			f.W(enc.LDRQReg(x, rp, ro))
		case 8:
			f.I("FMOVD (R%d)(R%d), F%d", rp, ro, x)
		case 4:
			f.I("FMOVS (R%d)(R%d), F%d", rp, ro, x)
		}
		if c >= k {
			return
		}
		t := kh*k + c
		o, wa := 8*n+2*n*t, wreg(t)
		switch n {
		case 16:
			f.I("FMOVQ %d(R%d), F%d", o, qW, wa)
			f.I("FMOVQ %d(R%d), F%d", o+16, qW, wa+1)
		case 8:
			f.I("FMOVQ %d(R%d), F%d", o, qW, wa)
		case 4:
			f.I("FMOVD %d(R%d), F%d", o, qW, wa)
		}
	}
	widen := func(i int) {
		if i >= items {
			return
		}
		x, xl := col(i)
		f.I("VUXTL V%d.B8, V%d.H8", x, xl)
		if n == 16 {
			f.I("VUXTL2 V%d.B16, V%d.H8", x, x)
		}
	}
	macOne := func(a []int, x, xl, wa int) {
		f.W(enc.SMLAL(a[0], xl, wa))
		if n >= 8 {
			f.W(enc.SMLAL2(a[1], xl, wa))
		}
		if n == 16 {
			f.W(enc.SMLAL(a[2], x, wa+1))
			f.W(enc.SMLAL2(a[3], x, wa+1))
		}
	}
	mac := func(i int) {
		kh, c := i/cols, i%cols
		x, xl := col(i)
		if c < k {
			macOne(acc[0], x, xl, wreg(kh*k+c))
		}
		if c >= st {
			macOne(acc[1], x, xl, wreg(kh*k+c-st))
		}
	}
	for i := 0; i < 3; i++ {
		ptr(i)
	}
	load(0)
	load(1)
	widen(0)
	for i := 0; i < items; i++ {
		ptr(i + 3)
		load(i + 2)
		widen(i + 1)
		mac(i)
	}
	qdwEpilogue(f, k, n, acc)
}

// qdwTables emits QDWConvNEON, the dispatcher on k (see tables).
func qdwTables() string {
	var b strings.Builder
	b.WriteString("// QDWConvNEON calls QDWConv<k>x<k>s<s>NEON for s = 1, 2 (pixStride s\n// input pixels, tap pointers of a row one pixel apart), else QDWConv<k>x<k>NEON,\n// and reports whether that kernel exists.\n")
	b.WriteString("func QDWConvNEON(k, s int, taps **uint8, pixStride int, c4 int, w *uint8, zp int, out *uint8, outStride int, npix int) bool {\n\tswitch {\n")
	for _, st := range qdwStrides {
		for _, k := range qdwKs {
			fmt.Fprintf(&b, "\tcase k == %d && s == %d:\n\t\t%s(taps, pixStride, c4, w, zp, out, outStride, npix)\n", k, st, qdwName(k, st))
		}
	}
	for _, k := range qdwKs {
		fmt.Fprintf(&b, "\tcase k == %d:\n\t\t%s(taps, pixStride, c4, w, zp, out, outStride, npix)\n", k, qdwName(k, 0))
	}
	b.WriteString("\tdefault:\n\t\treturn false\n\t}\n\treturn true\n}\n")
	return b.String()
}
