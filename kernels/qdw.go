package kernels

import (
	"encoding/binary"
	"fmt"
	"math"
	"unsafe"
)

// Int8 depthwise convolution on u8 NHWC bytes (issue #14).
//
// An activation byte x stands for the centred value x − zp. Per output
// pixel and channel c
//
//	acc = bias[c] + Σ_taps (x − XZP)·w[c][tap]   (a padding tap is XZP: it adds 0)
//	y   = clamp(roundEven(float32(acc)·mult[c]), −YZP, 255−YZP) + YZP
//
// which is ir.Requantize of the exact sum. The kernels compute it as
// bias'[c] + Σ x·w with bias' = bias − XZP·Σw folded at pack time, so
// padding pixels must read as XZP: the amd64 driver hands the kernels a
// row of XZP bytes for padding rows and a small XZP-filled patch for
// border columns. Weights are the centred values w − wzp and must fit int8
// (VPDPBUSD multiplies u8 by s8).
//
// The packed blob (PackQDW) starts with a qdwHeader-sized header naming its
// layout, then the channel blocks, each holding its weights, its bias' (int32)
// and its multipliers (float32):
//
//	layout 0 (qdwGroups, generic and AVX2): groups of 8 channels in order,
//	    per group KH·KW taps × 8 int32 weights, then 8 bias', 8 multipliers.
//	layout 1 (qdwVNNI, AVX-512 VNNI; 3×3 and 5×5): blocks of 64 channels,
//	    per block ⌈KH·KW/4⌉ quads of 4 taps (qdwVNNITap) × 4 vectors r ×
//	    16 dwords, the dword of lane k, element e holding channel
//	    16k+4r+e's weights for the quad's taps (the order VPUNPCK{L,H}BW
//	    then VPUNPCK{L,H}WD of four tap vectors leaves the channels in);
//	    then 64 bias' and 64 multipliers in that same order (vector r,
//	    dword 4k+e).
//	layout 3 (qdwTaps, pure Go): per tap C int32 weights, then C bias',
//	    C multipliers.
//	layout 4 (qdwNEON): the channels rounded up to 4 (c4) in blocks of
//	    16, then one of 8 and one of 4 as c4 needs; a block of n channels
//	    holds n int32 bias', n float32 multipliers, then per tap n int16
//	    weights (codegen/neon/qdw.go).
//	layout 2 (qdwPairs, AVX2 3×3): groups of 8 channels in order, per
//	    kernel column kw 8 dwords of int16 pairs (w[0][kw], w[1][kw]) and
//	    8 int32 w[2][kw], then 8 bias', 8 multipliers (256 bytes a group).

// QDWParams describes an int8 depthwise convolution of one image.
type QDWParams struct {
	H, W, C    int // input
	KH, KW     int
	SH, SW     int
	PadT, PadL int // bottom/right padding is implied by OH, OW
	OH, OW     int
	// InStride, OutStride are the bytes between pixels of in and out:
	// multiples of 4, at least C (the bytes past C are don't-care).
	InStride, OutStride int
	XZP, YZP            int32 // zero-point bytes of input and output, 0..255
}

const (
	qdwHeader = 64 // bytes before the first block
	qdwMagic  = 0x31574451

	qdwGroups = 0 // layout 0: 8-channel groups, int32 weights
	qdwVNNI   = 1 // layout 1: 64-channel blocks of tap quads
	qdwPairs  = 2 // layout 2: 3×3, 8-channel groups of (row 0, row 1) word pairs and row 2
	qdwTaps   = 3 // layout 3: tap-major int32 weights (the Go path)
	qdwNEON   = 4 // layout 4: NEON blocks of 16/8/4 channels, int16 weights
)

// qdwMaxAbsAcc bounds |Σ x·w| (25 taps of 255·128 for 5×5; larger
// kernels are checked against their own tap count).
func qdwSumBound(taps int) int64 { return int64(taps) * 255 * 128 }

