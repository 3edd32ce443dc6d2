package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// isa is a vector instruction set the generator emits for.
type isa struct {
	name  string
	tag   string        // kernel name suffix and the dispatch table's: AVX2FMA, AVX512
	lanes int           // float32 lanes per vector register
	regs  []VecPhysical // all vector registers, in allocation order
	evex  bool          // AVX-512: opmask loads/stores, 32 registers
}

var (
	avx2 = &isa{name: "avx2_fma", tag: "AVX2FMA", lanes: 8, regs: []VecPhysical{
		Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15}}
	avx512 = &isa{name: "avx512", tag: "AVX512", lanes: 16, evex: true, regs: []VecPhysical{
		Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15,
		Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23, Z24, Z25, Z26, Z27, Z28, Z29, Z30, Z31}}
)

// opmasks are the AVX-512 column masks, one per vector of a panel row.
var opmasks = []Register{K1, K2, K3, K4}

// zero clears v.
func (s *isa) zero(v VecPhysical) {
	if s.evex {
		VPXORD(v, v, v) // VXORPS on zmm would need AVX512DQ
	} else {
		VXORPS(v, v, v)
	}
}

// emitIota emits a read-only table of int32 0, 1, …, n-1: compared with a
// broadcast column count it gives the column masks of a partial panel.
func emitIota(n int) Mem {
	m := GLOBL("gemm_iota", RODATA|NOPTR)
	for i := 0; i < n; i++ {
		DATA(4*i, U32(i))
	}
	return m
}

func label(prefix, name string) string { return fmt.Sprintf("%s_%s", prefix, name) }
