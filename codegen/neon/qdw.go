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
// channel order. Per tap and 16 channels: LDR q of the input bytes (the
// next tap's loads are issued before this tap's arithmetic), LDP q of the
// weights, UXTL/UXTL2 to int16, 4 SMLAL/SMLAL2. The epilogue is the int8
// GEMM kernels' (int8.go): SCVTF, FMUL, FCVTNS (ties to even,
// saturating), SQXTN/SQXTN2 to int16, SQADD yzp, then SQXTUN/SQXTUN2 to
// bytes, whose saturation to [0, 255] is the clamp: equal to the float
// clamp before rounding because −yzp and 255 − yzp are integers (rounding
// and the clamp commute) and every earlier saturation lies beyond them in
// the clamp's direction.

var qdwKs = []int{3, 5}

func qdwKernels() []*Func {
	var fs []*Func
	for _, k := range qdwKs {
		fs = append(fs, genQDW(k))
	}
	return fs
}

func qdwName(k int) string { return fmt.Sprintf("QDWConv%dx%dNEON", k, k) }

const (
	qTaps, qPixStride, qC4, qW, qZP, qOut, qOutStride, qNPix = 0, 1, 2, 3, 4, 5, 6, 7
	qPixOff, qWPtr, qGroups, qOutPtr, qOff                   = 8, 10, 12, 14, 15
)

// qTap are the two general registers tap pointers alternate between.
var qTap = [2]int{13, 9}

func genQDW(k int) *Func {
	f := newFunc(qdwName(k), fmt.Sprintf("qdw%dx%d_neon", k, k),
		"taps **uint8", "pixStride int", "c4 int", "w *uint8", "zp int", "out *uint8", "outStride int", "npix int")
	f.Doc = []string{
		fmt.Sprintf("npix output pixels of a %d×%d int8 depthwise conv on u8 NHWC bytes (SMLAL into int32, requantized to bytes).", k, k),
	}
	taps := k * k
	for i, a := range f.Args {
		f.LoadArg(a.Name, i)
	}
	f.I("CBZ R%d, done", qNPix)
	f.Comment("v24 = yzp in every int16 lane")
	f.I("VDUP R%d, V24.H8", qZP)
	f.I("MOVD ZR, R%d", qPixOff)
	f.Label("pix")
	f.I("MOVD R%d, R%d", qW, qWPtr)
	f.I("MOVD R%d, R%d", qPixOff, qOff)
	f.I("MOVD R%d, R%d", qOut, qOutPtr)
	f.I("LSR $4, R%d, R%d", qC4, qGroups)
	f.I("CBZ R%d, tail8", qGroups)
	f.Label("g16")
	qdwBlock(f, taps, 16)
	f.I("SUBS $1, R%d, R%d", qGroups, qGroups)
	f.I("BNE g16")
	f.Label("tail8")
	f.I("TBZ $3, R%d, tail4", qC4)
	qdwBlock(f, taps, 8)
	f.Label("tail4")
	f.I("TBZ $2, R%d, next", qC4)
	qdwBlock(f, taps, 4)
	f.Label("next")
	f.I("ADD R%d, R%d, R%d", qPixStride, qPixOff, qPixOff)
	f.I("ADD R%d, R%d, R%d", qOutStride, qOut, qOut)
	f.I("SUBS $1, R%d, R%d", qNPix, qNPix)
	f.I("BNE pix")
	f.Label("done")
	f.I("RET")
	return f
}

// qdwBlock emits one block of n = 16, 8 or 4 channels: accumulators
// v16.. (n/4 of them) start at bias', multipliers in v20.., the taps'
// input and weights alternate between register sets v0–v4 and v5–v9.
func qdwBlock(f *Func, taps, n int) {
	na := n / 4
	f.Comment("%d channels: bias' into the accumulators, multipliers", n)
	f.I("VLD1.P %d(R%d), %s", 16*na, qWPtr, VList(seq(16, na)...))
	f.I("VLD1.P %d(R%d), %s", 16*na, qWPtr, VList(seq(20, na)...))
	set := func(t int) (x, xl, xh, wa, wb, rp int) {
		b := 5 * (t % 2)
		return b, b + 1, b + 2, b + 3, b + 4, qTap[t%2]
	}
	load := func(t int) {
		x, _, _, wa, wb, rp := set(t)
		f.I("MOVD %d(R%d), R%d", 8*t, qTaps, rp)
		switch n {
		case 16:
			f.W(enc.LDRQReg(x, rp, qOff))
			f.I("FLDPQ.P 32(R%d), (F%d, F%d)", qWPtr, wa, wb)
		case 8:
			f.I("FMOVD (R%d)(R%d), F%d", rp, qOff, x)
			f.I("FMOVQ.P 16(R%d), F%d", qWPtr, wa)
		case 4:
			f.I("FMOVS (R%d)(R%d), F%d", rp, qOff, x)
			f.I("FMOVD.P 8(R%d), F%d", qWPtr, wa)
		}
	}
	compute := func(t int) {
		x, xl, xh, wa, wb, _ := set(t)
		f.I("VUXTL V%d.B8, V%d.H8", x, xl)
		if n == 16 {
			f.I("VUXTL2 V%d.B16, V%d.H8", x, xh)
		}
		f.W(enc.SMLAL(16, xl, wa))
		if n >= 8 {
			f.W(enc.SMLAL2(17, xl, wa))
		}
		if n == 16 {
			f.W(enc.SMLAL(18, xh, wb))
			f.W(enc.SMLAL2(19, xh, wb))
		}
	}
	load(0)
	for t := 0; t < taps; t++ {
		if t+1 < taps {
			load(t + 1)
		}
		compute(t)
	}
	f.Comment("requantize: float32·mult, round to nearest even, +yzp, saturate to bytes")
	acc := seq(16, na)
	for _, a := range acc {
		f.W(enc.SCVTF(a, a))
	}
	for i, a := range acc {
		f.W(enc.FMUL(a, a, 20+i))
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
		f.W(enc.SQADD8H(acc[i], acc[i], 24))
	}
	f.W(enc.SQXTUN(16, 16))
	if n == 16 {
		f.W(enc.SQXTUN2(16, 18))
	}
	switch n {
	case 16:
		f.I("FMOVQ.P F16, 16(R%d)", qOutPtr)
	case 8:
		f.I("FMOVD.P F16, 8(R%d)", qOutPtr)
	case 4:
		f.I("FMOVS.P F16, 4(R%d)", qOutPtr)
	}
	if n > 4 {
		f.I("ADD $%d, R%d, R%d", n, qOff, qOff)
	}
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
