package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
)

// fmaPeak is a loop of independent register-only FMAs: the single-core
// throughput the GEMM kernels are measured against. Each iteration does
// accs FMAs of isa.lanes lanes (2 flops per lane).
//
// With chain set the accs FMAs of an iteration all accumulate into one
// register, a dependent chain: an iteration then takes accs × the FMA's
// latency in cycles, whatever the number of FMA units, and its time against
// the independent loop's gives the FMAs per cycle (kernels.FMARate).
type fmaPeak struct {
	name  string
	isa   *isa
	accs  int
	chain bool
}

func (f fmaPeak) emit() {
	TEXT(f.name, NOSPLIT, "func(n int)")
	Pragma("noescape")
	kind := "independent"
	if f.chain {
		kind = "dependent (one chain)"
	}
	Doc(fmt.Sprintf("%s runs n iterations of %d %s %d-lane FMAs (%d flops each).",
		f.name, f.accs, kind, f.isa.lanes, 2*f.accs*f.isa.lanes))
	n := Load(Param("n"), GP64())
	acc := f.isa.regs[:f.accs]
	x, y := f.isa.regs[f.accs], f.isa.regs[f.accs+1]
	for _, r := range append(acc, x, y) {
		f.isa.zero(r)
	}
	TESTQ(n, n)
	JZ(LabelRef("done"))
	Label("loop")
	for _, a := range acc {
		if f.chain {
			a = acc[0] // every FMA waits for the one before
		}
		VFMADD231PS(x, y, a)
	}
	DECQ(n)
	JNZ(LabelRef("loop"))
	Label("done")
	VZEROUPPER()
	RET()
}

// vnniPeak is fmaPeak for AVX-512 VNNI: accs independent VPDPBUSD per
// iteration, each 64 u8×s8 multiply-adds into 16 int32 lanes (4 per lane):
// the integer peak an int8 GEMM is measured against.
type vnniPeak struct {
	name string
	accs int
}

func (f vnniPeak) emit() {
	TEXT(f.name, NOSPLIT, "func(n int)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s runs n iterations of %d independent VPDPBUSD on zmm registers (%d int8 multiply-adds each; needs AVX512_VNNI).",
		f.name, f.accs, 64*f.accs))
	n := Load(Param("n"), GP64())
	acc := avx512.regs[:f.accs]
	x, y := avx512.regs[f.accs], avx512.regs[f.accs+1]
	for _, r := range append(acc, x, y) {
		avx512.zero(r)
	}
	TESTQ(n, n)
	JZ(LabelRef("done"))
	Label("loop")
	for _, a := range acc {
		VPDPBUSD(y, x, a) // a += Σ4 x(u8)·y(s8) per int32 lane
	}
	DECQ(n)
	JNZ(LabelRef("loop"))
	Label("done")
	VZEROUPPER()
	RET()
}