// qdwLayoutSize is the packed size in bytes of layout l.
func qdwLayoutSize(l, c, kh, kw int) int {
	taps := kh * kw
	switch l {
	case qdwVNNI:
		n := qdwHeader + (c+63)/64*((taps+3)/4*256+512)
		if qdwHasPairs(l, c, kh, kw) {
			n += qdwPairBlock
		}
		return n
	case qdwPairs:
		return qdwHeader + (c+7)/8*256
	case qdwTaps:
		return qdwHeader + (taps+2)*4*c
	case qdwNEON:
		return qdwHeader + (c+3)&^3*(8+2*taps)
	}
	return qdwHeader + (c+7)/8*(taps+2)*32
}

// qdwPairBlock is the size of a 3×3 layout-1 block of 64 channels.
const qdwPairBlock = 3*256 + 512

// qdwHasPairs reports whether a layout-1 blob ends with a second block of
// its 32 (16) channels 2 (4) times over: 3×3 convs on 32 (16)-byte pixels
// run 2 (4) pixels per 64-byte vector with it (kernels/qdw_amd64.go).
func qdwHasPairs(l, c, kh, kw int) bool {
	return l == qdwVNNI && (c == 32 || c == 16) && kh == 3 && kw == 3
}

// qdwCheckWeights validates PackQDW's operands and returns bias' (bias −
// xzp·Σw per channel).
func qdwCheckWeights(w, bias []int32, mult []float32, xzp int32, c, kh, kw int) ([]int32, error) {
	taps := kh * kw
	if c < 0 || kh < 1 || kw < 1 || len(w) != c*taps || len(mult) != c || bias != nil && len(bias) != c || xzp < 0 || xzp > 255 {
		return nil, fmt.Errorf("kernels: PackQDW: %d weights, %d multipliers, %d biases for %d channels of %d×%d taps (input zero point %d)", len(w), len(mult), len(bias), c, kh, kw, xzp)
	}
	bp := make([]int32, c)
	for ch := 0; ch < c; ch++ {
		if m := float64(mult[ch]); math.IsInf(m, 0) || m != m {
			return nil, fmt.Errorf("kernels: PackQDW: channel %d multiplier %v is not finite", ch, mult[ch])
		}
		var s int64
		for _, v := range w[ch*taps : (ch+1)*taps] {
			if v < -128 || v > 127 {
				return nil, fmt.Errorf("kernels: PackQDW: channel %d centred weight %d does not fit int8", ch, v)
			}
			s += int64(v)
		}
		b := -int64(xzp) * s
		if bias != nil {
			b += int64(bias[ch])
		}
		if lim := int64(math.MaxInt32) - qdwSumBound(taps); b > lim || b < -lim {
			return nil, fmt.Errorf("kernels: PackQDW: channel %d bias %d could overflow the int32 accumulator", ch, b)
		}
		bp[ch] = int32(b)
	}
	return bp, nil
}

// packQDWLayout packs for layout l (see the package comment above).
func packQDWLayout(l int, dst []byte, w, bias []int32, mult []float32, xzp int32, c, kh, kw int) error {
	bp, err := qdwCheckWeights(w, bias, mult, xzp, c, kh, kw)
	if err != nil {
		return err
	}
	n := qdwLayoutSize(l, c, kh, kw)
	if len(dst) < n {
		return fmt.Errorf("kernels: PackQDW: dst has %d bytes, want %d", len(dst), n)
	}
	dst = dst[:n]
	clear(dst)
	if qdwHasPairs(l, c, kh, kw) {
		var w2, b2 []int32
		var m2 []float32
		for range 64 / c {
			w2, m2 = append(w2, w...), append(m2, mult...)
			if bias != nil {
				b2 = append(b2, bias...)
			}
		}
		tmp := make([]byte, qdwLayoutSize(l, 64, kh, kw))
		if err := packQDWLayout(l, tmp, w2, b2, m2, xzp, 64, kh, kw); err != nil {
			return err
		}
		copy(dst[n-qdwPairBlock:], tmp[qdwHeader:])
	}
	le := binary.LittleEndian
	le.PutUint32(dst[0:], qdwMagic)
	le.PutUint32(dst[4:], uint32(l))
	le.PutUint32(dst[8:], uint32(c))
	le.PutUint32(dst[12:], uint32(kh))
	le.PutUint32(dst[16:], uint32(kw))
	taps := kh * kw
	for ch := 0; ch < c; ch++ {
		wo, bo, mo := qdwOffsets(l, ch, taps, c)
		for t := 0; t < taps; t++ {
			v := w[ch*taps+t]
			switch {
			case l == qdwVNNI:
				dst[wo+qdwVNNITap(kw, t)] = byte(int8(v))
			case l == qdwPairs && t < 6:
				le.PutUint16(dst[wo+64*(t%3)+2*(t/3):], uint16(int16(v)))
			case l == qdwPairs:
				le.PutUint32(dst[wo+64*(t%3)+32:], uint32(v))
			case l == qdwTaps:
				le.PutUint32(dst[wo+4*c*t:], uint32(v))
			case l == qdwNEON:
				le.PutUint16(dst[wo+2*qdwNEONBlock(c, ch)*t:], uint16(int16(v)))
			default:
				le.PutUint32(dst[wo+32*t:], uint32(v))
			}
		}
		le.PutUint32(dst[bo:], uint32(bp[ch]))
		le.PutUint32(dst[mo:], math.Float32bits(mult[ch]))
	}
	return nil
}

