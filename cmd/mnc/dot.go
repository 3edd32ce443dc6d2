package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/passes"
	"github.com/mnc-go/mnc/runtime"
)

func init() {
	commands["dot"] = &command{name: "dot", usage: "mnc dot [-after PASS] [-o FILE.dot] [-png FILE.png] [-shape NAME=DIMS]... MODEL", run: runDot}
}

// runDot writes the model's graph in Graphviz DOT form, as imported or
// (-after) as the compiler left it after a pass, with what was fused into
// each node on it; -png renders it with Graphviz's dot.
func runDot(args []string) error {
	fs := newFlags("dot", commands["dot"].usage)
	out := fs.String("o", "", "write the DOT text to this file instead of standard output")
	pngFile := fs.String("png", "", "render the graph to this PNG file with Graphviz's dot (it must be installed: Debian's graphviz)")
	after := fs.String("after", "", "draw the graph after this compiler pass (-O2 pipeline; \"fused\" is after the last fusion pass, fuse-se): fused nodes are filled and list what they absorbed")
	var sf shapeFlag
	fs.Var(&sf, "shape", shapeUsage)
	spec, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if *after == "fused" {
		*after = "fuse-se"
	}
	if *after != "" && !contains(passes.Names(), *after) {
		return usagef("-after %s: no such pass (passes: %s, or fused)", *after, strings.Join(passes.Names(), ", "))
	}
	var dotPath string
	if *pngFile != "" {
		if dotPath, err = exec.LookPath("dot"); err != nil {
			return usagef("-png: Graphviz's dot command is not installed (Debian: apt-get install graphviz); write the DOT text with -o and render it elsewhere")
		}
	}
	// Compiling needs the weights (folding rewrites them); drawing the
	// imported graph does not.
	g, err := loadModel(spec, *after == "")
	if err != nil {
		return err
	}
	set, err := sf.oneSet(inputNames(g))
	if err != nil {
		return err
	}
	g, _, err = shapeModel(g, set, "", 0)
	if err != nil {
		return err
	}
	var text bytes.Buffer
	if *after == "" {
		err = g.WriteDOT(&text)
	} else {
		err = drawAfter(&text, g, *after)
	}
	if err != nil {
		return err
	}
	if *pngFile != "" {
		cmd := exec.Command(dotPath, "-Tpng", "-o", *pngFile)
		cmd.Stdin = bytes.NewReader(text.Bytes())
		var errb bytes.Buffer
		cmd.Stderr = &errb
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("-png: dot failed: %v %s", err, strings.TrimSpace(errb.String()))
		}
		if *out == "" {
			return nil
		}
	}
	if *out == "" {
		_, err := stdout.Write(text.Bytes())
		return err
	}
	if err := os.WriteFile(*out, text.Bytes(), 0o644); err != nil {
		return fmt.Errorf("-o: %w", err)
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// drawAfter compiles g (-O2, best ISA) and writes the graph as it was after
// pass: nodes with something fused into them are filled and list it (the
// folded BatchNorm, the residual add, the activation, the algorithm chosen).
func drawAfter(w *bytes.Buffer, g *ir.Graph, pass string) error {
	isa, err := runtime.SelectISA("")
	if err != nil {
		return err
	}
	set, err := kernels.ForISA(isa)
	if err != nil {
		return err
	}
	var drawErr error
	drawn := false
	o := passes.Options{Level: 2, AfterPass: func(name string, st *passes.State) {
		if name != pass || drawn {
			return
		}
		drawn = true
		drawErr = st.G.WriteDOTAnnotated(w, func(n *ir.Node) ([]string, string) {
			var lines []string
			fill := ""
			if f := n.Attrs.Folded; len(f) > 0 {
				lines = append(lines, "fused: "+strings.Join(f, " + "))
				fill = "lightgoldenrod1"
			}
			if e := n.Attrs.Fused; e.Act != ir.ActNone || e.Residual {
				fill = "lightgoldenrod1"
			}
			if a := n.Attrs.Algo; a != "" {
				lines = append(lines, "runs as "+a)
			}
			if n.Attrs.SE {
				lines = append(lines, "SE channel scale (in place)")
				fill = "lightblue"
			}
			return lines, fill
		})
	}}
	if _, _, err := passes.Compile(g, o, set); err != nil {
		return err
	}
	if !drawn {
		return fmt.Errorf("-after %s: the pass did not run", pass)
	}
	return drawErr
}
