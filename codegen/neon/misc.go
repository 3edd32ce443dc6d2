package main

import "github.com/mnc-go/mnc/codegen/neon/enc"

// Elementwise and per-channel kernels. Counts are in 4-float vectors or
// 4-channel groups; the Go wrappers do the remainders.

// genAdd is AddNEON: out = Act(a + b) over nv vectors, 4 vectors per
// iteration then one at a time (out may alias a or b: each vector is read
// before it is written).
func genAdd() *Func {
	f := newFunc("AddNEON", "a *float32", "b *float32", "out *float32", "nv int", "act int", "ep *float32")
	f.Doc = []string{"out = Act(a + b); a in v0–v3, b in v4–v7, temps v16–v19, activation constants v20–v23."}
	const rA, rB, rOut, rN, rAct, rEp = 0, 1, 2, 3, 4, 5
	for i, a := range f.Args {
		f.LoadArg(a.Name, i)
	}
	f.loadActConsts(rEp, 20)
	for _, w := range []int{4, 1} {
		lb := label("loop", w)
		f.Label(lb)
		f.I("CMP $%d, R%d", w, rN)
		f.I("BLT %s_end", lb)
		f.ldP(rA, seq(0, w)...)
		f.ldP(rB, seq(4, w)...)
		for i := 0; i < w; i++ {
			f.W(enc.FADD(i, i, 4+i))
		}
		f.activate(lb, rAct, seq(0, w), seq(16, 4), 20)
		f.stP(rOut, seq(0, w)...)
		f.I("SUB $%d, R%d, R%d", w, rN, rN)
		f.I("B %s", lb)
		f.Label(lb + "_end")
	}
	f.I("RET")
	return f
}

// genActivate is ActNEON: out = Act(x) over nv vectors.
func genActivate() *Func {
	f := newFunc("ActNEON", "x *float32", "out *float32", "nv int", "act int", "ep *float32")
	f.Doc = []string{"out = Act(x); x in v0–v7, temps v16–v19, activation constants v20–v23."}
	const rX, rOut, rN, rAct, rEp = 0, 1, 2, 3, 4
	for i, a := range f.Args {
		f.LoadArg(a.Name, i)
	}
	f.loadActConsts(rEp, 20)
	for _, w := range []int{8, 1} {
		lb := label("loop", w)
		f.Label(lb)
		f.I("CMP $%d, R%d", w, rN)
		f.I("BLT %s_end", lb)
		for i := 0; i < w; i += 4 {
			f.ldP(rX, seq(i, min(4, w-i))...)
		}
		f.activate(lb, rAct, seq(0, w), seq(16, 4), 20)
		for i := 0; i < w; i += 4 {
			f.stP(rOut, seq(i, min(4, w-i))...)
		}
		f.I("SUB $%d, R%d, R%d", w, rN, rN)
		f.I("B %s", lb)
		f.Label(lb + "_end")
	}
	f.I("RET")
	return f
}

// genGlobalAvgPool is GlobalAvgPoolNEON: out[g] = scale·Σ_p in[p][g] for
// hw ≥ 1 pixels with pixel stride c elements. Pixels are walked in order
// for 8 groups (32 channels) at a time, so reads are contiguous runs of 128
// bytes rather than one strided column per group.
func genGlobalAvgPool() *Func {
	f := newFunc("GlobalAvgPoolNEON", "in *float32", "hw int", "c int", "groups int", "out *float32", "scale *float32")
	f.Doc = []string{"Sums 8 groups in v0–v7 (loads in v16–v23), scale in v31."}
	const rIn, rHW, rC4, rG, rOut, rScale, rPix, rLeft, rHi = 0, 1, 2, 3, 4, 5, 6, 7, 8
	for i, a := range f.Args {
		f.LoadArg(a.Name, i)
	}
	f.I("LSL $2, R%d, R%d", rC4, rC4)
	f.I("VLD1R (R%d), %s", rScale, VList(31))
	for _, w := range []int{8, 1} {
		lb := label("chunk", w)
		f.Label(lb)
		f.I("CMP $%d, R%d", w, rG)
		f.I("BLT %s_end", lb)
		for i := 0; i < w; i++ {
			f.zero(i)
		}
		f.I("MOVD R%d, R%d", rIn, rPix)
		f.I("MOVD R%d, R%d", rHW, rLeft)
		f.Label(lb + "_pix")
		if w == 8 {
			f.I("VLD1 (R%d), %s", rPix, VList(16, 17, 18, 19))
			f.I("ADD $64, R%d, R%d", rPix, rHi)
			f.I("VLD1 (R%d), %s", rHi, VList(20, 21, 22, 23))
		} else {
			f.I("VLD1 (R%d), %s", rPix, VList(16))
		}
		for i := 0; i < w; i++ {
			f.W(enc.FADD(i, i, 16+i))
		}
		f.I("ADD R%d, R%d, R%d", rC4, rPix, rPix)
		f.I("SUBS $1, R%d, R%d", rLeft, rLeft)
		f.I("BNE %s_pix", lb)
		for i := 0; i < w; i++ {
			f.W(enc.FMUL(i, i, 31))
		}
		for i := 0; i < w; i += 4 {
			f.stP(rOut, seq(i, min(4, w-i))...)
		}
		f.I("ADD $%d, R%d, R%d", 16*w, rIn, rIn)
		f.I("SUB $%d, R%d, R%d", w, rG, rG)
		f.I("B %s", lb)
		f.Label(lb + "_end")
	}
	f.I("RET")
	return f
}

