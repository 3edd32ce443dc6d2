package main

import (
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	goruntime "runtime"
	"runtime/debug"
	"strings"

	"github.com/mnc-go/mnc"
	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/passes"
	"github.com/mnc-go/mnc/plan"
)

// loadModel builds or reads MODEL; noWeights skips computing built-in
// weights when only shapes matter (stats, dot).
func loadModel(spec string, noWeights bool) (*ir.Graph, error) {
	if strings.EqualFold(filepath.Ext(spec), ".onnx") {
		collectEarly(25)
	} else {
		collectEarly(10) // built or described: weights made here, calibrated
	}
	m := parsedONNX.m
	parsed := m != nil && parsedONNX.spec == spec
	parsedONNX.spec, parsedONNX.m = "", nil
	if noWeights {
		return mnc.LoadShapes(spec)
	}
	if parsed {
		return m.Lazy() // what mnc.Load does with an .onnx file, without parsing it again
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
	shapes    shapeFlag
	blockKiB  int
	// threads the plan will run on (run/bench: their -threads; compile:
	// its own flag); 0 means this machine's cores. fuse-blocks uses it.
	threads int
}

func (c *compileFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&c.o0, "O0", false, "no optimisation: every operator its own step (the unfused baseline)")
	fs.BoolVar(&c.o2, "O2", false, "all optimisations (the default)")
	fs.StringVar(&c.isa, "isa", "", "instruction set: generic, avx2, avx512, neon (default: MNC_ISA or the best available)")
	fs.IntVar(&c.batch, "batch", 0, "batch size to compile for (default: the model's, 1 if symbolic)")
	fs.StringVar(&c.disable, "disable", "", "comma-separated optional passes to skip")
	fs.StringVar(&c.dumpAfter, "dump-after", "", "print the graph after this pass (or \"all\")")
	fs.IntVar(&c.blockKiB, "block-scratch", 0, "KiB of per-thread scratch a fused block's band may take (default 512: half of L2)")
	fs.Var(&c.shapes, "shape", shapeUsage)
}

