package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The stem: a dense 3×3 stride-2 conv on 3 input channels (RGB) to a few
// output channels, without im2col. One call computes npix output pixels
// of one row whose windows lie inside the image. Per pixel the 27 inputs
// (3 rows of 9 contiguous floats in NHWC) are broadcast one at a time and
// multiplied into nb vectors of output channels held in registers.
// Weights are packed [27][nb·VL] (zero past Cout); the last vector of
// outputs is masked to "tail" channels (1..VL).

const stemSig = "func(in *float32, inRowStride, inPixStride int, w, bias, out *float32, outPixStride, npix, tail int, ep *float32, mode int, mask *int32)"

// stemMaxVectors bounds nb: Cout up to 4 vectors (64 channels on
// AVX-512, 32 on AVX2); wider stems use the generic conv.
const stemMaxVectors = 4

func stemName(t *target, nb int) string {
	return fmt.Sprintf("StemConv3x3s2C3_%dx%d_%s", nb, t.VL, t.Name)
}

func genStem(t *target, nb int) {
	name := stemName(t, nb)
	TEXT(name, NOSPLIT, stemSig)
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes npix interior output pixels of a 3x3 stride-2 conv from 3 to at most %d channels.", name, nb*t.VL))
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
	ac := loadActConsts(t)
	wstride := nb * t.bytes()

	Label("pixel")
	acc := make([]VecVirtual, nb)
	bias := loadGP("bias")
	for b := range acc {
		acc[b] = t.vec()
		t.masked = b == nb-1
		t.load(Mem{Base: bias, Disp: b * t.bytes()}, acc[b])
	}
	t.masked = false
	for kh := 0; kh < 3; kh++ {
		for q := 0; q < 9; q++ {
			src := Mem{Base: in, Disp: 4 * q}
			if kh > 0 {
				src.Index, src.Scale = rs, uint8(kh)
			}
			x := t.vec()
			VBROADCASTSS(src, x)
			for b, a := range acc {
				VFMADD231PS(Mem{Base: w, Disp: (kh*9+q)*wstride + b*t.bytes()}, x, a)
			}
		}
	}
	for b, a := range acc {
		activate(t, ac, a)
		t.masked = b == nb-1
		t.store(a, Mem{Base: out, Disp: b * t.bytes()})
	}
	t.masked = false
	ADDQ(paramMem("inPixStride"), in)
	ADDQ(paramMem("outPixStride"), out)
	DECQ(npix)
	JNZ(LabelRef("pixel"))
	VZEROUPPER()
	RET()
}
