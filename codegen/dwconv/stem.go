package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The stem: a dense 3×3 stride-2 conv on 3 input channels (RGB) to a few
// output channels, without im2col. The Go wrapper stages the three input
// rows an output row needs into a zero-padded strip, so one call computes
// a whole output row and never sees padding: pixel i's 27 inputs are the
// 9 contiguous floats at in + 24·i bytes in each of the 3 strip rows.
// Each input is broadcast and multiplied into nb vectors of output
// channels; P pixels are computed together so that P·nb independent
// accumulator chains hide the FMA latency. Weights are packed
// [27][nb·VL] (zero past Cout); the last vector of outputs is masked to
// "tail" channels (1..VL).

const stemSig = "func(in *float32, inRowStride int, w, bias, out *float32, outPixStride, npix, tail int, ep *float32, mode int, mask *int32)"

// stemMaxVectors bounds nb: Cout up to 4 vectors (64 channels on
// AVX-512, 32 on AVX2); wider stems use the generic conv.
const stemMaxVectors = 4

// stemInPix is the byte distance between the inputs of adjacent output
// pixels in the strip: stride 2 × 3 channels × 4 bytes.
const stemInPix = 2 * 3 * 4

func stemName(t *target, nb int) string {
	return fmt.Sprintf("StemConv3x3s2c3x%d%s", nb*t.VL, t.Name)
}

// stemPixels is P for nb vectors: about 8 accumulators on AVX2 (16
// registers) and for one vector, 16 on AVX-512 for more, where more pixels
// share each weight load (V2's 32-channel stem: 8 pixels, 0.63 loads per
// FMA against 1.25 with 4 pixels and broadcasts embedded in the FMAs).
func stemPixels(t *target, nb int) int {
	if t.VL == 16 && nb > 1 {
		return max(1, 16/nb)
	}
	return max(1, 8/nb)
}

func genStem(t *target, nb int) {
	name := stemName(t, nb)
	TEXT(name, NOSPLIT, stemSig)
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes npix output pixels of a 3x3 stride-2 conv from a staged 3-channel strip to at most %d channels.", name, nb*t.VL))
	in := loadGP("in")
	rs := loadGP("inRowStride")
	w := loadGP("w")
	out := loadGP("out")
	npix := loadGP("npix")
	if t.VL == 16 {
		t.setupMaskN(loadGP("tail"))
	} else {
		t.setupMaskN(nil)
	}
	ac := lazyActConsts()
	P := stemPixels(t, nb)

	Label("group")
	CMPQ(npix, U8(P))
	JB(LabelRef("single"))
	stemPixelsBody(t, ac, nb, P, in, rs, w, out)
	ADDQ(U32(P*stemInPix), in)
	SUBQ(U8(P), npix)
	JMP(LabelRef("group"))

	Label("single")
	TESTQ(npix, npix)
	JZ(LabelRef("done"))
	stemPixelsBody(t, ac, nb, 1, in, rs, w, out)
	ADDQ(U32(stemInPix), in)
	DECQ(npix)
	JMP(LabelRef("single"))

	Label("done")
	VZEROUPPER()
	RET()
}

// stemPixelsBody computes P pixels and advances out past them.
func stemPixelsBody(t *target, ac actConsts, nb, P int, in, rs, w, out GPVirtual) {
	wstride := nb * t.bytes()
	acc := make([][]VecVirtual, P)
	bias := loadGP("bias")
	for i := range acc {
		acc[i] = make([]VecVirtual, nb)
		for b := range acc[i] {
			acc[i][b] = t.vec()
			t.masked = b == nb-1
			t.load(Mem{Base: bias, Disp: b * t.bytes()}, acc[i][b])
		}
	}
	t.masked = false
	for kh := 0; kh < 3; kh++ {
		for q := 0; q < 9; q++ {
			src := func(i int) Mem {
				m := Mem{Base: in, Disp: i*stemInPix + 4*q}
				if kh > 0 {
					m.Index, m.Scale = rs, uint8(kh)
				}
				return m
			}
			wmem := func(b int) Mem { return Mem{Base: w, Disp: (kh*9+q)*wstride + b*t.bytes()} }
			// Weights in registers, each input broadcast once per pixel
			// into a register (with one output vector, AVX-512 embeds it
			// in the FMA).
			wv := make([]VecVirtual, nb)
			for b := range wv {
				wv[b] = t.vec()
				VMOVUPS(wmem(b), wv[b])
			}
			for i := 0; i < P; i++ {
				if t.VL == 16 && nb == 1 {
					// One FMA per input: the broadcast embedded in it.
					VFMADD231PS_BCST(src(i), wv[0], acc[i][0])
					continue
				}
				x := t.vec()
				VBROADCASTSS(src(i), x)
				for b := range wv {
					VFMADD231PS(wv[b], x, acc[i][b])
				}
			}
		}
	}
	// One epilogue per channel block: epi.SlopeC loads that block's slopes
	// (masked on the last, as the bias).
	for b := 0; b < nb; b++ {
		var col []VecVirtual
		for i := range acc {
			col = append(col, acc[i][b])
		}
		t.masked = b == nb-1
		activateAll(t, ac, col, func(slopes GPVirtual) Mem { return Mem{Base: slopes, Disp: b * t.bytes()} })
	}
	t.masked = false
	for i := range acc {
		for b, a := range acc[i] {
			t.masked = b == nb-1
			t.store(a, Mem{Base: out, Disp: b * t.bytes()})
		}
		t.masked = false
		ADDQ(paramMem("outPixStride"), out)
	}
}
