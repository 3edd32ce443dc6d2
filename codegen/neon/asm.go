package main

import (
	"fmt"
	"strings"

	"github.com/mnc-go/mnc/codegen/neon/enc"
)

// Arg is one argument of a generated function. Every argument is 8 bytes
// (a pointer or an int), so offsets are 8·index and asmdecl can check them.
type Arg struct {
	Name, Type string
}

// Func collects the Plan 9 text of one generated kernel.
type Func struct {
	Name string // the kernel's name (codegen/internal/names), e.g. Gemm8x12NEON
	Doc  []string
	Args []Arg
	body strings.Builder
}

// newFunc starts a kernel whose stub takes args given as "name type" pairs.
func newFunc(name string, args ...string) *Func {
	f := &Func{Name: name}
	for _, a := range args {
		parts := strings.Fields(a)
		if len(parts) != 2 {
			panic("bad arg spec " + a)
		}
		f.Args = append(f.Args, Arg{parts[0], parts[1]})
	}
	return f
}

// I emits one instruction line (Plan 9 syntax).
func (f *Func) I(format string, a ...any) { fmt.Fprintf(&f.body, "\t"+format+"\n", a...) }

// W emits an instruction the Go assembler lacks as a WORD with its mnemonic.
func (f *Func) W(i enc.Inst) { f.body.WriteString("\t" + i.Asm() + "\n") }

// Label places a label (labels are local to a TEXT block).
func (f *Func) Label(l string) { f.body.WriteString(l + ":\n") }

// Comment emits a comment line.
func (f *Func) Comment(format string, a ...any) {
	fmt.Fprintf(&f.body, "\t// "+format+"\n", a...)
}

// LoadArg loads argument name into general register r.
func (f *Func) LoadArg(name string, r int) {
	for i, a := range f.Args {
		if a.Name == name {
			f.I("MOVD %s+%d(FP), R%d", name, 8*i, r)
			return
		}
	}
	panic("no argument " + name + " in " + f.Name)
}

// Text is the complete TEXT block.
func (f *Func) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "// %s\n", f.Name)
	for _, d := range f.Doc {
		fmt.Fprintf(&b, "// %s\n", d)
	}
	fmt.Fprintf(&b, "TEXT ·%s(SB), NOSPLIT, $0-%d\n", f.Name, 8*len(f.Args))
	b.WriteString(f.body.String())
	return b.String()
}

// Stub is the Go declaration of the function.
func (f *Func) Stub() string {
	var ps []string
	for _, a := range f.Args {
		ps = append(ps, a.Name+" "+a.Type)
	}
	what := ""
	if len(f.Doc) > 0 {
		what = ": " + f.Doc[0]
	}
	return fmt.Sprintf("// %s%s\n// (The .s file gives its register plan.)\n//\n//go:noescape\nfunc %s(%s)\n",
		f.Name, what, f.Name, strings.Join(ps, ", "))
}

// V names a vector register with a 4×float32 arrangement.
func V(r int) string { return fmt.Sprintf("V%d.S4", r) }

// VB names a vector register with a 16-byte arrangement (for VEOR, VMOV).
func VB(r int) string { return fmt.Sprintf("V%d.B16", r) }

// VList is a register list such as [V4.S4, V5.S4, V6.S4].
func VList(regs ...int) string {
	var s []string
	for _, r := range regs {
		s = append(s, V(r))
	}
	return "[" + strings.Join(s, ", ") + "]"
}

// seq returns n consecutive register numbers starting at first.
func seq(first, n int) []int {
	r := make([]int, n)
	for i := range r {
		r[i] = first + i
	}
	return r
}

// zero clears vector register r.
func (f *Func) zero(r int) { f.I("VEOR %s, %s, %s", VB(r), VB(r), VB(r)) }

// vmov copies vector register src to dst.
func (f *Func) vmov(src, dst int) { f.I("VMOV %s, %s", VB(src), VB(dst)) }

// ldP loads up to 4 consecutive registers from (base) and post-increments
// base by their size.
func (f *Func) ldP(base int, regs ...int) {
	f.I("VLD1.P %d(R%d), %s", 16*len(regs), base, VList(regs...))
}

// stP stores regs to (base) and post-increments base.
func (f *Func) stP(base int, regs ...int) {
	f.I("VST1.P %s, %d(R%d)", VList(regs...), 16*len(regs), base)
}
