package main

import (
	"fmt"

	"github.com/mnc-go/mnc/codegen/internal/x86"

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

// The two instruction sets, from the descriptor both amd64 generators
// share (codegen/internal/x86).
var (
	avx2   = fromX86(x86.AVX2FMA)
	avx512 = fromX86(x86.AVX512)
)

func fromX86(d *x86.ISA) *isa {
	return &isa{name: d.Name, tag: d.Tag, lanes: d.Lanes, regs: d.Regs, evex: d.EVEX}
}

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
