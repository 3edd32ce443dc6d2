package main

import (
	"bufio"
	"fmt"
	"os"

	"github.com/mnc-go/mnc/frontend/onnx"
	"github.com/mnc-go/mnc/passes"
)

func init() {
	commands["export"] = &command{name: "export", usage: "mnc export MODEL -o FILE.onnx", run: runExport}
}

// runExport writes MODEL (any form loadModel reads) as an ONNX file (opset
// 17) that other runtimes can execute.
func runExport(args []string) error {
	fs := newFlags("export", commands["export"].usage)
	outPath := fs.String("o", "", "output ONNX `file` (required)")
	spec, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if *outPath == "" {
		return usagef("-o FILE.onnx is required")
	}
	g, err := loadModel(spec, false)
	if err != nil {
		return err
	}
	// Written in mnc's spelling, as the compiler starts from it.
	if err := passes.Canonicalize(g); err != nil {
		return fmt.Errorf("exporting %s: %v", spec, err)
	}
	f, err := os.Create(*outPath)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	if err := onnx.Write(w, g); err != nil {
		f.Close()
		os.Remove(*outPath)
		return fmt.Errorf("exporting %s: %v", spec, err)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (%d nodes, opset %d)\n", *outPath, len(g.Nodes), onnx.ExportOpset)
	return nil
}
