package main

import "github.com/mnc-go/mnc/codegen/neon/enc"

// genQDW is the int8 depthwise kernel (kernels/qdw_arm64.go, layout 4):
// npix output pixels of one output row, channels in groups of 8 (the Go
// wrapper does the last c%8). taps points at the ntaps tap pointers of the
// first pixel (padding taps point into a row of zero-point bytes); tap t of
// pixel i is taps[t] + i·pixStride. Per group and tap: 8 input bytes
// widened to int16 (UXTL, exact) and SMLAL/SMLAL2 against the tap's 8
// int16 weights into two int32x4 sums that start at bias' (bias − xzp·Σw:
// the padding's zero point cancels). Epilogue as the q GEMM kernels:
// SCVTF, ×mult, FCVTNS (nearest even, saturating), SQXTN to int16, SQADD
// zp, SMAX 0, SMIN 255, UZP1 to bytes (the clamps after the rounding are
// equal to ir.Requantize's before it: the bounds are integers).
// Group layout: ntaps × 8 int16 weights, 8 int32 bias', 8 float32
// multipliers. q: w (the first group), zp int32, 255 int32.
func genQDW() *Func {
	f := newFunc("QDWConvNEON", "qdwconv_neon", "taps **uint8", "ntaps int", "pixStride int", "c8 int", "q *int32", "out *uint8", "outPixStride int", "npix int")
	f.Doc = []string{"int8 depthwise conv on u8 bytes: npix pixels, c8 channels (a multiple of 8), any number of taps.",
		"Registers: sums v0–v1, input v2, weights v3, zp v5, 0 v6, 255 v7, multipliers v16–v17."}
	const (
		rTaps, rNTaps, rPix, rC8, rQ, rOut, rOutPix, rNPix = 0, 1, 2, 3, 4, 5, 6, 7
		rPo, rJ, rW, rCnt, rTapCur, rAddr, rPj, rW0        = 8, 9, 10, 11, 12, 13, 15, 19
	)
	for i, a := range f.Args {
		f.LoadArg(a.Name, []int{rTaps, rNTaps, rPix, rC8, rQ, rOut, rOutPix, rNPix}[i])
	}
	f.I("MOVD (R%d), R%d", rQ, rW0)
	f.I("ADD $8, R%d, R%d", rQ, rAddr)
	f.I("VLD1R (R%d), [V5.H8]", rAddr)
	f.I("ADD $12, R%d, R%d", rQ, rAddr)
	f.I("VLD1R (R%d), [V7.H8]", rAddr)
	f.zero(6)
	f.I("MOVD ZR, R%d", rPo)
	f.Label("pixel")
	f.I("MOVD ZR, R%d", rJ)
	f.I("MOVD R%d, R%d", rW0, rW)
	f.Label("group")
	f.I("CMP R%d, R%d", rC8, rJ)
	f.I("BGE pixel_done")
	f.I("ADD R%d, R%d, R%d", rJ, rPo, rPj)
	f.Comment("bias' after the taps' weights")
	f.I("ADD R%d<<4, R%d, R%d", rNTaps, rW, rAddr)
	f.I("VLD1 (R%d), [V0.S4, V1.S4]", rAddr)
	f.I("MOVD R%d, R%d", rNTaps, rCnt)
	f.I("MOVD R%d, R%d", rTaps, rTapCur)
	f.Label("tap")
	f.I("MOVD.P 8(R%d), R%d", rTapCur, rAddr)
	f.I("ADD R%d, R%d, R%d", rPj, rAddr, rAddr)
	f.I("VLD1 (R%d), [V2.B8]", rAddr)
	f.I("VUXTL V2.B8, V2.H8")
	f.I("VLD1.P 16(R%d), [V3.H8]", rW)
	f.W(enc.SMLAL(0, 2, 3))
	f.W(enc.SMLAL2(1, 2, 3))
	f.I("SUBS $1, R%d, R%d", rCnt, rCnt)
	f.I("BNE tap")
	f.Comment("requantize: rW is at bias'; the multipliers follow it")
	f.I("ADD $32, R%d, R%d", rW, rAddr)
	f.I("VLD1 (R%d), [V16.S4, V17.S4]", rAddr)
	f.W(enc.SCVTF(0, 0))
	f.W(enc.SCVTF(1, 1))
	f.W(enc.FMUL(0, 0, 16))
	f.W(enc.FMUL(1, 1, 17))
	f.W(enc.FCVTNS(0, 0))
	f.W(enc.FCVTNS(1, 1))
	f.W(enc.SQXTN(0, 0))
	f.W(enc.SQXTN2(0, 1))
	f.W(enc.SQADD8H(0, 0, 5))
	f.W(enc.SMAX8H(0, 0, 6))
	f.W(enc.SMIN8H(0, 0, 7))
	f.I("VUZP1 V0.B16, V0.B16, V0.B16")
	f.I("ADD R%d, R%d, R%d", rJ, rOut, rAddr)
	f.I("VST1 [V0.B8], (R%d)", rAddr)
	f.I("ADD $64, R%d, R%d", rW, rW)
	f.I("ADD $8, R%d, R%d", rJ, rJ)
	f.I("B group")
	f.Label("pixel_done")
	f.I("ADD R%d, R%d, R%d", rPix, rPo, rPo)
	f.I("ADD R%d, R%d, R%d", rOutPix, rOut, rOut)
	f.I("SUBS $1, R%d, R%d", rNPix, rNPix)
	f.I("BNE pixel")
	f.I("RET")
	return f
}
