package main

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/mnc-go/mnc"
	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/limits"
	"github.com/mnc-go/mnc/plan"
	"github.com/mnc-go/mnc/reference"
)

func init() {
	commands["run"] = &command{name: "run", usage: "mnc run [-image FILE]... [-preset P] [-labels FILE] [-json] [-input FILE] [-output FILE] [-threads N] [-O0|-O2] [-isa ISA] [-batch N] [-shape NAME=DIMS]... [-ref] MODEL|PLAN", run: runRun}
}

func runRun(args []string) error {
	fs := newFlags("run", commands["run"].usage)
	var cf compileFlags
	cf.register(fs)
	input := fs.String("input", "", "raw little-endian float32 input, row-major over the model's input shape in its own layout (NCHW for most models); a symbolic batch is inferred from its size (default: the deterministic built-in input)")
	output := fs.String("output", "", "write the raw little-endian float32 output to this file; with several outputs (or when it is a directory) each to DIR/<output name>.bin")
	threads := &cf.threads
	fs.IntVar(threads, "threads", 0, "threads (default: all cores)")
	ref := fs.Bool("ref", false, "run the plain reference executor instead of a compiled plan")
	top := fs.Int("top", 5, "how many top classes to print for each [N, C] output")
	var imf imageFlags
	imf.register(fs)
	labelFile := fs.String("labels", "", "class names, one a line, for [N, C] outputs (default: ImageNet's for 1000 classes, and for 1001 with background at class 0)")
	asJSON := fs.Bool("json", false, "print the outputs (top classes, or range and mean) and times as JSON")
	spec, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if *threads < 0 {
		return usagef("-threads %d: must be positive", *threads)
	}
	if *top < 1 {
		return usagef("-top %d: must be at least 1", *top)
	}
	if *ref && mnc.IsPlanFile(spec) {
		return usagef("-ref runs a model, not a compiled plan")
	}
	if err := imf.check(*input); err != nil {
		return err
	}
	if tail, err := openTail(spec); err != nil || tail != nil {
		if err != nil {
			return err
		}
		if len(imf.files) > 0 || *asJSON || *output != "" {
			return usagef("%s has an interpreted tail: -image, -json and -output are not supported for it (use -input)", spec)
		}
		return runTail(tail, &cf, *input, *threads, *ref)
	}
	m, err := openModel(spec, &cf)
	if err != nil {
		return err
	}
	sets, err := m.shapeSets(&cf)
	if err != nil {
		return err
	}
	m.once = len(sets) == 1 && !*ref
	if m.p != nil && len(imf.files) == 0 {
		collectRarely()
	}
	if len(sets) > 1 && (*input != "" || *output != "") {
		return usagef("-input and -output take one shape per input (several -shape values run the built-in input at each)")
	}
	if len(sets) > 1 && len(imf.files) > 0 {
		return usagef("-image takes one shape per input (the images and -preset decide it)")
	}
	for _, set := range sets {
		if len(sets) > 1 && !*asJSON {
			fmt.Fprintf(stdout, "shape %s\n", setString(set))
		}
		img, set, err := imf.input(m, &cf, set)
		if err != nil {
			return err
		}
		r, err := runOnce(m, &cf, set, *input, img, *threads, *ref)
		if err != nil {
			return err
		}
		if *asJSON {
			if err := printRunJSON(spec, set, r, *top, *labelFile, imf.files); err != nil {
				return err
			}
		} else {
			for i, t := range r.outs {
				if err := printOutput(t, r.names[i], *top, *labelFile, imf.files); err != nil {
					return err
				}
			}
		}
		if *output != "" {
			if err := writeOutputs(*output, r.names, r.outs); err != nil {
				return err
			}
		}
		if *asJSON {
			continue
		}
		if r.compile > 0 {
			fmt.Fprintf(stdout, "compile: %.1f ms\n", msec(r.compile))
		}
		fmt.Fprintf(stdout, "time: %.3f ms (one run, %s, first run includes warm-up; use mnc bench for latency)\n", msec(r.elapsed), r.what)
	}
	return nil
}

