package main

import (
	"fmt"
	"strings"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// Int8 depthwise kernels on u8 NHWC bytes (kernels/qdw.go, issue #14).
//
// One call computes npix output pixels, all c channels. The Go driver
// passes the k·k tap pointers of the first pixel (taps[kh·k+kw]: into the
// input, or into a row of zero-point bytes for taps in the padding) and
// pixStride, the bytes between the inputs of consecutive output pixels:
// tap t of pixel i is taps[t] + i·pixStride. There is no masking of taps:
// padding reads the input zero point, whose contribution the packed bias'
// already cancels (bias' = bias − xzp·Σw).
//
// The epilogue is ir.Requantize to u8: float32(acc)·mult[c], min with
// 255 − zp (so the conversion cannot overflow), convert rounding to
// nearest even, pack to int16 with saturation, + zp with saturation
// (VPADDSW), pack to bytes with unsigned saturation: that clamps to
// [0, 255], which is the lower clamp −zp too (a value below −2^31
// converts to 0x80000000, still negative; below −32768 it saturates to
// −32768, and −32768 + zp is still negative).
//
// The args block q (kernels.qdwArgs): w (the first channel block of the
// packed blob), fhi = 255 − zp as float32, zp, and for AVX2 a 4-dword mask
// for the last partial 8-channel group.

const qdwSig = "func(taps **uint8, pixStride, c int, q *int32, out *uint8, outPixStride, npix int)"

const qdwArgW, qdwArgHi, qdwArgZp, qdwArgMask = 0, 8, 12, 16

func qdwName(isa string, k int) string { return fmt.Sprintf("QDWConv%dx%d%s", k, k, isa) }

// qdwFrame is the state a channel block body works with.
type qdwFrame struct {
	k              int
	taps, pj       GPVirtual // pj: pixel offset + channel offset, added to taps[t]
	wq, out, j     GPVirtual
	fhi, zpw       VecVirtual // 255 − zp (float32 lanes), zp (int16 lanes)
	kmask          Op         // AVX-512 byte mask of the channel tail
	masked         bool
	half           bool       // AVX-512: the tail of at most 32 channels, in the low halves (ymm)
	xmask, permIdx VecVirtual // AVX2: the tail's dword mask, the final dword permutation
}

// v is x, or its low half for a half tail.
func (f *qdwFrame) v(x VecVirtual) Register {
	if f.half {
		return x.AsY()
	}
	return x
}

// tapMem addresses tap t of the current pixel and channel block.
func (f *qdwFrame) tapMem(t int) Mem {
	base := GP64()
	MOVQ(Mem{Base: f.taps, Disp: 8 * t}, base)
	return Mem{Base: base, Index: f.pj, Scale: 1}
}

// qdwQuads lists the taps each VPDPBUSD quad holds (layout 1's order,
// kernels.qdwVNNISlot): for 3×3 the three rows of one kernel column (so a
// column's quad serves the k output pixels that share it), otherwise 4
// consecutive row-major taps.
func qdwQuads(k int) [][]int {
	var qs [][]int
	if k == 3 {
		for kw := 0; kw < 3; kw++ {
			qs = append(qs, []int{kw, 3 + kw, 6 + kw})
		}
		return qs
	}
	for t := 0; t < k*k; t += 4 {
		var q []int
		for i := t; i < min(t+4, k*k); i++ {
			q = append(q, i)
		}
		qs = append(qs, q)
	}
	return qs
}

// buildQuad loads the taps' 64 channel bytes (zero past the tail when
// masked) and interleaves them into dst: dword e of lane l of dst[r] holds
// channel 16l+4r+e's 4 tap bytes (a missing 4th tap repeats the 3rd, a
// missing 2nd the 1st: their weights are 0).
func (f *qdwFrame) buildQuad(taps []int, dst [4]VecVirtual) {
	n := len(taps)
	x := make([]Register, n)
	for i, t := range taps {
		x[i] = f.v(ZMM())
		m := f.tapMem(t)
		if f.masked {
			VMOVDQU8_Z(m, f.kmask, x[i])
		} else {
			VMOVDQU8(m, x[i])
		}
	}
	a, b := x[0], x[min(1, n-1)]
	abLo, abHi := f.v(ZMM()), f.v(ZMM())
	VPUNPCKLBW(b, a, abLo)
	VPUNPCKHBW(b, a, abHi)
	cdLo, cdHi := abLo, abHi
	if n > 2 {
		c, d := x[2], x[n-1]
		cdLo, cdHi = f.v(ZMM()), f.v(ZMM())
		VPUNPCKLBW(d, c, cdLo)
		VPUNPCKHBW(d, c, cdHi)
	}
	VPUNPCKLWD(cdLo, abLo, f.v(dst[0]))
	VPUNPCKHWD(cdLo, abLo, f.v(dst[1]))
	VPUNPCKLWD(cdHi, abHi, f.v(dst[2]))
	VPUNPCKHWD(cdHi, abHi, f.v(dst[3]))
}

// requantVNNI is the epilogue of a 64-channel block: acc (vector r holds
// channels 16l+4r+e) requantized by the multipliers at mult, packed back
// to bytes in channel order (the packs undo the unpacks) and stored at o.
func (f *qdwFrame) requantVNNI(acc []VecVirtual, mult Mem, o Mem) {
	for r, av := range acc {
		a := f.v(av)
		VCVTDQ2PS(a, a) // float32(acc), rounded to nearest even
		VMULPS(mult.Offset(64*r), a, a)
		VMINPS(f.v(f.fhi), a, a)
		if f.half {
			VCVTPS2DQ(a, a) // MXCSR: round to nearest even
		} else {
			VCVTPS2DQ_RN_SAE(a, a)
		}
	}
	w01, w23 := f.v(ZMM()), f.v(ZMM())
	VPACKSSDW(f.v(acc[1]), f.v(acc[0]), w01)
	VPACKSSDW(f.v(acc[3]), f.v(acc[2]), w23)
	VPADDSW(f.v(f.zpw), w01, w01) // + zp, saturating: still ≤ 255, or negative
	VPADDSW(f.v(f.zpw), w23, w23)
	VPACKUSWB(w23, w01, w01)
	if f.masked {
		VMOVDQU8(w01, f.kmask, o)
	} else {
		VMOVDQU8(w01, o)
	}
}

// tailWidth emits the AVX-512 tail twice: in the low halves of the
// vectors (ymm) when at most 32 channels are left, else full width; then
// jumps to done.
func (f *qdwFrame) tailWidth(emit func(), done string) {
	left, wide := GP64(), uniq("tail64")
	MOVQ(paramMem("c"), left)
	SUBQ(f.j, left)
	CMPQ(left, U8(32))
	JA(LabelRef(wide))
	f.half = true
	emit()
	f.half = false
	JMP(LabelRef(done))
	Label(wide)
	emit()
}

// loadArgs loads the args block's constants.
func (f *qdwFrame) loadArgs(q GPVirtual, vec func() VecVirtual) {
	f.fhi, f.zpw = vec(), vec()
	VBROADCASTSS(Mem{Base: q, Disp: qdwArgHi}, f.fhi)
	VPBROADCASTW(Mem{Base: q, Disp: qdwArgZp}, f.zpw)
}

// vnniTailMask sets the byte mask of the last c%64 channels.
func (f *qdwFrame) vnniTailMask(c GPVirtual) {
	n, ones := GP64(), GP64()
	MOVQ(c, n)
	ANDQ(U8(63), n)
	MOVQ(I32(-1), ones)
	BZHIQ(n, ones, ones)
	km := K()
	KMOVQ(ones, km)
	f.kmask = km
}

// qdwDriver emits the frame of the per-pixel kernels: argument loads, the
// pixel loop and, per pixel, the channel loop over blocks of blk channels
// (then groups of grp, then a masked tail), calling body for each.
func qdwDriver(name, doc string, k, blk, blkBytes, grp, grpBytes int, setup func(f *qdwFrame, c GPVirtual), body func(f *qdwFrame, n int)) {
	TEXT(name, NOSPLIT, qdwSig)
	Pragma("noescape")
	Doc(doc)
	f := &qdwFrame{k: k}
	f.taps = loadGP("taps")
	q := loadGP("q")
	f.out = loadGP("out")
	c := loadGP("c")
	setup(f, c)
	if blk == 64 {
		f.loadArgs(q, func() VecVirtual { return ZMM() })
	} else {
		f.loadArgs(q, func() VecVirtual { return YMM() })
	}
	po := GP64()
	XORQ(po, po)
	Label("pixel")
	f.j = GP64()
	XORQ(f.j, f.j)
	f.wq = GP64()
	MOVQ(Mem{Base: q, Disp: qdwArgW}, f.wq)
	f.pj = GP64()
	end := GP64()
	step := func(label string, n, bytes int, next string) {
		Label(label)
		LEAQ(Mem{Base: f.j, Disp: n}, end)
		CMPQ(end, paramMem("c"))
		JA(LabelRef(next))
		LEAQ(Mem{Base: po, Index: f.j, Scale: 1}, f.pj)
		body(f, n)
		ADDQ(U32(n), f.j)
		ADDQ(U32(bytes), f.wq)
		JMP(LabelRef(label))
	}
	step("blocks", blk, blkBytes, "groups")
	if grp < blk {
		step("groups", grp, grpBytes, "tail")
	} else {
		Label("groups")
	}
	Label("tail")
	CMPQ(f.j, paramMem("c"))
	JAE(LabelRef("pixel_done"))
	LEAQ(Mem{Base: po, Index: f.j, Scale: 1}, f.pj)
	f.masked = true
	if blk == 64 {
		f.tailWidth(func() { body(f, grp) }, "pixel_done")
	} else {
		body(f, grp)
	}
	f.masked = false
	Label("pixel_done")
	ADDQ(paramMem("pixStride"), po)
	ADDQ(paramMem("outPixStride"), f.out)
	DECQ(paramMem("npix"))
	JNZ(LabelRef("pixel"))
	VZEROUPPER()
	RET()
}

// genQDWVNNI: per pixel, blocks of 64 channels as four vectors of 16
// int32 sums; every quad of taps is loaded and interleaved (buildQuad)
// for VPDPBUSD against the packed weights.
func genQDWVNNI(k int) {
	quads := qdwQuads(k)
	nq := len(quads)
	blkBytes := nq*256 + 512
	name := qdwName("AVX512VNNI", k)
	doc := fmt.Sprintf("%s computes npix output pixels of a %dx%d int8 depthwise conv on u8 bytes (AVX-512 VNNI).", name, k, k)
	qdwDriver(name, doc, k, 64, blkBytes, 64, blkBytes, func(f *qdwFrame, c GPVirtual) { f.vnniTailMask(c) }, func(f *qdwFrame, _ int) {
		acc := make([]VecVirtual, 4)
		for r := range acc {
			acc[r] = ZMM()
			VMOVDQU32(Mem{Base: f.wq, Disp: nq*256 + 64*r}, f.v(acc[r])) // bias'
		}
		for qi, taps := range quads {
			var v [4]VecVirtual
			for r := range v {
				v[r] = ZMM()
			}
			f.buildQuad(taps, v)
			for r := range v {
				VPDPBUSD(Mem{Base: f.wq, Disp: qi*256 + 64*r}, f.v(v[r]), f.v(acc[r])) // acc += Σ4 v(u8)·w(s8)
			}
		}
		f.requantVNNI(acc, Mem{Base: f.wq, Disp: nq*256 + 256}, Mem{Base: f.out, Index: f.j, Scale: 1})
	})
}

// genQDWVNNI3x3 is the 3×3 VNNI kernel for stride s ≤ 2 that builds each
// input column's quad (its three rows) once: channel blocks outside,
// pixels inside, the quads of the last 3 columns in a ring of registers;
// pixel p uses columns p·s .. p·s+2 and builds the s new ones (3 pixels
// unrolled so that ring slots are fixed). A 3×3 s1 pixel costs 8 shuffles
// instead of 3 quads' 22.
func genQDWVNNI3x3(s int) {
	const k, nq = 3, 3
	blkBytes := nq*256 + 512
	name := qdwReuseName(s)
	TEXT(name, NOSPLIT, qdwSig)
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes npix output pixels of a 3x3 stride-%d int8 depthwise conv on u8 bytes (AVX-512 VNNI), reusing column quads.", name, s))
	f := &qdwFrame{k: k}
	f.taps = loadGP("taps")
	q := loadGP("q")
	out := loadGP("out")
	f.vnniTailMask(loadGP("c"))
	f.loadArgs(q, func() VecVirtual { return ZMM() })
	f.j = GP64()
	XORQ(f.j, f.j)
	f.wq = GP64()
	MOVQ(Mem{Base: q, Disp: qdwArgW}, f.wq)
	var ring [3][4]VecVirtual
	for i := range ring {
		for r := range ring[i] {
			ring[i][r] = ZMM()
		}
	}
	end := GP64()
	Label("blocks")
	LEAQ(Mem{Base: f.j, Disp: 64}, end)
	CMPQ(end, paramMem("c"))
	JA(LabelRef("tail"))
	f.reuseColumns(s, nq, out, &ring)
	ADDQ(U8(64), f.j)
	ADDQ(U32(blkBytes), f.wq)
	JMP(LabelRef("blocks"))
	Label("tail")
	CMPQ(f.j, paramMem("c"))
	JAE(LabelRef("done"))
	f.masked = true
	f.tailWidth(func() { f.reuseColumns(s, nq, out, &ring) }, "done")
	f.masked = false
	Label("done")
	VZEROUPPER()
	RET()
}

// reuseColumns computes every pixel of the current channel block.
func (f *qdwFrame) reuseColumns(s, nq int, out GPVirtual, ring *[3][4]VecVirtual) {
	const k = 3
	po, o, n := GP64(), GP64(), GP64()
	XORQ(po, po)
	LEAQ(Mem{Base: out, Index: f.j, Scale: 1}, o)
	MOVQ(paramMem("npix"), n)
	f.pj = GP64()
	MOVQ(f.j, f.pj)
	column := func(kw int, dst [4]VecVirtual) { f.buildQuad([]int{kw, k + kw, 2*k + kw}, dst) }
	for x := 0; x < k-s; x++ {
		column(x, ring[x])
	}
	loop, done := uniq("pixels"), uniq("block_done")
	Label(loop)
	for u := 0; u < k; u++ {
		LEAQ(Mem{Base: po, Index: f.j, Scale: 1}, f.pj)
		for kw := k - s; kw < k; kw++ {
			column(kw, ring[(u*s+kw)%k])
		}
		acc := make([]VecVirtual, 4)
		for r := range acc {
			acc[r] = ZMM()
			VMOVDQU32(Mem{Base: f.wq, Disp: nq*256 + 64*r}, f.v(acc[r])) // bias'
		}
		for kw := 0; kw < k; kw++ {
			for r := range acc {
				VPDPBUSD(Mem{Base: f.wq, Disp: kw*256 + 64*r}, f.v(ring[(u*s+kw)%k][r]), f.v(acc[r]))
			}
		}
		f.requantVNNI(acc, Mem{Base: f.wq, Disp: nq*256 + 256}, Mem{Base: o})
		ADDQ(paramMem("outPixStride"), o)
		ADDQ(paramMem("pixStride"), po)
		DECQ(n)
		JZ(LabelRef(done))
	}
	JMP(LabelRef(loop))
	Label(done)
}

func qdwReuseName(s int) string { return fmt.Sprintf("QDWConv3x3s%dAVX512VNNI", s) }

// genQDWAVX2: groups of 8 channels as one vector of 8 int32 sums (4 per
// block of 32); each tap's 8 bytes are zero-extended to dwords
// (VPMOVZXBD) and VPMADDWD against the int32 weights (sign-extended: the
// high word multiplies the input's zero high word) adds x·w exactly.
func genQDWAVX2(k int) {
	taps := k * k
	grpBytes := (taps + 2) * 32
	name := qdwName("AVX2", k)
	doc := fmt.Sprintf("%s computes npix output pixels of a %dx%d int8 depthwise conv on u8 bytes (AVX2).", name, k, k)
	qdwDriver(name, doc, k, 32, 4*grpBytes, 8, grpBytes, func(f *qdwFrame, c GPVirtual) {
		q := loadGP("q")
		f.xmask = XMM()
		VMOVDQU(Mem{Base: q, Disp: qdwArgMask}, f.xmask)
		f.permIdx = YMM()
		VMOVDQU(qdwPerm, f.permIdx)
	}, func(f *qdwFrame, n int) {
		G := n / 8
		acc := make([]VecVirtual, G)
		for g := range acc {
			acc[g] = YMM()
			VMOVDQU(Mem{Base: f.wq, Disp: g*grpBytes + taps*32}, acc[g])
		}
		for t := 0; t < taps; t++ {
			m := f.tapMem(t)
			for g := 0; g < G; g++ {
				x := YMM()
				if f.masked {
					VPMASKMOVD(m, f.xmask, x.AsX())
					VPMOVZXBD(x.AsX(), x)
				} else {
					VPMOVZXBD(m.Offset(8*g), x)
				}
				VPMADDWD(Mem{Base: f.wq, Disp: g*grpBytes + 32*t}, x, x)
				VPADDD(x, acc[g], acc[g])
			}
		}
		for g, a := range acc {
			VCVTDQ2PS(a, a)
			VMULPS(Mem{Base: f.wq, Disp: g*grpBytes + (taps+1)*32}, a, a)
			VMINPS(f.fhi, a, a)
			VCVTPS2DQ(a, a) // MXCSR: round to nearest even
		}
		o := Mem{Base: f.out, Index: f.j, Scale: 1}
		if G == 4 {
			p01, p23 := YMM(), YMM()
			VPACKSSDW(acc[1], acc[0], p01)
			VPACKSSDW(acc[3], acc[2], p23)
			VPADDSW(f.zpw, p01, p01)
			VPADDSW(f.zpw, p23, p23)
			VPACKUSWB(p23, p01, p01)
			VPERMD(p01, f.permIdx, p01)
			VMOVDQU(p01, o)
			return
		}
		p := YMM()
		VPACKSSDW(acc[0], acc[0], p)
		VPADDSW(f.zpw, p, p)
		VPACKUSWB(p, p, p)
		VPERMD(p, f.permIdx, p)
		if f.masked {
			VPMASKMOVD(p.AsX(), f.xmask, o)
		} else {
			VMOVQ(p.AsX(), o)
		}
	})
}

// qdwPerm puts the dwords of the AVX2 packs (lane 0: channels 0-3, 8-11,
// 16-19, 24-27; lane 1: 4-7, ...) back in order.
var qdwPerm Mem

func genQDW() {
	qdwPerm = GLOBL("qdwperm", RODATA|NOPTR)
	for i, v := range []uint32{0, 4, 1, 5, 2, 6, 3, 7} {
		DATA(4*i, U32(v))
	}
	for _, k := range dwKernelSizes {
		genQDWVNNI(k)
		genQDWAVX2(k)
	}
	for _, s := range dwStrides {
		genQDWVNNI3x3(s)
		genQDWAVX23x3(s)
	}
}

// qdwTable dispatches k (and for the column-reusing 3×3 kernels, s) to
// the int8 depthwise kernels.
func qdwTable() string {
	var b strings.Builder
	for _, isa := range []string{"AVX512VNNI", "AVX2"} {
		var cases [][2]string
		for _, k := range dwKernelSizes {
			cases = append(cases, [2]string{fmt.Sprint(k), qdwName(isa, k)})
		}
		dispatch(&b, fmt.Sprintf("QDWConv%s runs the k×k int8 depthwise kernel; false if none is generated.", isa), "QDWConv"+isa, "k int", "k", qdwSig, cases)
	}
	var cases [][2]string
	for _, s := range dwStrides {
		cases = append(cases, [2]string{fmt.Sprint(s), qdwReuseName(s)})
	}
	dispatch(&b, "QDWConv3x3sAVX512VNNI runs the 3×3 stride-s int8 depthwise kernel that reuses column quads; false if none is generated.", "QDWConv3x3sAVX512VNNI", "s int", "s", qdwSig, cases)
	cases = nil
	for _, s := range dwStrides {
		cases = append(cases, [2]string{fmt.Sprint(s), fmt.Sprintf("QDWConv3x3s%dAVX2", s)})
	}
	dispatch(&b, "QDWConv3x3sAVX2 runs the 3×3 stride-s int8 depthwise kernel on layout 2 (AVX2); false if none is generated.", "QDWConv3x3sAVX2", "s int", "s", qdwSig, cases)
	return b.String()
}

// genQDWAVX23x3 is the 3×3 AVX2 kernel for stride s ≤ 2 that reuses
// input columns (kernels' layout 2): per group of 8 channels (the
// outer loop; pixels inside), an input column is held as two vectors of
// dword pairs, rows 0 and 1 interleaved as int16 words (VPUNPCKLBW +
// VPMOVZXBW) and row 2 zero-extended (VPMOVZXBD), and VPMADDWD against
// the packed (w0, w1) and (w2) weights adds three products per pair of
// instructions. The last 3 columns sit in a ring of registers; 3 pixels
// are unrolled as in genQDWVNNI3x3.
func genQDWAVX23x3(s int) {
	const k = 3
	name := fmt.Sprintf("QDWConv3x3s%dAVX2", s)
	TEXT(name, NOSPLIT, qdwSig)
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes npix output pixels of a 3x3 stride-%d int8 depthwise conv on u8 bytes (AVX2), reusing input columns.", name, s))
	f := &qdwFrame{k: k}
	f.taps = loadGP("taps")
	q := loadGP("q")
	out := loadGP("out")
	f.loadArgs(q, func() VecVirtual { return YMM() })
	f.xmask = XMM()
	VMOVDQU(Mem{Base: q, Disp: qdwArgMask}, f.xmask)
	f.j = GP64()
	XORQ(f.j, f.j)
	f.wq = GP64()
	MOVQ(Mem{Base: q, Disp: qdwArgW}, f.wq)
	var ring [3][2]VecVirtual
	for i := range ring {
		for r := range ring[i] {
			ring[i][r] = YMM()
		}
	}
	end := GP64()
	Label("groups")
	LEAQ(Mem{Base: f.j, Disp: 8}, end)
	CMPQ(end, paramMem("c"))
	JA(LabelRef("tail"))
	f.reuseColumnsAVX2(s, out, &ring)
	ADDQ(U8(8), f.j)
	ADDQ(U32(qdwPairsGroup), f.wq)
	JMP(LabelRef("groups"))
	Label("tail")
	CMPQ(f.j, paramMem("c"))
	JAE(LabelRef("done"))
	f.masked = true
	f.reuseColumnsAVX2(s, out, &ring)
	f.masked = false
	Label("done")
	VZEROUPPER()
	RET()
}

// qdwPairsGroup is the bytes of one 8-channel group in layout 2: per
// kernel column the (w0, w1) word pairs and the w2 dwords, then bias'
// and the multipliers.
const qdwPairsGroup = 8 * 32

func (f *qdwFrame) reuseColumnsAVX2(s int, out GPVirtual, ring *[3][2]VecVirtual) {
	const k = 3
	po, o, n := GP64(), GP64(), GP64()
	XORQ(po, po)
	LEAQ(Mem{Base: out, Index: f.j, Scale: 1}, o)
	MOVQ(paramMem("npix"), n)
	f.pj = GP64()
	MOVQ(f.j, f.pj)
	column := func(kw int, dst [2]VecVirtual) {
		m0, m1, m2 := f.tapMem(kw), f.tapMem(k+kw), f.tapMem(2*k+kw)
		a, b := XMM(), XMM()
		if f.masked {
			c := XMM()
			VPMASKMOVD(m0, f.xmask, a)
			VPMASKMOVD(m1, f.xmask, b)
			VPMASKMOVD(m2, f.xmask, c)
			VPMOVZXBD(c, dst[1])
		} else {
			VMOVQ(m0, a)
			VMOVQ(m1, b)
			VPMOVZXBD(m2, dst[1])
		}
		VPUNPCKLBW(b, a, a) // r0, r1 bytes interleaved
		VPMOVZXBW(a, dst[0])
	}
	for x := 0; x < k-s; x++ {
		column(x, ring[x])
	}
	loop, done := uniq("pixels"), uniq("group_done")
	Label(loop)
	for u := 0; u < k; u++ {
		LEAQ(Mem{Base: po, Index: f.j, Scale: 1}, f.pj)
		for kw := k - s; kw < k; kw++ {
			column(kw, ring[(u*s+kw)%k])
		}
		acc := YMM()
		VMOVDQU(Mem{Base: f.wq, Disp: 6 * 32}, acc) // bias'
		for kw := 0; kw < k; kw++ {
			for r := 0; r < 2; r++ {
				t := YMM()
				VPMADDWD(Mem{Base: f.wq, Disp: (2*kw + r) * 32}, ring[(u*s+kw)%k][r], t)
				VPADDD(t, acc, acc)
			}
		}
		VCVTDQ2PS(acc, acc)
		VMULPS(Mem{Base: f.wq, Disp: 7 * 32}, acc, acc)
		VMINPS(f.fhi, acc, acc)
		VCVTPS2DQ(acc, acc) // MXCSR: round to nearest even
		VPACKSSDW(acc, acc, acc)
		VPADDSW(f.zpw, acc, acc)
		VPACKUSWB(acc, acc, acc) // lane 0: channels 0-3 in dword 0, lane 1: 4-7
		hi := XMM()
		VEXTRACTI128(U8(1), acc, hi)
		VPUNPCKLDQ(hi, acc.AsX(), hi)
		if f.masked {
			VPMASKMOVD(hi, f.xmask, Mem{Base: o})
		} else {
			VMOVQ(hi, Mem{Base: o})
		}
		ADDQ(paramMem("outPixStride"), o)
		ADDQ(paramMem("pixStride"), po)
		DECQ(n)
		JZ(LabelRef(done))
	}
	JMP(LabelRef(loop))
	Label(done)
}
