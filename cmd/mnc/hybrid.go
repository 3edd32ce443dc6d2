package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/mnc-go/mnc"
	"github.com/mnc-go/mnc/dyn"
	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/reference"
)

// openTail returns the split model when spec is an ONNX file whose graph
// ends in operators mnc does not compile (NonZero, TopK, NMS, If, ...),
// and nil for every other model.
func openTail(spec string) (*dyn.Model, error) {
	if !strings.EqualFold(filepath.Ext(spec), ".onnx") {
		return nil, nil
	}
	return dyn.Load(spec)
}

// runTail is mnc run for a model with an interpreted tail: the compiled
// prefix (or, with -ref, the reference executor) then the interpreter.
func runTail(h *dyn.Model, cf *compileFlags, input string, threads int, ref bool) error {
	g := h.Prefix
	if g.Inputs[0].Shape[0] < 0 {
		g = g.Clone()
		if err := g.SetBatch(max(cf.batch, 1)); err != nil {
			return err
		}
	}
	ins := map[string]*ir.Tensor{}
	var list []*ir.Tensor
	for _, v := range g.Inputs {
		t, err := readInput(input, v.Name, v.Shape)
		if err != nil {
			return err
		}
		ins[v.Name] = t
		list = append(list, t)
	}
	pre := map[string]*ir.Tensor{}
	t0 := time.Now()
	what := "reference executor"
	if ref {
		r, err := reference.Run(g, ins, nil)
		if err != nil {
			return err
		}
		pre = r
	} else {
		o, err := cf.options()
		if err != nil {
			return err
		}
		p, _, err := mnc.Compile(g, o)
		if err != nil {
			return err
		}
		e, err := mnc.NewExecutor(p, threads)
		if err != nil {
			return err
		}
		defer e.Close()
		outs := e.NewOutputs()
		t0 = time.Now()
		if err := e.Run(list, outs); err != nil {
			return err
		}
		for i, io := range p.Outputs {
			pre[io.Name] = outs[i]
		}
		what = fmt.Sprintf("plan (isa %s, %d threads, %s)", p.ISA, e.Threads(), levelName(p))
	}
	t1 := time.Now()
	outs, err := h.RunTail(pre, ins)
	if err != nil {
		return err
	}
	t2 := time.Now()
	for i, name := range h.OutputNames() {
		o := outs[i]
		fmt.Fprintf(stdout, "output %q %v %v\n", name, o.DT, ir.Shape(o.Shape))
		if len(o.Shape) <= 1 {
			fmt.Fprintf(stdout, "  %v", o.V[:min(len(o.V), 20)])
			if len(o.V) > 20 {
				fmt.Fprintf(stdout, " ... (%d values)", len(o.V))
			}
			fmt.Fprintln(stdout)
			continue
		}
		row := max(o.Shape[len(o.Shape)-1], 1)
		for r := 0; r*row < len(o.V) && r < 10; r++ {
			fmt.Fprintf(stdout, "  %v\n", o.V[r*row:min((r+1)*row, len(o.V))])
		}
		if len(o.V) > 10*row {
			fmt.Fprintf(stdout, "  ... (%d rows)\n", len(o.V)/row)
		}
	}
	fmt.Fprintf(stdout, "time: %.3f ms compiled prefix (%s, first run includes warm-up) + %.3f ms interpreted tail (%d nodes)\n",
		msec(t1.Sub(t0)), what, msec(t2.Sub(t1)), len(h.Tail.Nodes))
	return nil
}
