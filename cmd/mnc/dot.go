package main

import (
	"bufio"
	"fmt"
	"os"
)

func init() {
	commands["dot"] = &command{name: "dot", usage: "mnc dot [-o FILE] MODEL", run: runDot}
}

// runDot writes the model's graph in Graphviz DOT form (render it with
// `dot -Tsvg`).
func runDot(args []string) error {
	fs := newFlags("dot", commands["dot"].usage)
	out := fs.String("o", "", "write to this file instead of standard output")
	spec, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	g, err := loadModel(spec, true)
	if err != nil {
		return err
	}
	if g.Unbound != nil {
		return g.Unbound
	}
	if *out == "" {
		return g.WriteDOT(stdout)
	}
	f, err := os.Create(*out)
	if err != nil {
		return fmt.Errorf("-o: %w", err)
	}
	w := bufio.NewWriter(f)
	if err := g.WriteDOT(w); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