// qdwVNNITap is the byte offset of tap t's weight from the weight of tap
// 0 in layout 1: its quad (256 bytes each) and byte within the channel's
// dword. A 3×3 quad is a kernel column (kh in bytes 0..2), so that the
// kernels build each input column's quad once; other kernels group 4
// consecutive row-major taps.
func qdwVNNITap(k, t int) int {
	if k == 3 {
		return t%3*256 + t/3
	}
	return t/4*256 + t%4
}

// qdwOffsets returns where channel ch's tap-0 weight, bias' and multiplier
// are in layout l.
func qdwOffsets(l, ch, taps, c int) (w, b, m int) {
	if l == qdwVNNI {
		blk := qdwHeader + ch/64*((taps+3)/4*256+512)
		i := ch % 64 // = 16k + 4r + e
		k, r, e := i/16, i%16/4, i%4
		d := r*16 + 4*k + e // dword index within the block's vectors
		return blk + 4*d, blk + (taps+3)/4*256 + 4*d, blk + (taps+3)/4*256 + 256 + 4*d
	}
	if l == qdwTaps {
		return qdwHeader + 4*ch, qdwHeader + 4*(taps*c+ch), qdwHeader + 4*((taps+1)*c+ch)
	}
	if l == qdwNEON {
		n := qdwNEONBlock(c, ch)
		i := ch % n
		blk := qdwHeader + (ch-i)*(8+2*taps)
		return blk + 8*n + 2*i, blk + 4*i, blk + 4*n + 4*i
	}
	if l == qdwPairs {
		grp := qdwHeader + ch/8*256
		return grp + 4*(ch%8), grp + 192 + 4*(ch%8), grp + 224 + 4*(ch%8)
	}
	grp := qdwHeader + ch/8*(taps+2)*32
	return grp + 4*(ch%8), grp + taps*32 + 4*(ch%8), grp + (taps+1)*32 + 4*(ch%8)
}

// qdwNEONBlock is the size (16, 8 or 4) of layout 4's block holding
// channel ch of c: blocks of 16, then one of 8 and one of 4 as
// (c+3)&^3 needs. A block starts at a multiple of its size.
func qdwNEONBlock(c, ch int) int {
	c4 := (c + 3) &^ 3
	switch {
	case ch < c4&^15:
		return 16
	case ch < c4&^7:
		return 8
	}
	return 4
}

// qdwBlob reads a packed blob's header: its layout, or an error when it is
// not a PackQDW blob for c channels of kh×kw taps.
func qdwBlob(wp []byte, c, kh, kw int) (int, error) {
	if len(wp) < qdwHeader {
		return 0, fmt.Errorf("kernels: QDWConv: packed weights have %d bytes", len(wp))
	}
	le := binary.LittleEndian
	l := int(le.Uint32(wp[4:]))
	if le.Uint32(wp) != qdwMagic || l != qdwGroups && l != qdwVNNI && l != qdwTaps && l != qdwNEON && (l != qdwPairs || kh != 3 || kw != 3) || int(le.Uint32(wp[8:])) != c || int(le.Uint32(wp[12:])) != kh || int(le.Uint32(wp[16:])) != kw ||
		len(wp) < qdwLayoutSize(l, c, kh, kw) {
		return 0, fmt.Errorf("kernels: QDWConv: packed weights are not a %d-channel %d×%d PackQDW blob", c, kh, kw)
	}
	return l, nil
}

