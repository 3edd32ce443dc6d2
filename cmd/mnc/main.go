// Command mnc compiles MobileNet-family networks to executable plans and
// runs, inspects and benchmarks them. Run `mnc help` for the subcommands.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/mnc-go/mnc/limits"
)

// command is one subcommand; each registers itself in an init() of its file.
type command struct {
	name, usage string
	run         func(args []string) error
}

var commands = map[string]*command{}

// usageError marks errors caused by how mnc was called (exit status 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

func main() {
	isCommand = true
	releaseStartupPages()
	os.Exit(realMain(os.Args[1:], os.Stdout, os.Stderr))
}

// isCommand is set when mnc runs as a command (not realMain called by a
// test): process-wide settings (collectEarly) are made only then.
var isCommand bool

// collectEarly sets the garbage collector's target for loading and
// compiling a model (loadModel calls it; running a plan file allocates too
// little to need it, and collections it would trigger on a heap of a few
// MB page in runtime code and tables). Compiling holds the
// weights, then their folded and packed copies and the reference
// executor's tensors (calibration of built-in models) in turn. At Go's
// default GOGC=100 the heap grows to twice its live size between
// collections, and that slack set the peak RSS of `mnc run MODEL`;
// collecting at 25% growth costs little CPU here (weights hold no
// pointers; a 100k-node graph compiles ~5% slower). Building a zoo or
// described model collects at 10%: its graph is small and its tensors
// hold no pointers, so a collection costs next to nothing, and its peak
// (all the weights, and the calibration's 4.8 MB activations of
// MobileNetV2's first blocks in turn) fell from 28.5-33.1 to 26.1-26.6 MB.
// GOGC, when set, still decides.
func collectEarly(percent int) {
	if isCommand && os.Getenv("GOGC") == "" {
		debug.SetGCPercent(percent)
	}
}

// collectRarely sets the garbage collector's target for running a plan
// file (without pictures to decode): what the run allocates (arena,
// scratch, input, the plan's step list) stays live, so a collection would
// free nothing, but the heap passes Go's initial 4 MB target as the arena
// is allocated, and the cycle that starts then runs during the run and
// pages in the collector's code, the stack maps and its own metadata
// (0.3-0.6 MB of the 20 MiB V2 runs in). At 1000% the first collection
// comes at 40 MB. GOGC, when set, still decides.
func collectRarely() {
	if isCommand && os.Getenv("GOGC") == "" {
		debug.SetGCPercent(1000)
	}
}

var stdout io.Writer = os.Stdout

func realMain(args []string, out, errw io.Writer) int {
	stdout, stderr = out, errw
	limits.SetMaxMemory(0) // the default, unless -max-memory says otherwise
	if len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		if len(args) > 1 {
			if c, ok := commands[args[1]]; ok {
				c.run([]string{"-h"}) // prints the usage line and the flags
				return 0
			}
		}
		printUsage(out)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(errw, "mnc: unknown command %q (commands: %s)\n", args[0], strings.Join(commandNames(), ", "))
		return 2
	}
	err := c.run(args[1:])
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	default:
		fmt.Fprintf(errw, "mnc %s: %v\n", c.name, err)
		return 2
	}
}

func commandNames() []string {
	var names []string
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "mnc compiles MobileNet-family CNNs into executable plans and runs them fast on CPUs.")
	fmt.Fprintln(w, "\nusage: mnc COMMAND [flags] MODEL")
	fmt.Fprintln(w, "\ncommands:")
	for _, n := range commandNames() {
		fmt.Fprintf(w, "  %s\n", commands[n].usage)
	}
	fmt.Fprintln(w, "\nMODEL is a built-in name with options (mobilenet_v2, mobilenet_v1:alpha=0.5,res=160,")
	fmt.Fprintln(w, "mobilenet_v3_small:alpha=0.75,classes=1001), a description file (*.mnc), an ONNX file")
	fmt.Fprintln(w, "(*.onnx), or, for run and bench, a compiled plan file (*.plan).")
	fmt.Fprintln(w, "Run `mnc help COMMAND` for a command's flags.")
}

// newFlags returns a FlagSet that reports errors instead of exiting.
func newFlags(name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.Func("max-memory", fmt.Sprintf("memory budget: files, weights, folded constants, arena, scratch and batch must fit (like 512MiB, 16GiB; default %s: half the machine's memory, at most %s)", limits.Size(limits.Default()), limits.Size(limits.DefaultCap)), func(s string) error {
		n, err := limits.ParseSize(s)
		if err != nil {
			return err
		}
		limits.SetMaxMemory(n)
		return nil
	})
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: %s\n", usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args and requires exactly one positional MODEL argument.
func parseFlags(fs *flag.FlagSet, args []string) (string, error) {
	fs.SetOutput(io.Discard)
	args, err := interleave(fs, args)
	if err != nil {
		return "", err
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fs.Usage()
			return "", err
		}
		return "", usagef("%v", err)
	}
	fs.SetOutput(stdout)
	if fs.NArg() != 1 {
		return "", usagef("want exactly one MODEL argument, got %d (see mnc help %s)", fs.NArg(), fs.Name())
	}
	return fs.Arg(0), nil
}

// interleave moves flags that follow the positional argument in front of it,
// so `mnc run mobilenet_v2 -threads 1` works as users type it.
// A flag that takes a value but is the last argument is an error here: the
// flag package would otherwise take the model name as its value
// ("invalid value "mobilenet_v2" for flag -threads").
func interleave(fs *flag.FlagSet, args []string) ([]string, error) {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			flags = append(flags, a)
			name := strings.TrimLeft(a, "-")
			if strings.Contains(name, "=") {
				continue
			}
			if f := fs.Lookup(name); f != nil {
				if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() {
					continue
				}
				if i+1 >= len(args) {
					return nil, usagef("flag %s needs a value", a)
				}
				flags = append(flags, args[i+1])
				i++
			}
			continue
		}
		pos = append(pos, a)
	}
	return append(flags, pos...), nil
}
