package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
)

// Interleaving three planes (NCHW with C = 3: the image input) into NHWC.
// Per VL pixels the three plane vectors R, G, B become three output
// vectors of the stream r0 g0 b0 r1 g1 b1 ...: element s of the stream is
// plane s%3 at pixel s/3. AVX-512 builds each output with two two-table
// permutes (R,G then the result with B); AVX2 permutes each plane into
// place and blends. The kernel does n pixels (a multiple of VL); Go does
// the rest.

const interleaveSig = "func(in *float32, hw int, out *float32, n int)"

func interleaveName(t *target) string { return "NCHWToNHWC3_" + t.Name }

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