func (c *compileFlags) options() (mnc.Options, error) {
	if c.o0 && c.o2 {
		return mnc.Options{}, usagef("-O0 and -O2 are exclusive")
	}
	if c.batch < 0 {
		return mnc.Options{}, usagef("-batch %d: must be positive", c.batch)
	}
	if c.blockKiB < 0 || c.blockKiB > 1<<20 {
		return mnc.Options{}, usagef("-block-scratch %d: must be between 0 and 1048576 KiB", c.blockKiB)
	}
	if c.threads < 0 {
		return mnc.Options{}, usagef("-threads %d: must be positive", c.threads)
	}
	threads := c.threads
	if threads == 0 {
		threads = goruntime.NumCPU()
	}
	o := mnc.Options{Level: 2, ISA: c.isa, Batch: c.batch, DumpAfter: c.dumpAfter, Dump: stdout, BlockScratch: c.blockKiB << 10, Threads: threads}
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

// model is MODEL opened for compile, run and bench: a graph to compile, or
// a plan file.
type model struct {
	spec    string
	g       *ir.Graph           // nil for a plan file
	p       *plan.Plan          // a plan file's plan
	weights *passes.WeightCache // shared by the compiles of several -shape values
	// once: the graph is compiled once and dropped, so Compile may release
	// its weights as it packs them (and no cache is needed).
	once bool
}

// openModel reads MODEL, or loads it when it is a plan file (then the
// compile flags other than -batch and -shape must not ask for something
// else).
func openModel(spec string, c *compileFlags) (*model, error) {
	if mnc.IsPlanFile(spec) {
		if c.o0 || c.disable != "" || c.dumpAfter != "" || c.blockKiB != 0 {
			return nil, usagef("%s is a compiled plan: -O0, -disable, -dump-after and -block-scratch apply only when compiling", spec)
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
		return &model{spec: spec, p: p}, nil
	}
	if _, err := os.Stat(spec); err != nil && looksLikePath(spec) {
		return nil, fmt.Errorf("%s: no such file", spec)
	}
	if _, err := c.options(); err != nil {
		return nil, err
	}
	g, err := loadModel(spec, false)
	if err != nil {
		return nil, err
	}
	return &model{spec: spec, g: g, weights: passes.NewWeightCache()}, nil
}

// inputs are the model's input names.
func (m *model) inputs() []string {
	if m.g != nil {
		return inputNames(m.g)
	}
	var out []string
	for _, io := range m.p.Inputs {
		out = append(out, io.Name)
	}
	return out
}

// shapeSets resolves the -shape values against the model's inputs.
func (m *model) shapeSets(c *compileFlags) ([]map[string][]int, error) {
	return c.shapes.sets(m.inputs())
}

// plan compiles the model with one set of input shapes; a symbolic batch
// left unknown is inferred from the size of the input file (input, "" for
// the built-in input). A plan file's inputs must have the given shapes.
func (m *model) plan(c *compileFlags, shapes map[string][]int, input string) (*plan.Plan, error) {
	if m.p != nil {
		for _, io := range m.p.Inputs {
			if s, ok := shapes[io.Name]; ok && !io.Buf.Shape.Equal(ir.Shape(s)) {
				return nil, fmt.Errorf("%s was compiled for input %q %v, not %v (compile the model with -shape instead)", m.spec, io.Name, io.Buf.Shape, ir.Shape(s))
			}
		}
		return m.p, nil
	}
	g, batch, err := m.shaped(c, shapes, input)
	if err != nil {
		return nil, err
	}
	o, err := c.options()
	if err != nil {
		return nil, err
	}
	if o.Batch == 0 {
		o.Batch = batch
	}
	if m.once {
		o.ReleaseWeights = true
		// Nothing imports the model again: an ONNX model's decoded
		// initializers, which its Rebuild holds, go with the weights
		// Compile releases.
		g.Rebuild, m.g.Rebuild = nil, nil
		defer compileLean(g)()
	} else {
		o.Weights = m.weights
	}
	p, _, err := mnc.Compile(g, o)
	return p, err
}

// compileLean keeps the peak memory of compiling g once (with
// ReleaseWeights, which frees each weight as it is packed) near what it
// must hold: the model's weights, and their packed copies as they replace
// them. Loading leaves garbage (a built-in model's calibration
// activations, a parsed ONNX file) and pages of code that compiling does
// not use: both go first. Then, while compiling, a soft memory limit of
// what is held now plus the largest weight (its packed copy, padded, is
// made while the source is alive) makes the runtime collect and return
// freed pages as it goes, instead of growing the heap by a quarter of it
// (collectEarly) and keeping freed pages for a background scavenger that
// is slower than a compile. The returned func lifts the limit and returns
// the compile's garbage. `mnc run -threads 1 mobilenet_v2` (13.9 MB of
// weights): peak RSS 34.4-37.1 -> 28.8-30.7 MB, 10-20% more CPU in the
// compile. GOMEMLIMIT, when set, decides.
func compileLean(g *ir.Graph) (done func()) {
	if !isCommand || os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	debug.FreeOSMemory()
	releaseLeanPages()
	var largest int64
	for _, n := range g.Nodes {
		for _, v := range n.Inputs {
			if v.IsConst() {
				largest = max(largest, 4*int64(len(v.Const.Data)))
			}
		}
	}
	var ms goruntime.MemStats
	goruntime.ReadMemStats(&ms)
	held := int64(ms.Sys - ms.HeapReleased)
	debug.SetMemoryLimit(held + largest + largest/8)
	return func() {
		debug.SetMemoryLimit(math.MaxInt64)
		debug.FreeOSMemory()
	}
}

// shaped is the model's graph with the given input shapes and the batch
// implied by the input file (0: none).
func (m *model) shaped(c *compileFlags, shapes map[string][]int, input string) (*ir.Graph, int, error) {
	if c.batch != 0 {
		input = "" // -batch says it; readInput checks the file's size
	}
	return shapeModel(m.g, shapes, input, c.batch)
}

// loadPlan compiles MODEL with its one set of -shape values, or loads it
// when it is a plan file.
func loadPlan(spec string, c *compileFlags) (*plan.Plan, error) {
	m, err := openModel(spec, c)
	if err != nil {
		return nil, err
	}
	set, err := c.shapes.oneSet(m.inputs())
	if err != nil {
		return nil, err
	}
	m.once = true
	return m.plan(c, set, "")
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
