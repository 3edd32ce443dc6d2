package enc

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

// allInsts covers every encoder with register numbers that exercise each
// field's high bits (v31, v16+ element registers, every lane).
func allInsts() []Inst {
	var out []Inst
	regs := [][3]int{{0, 0, 0}, {31, 30, 29}, {8, 17, 3}, {1, 2, 16}}
	for _, r := range regs {
		d, n, m := r[0], r[1], r[2]
		out = append(out, FADD(d, n, m), FSUB(d, n, m), FMUL(d, n, m), FDIV(d, n, m),
			FMAX(d, n, m), FMIN(d, n, m), FMLA(d, n, m))
		for lane := 0; lane < 4; lane++ {
			out = append(out, FMLAElem(d, n, m, lane), FMULElem(d, n, m, lane), SDOTElem(d, n, m, lane), SUDOTElem(d, n, m, lane))
		}
		out = append(out, SMULL(d, n, m), SMULL2(d, n, m), SADALP(d, n), SCVTF(d, n), FCVTNS(d, n),
			SQXTN(d, n), SQXTN2(d, n), SQADD8H(d, n, m), SMAX8H(d, n, m), SMIN8H(d, n, m),
			SMLAL(d, n, m), SMLAL2(d, n, m), SQXTUN(d, n), SQXTUN2(d, n), LDRQReg(d, min(n, 30), min(m, 30)))
	}
	return out
}

// TestAgainstLLVM disassembles every encoded word with llvm-mc and requires
// the mnemonic the encoder claims.
func TestAgainstLLVM(t *testing.T) {
	mc, err := exec.LookPath("llvm-mc")
	if err != nil {
		t.Skip("llvm-mc not installed (Debian package llvm); skipping encoder check")
	}
	insts := allInsts()
	var in strings.Builder
	for _, i := range insts {
		w := i.Word
		fmt.Fprintf(&in, "0x%02x 0x%02x 0x%02x 0x%02x\n", w&0xff, w>>8&0xff, w>>16&0xff, w>>24)
	}
	cmd := exec.Command(mc, "-disassemble", "-triple=aarch64", "-mattr=+dotprod,+i8mm")
	cmd.Stdin = strings.NewReader(in.String())
	outb, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("llvm-mc: %v\n%s", err, outb)
	}
	var got []string
	for _, line := range strings.Split(string(outb), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, ".") {
			continue
		}
		got = append(got, strings.Join(strings.Fields(line), " "))
	}
	if len(got) != len(insts) {
		t.Fatalf("llvm-mc decoded %d instructions, want %d:\n%s", len(got), len(insts), outb)
	}
	for k, i := range insts {
		if got[k] != i.Text {
			t.Errorf("word 0x%08x: llvm-mc says %q, encoder says %q", i.Word, got[k], i.Text)
		}
	}
}