func msec(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }

// runResult is one run of mnc run: the outputs in graph order.
type runResult struct {
	outs             []*ir.Tensor
	names            []string
	compile, elapsed time.Duration // compile: 0 for a plan file and -ref
	what             string
}

// runOnce runs the model once at one set of input shapes, on a compiled
// plan or (ref) the reference executor; img, when not nil, is the input
// (made from -image files).
func runOnce(m *model, cf *compileFlags, set map[string][]int, input string, img *ir.Tensor, threads int, ref bool) (*runResult, error) {
	r := &runResult{}
	if ref {
		g, batch, err := m.shaped(cf, set, input)
		if err != nil {
			return nil, err
		}
		if cf.batch > 0 {
			batch = cf.batch
		}
		if batch == 0 && len(g.Inputs) > 0 && len(g.Inputs[0].Shape) > 0 && g.Inputs[0].Shape[0] < 0 {
			batch = 1
		}
		if batch > 0 {
			if err := g.SetBatch(batch); err != nil {
				return nil, err
			}
		}
		in := map[string]*ir.Tensor{}
		for _, v := range g.Inputs {
			if img != nil {
				in[v.Name] = img
				continue
			}
			t, err := readInput(input, v.Name, v.Shape)
			if err != nil {
				return nil, err
			}
			in[v.Name] = t
		}
		t0 := time.Now()
		res, err := reference.Run(g, in, nil)
		if err != nil {
			return nil, err
		}
		r.elapsed = time.Since(t0)
		for _, v := range g.Outputs {
			r.outs = append(r.outs, res[v.Name])
			r.names = append(r.names, v.Name)
		}
		r.what = "reference executor"
		return r, nil
	}
	t0 := time.Now()
	stop := busy("compiling " + m.spec)
	p, err := m.plan(cf, set, input)
	stop()
	if err != nil {
		return nil, err
	}
	if m.p == nil {
		r.compile = time.Since(t0)
	}
	e, err := mnc.NewExecutor(p, threads)
	if err != nil {
		return nil, err
	}
	defer e.Close()
	var ins []*ir.Tensor
	for _, io := range p.Inputs {
		if img != nil {
			ins = append(ins, img)
			continue
		}
		t, err := readInput(input, io.Name, io.Buf.Shape)
		if err != nil {
			return nil, err
		}
		ins = append(ins, t)
	}
	r.outs = e.NewOutputs()
	// A mapped plan file runs once: the pages loading touched (code,
	// tables) go before the run, which brings back only its own (a page at
	// a time: see releaseLeanPages), and the
	// file's pages go as soon as it ends (what follows reads the outputs
	// and the plan's step list, not its weights), so the process's peak
	// holds the weights, the run's memory and code, and little else.
	lean := m.once && m.p != nil && m.p.Mapped()
	if lean {
		releaseLeanPages()
	}
	t0 = time.Now()
	if err := e.Run(ins, r.outs); err != nil {
		return nil, err
	}
	r.elapsed = time.Since(t0)
	if lean {
		m.p.Release() // e is closed (deferred) and not run again
	}
	for _, io := range p.Outputs {
		r.names = append(r.names, io.Name)
	}
	r.what = fmt.Sprintf("plan (isa %s, %d threads, %s)", p.ISA, e.Threads(), levelName(p))
	return r, nil
}

// setString prints one set of -shape values as the flags give them.
func setString(set map[string][]int) string {
	var names []string
	for n := range set {
		names = append(names, n)
	}
	sort.Strings(names)
	var parts []string
	for _, n := range names {
		parts = append(parts, shapeArg{name: n, dims: set[n]}.String())
	}
	return strings.Join(parts, " ")
}

