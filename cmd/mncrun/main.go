// Command mncrun runs a plan file compiled by `mnc compile -o` and nothing
// else: it imports only the plan, runtime and kernels packages, so it is
// the smallest process that runs a model (no ONNX, model zoo, images or
// plotting in the binary). The plan file is mapped into memory, so its
// weights are read in place.
//
//	mncrun [-threads N] [-input F] [-output F] [-runs N] PLAN
//
// The input is raw little-endian float32 in NCHW order (default: a fixed
// ramp); -output writes the first output the same way. It prints each
// output's first values, the median time of -runs runs and the process's
// peak resident memory (Linux).
package main

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"time"

	"github.com/mnc-go/mnc/internal/leanmem"
	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/limits"
	"github.com/mnc-go/mnc/plan"
	"github.com/mnc-go/mnc/runtime"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "mncrun:", err)
		os.Exit(1)
	}
}

func run(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("mncrun", flag.ContinueOnError)
	threads := fs.Int("threads", 0, "threads (default: all cores)")
	input := fs.String("input", "", "raw little-endian float32 input, NCHW (default: a fixed ramp)")
	output := fs.String("output", "", "write the first output here as raw float32")
	runs := fs.Int("runs", 1, "runs to time")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 || *threads < 0 || *runs < 1 {
		return fmt.Errorf("usage: mncrun [-threads N] [-input F] [-output F] [-runs N] PLAN")
	}
	p, err := plan.Load(fs.Arg(0))
	if err != nil {
		return err
	}
	e, err := runtime.New(p, runtime.Options{Threads: *threads})
	if err != nil {
		return err
	}
	defer e.Close()
	var ins []*ir.Tensor
	for _, io := range p.Inputs {
		t := ir.NewTensor(io.Buf.Shape...)
		if *input != "" {
			// Bounded and refusing devices: -input /dev/zero read until
			// Go's fatal out-of-memory error.
			need := 4 * len(t.Data)
			if fi, err := os.Stat(*input); err == nil && fi.Mode().IsRegular() && fi.Size() != int64(need) {
				return fmt.Errorf("-input %s has %d bytes, input %q %v needs %d", *input, fi.Size(), io.Name, io.Buf.Shape, need)
			}
			b, err := limits.ReadFile(*input, "-input", int64(need))
			if err != nil {
				return err
			}
			if len(b) != need {
				return fmt.Errorf("-input %s has %d bytes, input %q %v needs %d", *input, len(b), io.Name, io.Buf.Shape, 4*len(t.Data))
			}
			for i := range t.Data {
				t.Data[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
			}
		} else {
			for i := range t.Data {
				t.Data[i] = float32(i%251)/125 - 1
			}
		}
		ins = append(ins, t)
	}
	outs := e.NewOutputs()
	// The code and tables of start-up and loading leave the resident set,
	// and what the runs use comes back a page at a time: V2's plan, one
	// thread, peak 20676-20868 -> 18172-18388 KiB.
	leanmem.Release(true)
	times := make([]time.Duration, *runs)
	for i := range times {
		t0 := time.Now()
		if err := e.Run(ins, outs); err != nil {
			return err
		}
		times[i] = time.Since(t0)
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	for i, io := range p.Outputs {
		d := outs[i].Data
		fmt.Fprintf(w, "output %q %v: %v\n", io.Name, io.Buf.Shape, d[:min(5, len(d))])
	}
	fmt.Fprintf(w, "median %.3f ms over %d runs, %d threads, isa %s; peak RSS %s\n",
		float64(times[len(times)/2].Microseconds())/1000, *runs, e.Threads(), p.ISA, peakRSS())
	if *output != "" {
		b := make([]byte, 4*len(outs[0].Data))
		for i, v := range outs[0].Data {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
		}
		return os.WriteFile(*output, b, 0o644)
	}
	return nil
}

// peakRSS is VmHWM from /proc/self/status, or "unknown".
func peakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("VmHWM:")); ok {
			if f := bytes.Fields(v); len(f) == 2 {
				if kb, err := strconv.Atoi(string(f[0])); err == nil {
					return fmt.Sprintf("%.2f MiB", float64(kb)/1024)
				}
			}
		}
	}
	return "unknown"
}
