package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
)

// fmaPeak is a loop of independent register-only FMAs: the single-core
// throughput the GEMM kernels are measured against. Each iteration does
// accs FMAs of isa.lanes lanes (2 flops per lane).
type fmaPeak struct {
	name string
	isa  *isa
	accs int
}

func (f fmaPeak) emit() {
	TEXT(f.name, NOSPLIT, "func(n int)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s runs n iterations of %d independent %d-lane FMAs (%d flops each).",
		f.name, f.accs, f.isa.lanes, 2*f.accs*f.isa.lanes))
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
		VFMADD231PS(x, y, a)
	}
	DECQ(n)
	JNZ(LabelRef("loop"))
	Label("done")
	VZEROUPPER()
	RET()
}