// checkQDWArgs panics (a caller bug: plans validate shapes) when the
// slices cannot hold what p describes.
func checkQDWArgs(p *QDWParams, in, out, scratch int, need int, oy0, oy1 int) {
	ok := p.C >= 1 && p.KH >= 1 && p.KW >= 1 && p.SH >= 1 && p.SW >= 1 && p.PadT >= 0 && p.PadL >= 0 &&
		p.InStride >= p.C && p.OutStride >= p.C && p.InStride%4 == 0 && p.OutStride%4 == 0 &&
		p.XZP >= 0 && p.XZP <= 255 && p.YZP >= 0 && p.YZP <= 255 &&
		in >= p.H*p.W*p.InStride && out >= p.OH*p.OW*p.OutStride && scratch >= need && 0 <= oy0 && oy1 <= p.OH
	if !ok {
		panic(fmt.Sprintf("kernels: QDWConv: bad arguments %+v with in %d, out %d, scratch %d (want %d) bytes, rows [%d, %d)", *p, in, out, scratch, need, oy0, oy1))
	}
}

// requantByte is ir.Requantize to a u8 of zero point zp, mult finite.
func requantByte(acc int32, mult float32, zp int32) byte {
	v := float32(acc) * mult
	v = max(min(v, float32(255-zp)), float32(-zp))
	return byte(int32(math.RoundToEven(float64(v))) + zp)
}

func fillQDWGeneric(s *Set) {
	s.PackedQDWSize = func(c, kh, kw int) int { return qdwLayoutSize(qdwTaps, c, kh, kw) }
	s.PackQDW = func(dst []byte, w, bias []int32, mult []float32, xzp int32, c, kh, kw int) error {
		return packQDWLayout(qdwTaps, dst, w, bias, mult, xzp, c, kh, kw)
	}
	s.QDWScratchSize = func(p *QDWParams) int { return 0 }
	s.QDWConv = func(p *QDWParams, in, wp, out, scratch []byte, oy0, oy1 int) {
		checkQDWArgs(p, len(in), len(out), len(scratch), 0, oy0, oy1)
		l, err := qdwBlob(wp, p.C, p.KH, p.KW)
		if err != nil {
			panic(err.Error())
		}
		qdwGeneric(l, p, in, wp, out, oy0, oy1)
	}
}

// qdwGeneric is the pure-Go depthwise conv: qdwTapsGo on layout 3,
// qdwAnyGo (slow: weights read one by one) on the others.
func qdwGeneric(l int, p *QDWParams, in, wp, out []byte, oy0, oy1 int) {
	if l == qdwTaps && uintptr(unsafe.Pointer(unsafe.SliceData(wp)))%4 == 0 {
		qdwTapsGo(p, in, wp, out, oy0, oy1)
		return
	}
	qdwAnyGo(l, p, in, wp, out, oy0, oy1)
}

// qdwChunk is how many channels qdwTapsGo sums at a time (on the stack).
const qdwChunk = 256

