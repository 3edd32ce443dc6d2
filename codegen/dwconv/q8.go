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
// passes the k input row pointers of the first pixel (rows[kh], already at
// its first kernel column; a row of zero-point bytes for padding rows, a
// small zero-point patch for border columns), the bytes cs between input
// pixels, and pixStride between the inputs of consecutive output pixels:
// tap (kh, kw) of pixel i is rows[kh] + i·pixStride + kw·cs. There is no
// masking of taps: padding reads the input zero point, whose contribution
// the packed bias' already cancels (bias' = bias − xzp·Σw).
//
// The epilogue is ir.Requantize to u8: float32(acc)·mult[c], min with
// 255 − zp (so the conversion cannot overflow), convert rounding to
// nearest even, + zp; the saturating packs to bytes then clamp to
// [0, 255], which is the lower clamp −zp too (a value below −2^31 converts
// to 0x80000000, still negative).
//
// The args block q (kernels.qdwArgs): w (the first channel block of the
// packed blob), fhi = 255 − zp as float32, zp, and for AVX2 a 4-dword mask
// for the last partial 8-channel group.

const qdwSig = "func(rows **uint8, cs, pixStride, c int, q *int32, out *uint8, outPixStride, npix int)"

const qdwArgW, qdwArgHi, qdwArgZp, qdwArgMask = 0, 8, 12, 16

func qdwName(isa string, k int) string { return fmt.Sprintf("QDWConv%dx%d_%s", k, k, isa) }

// qdwFrame is the state a channel block body works with.
type qdwFrame struct {
	k              int
	rows, cs, pj   GPVirtual // pj: pixel offset + channel offset, added to rows[kh]
	wq, out, j     GPVirtual
	fhi, zp        VecVirtual
	kmask          Op // AVX-512 byte mask of the channel tail
	masked         bool
	xmask, permIdx VecVirtual // AVX2: the tail's dword mask, the final byte permutation
}

// tapAddr returns the address of tap t's bytes for the current block,
// reloading the row base when the kernel row changes.
type tapAddrs struct {
	f    *qdwFrame
	kh   int
	base GPVirtual
}

func (a *tapAddrs) at(t int) Mem {
	kh, kw := t/a.f.k, t%a.f.k
	if a.base == nil || kh != a.kh {
		a.base = GP64()
		MOVQ(Mem{Base: a.f.rows, Disp: 8 * kh}, a.base)
		ADDQ(a.f.pj, a.base)
		a.kh = kh
	}
	return colAddr(a.base, a.f.cs, kw)
}

// qdwDriver emits the frame shared by both ISAs: argument loads, the
// pixel loop and, per pixel, the channel loop over blocks of blk channels
// (then groups of grp, then a masked tail), calling body for each.
func qdwDriver(name, doc string, k, blk, blkBytes, grp, grpBytes int, setup func(f *qdwFrame, c GPVirtual), body func(f *qdwFrame, n int)) {
	TEXT(name, NOSPLIT, qdwSig)
	Pragma("noescape")
	Doc(doc)
	f := &qdwFrame{k: k}
	f.rows = loadGP("rows")
	f.cs = loadGP("cs")
	q := loadGP("q")
	f.out = loadGP("out")
	c := loadGP("c")
	setup(f, c)
	f.fhi, f.zp = f.vec(blk), f.vec(blk)
	VBROADCASTSS(Mem{Base: q, Disp: qdwArgHi}, f.fhi)
	VPBROADCASTD(Mem{Base: q, Disp: qdwArgZp}, f.zp)
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
	body(f, grp)
	f.masked = false
	Label("pixel_done")
	ADDQ(paramMem("pixStride"), po)
	ADDQ(paramMem("outPixStride"), f.out)
	DECQ(paramMem("npix"))
	JNZ(LabelRef("pixel"))
	VZEROUPPER()
	RET()
}

func (f *qdwFrame) vec(blk int) VecVirtual {
	if blk == 64 {
		return ZMM()
	}
	return YMM()
}

