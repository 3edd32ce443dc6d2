package main

import (
	"fmt"

	"github.com/mnc-go/mnc/codegen/neon/enc"
)

// Activation codes passed to every kernel in its act argument; they equal
// kernels.Act (and ir.Act). Sigmoid and Swish have no NEON epilogue: the Go
// wrappers pass actNone and apply them afterwards.
const (
	actNone        = 0
	actRelu        = 1
	actClip        = 2
	actHardSwish   = 3
	actHardSigmoid = 4
)

// The ep argument points at 4 float32 constants whose meaning depends on
// act (the Go wrapper fills them; see kernels.neonEpilogue):
//
//	relu:        0
//	clip:        min, max
//	hardswish:   3, 0, 6, 1/6
//	hardsigmoid: alpha, beta, 0, 1
//
// loadActConsts replicates them into v[k], v[k+1], v[k+2], v[k+3] with one
// LD4R, so every activation finds its constants in the same registers.
func (f *Func) loadActConsts(epReg, k int) {
	f.I("VLD4R (R%d), %s", epReg, VList(k, k+1, k+2, k+3))
}

// activate applies the activation selected by register actReg to accs,
// using the constants in v[k..k+3] and temps (at least one register) as
// scratch. NaN propagates: FMAX/FMIN (not FMAXNM/FMINNM) return NaN when
// either input is NaN, matching ir.ApplyAct. Hard-swish multiplies by 1/6
// instead of dividing by 6 (≤ 1 ulp from ir.ApplyAct, and no FDIV in the
// inner loop). Hard-sigmoid computes beta + alpha·x with one FMLA, the same
// single rounding Go's compiler produces for alpha*x + beta on arm64.
// Control continues at label prefix+"_actdone".
func (f *Func) activate(prefix string, actReg int, accs, temps []int, k int) {
	done := prefix + "_actdone"
	f.I("CBZ R%d, %s", actReg, done)
	f.I("CMP $%d, R%d", actRelu, actReg)
	f.I("BEQ %s_relu", prefix)
	f.I("CMP $%d, R%d", actClip, actReg)
	f.I("BEQ %s_clip", prefix)
	f.I("CMP $%d, R%d", actHardSwish, actReg)
	f.I("BEQ %s_hswish", prefix)
	f.I("CMP $%d, R%d", actHardSigmoid, actReg)
	f.I("BEQ %s_hsig", prefix)
	f.I("B %s", done)

	f.Label(prefix + "_relu")
	for _, a := range accs {
		f.W(enc.FMAX(a, a, k))
	}
	f.I("B %s", done)

	f.Label(prefix + "_clip")
	for _, a := range accs {
		f.W(enc.FMAX(a, a, k))
	}
	for _, a := range accs {
		f.W(enc.FMIN(a, a, k+1))
	}
	f.I("B %s", done)

	// x·min(max(x+3, 0), 6)·(1/6), in steps over all accumulators so that
	// independent instructions are adjacent.
	f.Label(prefix + "_hswish")
	for start := 0; start < len(accs); start += len(temps) {
		end := min(start+len(temps), len(accs))
		for i := start; i < end; i++ {
			f.W(enc.FADD(temps[i-start], accs[i], k))
		}
		for i := start; i < end; i++ {
			t := temps[i-start]
			f.W(enc.FMAX(t, t, k+1))
		}
		for i := start; i < end; i++ {
			t := temps[i-start]
			f.W(enc.FMIN(t, t, k+2))
		}
		for i := start; i < end; i++ {
			f.W(enc.FMUL(accs[i], accs[i], temps[i-start]))
		}
		for i := start; i < end; i++ {
			f.W(enc.FMUL(accs[i], accs[i], k+3))
		}
	}
	f.I("B %s", done)

	// min(max(beta + alpha·x, 0), 1)
	f.Label(prefix + "_hsig")
	for start := 0; start < len(accs); start += len(temps) {
		end := min(start+len(temps), len(accs))
		for i := start; i < end; i++ {
			f.vmov(k+1, temps[i-start])
		}
		for i := start; i < end; i++ {
			f.I("VFMLA %s, %s, %s", V(k), V(accs[i]), V(temps[i-start]))
		}
		for i := start; i < end; i++ {
			t := temps[i-start]
			f.W(enc.FMAX(t, t, k+2))
		}
		for i := start; i < end; i++ {
			f.W(enc.FMIN(accs[i], temps[i-start], k+3))
		}
	}
	f.Label(done)
}

// label makes a function-local label name.
func label(prefix string, parts ...any) string {
	s := prefix
	for _, p := range parts {
		s += fmt.Sprintf("_%v", p)
	}
	return s
}
