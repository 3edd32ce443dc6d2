package main

import (
	"fmt"

	"github.com/mnc-go/mnc/codegen/neon/enc"
	"github.com/mnc-go/mnc/internal/epi"
)

// Every kernel takes its epilogue as the shared block of internal/epi: the
// mode in its act argument and the block at ep, whose first 16 bytes are
// the scalars A, B, Lo, Hi. activate implements every mode but the
// per-channel ones; the GEMM kernels add epi.SlopeC (gemm.go), and the Go
// wrappers apply the rest with the activations that have no mode (Sigmoid,
// Swish).
//
// loadActConsts replicates A, B, Lo, Hi into v[k], v[k+1], v[k+2], v[k+3]
// with one LD4R, so every mode finds its constants in the same registers.
func (f *Func) loadActConsts(epReg, k int) {
	f.I("VLD4R (R%d), %s", epReg, VList(k, k+1, k+2, k+3))
}

// activate applies the mode in register actReg to accs, using the
// constants in v[k..k+3] (A, B, Lo, Hi) and temps (at least one register)
// as scratch. NaN propagates: FMAX/FMIN (not FMAXNM/FMINNM) return NaN when
// either input is NaN, matching ir.ApplyAct. A·x+B is one FMLA (B + A·x),
// the single rounding Go's compiler produces for alpha*x + beta on arm64.
// Control continues at label prefix+"_actdone".
func (f *Func) activate(prefix string, actReg int, accs, temps []int, k int) {
	a, b, lo, hi := k, k+1, k+2, k+3
	done := prefix + "_actdone"
	f.I("CBZ R%d, %s", actReg, done)
	for _, m := range []struct {
		mode int
		name string
	}{{epi.Clamp, "clamp"}, {epi.Affine, "affine"}, {epi.MulX, "mulx"}, {epi.Slope, "slope"}} {
		f.I("CMP $%d, R%d", m.mode, actReg)
		f.I("BEQ %s_%s", prefix, m.name)
	}
	f.I("B %s", done)

	f.Label(prefix + "_clamp")
	for _, x := range accs {
		f.W(enc.FMAX(x, x, lo))
	}
	for _, x := range accs {
		f.W(enc.FMIN(x, x, hi))
	}
	f.I("B %s", done)

	// In steps over all accumulators so that independent instructions are
	// adjacent; t = B + A·x first.
	steps := func(last func(x, t int)) {
		for start := 0; start < len(accs); start += len(temps) {
			end := min(start+len(temps), len(accs))
			for i := start; i < end; i++ {
				f.vmov(b, temps[i-start])
			}
			for i := start; i < end; i++ {
				f.I("VFMLA %s, %s, %s", V(a), V(accs[i]), V(temps[i-start]))
			}
			for i := start; i < end; i++ {
				t := temps[i-start]
				f.W(enc.FMAX(t, t, lo))
			}
			for i := start; i < end; i++ {
				last(accs[i], temps[i-start])
			}
		}
	}
	f.Label(prefix + "_affine") // min(max(B + A·x, Lo), Hi)
	steps(func(x, t int) { f.W(enc.FMIN(x, t, hi)) })
	f.I("B %s", done)

	f.Label(prefix + "_mulx") // x·min(max(B + A·x, Lo), Hi)
	steps(func(x, t int) {
		f.W(enc.FMIN(t, t, hi))
		f.W(enc.FMUL(x, x, t))
	})
	f.I("B %s", done)

	f.Label(prefix + "_slope") // max(x, Lo) + A·min(x, Hi)
	for start := 0; start < len(accs); start += len(temps) {
		end := min(start+len(temps), len(accs))
		for i := start; i < end; i++ {
			f.W(enc.FMIN(temps[i-start], accs[i], hi))
		}
		for i := start; i < end; i++ {
			f.W(enc.FMAX(accs[i], accs[i], lo))
		}
		for i := start; i < end; i++ {
			f.I("VFMLA %s, %s, %s", V(a), V(temps[i-start]), V(accs[i]))
		}
	}
	f.Label(done)
}

// activateC is activate for kernels whose accs are all the same 4 channels:
// when actReg holds epi.SlopeC it computes max(x, Lo) + S·min(x, Hi) with
// the 4 slopes at (R spReg), post-incrementing spReg by 16 (the next channel
// group's), using vector registers s and t as scratch; otherwise activate.
func (f *Func) activateC(prefix string, actReg, spReg int, accs, temps []int, k, s, t int) {
	f.I("CMP $%d, R%d", epi.SlopeC, actReg)
	f.I("BNE %s_modes", prefix)
	f.ldP(spReg, s)
	for _, a := range accs {
		f.W(enc.FMIN(t, a, k+3))
		f.W(enc.FMAX(a, a, k+2))
		f.I("VFMLA %s, %s, %s", V(s), V(t), V(a))
	}
	f.I("B %s_actdone", prefix)
	f.Label(prefix + "_modes")
	f.activate(prefix, actReg, accs, temps, k)
}

// label makes a function-local label name.
func label(prefix string, parts ...any) string {
	s := prefix
	for _, p := range parts {
		s += fmt.Sprintf("_%v", p)
	}
	return s
}
