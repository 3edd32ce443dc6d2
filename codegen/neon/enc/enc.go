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

// Integer instructions for the int8 GEMM kernels (codegen/neon/int8.go).

// SDOTElem (ARMv8.2 dot product, FEAT_DotProd): each 32-bit lane i of vd
// += Σ_t vn.b[4i+t]·vm.b[4·lane+t], signed bytes. Like the .s by-element
// class, the lane is H:L and M:Rm names any of v0–v31.
func SDOTElem(d, n, m, lane int) Inst {
	i := byElem(0x4f80e000, "sdot", d, n, m, lane)
	i.Text = fmt.Sprintf("sdot v%d.4s, v%d.16b, v%d.4b[%d]", d, n, m, lane)
	return i
}

// SUDOTElem (ARMv8.6 int8 matrix multiply, FEAT_I8MM): each 32-bit lane i
// of vd += Σ_t vn.b[4i+t]·vm.b[4·lane+t] with vn signed and the element vm
// unsigned (only the by-element form exists; USDOT is the other way round).
func SUDOTElem(d, n, m, lane int) Inst {
	i := byElem(0x4f00f000, "sudot", d, n, m, lane)
	i.Text = fmt.Sprintf("sudot v%d.4s, v%d.16b, v%d.4b[%d]", d, n, m, lane)
	return i
}

// two builds a two-register instruction: base | n<<5 | d.
func two(base uint32, text string, d, n int) Inst {
	return Inst{Word: base | reg(n)<<5 | reg(d), Text: fmt.Sprintf(text, d, n)}
}

// SMULL: vd.8h = vn.8b · vm.8b, signed bytes widened to 16 bits (the low
// halves of vn and vm).
func SMULL(d, n, m int) Inst {
	return Inst{Word: 0x0e20c000 | reg(m)<<16 | reg(n)<<5 | reg(d),
		Text: fmt.Sprintf("smull v%d.8h, v%d.8b, v%d.8b", d, n, m)}
}

// SMULL2: vd.8h = vn.16b · vm.16b on the high halves.
func SMULL2(d, n, m int) Inst {
	return Inst{Word: 0x4e20c000 | reg(m)<<16 | reg(n)<<5 | reg(d),
		Text: fmt.Sprintf("smull2 v%d.8h, v%d.16b, v%d.16b", d, n, m)}
}

// SADALP: vd.4s += pairwise sums of vn.8h (signed, widened to 32 bits).
func SADALP(d, n int) Inst { return two(0x4e606800, "sadalp v%d.4s, v%d.8h", d, n) }

// SCVTF: vd.4s = float32(vn.4s as int32), rounded by FPCR (to nearest even).
func SCVTF(d, n int) Inst { return two(0x4e21d800, "scvtf v%d.4s, v%d.4s", d, n) }

// FCVTNS: vd.4s = int32(vn.4s) rounded to nearest, ties to even
// (saturating; NaN gives 0).
func FCVTNS(d, n int) Inst { return two(0x4e21a800, "fcvtns v%d.4s, v%d.4s", d, n) }

// SQXTN: vd.4h = the 4 int32 of vn saturated to int16 (upper half of vd
// zeroed).
func SQXTN(d, n int) Inst { return two(0x0e614800, "sqxtn v%d.4h, v%d.4s", d, n) }

// SQXTN2: the upper 4 int16 of vd = vn's int32 saturated (lower half kept).
func SQXTN2(d, n int) Inst { return two(0x4e614800, "sqxtn2 v%d.8h, v%d.4s", d, n) }

// three8h builds an ".8h three same" instruction.
func three8h(base uint32, op string, d, n, m int) Inst {
	return Inst{Word: base | reg(m)<<16 | reg(n)<<5 | reg(d), Text: fmt.Sprintf("%s v%d.8h, v%d.8h, v%d.8h", op, d, n, m)}
}

// SQADD8H: vd.8h = vn.8h + vm.8h, saturating int16.
func SQADD8H(d, n, m int) Inst { return three8h(0x4e600c00, "sqadd", d, n, m) }

// SMAX8H: vd.8h = max(vn.8h, vm.8h), int16.
func SMAX8H(d, n, m int) Inst { return three8h(0x4e606400, "smax", d, n, m) }

// SMIN8H: vd.8h = min(vn.8h, vm.8h), int16.
func SMIN8H(d, n, m int) Inst { return three8h(0x4e606c00, "smin", d, n, m) }

// SMLAL: vd.4s += vn.4h · vm.4h, signed 16-bit products widened to 32 bits
// (the low halves).
func SMLAL(d, n, m int) Inst {
	return Inst{Word: 0x0e608000 | reg(m)<<16 | reg(n)<<5 | reg(d),
		Text: fmt.Sprintf("smlal v%d.4s, v%d.4h, v%d.4h", d, n, m)}
}

// SMLAL2: vd.4s += vn.8h · vm.8h on the high halves.
func SMLAL2(d, n, m int) Inst {
	return Inst{Word: 0x4e608000 | reg(m)<<16 | reg(n)<<5 | reg(d),
		Text: fmt.Sprintf("smlal2 v%d.4s, v%d.8h, v%d.8h", d, n, m)}
}

// Narrowing and register-offset loads for the int8 depthwise kernels
// (codegen/neon/qdw.go).

// SQXTUN: vd.8b = the 8 int16 of vn saturated to [0, 255] (upper half of vd
// zeroed).
func SQXTUN(d, n int) Inst { return two(0x2e212800, "sqxtun v%d.8b, v%d.8h", d, n) }

// SQXTUN2: the upper 8 bytes of vd = vn's int16 saturated to [0, 255]
// (lower half kept).
func SQXTUN2(d, n int) Inst { return two(0x6e212800, "sqxtun2 v%d.16b, v%d.8h", d, n) }

// LDRQReg: qt = the 16 bytes at xn + xm (general registers x0–x30; Go's
// assembler has no register-offset form of FMOVQ).
func LDRQReg(t, n, m int) Inst {
	if n < 0 || n > 30 || m < 0 || m > 30 {
		panic(fmt.Sprintf("enc: general register x%d or x%d out of range", n, m))
	}
	return Inst{Word: 0x3ce06800 | uint32(m)<<16 | uint32(n)<<5 | reg(t),
		Text: fmt.Sprintf("ldr q%d, [x%d, x%d]", t, n, m)}
}
