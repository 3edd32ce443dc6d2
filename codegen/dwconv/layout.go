package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// Interleaving three planes (NCHW with C = 3: the image input) into NHWC.
// Per VL pixels the three plane vectors R, G, B become three output
// vectors of the stream r0 g0 b0 r1 g1 b1 ...: element s of the stream is
// plane s%3 at pixel s/3. AVX-512 builds each output with two two-table
// permutes (R,G then the result with B); AVX2 permutes each plane into
// place and blends. The kernel does n pixels (a multiple of VL); Go does
// the rest.

const interleaveSig = "func(in *float32, hw int, out *float32, n int)"

func interleaveName(t *target) string { return "NCHWToNHWC3" + t.Name }

func genInterleave3(t *target) {
	var tab Mem
	name := interleaveName(t)
	// The table's int32 entries, emitted in address order (the Go
	// assembler rejects DATA that goes backwards).
	var words []int
	if t.VL == 16 {
		// Per output k: idxA (R/G lanes from the tables R, G), then idxB
		// (keep those lanes, B lanes from the tables T, B).
		for k := 0; k < 3; k++ {
			var a, b [16]int
			for i := 0; i < 16; i++ {
				s := 16*k + i
				p, c := s/3, s%3
				a[i], b[i] = 0, i
				switch c {
				case 0:
					a[i] = p
				case 1:
					a[i] = 16 + p
				case 2:
					b[i] = 16 + p
				}
			}
			words = append(append(words, a[:]...), b[:]...)
		}
	} else {
		// Per output k and plane: lane i takes pixel (8k+i)/3 of the plane.
		for k := 0; k < 3; k++ {
			for c := 0; c < 3; c++ {
				for i := 0; i < 8; i++ {
					words = append(words, (8*k+i)/3)
				}
			}
		}
	}
	tab = GLOBL("interleave3_"+t.Name, RODATA|NOPTR)
	for i, w := range words {
		DATA(4*i, U32(w))
	}

	TEXT(name, NOSPLIT, interleaveSig)
	Pragma("noescape")
	Doc(fmt.Sprintf("%s interleaves n pixels (a multiple of %d) of three planes hw floats apart into NHWC.", name, t.VL))
	in := loadGP("in")
	ps := loadGP("hw")
	SHLQ(U8(2), ps)
	out := loadGP("out")
	n := loadGP("n")
	TESTQ(n, n)
	JZ(LabelRef("done"))
	Label("loop")
	r, g, b := t.vec(), t.vec(), t.vec()
	VMOVUPS(Mem{Base: in}, r)
	VMOVUPS(Mem{Base: in, Index: ps, Scale: 1}, g)
	VMOVUPS(Mem{Base: in, Index: ps, Scale: 2}, b)
	for k := 0; k < 3; k++ {
		o := t.vec()
		if t.VL == 16 {
			ia, ib := t.vec(), t.vec()
			VMOVUPS(tab.Offset(4*32*k), ia)
			VMOVUPS(tab.Offset(4*(32*k+16)), ib)
			VMOVAPS(r, o)
			VPERMT2PS(g, ia, o)
			VPERMT2PS(b, ib, o)
		} else {
			var masks [3]uint8 // lanes of output k taken from each plane
			for i := 0; i < 8; i++ {
				masks[(8*k+i)%3] |= 1 << i
			}
			pg, pb := t.vec(), t.vec()
			idx := t.vec()
			VMOVUPS(tab.Offset(4*(24*k)), idx)
			VPERMPS(r, idx, o)
			VMOVUPS(tab.Offset(4*(24*k+8)), idx)
			VPERMPS(g, idx, pg)
			VMOVUPS(tab.Offset(4*(24*k+16)), idx)
			VPERMPS(b, idx, pb)
			VBLENDPS(U8(masks[1]), pg, o, o)
			VBLENDPS(U8(masks[2]), pb, o, o)
		}
		VMOVUPS(o, Mem{Base: out, Disp: k * t.bytes()})
	}
	ADDQ(U8(t.bytes()), in)
	ADDQ(U32(3*t.bytes()), out)
	SUBQ(U8(t.VL), n)
	JNZ(LabelRef("loop"))
	Label("done")
	VZEROUPPER()
	RET()
}

const transposeSig = "func(src *float32, lds int, dst *float32, ldd int, rows, cols int)"

