// Package enc encodes the AArch64 ASIMD instructions that Go's arm64
// assembler does not accept (floating-point vector arithmetic, FMLA by
// element, ...) as 32-bit words, each with the mnemonic the generator puts
// in a comment next to the WORD directive. Encodings follow the Arm ARM
// (A64 "Advanced SIMD three same" and "vector x indexed element" classes);
// enc_test.go checks every one against llvm-mc's disassembler.
package enc

import "fmt"

// Inst is one encoded instruction.
type Inst struct {
	Word uint32
	Text string // llvm-mc spelling, e.g. "fmla v0.4s, v1.4s, v2.s[3]"
}

// Asm is the Plan 9 line that emits the instruction.
func (i Inst) Asm() string { return fmt.Sprintf("WORD $0x%08x // %s", i.Word, i.Text) }

func reg(r int) uint32 {
	if r < 0 || r > 31 {
		panic(fmt.Sprintf("enc: vector register v%d out of range", r))
	}
	return uint32(r)
}

// three builds a ".4s three same" instruction: base | m<<16 | n<<5 | d.
func three(base uint32, op string, d, n, m int) Inst {
	return Inst{
		Word: base | reg(m)<<16 | reg(n)<<5 | reg(d),
		Text: fmt.Sprintf("%s v%d.4s, v%d.4s, v%d.4s", op, d, n, m),
	}
}

// FADD: vd.4s = vn.4s + vm.4s.
func FADD(d, n, m int) Inst { return three(0x4e20d400, "fadd", d, n, m) }

// FSUB: vd.4s = vn.4s - vm.4s.
func FSUB(d, n, m int) Inst { return three(0x4ea0d400, "fsub", d, n, m) }

// FMUL: vd.4s = vn.4s · vm.4s.
func FMUL(d, n, m int) Inst { return three(0x6e20dc00, "fmul", d, n, m) }

// FDIV: vd.4s = vn.4s / vm.4s.
func FDIV(d, n, m int) Inst { return three(0x6e20fc00, "fdiv", d, n, m) }

// FMAX: vd.4s = max(vn.4s, vm.4s); a NaN in either input gives NaN (unlike
// FMAXNM), which is the NaN-propagating clamp the epilogues need.
func FMAX(d, n, m int) Inst { return three(0x4e20f400, "fmax", d, n, m) }

// FMIN: vd.4s = min(vn.4s, vm.4s), NaN propagating.
func FMIN(d, n, m int) Inst { return three(0x4ea0f400, "fmin", d, n, m) }

// FMLA: vd.4s += vn.4s · vm.4s (Go spells it VFMLA; here for completeness
// and for the encoder test).
func FMLA(d, n, m int) Inst { return three(0x4e20cc00, "fmla", d, n, m) }

// byElem builds a single-precision ".4s by element" instruction. For 32-bit
// elements the lane index i is H:L and the element register uses M:Rm, so
// every v0–v31 can be the element operand (only half precision restricts it
// to v0–v15).
func byElem(base uint32, op string, d, n, m, lane int) Inst {
	if lane < 0 || lane > 3 {
		panic(fmt.Sprintf("enc: lane %d out of range for .s", lane))
	}
	l := uint32(lane&1) << 21
	h := uint32(lane>>1) << 11
	return Inst{
		Word: base | l | reg(m)<<16 | h | reg(n)<<5 | reg(d),
		Text: fmt.Sprintf("%s v%d.4s, v%d.4s, v%d.s[%d]", op, d, n, m, lane),
	}
}

// FMLAElem: vd.4s += vn.4s · vm.s[lane].
func FMLAElem(d, n, m, lane int) Inst { return byElem(0x4f801000, "fmla", d, n, m, lane) }

// FMULElem: vd.4s = vn.4s · vm.s[lane].
func FMULElem(d, n, m, lane int) Inst { return byElem(0x4f809000, "fmul", d, n, m, lane) }
