package main

import (
	"fmt"

	"github.com/mnc-go/mnc/analysis"
	"github.com/mnc-go/mnc/passes"
)

func init() {
	commands["stats"] = &command{name: "stats", usage: "mnc stats [-json] [-shape NAME=DIMS]... MODEL", run: runStats}
}

// runStats prints MODEL's per-layer costs, totals (MACs, FLOPs, params,
// weights), shares by layer kind and the standard-conv comparison. Only
// shapes matter, so built-in models are built without weights.
func runStats(args []string) error {
	fs := newFlags("stats", commands["stats"].usage)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	var shapes shapeFlag
	fs.Var(&shapes, "shape", shapeUsage)
	spec, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	g, err := loadModel(spec, true)
	if err != nil {
		return err
	}
	set, err := shapes.oneSet(inputNames(g))
	if err != nil {
		return err
	}
	if g, _, err = shapeModel(g, set, "", 0); err != nil {
		return err
	}
	// The graph in mnc's spelling (an ONNX import keeps the exporter's):
	// one HardSwish row rather than its Add, Clip, Div and Mul.
	if err := passes.Canonicalize(g); err != nil {
		return fmt.Errorf("analyzing %s: %w", spec, err)
	}
	r, err := analysis.Analyze(g)
	if err != nil {
		return fmt.Errorf("analyzing %s: %w", spec, err)
	}
	if *asJSON {
		return r.WriteJSON(stdout)
	}
	return r.WriteText(stdout)
}
