package main

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"sort"
	"time"

	"github.com/mnc-go/mnc"
	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/plan"
	"github.com/mnc-go/mnc/reference"
)

func init() {
	commands["run"] = &command{name: "run", usage: "mnc run [-input FILE] [-output FILE] [-threads N] [-O0|-O2] [-isa ISA] [-batch N] [-shape NAME=DIMS]... [-ref] MODEL|PLAN", run: runRun}
}

func runRun(args []string) error {
	fs := newFlags("run", commands["run"].usage)
	var cf compileFlags
	cf.register(fs)
	input := fs.String("input", "", "raw little-endian float32 input, row-major over the model's input shape in its own layout (NCHW for most models); a symbolic batch is inferred from its size (default: the deterministic built-in input)")
	output := fs.String("output", "", "write the raw little-endian float32 output here")
	threads := fs.Int("threads", 0, "threads (default: all cores)")
	ref := fs.Bool("ref", false, "run the plain reference executor instead of a compiled plan")
	top := fs.Int("top", 5, "how many top classes to print")
	spec, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if *threads < 0 {
		return usagef("-threads %d: must be positive", *threads)
	}
	var (
		outs    []*ir.Tensor
		names   []string
		elapsed time.Duration
		what    string
	)
	if *ref && mnc.IsPlanFile(spec) {
		return usagef("-ref runs a model, not a compiled plan")
	}
	m, err := openModel(spec, &cf)
	if err != nil {
		return err
	}
	set, err := cf.shapes.oneSet(m.inputs())
	if err != nil {
		return err
	}
	if *ref {
		g, batch, err := m.shaped(&cf, set, *input)
		if err != nil {
			return err
		}
		if cf.batch > 0 {
			batch = cf.batch
		}
		if batch == 0 && len(g.Inputs) > 0 && len(g.Inputs[0].Shape) > 0 && g.Inputs[0].Shape[0] < 0 {
			batch = 1
		}
		if batch > 0 {
			if err := g.SetBatch(batch); err != nil {
				return err
			}
		}
		in := map[string]*ir.Tensor{}
		for _, v := range g.Inputs {
			t, err := readInput(*input, v.Name, v.Shape)
			if err != nil {
				return err
			}
			in[v.Name] = t
		}
		t0 := time.Now()
		res, err := reference.Run(g, in, nil)
		if err != nil {
			return err
		}
		elapsed = time.Since(t0)
		for _, v := range g.Outputs {
			outs = append(outs, res[v.Name])
			names = append(names, v.Name)
		}
		what = "reference executor"
	} else {
		p, err := m.plan(&cf, set, *input)
		if err != nil {
			return err
		}
		e, err := mnc.NewExecutor(p, *threads)
		if err != nil {
			return err
		}
		defer e.Close()
		var ins []*ir.Tensor
		for _, io := range p.Inputs {
			t, err := readInput(*input, io.Name, io.Buf.Shape)
			if err != nil {
				return err
			}
			ins = append(ins, t)
		}
		outs = e.NewOutputs()
		t0 := time.Now()
		if err := e.Run(ins, outs); err != nil {
			return err
		}
		elapsed = time.Since(t0)
		for _, io := range p.Outputs {
			names = append(names, io.Name)
		}
		what = fmt.Sprintf("plan (isa %s, %d threads, %s)", p.ISA, e.Threads(), levelName(p))
	}
	for i, t := range outs {
		printTop(t, names[i], *top)
	}
	fmt.Fprintf(stdout, "time: %.3f ms (one run, %s, first run includes warm-up; use mnc bench for latency)\n", float64(elapsed.Microseconds())/1000, what)
	if *output != "" {
		if len(outs) != 1 {
			return fmt.Errorf("-output: the model has %d outputs; writing more than one is not supported", len(outs))
		}
		if err := writeRaw(*output, outs[0].Data); err != nil {
			return err
		}
	}
	return nil
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
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("-input: %w", err)
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

// printTop prints each image's k largest outputs (the logits' top classes).
func printTop(t *ir.Tensor, name string, k int) {
	rows, cols := 1, len(t.Data)
	if len(t.Shape) >= 2 && t.Shape[0] > 0 {
		rows, cols = t.Shape[0], len(t.Data)/t.Shape[0]
	}
	finite := true
	for _, v := range t.Data {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			finite = false
		}
	}
	fmt.Fprintf(stdout, "output %q %v", name, t.Shape)
	if !finite {
		fmt.Fprint(stdout, " (contains NaN or Inf)")
	}
	fmt.Fprintln(stdout)
	for r := 0; r < rows; r++ {
		row := t.Data[r*cols : (r+1)*cols]
		idx := make([]int, len(row))
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, b int) bool { return row[idx[a]] > row[idx[b]] })
		if k > len(idx) {
			k = len(idx)
		}
		fmt.Fprintf(stdout, "  image %d top-%d:", r, k)
		for _, i := range idx[:k] {
			fmt.Fprintf(stdout, " %d (%.4f)", i, row[i])
		}
		fmt.Fprintln(stdout)
	}
}