// writeOutputs writes one output to path; several (or one, when path is
// an existing directory) each to path/<sanitized name>.bin, creating the
// directory.
func writeOutputs(path string, names []string, outs []*ir.Tensor) error {
	st, err := os.Stat(path)
	isDir := err == nil && st.IsDir()
	if len(outs) == 1 && !isDir {
		return writeRaw(path, outs[0].Data)
	}
	if err == nil && !isDir {
		return fmt.Errorf("-output %s: the model has %d outputs, so -output names a directory (one NAME.bin per output), but %s is a file", path, len(outs), path)
	}
	if err := os.MkdirAll(path, 0o755); err != nil {
		return fmt.Errorf("-output: %w", err)
	}
	used := map[string]string{}
	for i, t := range outs {
		file := sanitizeName(names[i]) + ".bin"
		if prev, ok := used[file]; ok {
			return fmt.Errorf("-output: outputs %q and %q both map to the file name %s", prev, names[i], file)
		}
		used[file] = names[i]
		if err := writeRaw(filepath.Join(path, file), t.Data); err != nil {
			return err
		}
	}
	return nil
}

// sanitizeName keeps letters, digits, '.', '_' and '-' of an output name
// and turns every other character into '_' (so "boxes:0" and
// "p2o/Concat.1" become file names); a name of dots alone becomes '_'s.
func sanitizeName(name string) string {
	b := []rune(name)
	dots := true
	for k, r := range b {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-':
			dots = false
		case r == '.':
		default:
			b[k] = '_'
			dots = false
		}
	}
	if dots {
		return strings.Repeat("_", len(b)+1)
	}
	return string(b)
}

func levelName(p *plan.Plan) string {
	for _, s := range p.Steps {
		if len(s.Fused) > 0 {
			return "fused"
		}
	}
	return "unfused"
}

// readInput reads a raw float32 file of exactly shape's size, or returns
// DESIGN.md's deterministic input when path is empty.
func readInput(path, name string, shape ir.Shape) (*ir.Tensor, error) {
	if shape.Size() < 0 {
		return nil, fmt.Errorf("input %q has unknown shape %v (use -batch)", name, shape)
	}
	if path == "" {
		return reference.FixedInput(shape...), nil
	}
	// At most one byte more than the input needs: /dev/zero or a huge file
	// is refused after reading that much, not read to the end.
	if err := limits.Check(0, fmt.Sprintf("input %q %v", name, shape), limits.Mul(4, int64(shape.Size()))); err != nil {
		return nil, err
	}
	b, err := readBounded(path, int64(4*shape.Size())+1)
	if err != nil {
		return nil, fmt.Errorf("-input: %w", err)
	}
	if len(b) > 4*shape.Size() {
		return nil, fmt.Errorf("-input %s: more than the %d bytes input %q %v needs (%d float32 values)", path, 4*shape.Size(), name, shape, shape.Size())
	}
	if len(b) != 4*shape.Size() {
		return nil, fmt.Errorf("-input %s: %d bytes, but input %q %v needs %d float32 values (%d bytes)", path, len(b), name, shape, shape.Size(), 4*shape.Size())
	}
	t := ir.NewTensor(shape...)
	for i := range t.Data {
		t.Data[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return t, nil
}

func writeRaw(path string, data []float32) error {
	b := make([]byte, 4*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("-output: %w", err)
	}
	return nil
}

// printOutput prints an output's name and shape, and for a classifier's
// [N, C] (or [N, C, 1, 1]) output each image's k most likely classes with
// their labels and probabilities; other outputs get their range and mean.
func printOutput(t *ir.Tensor, name string, k int, labelFile string, files []string) error {
	o, err := summarize(t, name, k, labelFile, files)
	if err != nil {
		return err
	}
	o.print()
	return nil
}

// readBounded reads at most max bytes of path (a regular file, a pipe or a
// terminal; devices like /dev/zero read only that far).
func readBounded(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, max))
}