// genScaleChannels is ScaleChannelsNEON: out[p][g] = in[p][g]·s[g] for
// hw pixels (pixel stride c elements) and groups 4-channel groups; out may
// be in.
func genScaleChannels() *Func {
	f := newFunc("ScaleChannelsNEON", "in *float32", "hw int", "c int", "groups int", "s *float32", "out *float32")
	f.Doc = []string{"in in v0–v3, scales in v4–v7."}
	const rIn, rHW, rC4, rG, rS, rOut, rPin, rPs, rPout, rLeft = 0, 1, 2, 3, 4, 5, 6, 7, 8, 9
	for i, a := range f.Args {
		f.LoadArg(a.Name, i)
	}
	f.I("LSL $2, R%d, R%d", rC4, rC4)
	f.I("CBZ R%d, done", rHW)
	f.Label("pix")
	f.I("MOVD R%d, R%d", rIn, rPin)
	f.I("MOVD R%d, R%d", rS, rPs)
	f.I("MOVD R%d, R%d", rOut, rPout)
	f.I("MOVD R%d, R%d", rG, rLeft)
	for _, w := range []int{4, 1} {
		lb := label("grp", w)
		f.Label(lb)
		f.I("CMP $%d, R%d", w, rLeft)
		f.I("BLT %s_end", lb)
		f.ldP(rPin, seq(0, w)...)
		f.ldP(rPs, seq(4, w)...)
		for i := 0; i < w; i++ {
			f.W(enc.FMUL(i, i, 4+i))
		}
		f.stP(rPout, seq(0, w)...)
		f.I("SUB $%d, R%d, R%d", w, rLeft, rLeft)
		f.I("B %s", lb)
		f.Label(lb + "_end")
	}
	f.I("ADD R%d, R%d, R%d", rC4, rIn, rIn)
	f.I("ADD R%d, R%d, R%d", rC4, rOut, rOut)
	f.I("SUBS $1, R%d, R%d", rHW, rHW)
	f.I("BNE pix")
	f.Label("done")
	f.I("RET")
	return f
}

// genFMAPeak is FMAPeakNEON: n iterations of 24 independent FMLA .4s (192
// flops), the throughput ceiling the GEMM and depthwise kernels are
// measured against (24 chains cover 4-cycle latency × 2 pipes three times
// over). Registers: chains v0–v23, multiplicands v24, v25 (all zero, so no
// denormal or overflow slow paths).
func genFMAPeak() *Func {
	f := newFunc("FMAPeakNEON", "n int")
	f.Doc = []string{"n iterations of 24 independent FMLA .4s (192 flops per iteration)."}
	f.LoadArg("n", 0)
	f.I("CBZ R0, done")
	for r := 0; r < 26; r++ {
		f.zero(r)
	}
	f.Label("loop")
	for r := 0; r < 24; r++ {
		f.I("VFMLA %s, %s, %s", V(24), V(25), V(r))
	}
	f.I("SUBS $1, R0, R0")
	f.I("BNE loop")
	f.Label("done")
	f.I("RET")
	return f
}