// genQDWVNNI: blocks of 64 channels as four vectors of 16 int32 sums;
// every 4 taps are loaded as 64-byte vectors and interleaved (bytes of
// taps 0,1 and 2,3, then words) into four vectors whose dword holds one
// channel's 4 tap bytes, for VPDPBUSD against the packed weights.
func genQDWVNNI(k int) {
	taps := k * k
	nq := (taps + 3) / 4
	blkBytes := nq*256 + 512
	name := qdwName("VNNI", k)
	doc := fmt.Sprintf("%s computes npix output pixels of a %dx%d int8 depthwise conv on u8 bytes (AVX-512 VNNI).", name, k, k)
	qdwDriver(name, doc, k, 64, blkBytes, 64, blkBytes, func(f *qdwFrame, c GPVirtual) {
		n, ones := GP64(), GP64()
		MOVQ(c, n)
		ANDQ(U8(63), n)
		MOVQ(I32(-1), ones)
		BZHIQ(n, ones, ones)
		km := K()
		KMOVQ(ones, km)
		f.kmask = km
	}, func(f *qdwFrame, _ int) {
		acc := make([]VecVirtual, 4)
		for r := range acc {
			acc[r] = ZMM()
			VMOVDQU32(Mem{Base: f.wq, Disp: nq*256 + 64*r}, acc[r])
		}
		addr := &tapAddrs{f: f}
		for qi := 0; qi < nq; qi++ {
			n := min(4, taps-4*qi)
			x := make([]VecVirtual, n)
			for i := range x {
				x[i] = ZMM()
				m := addr.at(4*qi + i)
				if f.masked {
					VMOVDQU8_Z(m, f.kmask, x[i])
				} else {
					VMOVDQU8(m, x[i])
				}
			}
			a, b := x[0], x[min(1, n-1)]
			abLo, abHi := ZMM(), ZMM()
			VPUNPCKLBW(b, a, abLo)
			VPUNPCKHBW(b, a, abHi)
			cdLo, cdHi := abLo, abHi
			if n > 2 {
				c, d := x[2], x[n-1]
				cdLo, cdHi = ZMM(), ZMM()
				VPUNPCKLBW(d, c, cdLo)
				VPUNPCKHBW(d, c, cdHi)
			}
			for r, src := range [][2]VecVirtual{{abLo, cdLo}, {abLo, cdLo}, {abHi, cdHi}, {abHi, cdHi}} {
				v := ZMM()
				if r%2 == 0 {
					VPUNPCKLWD(src[1], src[0], v)
				} else {
					VPUNPCKHWD(src[1], src[0], v)
				}
				VPDPBUSD(Mem{Base: f.wq, Disp: qi*256 + 64*r}, v, acc[r]) // acc += Σ4 v(u8)·w(s8)
			}
		}
		for r, a := range acc {
			VCVTDQ2PS(a, a) // float32(acc), rounded to nearest even
			VMULPS(Mem{Base: f.wq, Disp: nq*256 + 256 + 64*r}, a, a)
			VMINPS(f.fhi, a, a)
			VCVTPS2DQ_RN_SAE(a, a)
			VPADDD(f.zp, a, a)
		}
		w01, w23 := ZMM(), ZMM()
		VPACKSSDW(acc[1], acc[0], w01)
		VPACKSSDW(acc[3], acc[2], w23)
		VPACKUSWB(w23, w01, w01) // channels back in order: the unpacks' inverse
		o := Mem{Base: f.out, Index: f.j, Scale: 1}
		if f.masked {
			VMOVDQU8(w01, f.kmask, o)
		} else {
			VMOVDQU8(w01, o)
		}
	})
}

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
		addr := &tapAddrs{f: f}
		for t := 0; t < taps; t++ {
			m := addr.at(t)
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
			VPADDD(f.zp, a, a)
		}
		o := Mem{Base: f.out, Index: f.j, Scale: 1}
		if G == 4 {
			p01, p23 := YMM(), YMM()
			VPACKSSDW(acc[1], acc[0], p01)
			VPACKSSDW(acc[3], acc[2], p23)
			VPACKUSWB(p23, p01, p01)
			VPERMD(p01, f.permIdx, p01)
			VMOVDQU(p01, o)
			return
		}
		p := YMM()
		VPACKSSDW(acc[0], acc[0], p)
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
}

// qdwTable dispatches k to the int8 depthwise kernels.
func qdwTable() string {
	var b strings.Builder
	for _, isa := range []string{"VNNI", "AVX2"} {
		var cases [][2]string
		for _, k := range dwKernelSizes {
			cases = append(cases, [2]string{fmt.Sprint(k), qdwName(isa, k)})
		}
		dispatch(&b, fmt.Sprintf("QDWConv%s runs the k×k int8 depthwise kernel; false if none is generated.", isa), "QDWConv"+isa, "k int", "k", qdwSig, cases)
	}
	return b.String()
}
