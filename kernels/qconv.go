package kernels

import (
	"encoding/binary"
	"fmt"
	"math"
	"unsafe"
)

// Int8 dense convolution on u8 NHWC bytes (issue #14), meant for the stem
// (3×3 stride 2 on 3 channels stored with a 4-byte pixel stride): each
// output row is unfolded (im2col) into scratch, every pixel's KH·KW input
// pixels of InStride bytes side by side, padding pixels filled with the
// input zero point; then the int8 GEMM with its requantizing epilogue
// (QGemmU8S8ISA: the generated VNNI kernels on AVX-512, exact AVX2 sums
// or NEON SDOT elsewhere, Go on generic) computes the row. The bytes of a
// pixel past Cin meet zero weights. Dilation 1 only.
//
// Result: out byte = clamp(roundEven(float32(acc)·mult[co]), −YZP,
// 255−YZP) + YZP, acc = bias[co] + Σ (x − XZP)·w over the taps inside the
// image (ir.Requantize).

// QConvParams describes an int8 dense convolution of one image.
type QConvParams struct {
	H, W, Cin, Cout int
	KH, KW          int
	SH, SW          int
	PadT, PadL      int
	OH, OW          int
	// InStride, OutStride are the bytes between pixels of in and out:
	// multiples of 4, at least Cin and Cout.
	InStride, OutStride int
	XZP, YZP            int32
}

// qconvDepth is the GEMM depth: KH·KW pixels of InStride bytes.
func qconvDepth(p *QConvParams) int { return p.KH * p.KW * p.InStride }

func qconvSize(p *QConvParams) int {
	n := qdwHeader + PackedGemmS8Size(p.Cout, qconvDepth(p)) + 8*p.Cout
	if qconvDirect(p) {
		n += (9+2)*64*qconvVectors(p) + 640*qconvVectors8(p)
	}
	return n
}

// qconvDirect reports whether the blob also holds the direct 3×3 kernel's
// layout (4-byte pixels, at most 64 outputs): [tap][vector][16 outputs]
// [4 bytes], then per vector 16 bias' (int32) and 16 multipliers.
func qconvDirect(p *QConvParams) bool {
	return p.InStride == 4 && p.KH == 3 && p.KW == 3 && p.Cout <= 64
}

// qconvVectors is the direct layout's vectors of 16 outputs.
func qconvVectors(p *QConvParams) int { return (p.Cout + 15) / 16 }

// qconvVectors8 is the AVX2 direct layout's vectors of 8 outputs: after
// the VNNI one, per tap and vector the (w0, w1) and (w2, w3) int16 pairs
// of 8 outputs, then per vector 8 bias' and 8 multipliers.
func qconvVectors8(p *QConvParams) int { return (p.Cout + 7) / 8 }

func qconvValid(p *QConvParams) bool {
	return p.Cin >= 1 && p.Cout >= 1 && p.KH >= 1 && p.KW >= 1 && p.SH >= 1 && p.SW >= 1 && p.PadT >= 0 && p.PadL >= 0 &&
		p.OH >= 0 && p.OW >= 0 && p.InStride >= p.Cin && p.OutStride >= p.Cout && p.InStride%4 == 0 && p.OutStride%4 == 0 &&
		p.XZP >= 0 && p.XZP <= 255 && p.YZP >= 0 && p.YZP <= 255
}

// packQConv packs w ([Cout][Cin][KH][KW], centred, int8 range) for the
// GEMM as [Cout][KH][KW][InStride] (zero past Cin), then comp = xzp·Σw −
// bias and the multipliers.
func packQConv(dst []byte, w, bias []int32, mult []float32, p *QConvParams) error {
	if !qconvValid(p) {
		return fmt.Errorf("kernels: PackQConv: invalid parameters %+v", *p)
	}
	co, taps := p.Cout, p.KH*p.KW
	if len(w) != co*p.Cin*taps || len(mult) != co || bias != nil && len(bias) != co {
		return fmt.Errorf("kernels: PackQConv: %d weights, %d multipliers, %d biases for %+v", len(w), len(mult), len(bias), *p)
	}
	n := qconvSize(p)
	if len(dst) < n || uintptr(unsafe.Pointer(unsafe.SliceData(dst)))%4 != 0 {
		return fmt.Errorf("kernels: PackQConv: dst has %d bytes (want %d, 4-byte aligned)", len(dst), n)
	}
	k := qconvDepth(p)
	ws := make([]int8, co*k)
	comp := make([]int32, co)
	for o := 0; o < co; o++ {
		if m := float64(mult[o]); math.IsInf(m, 0) || m != m {
			return fmt.Errorf("kernels: PackQConv: output channel %d multiplier %v is not finite", o, mult[o])
		}
		var s int64
		for ci := 0; ci < p.Cin; ci++ {
			for t := 0; t < taps; t++ {
				v := w[(o*p.Cin+ci)*taps+t]
				if v < -128 || v > 127 {
					return fmt.Errorf("kernels: PackQConv: output channel %d centred weight %d does not fit int8", o, v)
				}
				ws[o*k+t*p.InStride+ci] = int8(v)
				s += int64(v)
			}
		}
		c := int64(p.XZP) * s
		if bias != nil {
			c -= int64(bias[o])
		}
		if lim := int64(math.MaxInt32) - int64(taps*p.Cin)*255*128; c > lim || c < -lim {
			return fmt.Errorf("kernels: PackQConv: output channel %d bias %d could overflow the int32 accumulator", o, -c)
		}
		comp[o] = int32(c)
	}
	dst = dst[:n]
	clear(dst[:qdwHeader])
	le := binary.LittleEndian
	le.PutUint32(dst, qconvMagic)
	le.PutUint32(dst[8:], uint32(co))
	le.PutUint32(dst[12:], uint32(k))
	g := PackedGemmS8Size(co, k)
	PackGemmS8(unsafe.Slice((*int8)(unsafe.Pointer(&dst[qdwHeader])), g), ws, co, k)
	for o := 0; o < co; o++ {
		le.PutUint32(dst[qdwHeader+g+4*o:], uint32(comp[o]))
		le.PutUint32(dst[qdwHeader+g+4*co+4*o:], math.Float32bits(mult[o]))
	}
	if qconvDirect(p) {
		d, nb := dst[qdwHeader+g+8*co:], qconvVectors(p)
		clear(d)
		for o := 0; o < co; o++ {
			for t := 0; t < taps; t++ {
				for ci := 0; ci < p.Cin; ci++ {
					d[(t*nb+o/16)*64+4*(o%16)+ci] = byte(ws[o*k+t*p.InStride+ci])
				}
			}
			le.PutUint32(d[taps*nb*64+4*o:], uint32(-comp[o]))
			le.PutUint32(d[(taps+1)*nb*64+4*o:], math.Float32bits(mult[o]))
		}
		d, nb = d[(taps+2)*nb*64:], qconvVectors8(p)
		for o := 0; o < co; o++ {
			for t := 0; t < taps; t++ {
				for ci := 0; ci < p.Cin; ci++ {
					le.PutUint16(d[(t*nb+o/8)*64+32*(ci/2)+4*(o%8)+2*(ci%2):], uint16(ws[o*k+t*p.InStride+ci]))
				}
			}
			le.PutUint32(d[taps*nb*64+4*o:], uint32(-comp[o]))
			le.PutUint32(d[taps*nb*64+32*nb+4*o:], math.Float32bits(mult[o]))
		}
	}
	return nil
}

