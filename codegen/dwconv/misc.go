package main

import (
	"fmt"
	"strings"

	"github.com/mnc-go/mnc/internal/epi"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The small kernels around the convolutions: global average pool, SE
// channel scale, add with activation, activation alone. All run over
// channels (or elements) in vectors with a masked tail; they are memory
// bound, so they are kept simple.

const (
	gapSig   = "func(in *float32, hw, c, pixStride int, out, scale *float32, mask *int32)"
	scaleSig = "func(in *float32, hw, c int, s, out *float32, mask *int32)"
	addSig   = "func(a, b, out *float32, n int, ep *float32, mode int, mask *int32)"
	actSig   = "func(x, out *float32, n int, ep *float32, mode int, mask *int32)"
	rqSig    = "func(in *float32, hw, c int, s, out, ep *float32, mask *int32)"
	quantSig = "func(x, out *float32, n int, p *float32, mask *int32)"
	qaddSig  = "func(a, b, out *float32, n int, p *float32, mask *int32)"
)

func miscName(op string, t *target) string { return op + t.Name }

func genMisc(t *target) {
	genGAvgPool(t)
	genScaleChannels(t)
	genRequantChannels(t)
	genQuantize(t)
	genQAdd(t)
	genQAddU8(t)
	genLUTBytes(t)
	genElementwise(t, true)
	genElementwise(t, false)
	genInterleave3(t)
	genExpSum(t)
	genSigmoid(t)
	genMax(t)
}

// channelLoop emits: for j over full vectors of c channels (bytes), body;
// then the masked tail. cs is c·4 and jend the byte offset of the tail.
func channelLoop(t *target, cs, jend GPVirtual, body func(j GPVirtual)) {
	j := GP64()
	XORQ(j, j)
	top, tail, done := uniq("chan"), uniq("chan_tail"), uniq("chan_done")
	Label(top)
	CMPQ(j, jend)
	JAE(LabelRef(tail))
	t.masked = false
	body(j)
	ADDQ(U8(t.bytes()), j)
	JMP(LabelRef(top))
	Label(tail)
	CMPQ(j, cs)
	JAE(LabelRef(done))
	t.masked = true
	body(j)
	t.masked = false
	Label(done)
}

// channelBounds loads count parameter name and returns (count·4, the byte
// offset where the partial vector starts), with the tail mask set up.
func channelBounds(t *target, name string) (cs, jend GPVirtual) {
	c := loadGP(name)
	cs, jend = GP64(), GP64()
	MOVQ(c, cs)
	SHLQ(U8(2), cs)
	MOVQ(c, jend)
	ANDQ(I32(^(t.VL - 1)), jend)
	SHLQ(U8(2), jend)
	t.setupTail(c)
	return cs, jend
}

func genGAvgPool(t *target) {
	name := miscName("GlobalAvgPool", t)
	TEXT(name, NOSPLIT, gapSig)
	Pragma("noescape")
	Doc(name + " sets out[c] = scale · sum over hw pixels of in, for c channels of pixels pixStride floats apart; scale is 1/hw.")
	in := loadGP("in")
	out := loadGP("out")
	sp := loadGP("scale")
	scale := t.vec()
	VBROADCASTSS(Mem{Base: sp}, scale)
	cb, jend := channelBounds(t, "c")
	cs := loadGP("pixStride") // bytes from one pixel to the next
	SHLQ(U8(2), cs)
	channelLoop(t, cb, jend, func(j GPVirtual) {
		// Four accumulators over consecutive pixels hide the add latency.
		acc := []VecVirtual{t.vec(), t.vec(), t.vec(), t.vec()}
		for _, a := range acc {
			VXORPS(a, a, a)
		}
		p := GP64()
		LEAQ(Mem{Base: in, Index: j, Scale: 1}, p)
		n := loadGP("hw")
		four, one, sum := uniq("gap4"), uniq("gap1"), uniq("gapsum")
		Label(four)
		CMPQ(n, U8(4))
		JB(LabelRef(one))
		for i, a := range acc {
			x := t.vec()
			t.load(colAddr(p, cs, i), x)
			VADDPS(x, a, a)
		}
		LEAQ(Mem{Base: p, Index: cs, Scale: 4}, p)
		SUBQ(U8(4), n)
		JMP(LabelRef(four))
		Label(one)
		TESTQ(n, n)
		JZ(LabelRef(sum))
		x := t.vec()
		t.load(Mem{Base: p}, x)
		VADDPS(x, acc[0], acc[0])
		ADDQ(cs, p)
		DECQ(n)
		JMP(LabelRef(one))
		Label(sum)
		VADDPS(acc[1], acc[0], acc[0])
		VADDPS(acc[3], acc[2], acc[2])
		VADDPS(acc[2], acc[0], acc[0])
		VMULPS(scale, acc[0], acc[0])
		t.store(acc[0], Mem{Base: out, Index: j, Scale: 1})
	})
	VZEROUPPER()
	RET()
}

func genScaleChannels(t *target) {
	name := miscName("ScaleChannels", t)
	TEXT(name, NOSPLIT, scaleSig)
	Pragma("noescape")
	Doc(name + " sets out[p][c] = in[p][c]·s[c] for hw pixels (out may be in).")
	in := loadGP("in")
	out := loadGP("out")
	s := loadGP("s")
	n := loadGP("hw")
	cs, jend := channelBounds(t, "c")
	TESTQ(n, n)
	JZ(LabelRef("done"))
	Label("pixel")
	channelLoop(t, cs, jend, func(j GPVirtual) {
		x, sv := t.vec(), t.vec()
		t.load(Mem{Base: in, Index: j, Scale: 1}, x)
		t.load(Mem{Base: s, Index: j, Scale: 1}, sv)
		VMULPS(sv, x, x)
		t.store(x, Mem{Base: out, Index: j, Scale: 1})
	})
	ADDQ(cs, in)
	ADDQ(cs, out)
	DECQ(n)
	JNZ(LabelRef("pixel"))
	Label("done")
	VZEROUPPER()
	RET()
}

// genElementwise emits Add (out = Act(a+b)) or Act (out = Act(x)).
func genElementwise(t *target, add bool) {
	op, sig, doc := "Act", actSig, " sets out[i] = Act(x[i]) for n elements (out may be x)."
	if add {
		op, sig, doc = "Add", addSig, " sets out[i] = Act(a[i]+b[i]) for n elements (out may alias a or b)."
	}
	name := miscName(op, t)
	TEXT(name, NOSPLIT, sig)
	Pragma("noescape")
	Doc(name + doc)
	var a, b GPVirtual
	if add {
		a, b = loadGP("a"), loadGP("b")
	} else {
		a = loadGP("x")
	}
	out := loadGP("out")
	ac := loadActConsts(t)
	ns, nend := channelBounds(t, "n")
	channelLoop(t, ns, nend, func(i GPVirtual) {
		x := t.vec()
		t.load(Mem{Base: a, Index: i, Scale: 1}, x)
		if add {
			y := t.vec()
			t.load(Mem{Base: b, Index: i, Scale: 1}, y)
			VADDPS(y, x, x)
		}
		activate(t, ac, x)
		t.store(x, Mem{Base: out, Index: i, Scale: 1})
	})
	VZEROUPPER()
	RET()
}

// genRequantChannels is epi.Requant for the kernels that do not fuse it
// (the stem convolution; depthwise kernels have epi.Requant): one multiplier per channel, round to
// nearest even, integer clamp.
func genRequantChannels(t *target) {
	name := miscName("RequantChannels", t)
	TEXT(name, NOSPLIT, rqSig)
	Pragma("noescape")
	Doc(name + " sets out[p][c] = min(max(roundEven(in[p][c]·s[c]), Lo), Hi) for hw pixels, Lo and Hi from the epilogue block ep (out may be in; finite inputs).")
	in := loadGP("in")
	out := loadGP("out")
	s := loadGP("s")
	n := loadGP("hw")
	ep := loadGP("ep")
	lo, hi := t.vec(), t.vec()
	VBROADCASTSS(Mem{Base: ep, Disp: epi.OffLo}, lo)
	VBROADCASTSS(Mem{Base: ep, Disp: epi.OffHi}, hi)
	cs, jend := channelBounds(t, "c")
	TESTQ(n, n)
	JZ(LabelRef("done"))
	Label("pixel")
	channelLoop(t, cs, jend, func(j GPVirtual) {
		x, sv := t.vec(), t.vec()
		t.load(Mem{Base: in, Index: j, Scale: 1}, x)
		t.load(Mem{Base: s, Index: j, Scale: 1}, sv)
		VMULPS(sv, x, x)
		if t.VL == 16 {
			VRNDSCALEPS(U8(0), x, x) // imm 0: round to nearest even
		} else {
			VROUNDPS(U8(0), x, x)
		}
		VMAXPS(lo, x, x)
		VMINPS(hi, x, x)
		t.store(x, Mem{Base: out, Index: j, Scale: 1})
	})
	ADDQ(cs, in)
	ADDQ(cs, out)
	DECQ(n)
	JNZ(LabelRef("pixel"))
	Label("done")
	VZEROUPPER()
	RET()
}

// roundEven rounds x to the nearest integer, ties to even.
func roundEven(t *target, x VecVirtual) {
	if t.VL == 16 {
		VRNDSCALEPS(U8(0), x, x)
	} else {
		VROUNDPS(U8(0), x, x)
	}
}

// genQuantize is QuantizeLinear with a per-tensor scale (ir.Quantize):
// p holds s, Lo, Hi (the type's range minus zp) and zp. x/s is VDIVPS
// (IEEE, as Go's float32 division); NaN becomes 0 before the clamp
// (max(q, 0) + min(q, 0) with NaN taking the 0 operand), then clamp,
// round to nearest even, + zp.
func genQuantize(t *target) {
	name := miscName("Quantize", t)
	TEXT(name, NOSPLIT, quantSig)
	Pragma("noescape")
	Doc(name + " sets out[i] = clamp(roundEven(x[i]/s), Lo, Hi) + zp for n elements, p = {s, Lo, Hi, zp}; NaN gives zp (out may be x).")
	x := loadGP("x")
	out := loadGP("out")
	p := loadGP("p")
	sc, lo, hi, zp, zero := t.vec(), t.vec(), t.vec(), t.vec(), t.vec()
	for i, v := range []VecVirtual{sc, lo, hi, zp} {
		VBROADCASTSS(Mem{Base: p, Disp: 4 * i}, v)
	}
	VXORPS(zero, zero, zero)
	ns, nend := channelBounds(t, "n")
	channelLoop(t, ns, nend, func(i GPVirtual) {
		q, y := t.vec(), t.vec()
		t.load(Mem{Base: x, Index: i, Scale: 1}, q)
		VDIVPS(sc, q, q)
		VMINPS(zero, q, y) // NaN → 0 (MINPS returns its second source)
		VMAXPS(zero, q, q)
		VADDPS(y, q, q)
		VMAXPS(lo, q, q)
		VMINPS(hi, q, q)
		roundEven(t, q)
		VADDPS(zp, q, q)
		t.store(q, Mem{Base: out, Index: i, Scale: 1})
	})
	VZEROUPPER()
	RET()
}

// genQAdd is mnc.QAdd on centred operands (ir.QAdd): p holds as, bs, cs,
// Lo, Hi. Separate multiplies, add and divide (no FMA), as the Go definition;
// the caller guarantees no NaN (finite scales that cannot overflow).
func genQAdd(t *target) {
	name := miscName("QAdd", t)
	TEXT(name, NOSPLIT, qaddSig)
	Pragma("noescape")
	Doc(name + " sets out[i] = clamp(roundEven((a[i]·as + b[i]·bs)/cs), Lo, Hi) for n elements, p = {as, bs, cs, Lo, Hi} (out may alias a or b).")
	a := loadGP("a")
	b := loadGP("b")
	out := loadGP("out")
	p := loadGP("p")
	as, bs, m, lo, hi := t.vec(), t.vec(), t.vec(), t.vec(), t.vec()
	for i, v := range []VecVirtual{as, bs, m, lo, hi} {
		VBROADCASTSS(Mem{Base: p, Disp: 4 * i}, v)
	}
	ns, nend := channelBounds(t, "n")
	channelLoop(t, ns, nend, func(i GPVirtual) {
		x, y := t.vec(), t.vec()
		t.load(Mem{Base: a, Index: i, Scale: 1}, x)
		t.load(Mem{Base: b, Index: i, Scale: 1}, y)
		VMULPS(as, x, x)
		VMULPS(bs, y, y)
		VADDPS(y, x, x)
		VDIVPS(m, x, x)
		VMAXPS(lo, x, x)
		VMINPS(hi, x, x)
		roundEven(t, x)
		t.store(x, Mem{Base: out, Index: i, Scale: 1})
	})
	VZEROUPPER()
	RET()
}

// miscTable dispatches the stem kernels by their number of output vectors.
func miscTable() string {
	var b strings.Builder
	for _, t := range targets {
		var cases [][2]string
		for nb := 1; nb <= stemMaxVectors; nb++ {
			cases = append(cases, [2]string{fmt.Sprint(nb), stemName(t, nb)})
		}
		dispatch(&b, fmt.Sprintf("StemConv%s runs the stem kernel with nb vectors of %d output channels; false if none is generated.", t.Name, t.VL),
			"StemConv"+t.Name, "nb int", "nb", stemSig, cases)
	}
	return b.String()
}

// qaddU8Sig is QAddU8's signature: n is a multiple of 16.
const qaddU8Sig = "func(a, b, out *uint8, n int, p *float32)"

// genQAddU8 is mnc.QAdd on bytes (AVX-512 only): a byte x stands for the
// centred value x − zp. p holds as, bs, cs, Lo, Hi, zpa, zpb, zpy (as
// float32). Per 16 bytes: VPMOVZXBD, VCVTDQ2PS, − zp (exact), then the
// float path's arithmetic (separate multiplies, add and divide, clamp, round to
// nearest even), + zpy, VCVTTPS2DQ (exact), VPMOVDB. The caller
// guarantees no NaN (finite scales that cannot overflow).
func genQAddU8(t *target) {
	if t.VL != 16 {
		return
	}
	name := miscName("QAddU8", t)
	TEXT(name, NOSPLIT, qaddU8Sig)
	Pragma("noescape")
	Doc(name + " sets out[i] = clamp(roundEven(((a[i]−zpa)·as + (b[i]−zpb)·bs)/cs), Lo, Hi) + zpy for n bytes (a multiple of 16), p = {as, bs, cs, Lo, Hi, zpa, zpb, zpy}.")
	a := loadGP("a")
	b := loadGP("b")
	out := loadGP("out")
	n := loadGP("n")
	p := loadGP("p")
	var par [8]VecVirtual
	for i := range par {
		par[i] = t.vec()
		VBROADCASTSS(Mem{Base: p, Disp: 4 * i}, par[i])
	}
	as, bs, m, lo, hi, za, zb, zy := par[0], par[1], par[2], par[3], par[4], par[5], par[6], par[7]
	i := GP64()
	XORQ(i, i)
	Label("loop")
	CMPQ(i, n)
	JAE(LabelRef("done"))
	x, y := t.vec(), t.vec()
	VPMOVZXBD(Mem{Base: a, Index: i, Scale: 1}, x)
	VPMOVZXBD(Mem{Base: b, Index: i, Scale: 1}, y)
	VCVTDQ2PS(x, x)
	VCVTDQ2PS(y, y)
	VSUBPS(za, x, x)
	VSUBPS(zb, y, y)
	VMULPS(as, x, x)
	VMULPS(bs, y, y)
	VADDPS(y, x, x)
	VDIVPS(m, x, x)
	VMAXPS(lo, x, x)
	VMINPS(hi, x, x)
	roundEven(t, x)
	VADDPS(zy, x, x)
	VCVTTPS2DQ(x, x)
	VPMOVDB(x, Mem{Base: out, Index: i, Scale: 1})
	ADDQ(U8(16), i)
	JMP(LabelRef("loop"))
	Label("done")
	VZEROUPPER()
	RET()
}

// lutSig is LUTBytes' signature: n is a multiple of 64.
const lutSig = "func(in, out *uint8, n int, table *uint8)"

// genLUTBytes maps bytes through a 256-byte table (AVX-512 VBMI): the
// table in four registers, per 64 bytes two VPERMI2B lookups (index bits
// 0–6 in the lower and the upper 128 entries) and a VPBLENDMB on bit 7
// (VPMOVB2M).
func genLUTBytes(t *target) {
	if t.VL != 16 {
		return
	}
	name := miscName("LUTBytes", t) + "VBMI"
	TEXT(name, NOSPLIT, lutSig)
	Pragma("noescape")
	Doc(name + " sets out[i] = table[in[i]] for n bytes (a multiple of 64); needs AVX512_VBMI (out may be in).")
	in := loadGP("in")
	out := loadGP("out")
	n := loadGP("n")
	tp := loadGP("table")
	var tab [4]VecVirtual
	for i := range tab {
		tab[i] = ZMM()
		VMOVDQU64(Mem{Base: tp, Disp: 64 * i}, tab[i])
	}
	i := GP64()
	XORQ(i, i)
	Label("loop")
	CMPQ(i, n)
	JAE(LabelRef("done"))
	x, a, b := ZMM(), ZMM(), ZMM()
	k := K()
	VMOVDQU64(Mem{Base: in, Index: i, Scale: 1}, x)
	VMOVDQA64(x, a)
	VPERMI2B(tab[1], tab[0], a)
	VMOVDQA64(x, b)
	VPERMI2B(tab[3], tab[2], b)
	VPMOVB2M(x, k)
	VPBLENDMB(b, a, k, a)
	VMOVDQU64(a, Mem{Base: out, Index: i, Scale: 1})
	ADDQ(U8(64), i)
	JMP(LabelRef("loop"))
	Label("done")
	VZEROUPPER()
	RET()
}
