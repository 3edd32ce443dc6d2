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
// qdw<K>x<K>_neon (K = 3, 5) computes npix output pixels; for each, the
// K·K tap pointers taps[t] + pix·pixStride address the first channel of
// the tap's input pixel (a border pixel is a call with npix = 1 whose
// padding taps point at zero-point bytes). The channels, rounded up to 4
// (c4: pixel strides are multiples of 4, so those bytes can be read and
// written), go in blocks of 16, then one of 8 and one of 4 as c4 needs;
// the packed weights (kernels layout 4) hold per block of n channels n
// int32 bias', n float32 multipliers and K·K × n int16 weights, blocks in
// channel order. Loop order: blocks outside, pixels inside, so a block's
// multipliers (and for 3×3 its 9 weight vectors pairs, v0–v17) are loaded
// once per call, and the 3×3 tap pointers live in registers. Per pixel,
// tap and 16 channels: LDR q of the input bytes (register offset),
// [5×5: two LDR q of weights], UXTL/UXTL2 to int16, 4 SMLAL/SMLAL2; each
// tap's loads are issued 1 (3×3) or 2 (5×5, whose tap pointers are loaded
// 3 taps ahead) taps before its arithmetic, for in-order cores. The
// epilogue is the int8 GEMM kernels' (int8.go): SCVTF, FMUL, FCVTNS (ties
// to even, saturating), SQXTN/SQXTN2 to int16, SQADD yzp, then
// SQXTUN/SQXTUN2 to bytes, whose saturation to [0, 255] is the clamp:
// equal to the float clamp before rounding because −yzp and 255 − yzp are
// integers (rounding and the clamp commute) and every earlier saturation
// lies beyond them in the clamp's direction.
//
// llvm-mca (scripts/neon_mca.py, a model, not a measurement) per pixel of
// 16 channels: 3×3 Cortex-A55 116 cycles, A76 (A57 model) 48, apple-m1
// 26; 5×5 316, 123, 73. (First version, weights and tap pointers loaded
// per pixel and tap, one tap ahead: 3×3 204, 72, 31; 5×5 460, 168, 74.)

var qdwKs = []int{3, 5}

func qdwKernels() []*Func {
	var fs []*Func
	for _, k := range qdwKs {
		fs = append(fs, genQDW(k))
	}
	return fs
}

func qdwName(k int) string { return fmt.Sprintf("QDWConv%dx%dNEON", k, k) }

// General registers: the arguments R0–R7 (R4, zp, becomes the pixel
// counter once v26 holds it), then qC0 (the block's first channel byte),
// qWPtr (the weights of the tap being loaded), qBlocks (16-channel blocks
// left), qOutPtr (the pixel's output), qOff (pixel offset + c0: tap t of
// the pixel is at taps[t] + qOff). 3×3 kernels keep the 9 tap pointers in
// qTaps3 for the whole call; 5×5 kernels load each tap's pointer three
// taps ahead into the qTapRot registers.
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
	qXSets3 = [2]int{27, 29}   // 3×3: input x (widened high half in place) and its low half x+1
	qXSets5 = [3]int{0, 5, 10} // 5×5: x, low, high, weights a, b
	qWRegs3 = 0                // 3×3: weights v0–v17 (two per tap at 16 channels, one at 8 and 4)
)

