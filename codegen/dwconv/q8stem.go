package main

import (
	"fmt"
	"strings"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The int8 stem on AVX-512 VNNI (kernels/qconv.go): a dense 3×3 conv on
// u8 pixels of 4 bytes (3 channels and a don't-care byte) to at most 64
// output channels. The Go driver passes the 9 tap pointers of the first
// pixel (padding taps point into a row of zero-point bytes) and pixStride:
// tap t of pixel i is taps[t] + i·pixStride. Per tap, VPBROADCASTD puts
// the pixel's 4 bytes in every lane and one VPDPBUSD per 16 outputs adds
// the 4 products (the 4th byte meets a zero weight). Weights are packed
// [tap][nb vectors][16 outputs][4 bytes], then nb vectors of bias' and of
// multipliers. The epilogue is the depthwise one's (float32(acc)·mult,
// min 255 − zp, convert to nearest even, + zp), then max 0 and VPMOVUSDB
// stores the bytes (the last vector masked to the output channels).
//
// The q block: w *int8, fhi float32, zp int32, mask uint16 (the last
// vector's outputs).

const qstemSig = "func(taps **uint8, pixStride int, q *int32, out *uint8, outPixStride, npix int)"

const qstemTaps = 9

func qstemName(nb int) string { return fmt.Sprintf("QStemConv3x3c4x%dAVX512VNNI", 16*nb) }

// qstemPixels is how many pixels one iteration computes: P·nb
// accumulator chains.
func qstemPixels(nb int) int { return max(1, min(4, 8/nb)) }

func genQStem(nb int) {
	name := qstemName(nb)
	TEXT(name, NOSPLIT, qstemSig)
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes npix output pixels of a 3x3 int8 conv from 4-byte u8 pixels to at most %d channels (AVX-512 VNNI).", name, 16*nb))
	taps := loadGP("taps")
	q := loadGP("q")
	out := loadGP("out")
	ps := loadGP("pixStride")
	npix := loadGP("npix")
	w := GP64()
	MOVQ(Mem{Base: q}, w)
	fhi, zp, zero := ZMM(), ZMM(), ZMM()
	VBROADCASTSS(Mem{Base: q, Disp: 8}, fhi)
	VPBROADCASTD(Mem{Base: q, Disp: 12}, zp)
	VPXORD(zero, zero, zero)
	km := K()
	KMOVW(Mem{Base: q, Disp: 16}, km)
	po := GP64()
	XORQ(po, po)
	biasOff, multOff := qstemTaps*nb*64, qstemTaps*nb*64+nb*64
	groups := []int{qstemPixels(nb)}
	if groups[0] > 1 {
		groups = append(groups, 1)
	}
	for _, P := range groups {
		loop, next := fmt.Sprintf("group%d", P), fmt.Sprintf("group%d_done", P)
		Label(loop)
		CMPQ(npix, U8(P))
		JB(LabelRef(next))
		offs := []GPVirtual{po}
		for i := 1; i < P; i++ {
			o := GP64()
			LEAQ(Mem{Base: offs[i-1], Index: ps, Scale: 1}, o)
			offs = append(offs, o)
		}
		acc := make([][]VecVirtual, P)
		for i := range acc {
			acc[i] = make([]VecVirtual, nb)
			for v := range acc[i] {
				acc[i][v] = ZMM()
				if i == 0 {
					VMOVDQU32(Mem{Base: w, Disp: biasOff + 64*v}, acc[i][v])
				} else {
					VMOVDQA32(acc[0][v], acc[i][v])
				}
			}
		}
		for t := 0; t < qstemTaps; t++ {
			tb := GP64()
			MOVQ(Mem{Base: taps, Disp: 8 * t}, tb)
			for i := 0; i < P; i++ {
				x := ZMM()
				VPBROADCASTD(Mem{Base: tb, Index: offs[i], Scale: 1}, x)
				for v := 0; v < nb; v++ {
					VPDPBUSD(Mem{Base: w, Disp: (t*nb + v) * 64}, x, acc[i][v])
				}
			}
		}
		o := GP64()
		MOVQ(out, o)
		for i := 0; i < P; i++ {
			for v, a := range acc[i] {
				VCVTDQ2PS(a, a)
				VMULPS(Mem{Base: w, Disp: multOff + 64*v}, a, a)
				VMINPS(fhi, a, a)
				VCVTPS2DQ_RN_SAE(a, a)
				VPADDD(zp, a, a)
				VPMAXSD(zero, a, a)
				if v == nb-1 {
					VPMOVUSDB(a, km, Mem{Base: o, Disp: 16 * v})
				} else {
					VPMOVUSDB(a, Mem{Base: o, Disp: 16 * v})
				}
			}
			ADDQ(paramMem("outPixStride"), o)
		}
		MOVQ(o, out)
		for i := 0; i < P; i++ {
			ADDQ(ps, po)
		}
		SUBQ(U8(P), npix)
		JMP(LabelRef(loop))
		Label(next)
	}
	VZEROUPPER()
	RET()
}

func qstemTable() string {
	var b strings.Builder
	var cases [][2]string
	for nb := 1; nb <= 4; nb++ {
		cases = append(cases, [2]string{fmt.Sprint(nb), qstemName(nb)})
	}
	dispatch(&b, "QStemConvAVX512VNNI runs the 3×3 int8 stem kernel for nb vectors of 16 output channels; false if none is generated.", "QStemConvAVX512VNNI", "nb int", "nb", qstemSig, cases)
	cases = nil
	for nb := 1; nb <= 8; nb++ {
		cases = append(cases, [2]string{fmt.Sprint(nb), fmt.Sprintf("QStemConv3x3c4x%dAVX2", 8*nb)})
	}
	dispatch(&b, "QStemConvAVX2 runs the 3×3 int8 stem kernel for nb vectors of 8 output channels; false if none is generated.", "QStemConvAVX2", "nb int", "nb", qstemSig, cases)
	return b.String()
}

// The int8 stem on AVX2: per tap the pixel's 4 bytes are broadcast
// (VPBROADCASTD) and spread into int16 pairs (x0, x1) and (x2, x3) by two
// VPSHUFB; VPMADDWD against the packed (w0, w1) and (w2, w3) word pairs of
// 8 outputs adds the 4 products exactly. Weights [tap][vector][pair 01,
// pair 23][8 dwords], then per vector 8 bias' and 8 multipliers. The q
// block: w, fhi, zp, then a 4-dword store mask for the last vector.
func genQStemAVX2(nb int) {
	name := fmt.Sprintf("QStemConv3x3c4x%dAVX2", 8*nb)
	TEXT(name, NOSPLIT, qstemSig)
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes npix output pixels of a 3x3 int8 conv from 4-byte u8 pixels to at most %d channels (AVX2).", name, 8*nb))
	taps := loadGP("taps")
	q := loadGP("q")
	out := loadGP("out")
	ps := loadGP("pixStride")
	npix := loadGP("npix")
	w := GP64()
	MOVQ(Mem{Base: q}, w)
	sh01, sh23, fhi, zpw := YMM(), YMM(), YMM(), YMM()
	VMOVDQU(qstemShuf, sh01)
	VMOVDQU(qstemShuf.Offset(32), sh23)
	VBROADCASTSS(Mem{Base: q, Disp: 8}, fhi)
	VPBROADCASTW(Mem{Base: q, Disp: 12}, zpw)
	po := GP64()
	XORQ(po, po)
	biasOff, multOff := qstemTaps*nb*64, qstemTaps*nb*64+nb*32
	P := max(1, min(4, 6/nb))
	groups := []int{P}
	if P > 1 {
		groups = append(groups, 1)
	}
	for _, pp := range groups {
		loop, next := fmt.Sprintf("group%d", pp), fmt.Sprintf("group%d_done", pp)
		Label(loop)
		CMPQ(npix, U8(pp))
		JB(LabelRef(next))
		offs := []GPVirtual{po}
		for i := 1; i < pp; i++ {
			o := GP64()
			LEAQ(Mem{Base: offs[i-1], Index: ps, Scale: 1}, o)
			offs = append(offs, o)
		}
		acc := make([][]VecVirtual, pp)
		for i := range acc {
			acc[i] = make([]VecVirtual, nb)
			for v := range acc[i] {
				acc[i][v] = YMM()
				VMOVDQU(Mem{Base: w, Disp: biasOff + 32*v}, acc[i][v])
			}
		}
		for t := 0; t < qstemTaps; t++ {
			tb := GP64()
			MOVQ(Mem{Base: taps, Disp: 8 * t}, tb)
			for i := 0; i < pp; i++ {
				x, a, b := YMM(), YMM(), YMM()
				VPBROADCASTD(Mem{Base: tb, Index: offs[i], Scale: 1}, x)
				VPSHUFB(sh01, x, a)
				VPSHUFB(sh23, x, b)
				for v := 0; v < nb; v++ {
					m := YMM()
					VPMADDWD(Mem{Base: w, Disp: (t*nb + v) * 64}, a, m)
					VPADDD(m, acc[i][v], acc[i][v])
					VPMADDWD(Mem{Base: w, Disp: (t*nb+v)*64 + 32}, b, m)
					VPADDD(m, acc[i][v], acc[i][v])
				}
			}
		}
		o := GP64()
		MOVQ(out, o)
		for i := 0; i < pp; i++ {
			for v, a := range acc[i] {
				VCVTDQ2PS(a, a)
				VMULPS(Mem{Base: w, Disp: multOff + 32*v}, a, a)
				VMINPS(fhi, a, a)
				VCVTPS2DQ(a, a) // MXCSR: round to nearest even
				VPACKSSDW(a, a, a)
				VPADDSW(zpw, a, a)
				VPACKUSWB(a, a, a)
				hi := XMM()
				VEXTRACTI128(U8(1), a, hi)
				VPUNPCKLDQ(hi, a.AsX(), hi)
				if v == nb-1 {
					mask := XMM()
					VMOVDQU(Mem{Base: q, Disp: 16}, mask)
					VPMASKMOVD(hi, mask, Mem{Base: o, Disp: 8 * v})
				} else {
					VMOVQ(hi, Mem{Base: o, Disp: 8 * v})
				}
			}
			ADDQ(paramMem("outPixStride"), o)
		}
		MOVQ(o, out)
		for i := 0; i < pp; i++ {
			ADDQ(ps, po)
		}
		SUBQ(U8(pp), npix)
		JMP(LabelRef(loop))
		Label(next)
	}
	VZEROUPPER()
	RET()
}

// qstemShuf spreads a broadcast pixel (x0 x1 x2 x3 in every dword) into
// int16 pairs: (x0, x1) per dword, then (x2, x3).
var qstemShuf Mem

func genQStemConsts() {
	qstemShuf = GLOBL("qstemshuf", RODATA|NOPTR)
	for i := 0; i < 16; i++ {
		v := uint32(0x80018000) // bytes 0, -, 1, -: (x0, x1)
		if i >= 8 {
			v = 0x80038002 // bytes 2, -, 3, -: (x2, x3)
		}
		DATA(4*i, U32(v))
	}
}