func TestRangeChecksPanic(t *testing.T) {
	for name, f := range map[string]func(){
		"reg 32":        func() { FADD(32, 0, 0) },
		"lane 4":        func() { FMLAElem(0, 0, 0, 4) },
		"sdot lane 4":   func() { SDOTElem(0, 0, 0, 4) },
		"sadalp reg 32": func() { SADALP(32, 0) },
		"reg -1":        func() { FMAX(0, -1, 0) },
		"ldr x31":       func() { LDRQReg(0, 31, 0) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

// TestKnownEncodings checks the int8 instructions against fixed words
// (the Arm ARM's field layouts, as llvm-mc 14 -show-encoding assembles
// them), so they are checked where llvm-mc is not installed too.
func TestKnownEncodings(t *testing.T) {
	for _, c := range []struct {
		got  Inst
		want uint32
		text string
	}{
		{SDOTElem(0, 0, 0, 0), 0x4f80e000, "sdot v0.4s, v0.16b, v0.4b[0]"},
		{SDOTElem(1, 2, 31, 3), 0x4fbfe841, "sdot v1.4s, v2.16b, v31.4b[3]"},
		{SDOTElem(31, 30, 29, 2), 0x4f9debdf, "sdot v31.4s, v30.16b, v29.4b[2]"},
		{SDOTElem(8, 17, 3, 1), 0x4fa3e228, "sdot v8.4s, v17.16b, v3.4b[1]"},
		{SUDOTElem(0, 0, 0, 0), 0x4f00f000, "sudot v0.4s, v0.16b, v0.4b[0]"},
		{SUDOTElem(31, 30, 29, 2), 0x4f1dfbdf, "sudot v31.4s, v30.16b, v29.4b[2]"},
		{SUDOTElem(1, 2, 31, 3), 0x4f3ff841, "sudot v1.4s, v2.16b, v31.4b[3]"},
		{SUDOTElem(8, 17, 3, 1), 0x4f23f228, "sudot v8.4s, v17.16b, v3.4b[1]"},
		{SMULL(0, 0, 0), 0x0e20c000, "smull v0.8h, v0.8b, v0.8b"},
		{SMULL(31, 30, 29), 0x0e3dc3df, "smull v31.8h, v30.8b, v29.8b"},
		{SMULL2(0, 0, 0), 0x4e20c000, "smull2 v0.8h, v0.16b, v0.16b"},
		{SMULL2(8, 17, 3), 0x4e23c228, "smull2 v8.8h, v17.16b, v3.16b"},
		{SADALP(0, 0), 0x4e606800, "sadalp v0.4s, v0.8h"},
		{SADALP(31, 30), 0x4e606bdf, "sadalp v31.4s, v30.8h"},
		{SCVTF(0, 0), 0x4e21d800, "scvtf v0.4s, v0.4s"},
		{SCVTF(8, 17), 0x4e21da28, "scvtf v8.4s, v17.4s"},
		{FCVTNS(0, 0), 0x4e21a800, "fcvtns v0.4s, v0.4s"},
		{FCVTNS(31, 30), 0x4e21abdf, "fcvtns v31.4s, v30.4s"},
		{SQXTN(0, 0), 0x0e614800, "sqxtn v0.4h, v0.4s"},
		{SQXTN(31, 30), 0x0e614bdf, "sqxtn v31.4h, v30.4s"},
		{SQXTN2(0, 0), 0x4e614800, "sqxtn2 v0.8h, v0.4s"},
		{SQXTN2(8, 17), 0x4e614a28, "sqxtn2 v8.8h, v17.4s"},
		{SQADD8H(0, 0, 0), 0x4e600c00, "sqadd v0.8h, v0.8h, v0.8h"},
		{SQADD8H(31, 30, 29), 0x4e7d0fdf, "sqadd v31.8h, v30.8h, v29.8h"},
		{SMAX8H(0, 0, 0), 0x4e606400, "smax v0.8h, v0.8h, v0.8h"},
		{SMAX8H(8, 17, 3), 0x4e636628, "smax v8.8h, v17.8h, v3.8h"},
		{SMIN8H(0, 0, 0), 0x4e606c00, "smin v0.8h, v0.8h, v0.8h"},
		{SMIN8H(31, 30, 29), 0x4e7d6fdf, "smin v31.8h, v30.8h, v29.8h"},
		{SMLAL(16, 1, 3), 0x0e638030, "smlal v16.4s, v1.4h, v3.4h"},
		{SMLAL(31, 30, 29), 0x0e7d83df, "smlal v31.4s, v30.4h, v29.4h"},
		{SMLAL2(17, 1, 3), 0x4e638031, "smlal2 v17.4s, v1.8h, v3.8h"},
		{SMLAL2(8, 17, 3), 0x4e638228, "smlal2 v8.4s, v17.8h, v3.8h"},
		{SQXTUN(16, 16), 0x2e212a10, "sqxtun v16.8b, v16.8h"},
		{SQXTUN(31, 30), 0x2e212bdf, "sqxtun v31.8b, v30.8h"},
		{SQXTUN2(16, 18), 0x6e212a50, "sqxtun2 v16.16b, v18.8h"},
		{LDRQReg(0, 13, 15), 0x3cef69a0, "ldr q0, [x13, x15]"},
	} {
		if c.got.Word != c.want || c.got.Text != c.text {
			t.Errorf("%s: encoder gives 0x%08x %q, want 0x%08x", c.text, c.got.Word, c.got.Text, c.want)
		}
	}
}