// qdwTapsGo runs layout 3: per pixel and chunk of channels, int32 sums
// tap by tap over contiguous channels (a padding tap reads zero-point
// bytes), then the requantization (clamped before rounding, by the
// 1.5·2^23 trick: exact, the bounds are integers below 2^22).
func qdwTapsGo(p *QDWParams, in, wp, out []byte, oy0, oy1 int) {
	taps, c := p.KH*p.KW, p.C
	w := unsafe.Slice((*int32)(unsafe.Pointer(&wp[qdwHeader])), (taps+2)*c)
	var zp [qdwChunk]byte
	for i := range zp {
		zp[i] = byte(p.XZP)
	}
	const magic = 0x1.8p23
	lo, hi, yzp := float32(-p.YZP), float32(255-p.YZP), p.YZP
	var acc [qdwChunk]int32
	for oy := oy0; oy < oy1; oy++ {
		for ox := 0; ox < p.OW; ox++ {
			o := out[(oy*p.OW+ox)*p.OutStride:][:c]
			for c0 := 0; c0 < c; c0 += qdwChunk {
				n := min(qdwChunk, c-c0)
				a := acc[:n]
				copy(a, w[taps*c+c0:][:n])
				for kh := 0; kh < p.KH; kh++ {
					iy := oy*p.SH - p.PadT + kh
					for kw := 0; kw < p.KW; kw++ {
						ix := ox*p.SW - p.PadL + kw
						x := zp[:n]
						if iy >= 0 && iy < p.H && ix >= 0 && ix < p.W {
							x = in[(iy*p.W+ix)*p.InStride+c0:][:n]
						}
						wt := w[(kh*p.KW+kw)*c+c0:][:n]
						for i := range a {
							a[i] += int32(x[i]) * wt[i]
						}
					}
				}
				m := w[(taps+1)*c+c0:][:n]
				oc := o[c0:][:n]
				for i, v := range a {
					r := float32(v) * math.Float32frombits(uint32(m[i]))
					r = max(min(r, hi), lo)
					r = float32(r+magic) - magic
					oc[i] = byte(int32(r) + yzp)
				}
			}
		}
	}
}

// qdwAnyGo is the pure-Go depthwise conv on any layout.
func qdwAnyGo(l int, p *QDWParams, in, wp, out []byte, oy0, oy1 int) {
	qdwAnyGoChannels(l, p, in, wp, out, oy0, oy1, 0, p.C)
}

// qdwAnyGoChannels is qdwAnyGo for channels [c0, c1).
func qdwAnyGoChannels(l int, p *QDWParams, in, wp, out []byte, oy0, oy1, c0, c1 int) {
	le := binary.LittleEndian
	taps := p.KH * p.KW
	xzp := int32(p.XZP)
	for ch := c0; ch < c1; ch++ {
		wo, bo, mo := qdwOffsets(l, ch, taps, p.C)
		var w [64]int32 // up to 8×8 taps from the blob; larger kernels read it per tap
		wt := func(t int) int32 {
			switch {
			case l == qdwVNNI:
				return int32(int8(wp[wo+qdwVNNITap(p.KW, t)]))
			case l == qdwPairs && t < 6:
				return int32(int16(le.Uint16(wp[wo+64*(t%3)+2*(t/3):])))
			case l == qdwPairs:
				return int32(le.Uint32(wp[wo+64*(t%3)+32:]))
			case l == qdwTaps:
				return int32(le.Uint32(wp[wo+4*p.C*t:]))
			case l == qdwNEON:
				return int32(int16(le.Uint16(wp[wo+2*qdwNEONBlock(p.C, ch)*t:])))
			}
			return int32(le.Uint32(wp[wo+32*t:]))
		}
		for t := 0; t < min(taps, len(w)); t++ {
			w[t] = wt(t)
		}
		b := int32(le.Uint32(wp[bo:]))
		m := math.Float32frombits(le.Uint32(wp[mo:]))
		for oy := oy0; oy < oy1; oy++ {
			for ox := 0; ox < p.OW; ox++ {
				acc := b
				for kh := 0; kh < p.KH; kh++ {
					iy := oy*p.SH - p.PadT + kh
					for kw := 0; kw < p.KW; kw++ {
						ix := ox*p.SW - p.PadL + kw
						x := xzp
						if iy >= 0 && iy < p.H && ix >= 0 && ix < p.W {
							x = int32(in[(iy*p.W+ix)*p.InStride+ch])
						}
						t := kh*p.KW + kw
						if t < len(w) {
							acc += x * w[t]
						} else {
							acc += x * wt(t)
						}
					}
				}
				out[(oy*p.OW+ox)*p.OutStride+ch] = requantByte(acc, m, p.YZP)
			}
		}
	}
}

// qdwNoVNNI (tests) makes the AVX-512 Set run the AVX2 kernels on the
// layout-0 blobs PackQDW then writes, as on AVX-512 machines without VNNI.
var qdwNoVNNI bool

func fillBytes(b []byte, v byte) {
	for i := range b {
		b[i] = v
	}
}
