package main

import (
	"fmt"

	"github.com/mnc-go/mnc/internal/epi"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// Every kernel ends in the same activation epilogue, defined once in
// internal/epi (the GEMM and NEON generators read the same block):
//
//	epi.None:   y = x
//	epi.Clamp:  y = min(max(x, Lo), Hi)              Relu, Clip
//	epi.Affine: y = min(max(A·x+B, Lo), Hi)          HardSigmoid
//	epi.MulX:   y = x·min(max(A·x+B, Lo), Hi)        HardSwish
//	epi.Slope:  y = max(x, Lo) + A·min(x, Hi)        LeakyRelu
//	epi.SlopeC: y = max(x, Lo) + S[c]·min(x, Hi)     PRelu (depthwise and stem kernels;
//	            the elementwise kernels leave it to the Go wrappers)
//	epi.Requant: y = clamp(roundEven(S[c]·x))        int8 requantization (depthwise only,
//	            finite multipliers; the stem uses RequantChannels after the kernel)
//
// NaN must survive the clamps: MAXPS/MINPS return their second source
// (avo's first operand) when either input is NaN, so x goes first.

// actConsts are the broadcast A, B, Lo, Hi of the kernel's "ep" argument.
// Lazy constants are loaded by each epilogue instead of living in four
// registers for the whole kernel (the FMA-heavy kernels need them for
// accumulators).
type actConsts struct {
	a, b, lo, hi VecVirtual
	lazy         bool
}

func lazyActConsts() actConsts { return actConsts{lazy: true} }

func loadActConsts(t *target) actConsts {
	ep := loadGP("ep")
	c := actConsts{a: t.vec(), b: t.vec(), lo: t.vec(), hi: t.vec()}
	for i, v := range []VecVirtual{c.a, c.b, c.lo, c.hi} {
		VBROADCASTSS(Mem{Base: ep, Disp: []int{epi.OffA, epi.OffB, epi.OffLo, epi.OffHi}[i]}, v)
	}
	return c
}

var labelSeq int

// uniq returns a label name no other part of the current kernel uses.
func uniq(s string) string {
	labelSeq++
	return fmt.Sprintf("%s_%d", s, labelSeq)
}

// activate applies the epilogue to acc in place; mode is read from the
// "mode" argument (a perfectly predicted branch per call).
func activate(t *target, c actConsts, acc VecVirtual) { activateAll(t, c, []VecVirtual{acc}, nil) }

// activateAll applies the epilogue to every vector in accs, branching on
// the mode once for all of them; it needs one temporary register. slopeAt,
// when not nil, gives the address of accs' per-channel slopes relative to
// the block's Slopes pointer (all accs are the same channels): the kernel
// then implements epi.SlopeC.
func activateAll(t *target, c actConsts, accs []VecVirtual, slopeAt func(slopes GPVirtual) Mem) {
	done, clampX, mulX, slope := uniq("act_done"), uniq("act_clampx"), uniq("act_mulx"), uniq("act_slope")
	slopeC := uniq("act_slopec")
	mode := paramMem("mode")
	CMPQ(mode, U8(epi.Clamp))
	JB(LabelRef(done))
	if c.lazy {
		c = loadActConsts(t)
		CMPQ(mode, U8(epi.Clamp))
	}
	JE(LabelRef(clampX))
	CMPQ(mode, U8(epi.MulX))
	JE(LabelRef(mulX))
	CMPQ(mode, U8(epi.Slope))
	JE(LabelRef(slope))
	requant := uniq("act_requant")
	if slopeAt != nil {
		CMPQ(mode, U8(epi.SlopeC))
		JE(LabelRef(slopeC))
		CMPQ(mode, U8(epi.Requant))
		JE(LabelRef(requant))
	}
	for _, acc := range accs { // epi.Affine: y = clamp(A·x + B)
		VFMADD213PS(c.b, c.a, acc)
		VMAXPS(acc, c.lo, acc)
		VMINPS(acc, c.hi, acc)
	}
	JMP(LabelRef(done))
	Label(mulX) // epi.MulX: y = x·clamp(A·x + B)
	for _, acc := range accs {
		tv := t.vec()
		VMOVAPS(c.b, tv)
		VFMADD231PS(c.a, acc, tv)
		VMAXPS(tv, c.lo, tv)
		VMINPS(tv, c.hi, tv)
		VMULPS(tv, acc, acc)
	}
	JMP(LabelRef(done))
	Label(slope) // epi.Slope: y = max(x, Lo) + A·min(x, Hi)
	for _, acc := range accs {
		tv := t.vec()
		VMINPS(acc, c.hi, tv)
		VMAXPS(acc, c.lo, acc)
		VFMADD231PS(c.a, tv, acc)
	}
	JMP(LabelRef(done))
	if slopeAt != nil {
		Label(slopeC) // epi.SlopeC: y = max(x, Lo) + S[c]·min(x, Hi), S loaded like the bias
		sp := GP64()
		MOVQ(Mem{Base: loadGP("ep"), Disp: epi.OffSlopes}, sp)
		s := t.vec()
		t.load(slopeAt(sp), s)
		for _, acc := range accs {
			tv := t.vec()
			VMINPS(acc, c.hi, tv)
			VMAXPS(acc, c.lo, acc)
			VFMADD231PS(s, tv, acc)
		}
		JMP(LabelRef(done))
		Label(requant) // epi.Requant: y = clamp(roundEven(S[c]·x)), S loaded like the bias
		rp := GP64()
		MOVQ(Mem{Base: loadGP("ep"), Disp: epi.OffSlopes}, rp)
		m := t.vec()
		t.load(slopeAt(rp), m)
		for _, acc := range accs {
			VMULPS(m, acc, acc)
			if t.VL == 16 {
				VRNDSCALEPS(U8(0), acc, acc) // imm 0: round to nearest even
			} else {
				VROUNDPS(U8(0), acc, acc)
			}
			VMAXPS(acc, c.lo, acc)
			VMINPS(acc, c.hi, acc)
		}
		JMP(LabelRef(done))
	}
	Label(clampX) // epi.Clamp: y = clamp(x)
	for _, acc := range accs {
		VMAXPS(acc, c.lo, acc)
		VMINPS(acc, c.hi, acc)
	}
	Label(done)
}
