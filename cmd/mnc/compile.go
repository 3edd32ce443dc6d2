package main

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/mnc-go/mnc"
	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/passes"
)

func init() {
	commands["compile"] = &command{name: "compile", usage: "mnc compile [-o FILE] [-O0|-O2] [-isa ISA] [-batch N] [-shape NAME=DIMS]... [-threads N] [-disable PASS,...] [-dump-after PASS|all] [-steps] [-int8 [-calib FILE,...|-calib-random N]] MODEL", run: runCompile}
}

func runCompile(args []string) error {
	fs := newFlags("compile", commands["compile"].usage)
	var cf compileFlags
	cf.register(fs)
	out := fs.String("o", "", "write the plan to this file (run it with mnc run/bench FILE)")
	steps := fs.Bool("steps", false, "list every step of the plan")
	fs.IntVar(&cf.threads, "threads", 0, "threads the plan is for: blocks whose rows cannot feed them all stay unfused (default: this machine's cores)")
	int8 := fs.Bool("int8", false, "quantize the model first (as mnc quantize: int8 weights, uint8 activations calibrated on built-in inputs or -calib files) and compile the int8 model")
	calib := calibFlags{defaultN: 8}
	calib.register(fs)
	spec, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	o, err := cf.options()
	if err != nil {
		return err
	}
	qo, err := calib.options()
	if err != nil {
		return err
	}
	if !*int8 && (len(calib.files) > 0 || calib.random != 0 || !calib.perChan || calib.method != "percentile" || calib.preset != "" || calib.ref) {
		return usagef("-calib, -calib-random, -per-channel, -method, -preset and -reference apply with -int8 only")
	}
	o.Verify = true
	tail, err := openTail(spec)
	if err != nil {
		return err
	}
	var g *ir.Graph
	if tail != nil {
		fmt.Fprint(stdout, tail.Describe())
		g = tail.Prefix
	} else if g, err = loadModel(spec, false); err != nil {
		return err
	}
	if *int8 {
		if mnc.IsPlanFile(spec) {
			return usagef("%s is a compiled plan: -int8 quantizes a model", spec)
		}
		calib.shape = cf.shapes // a symbolic model calibrates at the size it is compiled for
		if g, err = quantizeModel(g, &calib, qo); err != nil {
			return err
		}
	}
	set, err := cf.shapes.oneSet(inputNames(g))
	if err != nil {
		return err
	}
	if g, _, err = shapeModel(g, set, "", cf.batch); err != nil {
		return err
	}
	stop := func() {}
	if o.DumpAfter == "" { // the dump goes to the terminal too
		stop = busy("compiling " + spec)
	}
	p, rep, err := mnc.Compile(g, o)
	stop()
	if err != nil {
		return err
	}
	var sum bytes.Buffer
	passes.Summarize(&sum, p)
	lines := strings.SplitAfter(sum.String(), "\n")
	if !*steps && len(lines) > summaryLines {
		lines = lines[:summaryLines] // the overview; the per-step list follows it
	}
	fmt.Fprint(stdout, strings.Join(lines, ""))
	if rep.BlocksLeftForThreads > 0 {
		fmt.Fprintf(stdout, "  blocks: %d left unfused: their rows cannot give each of %d threads a band (-threads sets the count)\n", rep.BlocksLeftForThreads, o.Threads)
	}
	fmt.Fprintf(stdout, "  memory: arena %s (live peak %s) vs %s for all intermediate tensors; scratch %s per thread\n",
		mib(rep.ArenaBytes), mib(rep.LivePeakBytes), mib(rep.IntermediateBytes), mib(rep.ScratchBytes))
	fmt.Fprint(stdout, "  passes:")
	for _, pt := range rep.Passes {
		if pt.Ran {
			fmt.Fprintf(stdout, " %s %.1fms", pt.Name, float64(pt.Duration.Microseconds())/1000)
		} else {
			fmt.Fprintf(stdout, " %s (skipped)", pt.Name)
		}
	}
	fmt.Fprintln(stdout)
	if *out != "" {
		if err := mnc.SavePlan(*out, p); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s\n", *out)
	}
	return nil
}

// summaryLines is how many lines of passes.Summarize are the overview.
const summaryLines = 5

func mib(b int64) string { return fmt.Sprintf("%.2f MiB", float64(b)/(1<<20)) }
