package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/mnc-go/mnc"
	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/plan"
)

// loadModel builds or reads MODEL; noWeights skips computing built-in
// weights when only shapes matter (stats, dot).
func loadModel(spec string, noWeights bool) (*ir.Graph, error) {
	if noWeights {
		return mnc.LoadShapes(spec)
	}
	return mnc.Load(spec)
}

// compileFlags are the flags shared by compile, run and bench.
type compileFlags struct {
	o0, o2    bool
	isa       string
	batch     int
	disable   string
	dumpAfter string
}

func (c *compileFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&c.o0, "O0", false, "no optimisation: every operator its own step (the unfused baseline)")
	fs.BoolVar(&c.o2, "O2", false, "all optimisations (the default)")
	fs.StringVar(&c.isa, "isa", "", "instruction set: generic, avx2, avx512, neon (default: MNC_ISA or the best available)")
	fs.IntVar(&c.batch, "batch", 0, "batch size to compile for (default: the model's, 1 if symbolic)")
	fs.StringVar(&c.disable, "disable", "", "comma-separated optional passes to skip")
	fs.StringVar(&c.dumpAfter, "dump-after", "", "print the graph after this pass (or \"all\")")
}

func (c *compileFlags) options() (mnc.Options, error) {
	if c.o0 && c.o2 {
		return mnc.Options{}, usagef("-O0 and -O2 are exclusive")
	}
	if c.batch < 0 {
		return mnc.Options{}, usagef("-batch %d: must be positive", c.batch)
	}
	o := mnc.Options{Level: 2, ISA: c.isa, Batch: c.batch, DumpAfter: c.dumpAfter, Dump: stdout}
	if c.o0 {
		o.Level = 0
	}
	if c.disable != "" {
		o.Disable = splitList(c.disable)
	}
	return o, nil
}

func splitList(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			if i > start {
				out = append(out, s[start:i])
			}
			start = i + 1
		}
	}
	return out
}

// loadPlan compiles MODEL, or loads it when it is a plan file (then the
// compile flags other than -batch must not ask for something else).
func loadPlan(spec string, c *compileFlags) (*plan.Plan, error) {
	if mnc.IsPlanFile(spec) {
		if c.o0 || c.disable != "" || c.dumpAfter != "" {
			return nil, usagef("%s is a compiled plan: -O0, -disable and -dump-after apply only when compiling", spec)
		}
		p, err := mnc.LoadPlan(spec)
		if err != nil {
			return nil, err
		}
		if c.isa != "" && c.isa != p.ISA.String() {
			return nil, fmt.Errorf("%s was compiled for %s, not %s (recompile with -isa %s)", spec, p.ISA, c.isa, c.isa)
		}
		if c.batch != 0 && c.batch != p.Batch {
			return nil, fmt.Errorf("%s was compiled for batch %d, not %d", spec, p.Batch, c.batch)
		}
		return p, nil
	}
	if _, err := os.Stat(spec); err != nil && looksLikePath(spec) {
		return nil, fmt.Errorf("%s: no such file", spec)
	}
	o, err := c.options()
	if err != nil {
		return nil, err
	}
	g, err := loadModel(spec, false)
	if err != nil {
		return nil, err
	}
	p, _, err := mnc.Compile(g, o)
	return p, err
}

func looksLikePath(s string) bool {
	if strings.ContainsRune(s, '/') {
		return true
	}
	switch strings.ToLower(filepath.Ext(s)) {
	case ".onnx", ".mnc", ".plan":
		return true
	}
	return false
}