func genQDW(k int) *Func {
	f := newFunc(qdwName(k), fmt.Sprintf("qdw%dx%d_neon", k, k),
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
	qdwBlock(f, k, 16)
	f.I("SUBS $1, R%d, R%d", qBlocks, qBlocks)
	f.I("BNE g16")
	f.Label("tail8")
	f.I("TBZ $3, R%d, tail4", qC4)
	qdwBlock(f, k, 8)
	f.Label("tail4")
	f.I("TBZ $2, R%d, done", qC4)
	qdwBlock(f, k, 4)
	f.Label("done")
	f.I("RET")
	return f
}

// qdwBlock emits one block of n = 16, 8 or 4 channels over all npix
// pixels: the block's multipliers (and for 3×3 its weights) are loaded
// once; per pixel the accumulators start at bias', then the taps, the
// epilogue and the store. qW points at the block (bias', multipliers,
// weights) and moves to the next block at the end.
func qdwBlock(f *Func, k, n int) {
	taps := k * k
	na := n / 4
	acc := seq(qAcc, na)
	f.Comment("%d channels: multipliers%s", n, map[bool]string{true: " and weights", false: ""}[k == 3])
	f.I("ADD $%d, R%d, R%d", 4*n, qW, qWPtr)
	f.I("VLD1.P %d(R%d), %s", 16*na, qWPtr, VList(seq(qMult, na)...))
	wa := func(t int) int { return qWRegs3 + t*max(1, n/8) }
	if k == 3 {
		for t := 0; t < taps; t++ {
			switch n {
			case 16:
				f.I("FLDPQ.P 32(R%d), (F%d, F%d)", qWPtr, wa(t), wa(t)+1)
			case 8:
				f.I("FMOVQ.P 16(R%d), F%d", qWPtr, wa(t))
			case 4:
				f.I("FMOVD.P 8(R%d), F%d", qWPtr, wa(t))
			}
		}
	}
	f.I("MOVD R%d, R%d", qC0, qOff)
	f.I("ADD R%d, R%d, R%d", qC0, qOut, qOutPtr)
	f.I("MOVD R%d, R%d", qNPix, qPixLeft)
	lbl := fmt.Sprintf("p%d", n)
	f.Label(lbl)
	// single 16-byte loads at immediate offsets from qW: llvm-mca's
	// Cortex-A55 model holds the load pipe longer for LD1 of 4 registers
	// and LDP q than for the same bytes in LDRs
	for i, a := range acc {
		f.I("FMOVQ %d(R%d), F%d", 16*i, qW, a)
	}
	// the input (and for 5×5 the weight) loads of tap t go to register
	// set t%len(sets), issued ahead of the arithmetic of earlier taps
	type regs struct{ x, xl, xh, wa, wb int }
	set := func(t int) regs {
		if k == 3 {
			b := qXSets3[t%2]
			return regs{b, b + 1, b, wa(t), wa(t) + 1}
		}
		b := qXSets5[t%3]
		return regs{b, b + 1, b + 2, b + 3, b + 4}
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
		switch n {
		case 16:
			f.W(enc.LDRQReg(r.x, rp, qOff))
		case 8:
			f.I("FMOVD (R%d)(R%d), F%d", rp, qOff, r.x)
		case 4:
			f.I("FMOVS (R%d)(R%d), F%d", rp, qOff, r.x)
		}
		if k == 3 {
			return
		}
		off := 8*n + 2*n*t // tap t's weights in the block
		switch n {
		case 16:
			f.I("FMOVQ %d(R%d), F%d", off, qW, r.wa)
			f.I("FMOVQ %d(R%d), F%d", off+16, qW, r.wb)
		case 8:
			f.I("FMOVQ %d(R%d), F%d", off, qW, r.wa)
		case 4:
			f.I("FMOVD %d(R%d), F%d", off, qW, r.wa)
		}
	}
	compute := func(t int) {
		r := set(t)
		f.I("VUXTL V%d.B8, V%d.H8", r.x, r.xl)
		if n == 16 {
			f.I("VUXTL2 V%d.B16, V%d.H8", r.x, r.xh)
		}
		f.W(enc.SMLAL(acc[0], r.xl, r.wa))
		if n >= 8 {
			f.W(enc.SMLAL2(acc[1], r.xl, r.wa))
		}
		if n == 16 {
			f.W(enc.SMLAL(acc[2], r.xh, r.wb))
			f.W(enc.SMLAL2(acc[3], r.xh, r.wb))
		}
	}
	ahead := 1 // taps between a load and its use
	if k != 3 {
		ahead = 2
		for t := 0; t <= ahead; t++ {
			ptr(t)
		}
	}
	for t := 0; t < ahead; t++ {
		load(t)
	}
	for t := 0; t < taps; t++ {
		ptr(t + ahead + 1)
		load(t + ahead)
		compute(t)
	}
	f.Comment("requantize: float32·mult, round to nearest even, +yzp, saturate to bytes")
	for _, a := range acc {
		f.W(enc.SCVTF(a, a))
	}
	for i, a := range acc {
		f.W(enc.FMUL(a, a, qMult+i))
	}
	for _, a := range acc {
		f.W(enc.FCVTNS(a, a))
	}
	for i := 0; i < na; i += 2 {
		f.W(enc.SQXTN(acc[i], acc[i]))
	}
	for i := 1; i < na; i += 2 {
		f.W(enc.SQXTN2(acc[i-1], acc[i]))
	}
	for i := 0; i < na; i += 2 {
		f.W(enc.SQADD8H(acc[i], acc[i], qZPV))
	}
	f.W(enc.SQXTUN(acc[0], acc[0]))
	if n == 16 {
		f.W(enc.SQXTUN2(acc[0], acc[2]))
	}
	switch n {
	case 16:
		f.I("FMOVQ F%d, (R%d)", acc[0], qOutPtr)
	case 8:
		f.I("FMOVD F%d, (R%d)", acc[0], qOutPtr)
	case 4:
		f.I("FMOVS F%d, (R%d)", acc[0], qOutPtr)
	}
	f.I("ADD R%d, R%d, R%d", qPixStride, qOff, qOff)
	f.I("ADD R%d, R%d, R%d", qOutStride, qOutPtr, qOutPtr)
	f.I("SUBS $1, R%d, R%d", qPixLeft, qPixLeft)
	f.I("BNE %s", lbl)
	f.I("ADD $%d, R%d, R%d", n, qC0, qC0)
	f.I("ADD $%d, R%d, R%d", n*(8+2*taps), qW, qW)
}

// qdwTables emits QDWConvNEON, the dispatcher on k (see tables).
func qdwTables() string {
	var b strings.Builder
	b.WriteString("// QDWConvNEON calls qdw<k>x<k>_neon and reports whether that kernel exists.\n")
	b.WriteString("func QDWConvNEON(k int, taps **uint8, pixStride int, c4 int, w *uint8, zp int, out *uint8, outStride int, npix int) bool {\n\tswitch k {\n")
	for _, k := range qdwKs {
		fmt.Fprintf(&b, "\tcase %d:\n\t\t%s(taps, pixStride, c4, w, zp, out, outStride, npix)\n", k, qdwName(k))
	}
	b.WriteString("\tdefault:\n\t\treturn false\n\t}\n\treturn true\n}\n")
	return b.String()
}