// genTranspose8 emits Transpose8 (ymm only, so one kernel serves AVX2 and
// AVX-512 machines): dst[j·ldd + i] = src[i·lds + j] for i < rows, j <
// cols, both multiples of 8, in 8×8 blocks: eight row loads, the usual
// unpack / shuffle / 128-bit permute network, eight row stores.
func genTranspose8() {
	name := "Transpose8x8AVX2FMA"
	TEXT(name, NOSPLIT, transposeSig)
	Pragma("noescape")
	Doc(name + " sets dst[j·ldd+i] = src[i·lds+j] for i < rows, j < cols (multiples of 8; strides in floats).")
	src := loadGP("src")
	dst := loadGP("dst")
	lds := loadGP("lds")
	ldd := loadGP("ldd")
	rows := loadGP("rows")
	cols := loadGP("cols")
	SHLQ(U8(2), lds)
	SHLQ(U8(2), ldd)
	lds3, ldd3 := GP64(), GP64()
	LEAQ(Mem{Base: lds, Index: lds, Scale: 2}, lds3)
	LEAQ(Mem{Base: ldd, Index: ldd, Scale: 2}, ldd3)
	i := GP64()
	XORQ(i, i)
	rowTop, rowDone := uniq("tr_rows"), uniq("tr_rows_done")
	Label(rowTop)
	CMPQ(i, rows)
	JAE(LabelRef(rowDone))
	// s: src row i, d: dst column i (bytes)
	s, d := GP64(), GP64()
	MOVQ(i, s)
	IMULQ(lds, s)
	ADDQ(src, s)
	MOVQ(i, d)
	SHLQ(U8(2), d)
	ADDQ(dst, d)
	j := GP64()
	XORQ(j, j)
	colTop, colDone := uniq("tr_cols"), uniq("tr_cols_done")
	Label(colTop)
	CMPQ(j, cols)
	JAE(LabelRef(colDone))
	s4 := GP64()
	LEAQ(Mem{Base: s, Index: lds, Scale: 4}, s4)
	r := make([]VecVirtual, 8)
	for k := range r {
		r[k] = YMM()
	}
	rowMem := func(base Register, k int) Mem {
		m := Mem{Base: base}
		switch k % 4 {
		case 1:
			m.Index, m.Scale = lds, 1
		case 2:
			m.Index, m.Scale = lds, 2
		case 3:
			m.Index, m.Scale = lds3, 1
		}
		return m
	}
	for k := 0; k < 4; k++ {
		VMOVUPS(rowMem(s, k), r[k])
		VMOVUPS(rowMem(s4, k), r[k+4])
	}
	t := make([]VecVirtual, 8)
	for k := range t {
		t[k] = YMM()
	}
	for k := 0; k < 8; k += 2 {
		VUNPCKLPS(r[k+1], r[k], t[k])   // t[k]   = a0 b0 a1 b1 | a4 b4 a5 b5
		VUNPCKHPS(r[k+1], r[k], t[k+1]) // t[k+1] = a2 b2 a3 b3 | a6 b6 a7 b7
	}
	u := r // reuse
	for _, g := range []int{0, 4} {
		VSHUFPS(U8(0x44), t[g+2], t[g], u[g])   // a0 b0 c0 d0 | a4 b4 c4 d4
		VSHUFPS(U8(0xEE), t[g+2], t[g], u[g+1]) // a1 b1 c1 d1 | a5 ...
		VSHUFPS(U8(0x44), t[g+3], t[g+1], u[g+2])
		VSHUFPS(U8(0xEE), t[g+3], t[g+1], u[g+3])
	}
	d4 := GP64()
	LEAQ(Mem{Base: d, Index: ldd, Scale: 4}, d4)
	colMem := func(base Register, k int) Mem {
		m := Mem{Base: base}
		switch k % 4 {
		case 1:
			m.Index, m.Scale = ldd, 1
		case 2:
			m.Index, m.Scale = ldd, 2
		case 3:
			m.Index, m.Scale = ldd3, 1
		}
		return m
	}
	for k := 0; k < 4; k++ {
		VPERM2F128(U8(0x20), u[k+4], u[k], t[k])   // output row k: columns 0-3 from rows 0-3, 4-7 from rows 4-7
		VPERM2F128(U8(0x31), u[k+4], u[k], t[k+4]) // output row k+4
		VMOVUPS(t[k], colMem(d, k))
		VMOVUPS(t[k+4], colMem(d4, k))
	}
	ADDQ(U8(32), s)
	// d += 8 dst rows
	LEAQ(Mem{Base: d4, Index: ldd, Scale: 4}, d)
	ADDQ(U8(8), j)
	JMP(LabelRef(colTop))
	Label(colDone)
	ADDQ(U8(8), i)
	JMP(LabelRef(rowTop))
	Label(rowDone)
	VZEROUPPER()
	RET()
}