const qconvMagic = 0x31435135

func fillQConv(s *Set) {
	s.PackedQConvSize = qconvSize
	s.PackQConv = packQConv
	s.QConvScratchSize = qconvScratch
	s.QConv = func(p *QConvParams, in, wp, out, scratch []byte, oy0, oy1 int) {
		qconv(s.ISA, p, in, wp, out, scratch, oy0, oy1)
	}
}

// qconvScratch: the unfolded row, or the direct kernel's zero-point row.
func qconvScratch(p *QConvParams) int { return max(p.OW*qconvDepth(p), (p.W+p.KW)*p.InStride) }

func qconv(isa ISA, p *QConvParams, in, wp, out, scratch []byte, oy0, oy1 int) {
	k, is, n := qconvDepth(p), p.InStride, qconvSize(p)
	if !qconvValid(p) || len(in) < p.H*p.W*is || len(out) < p.OH*p.OW*p.OutStride || len(scratch) < qconvScratch(p) || len(wp) < n ||
		oy0 < 0 || oy1 > p.OH || uintptr(unsafe.Pointer(unsafe.SliceData(wp)))%4 != 0 ||
		binary.LittleEndian.Uint32(wp) != qconvMagic || int(binary.LittleEndian.Uint32(wp[8:])) != p.Cout || int(binary.LittleEndian.Uint32(wp[12:])) != k {
		panic(fmt.Sprintf("kernels: QConv: bad arguments %+v with in %d, packed %d (want %d), out %d, scratch %d bytes, rows [%d, %d)",
			*p, len(in), len(wp), n, len(out), len(scratch), oy0, oy1))
	}
	if oy0 >= oy1 || p.OW == 0 {
		return
	}
	g := PackedGemmS8Size(p.Cout, k)
	if qconvDirect(p) && qconvArch(isa, p, in, wp[qdwHeader+g+8*p.Cout:], out, scratch, oy0, oy1) {
		return
	}
	bp := unsafe.Slice((*int8)(unsafe.Pointer(&wp[qdwHeader])), g)
	comp := unsafe.Slice((*int32)(unsafe.Pointer(&wp[qdwHeader+g])), p.Cout)
	mult := unsafe.Slice((*float32)(unsafe.Pointer(&wp[qdwHeader+g+4*p.Cout])), p.Cout)
	a := scratch[:p.OW*k]
	xzp := byte(p.XZP)
	row := p.KW * is // one kernel row of a pixel's unfolded inputs
	for oy := oy0; oy < oy1; oy++ {
		for ox := 0; ox < p.OW; ox++ {
			ix0 := ox*p.SW - p.PadL
			inside := ix0 >= 0 && ix0+p.KW <= p.W
			for kh := 0; kh < p.KH; kh++ {
				dst := a[ox*k+kh*row:][:row]
				iy := oy*p.SH - p.PadT + kh
				switch {
				case iy < 0 || iy >= p.H:
					fillBytes(dst, xzp)
				case inside:
					copy(dst, in[(iy*p.W+ix0)*is:][:row])
				default:
					for kw := 0; kw < p.KW; kw++ {
						if ix := ix0 + kw; ix >= 0 && ix < p.W {
							copy(dst[kw*is:][:is], in[(iy*p.W+ix)*is:][:is])
						} else {
							fillBytes(dst[kw*is:][:is], xzp)
						}
					}
				}
			}
		}
		QGemmU8S8ISA(isa, p.OW, p.Cout, k, a, k, bp, comp, mult, p.YZP, 0, 255, out[oy*p.OW*p.OutStride:], p.OutStride)
	}
}
