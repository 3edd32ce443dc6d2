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
			out = append(out, FMLAElem(d, n, m, lane), FMULElem(d, n, m, lane))
		}
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
	cmd := exec.Command(mc, "-disassemble", "-triple=aarch64")
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
		"reg 32": func() { FADD(32, 0, 0) },
		"lane 4": func() { FMLAElem(0, 0, 0, 4) },
		"reg -1": func() { FMAX(0, -1, 0) },
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
