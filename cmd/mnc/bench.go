package main

import (
	"encoding/json"
	"fmt"
	goruntime "runtime"
	"sort"
	"time"

	"github.com/mnc-go/mnc"
	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/plan"
	"github.com/mnc-go/mnc/reference"
	"github.com/mnc-go/mnc/runtime"
)

func init() {
	commands["bench"] = &command{name: "bench", usage: "mnc bench [-threads N] [-O0|-O2] [-isa ISA] [-batch N] [-shape NAME=DIMS]... [-runs N] [-time D] [-json] [-per-layer] MODEL|PLAN", run: runBench}
}

// benchResult is what -json prints.
type benchResult struct {
	Model        string  `json:"model"`
	Threads      int     `json:"threads"`
	ISA          string  `json:"isa"`
	Opt          string  `json:"opt"`
	Batch        int     `json:"batch"`
	Runs         int     `json:"runs"`
	Shape        string  `json:"shape"`      // the inputs' shapes, NAME=DIMS
	CompileMS    float64 `json:"compile_ms"` // 0 for a plan file
	MedianMS     float64 `json:"median_ms"`
	MinMS        float64 `json:"min_ms"`
	P90MS        float64 `json:"p90_ms"`
	MACs         int64   `json:"macs"`
	GFLOPS       float64 `json:"gflops"`
	AllocsPerRun float64 `json:"allocs_per_run"`
	// Memory: the plan's arena, its packed constants, the per-thread
	// scratch of all threads, and the process's peak resident set (VmHWM,
	// Linux only; 0 elsewhere), which includes the Go runtime and binary.
	ArenaBytes   int64   `json:"arena_bytes"`
	WeightsBytes int64   `json:"weights_bytes"`
	ScratchBytes int64   `json:"scratch_bytes"`
	PeakRSSBytes int64   `json:"peak_rss_bytes"`
	Layers       []layer `json:"layers,omitempty"`
}

type layer struct {
	Index  int     `json:"index"`
	Name   string  `json:"name"`
	Kind   string  `json:"kind"`
	Algo   string  `json:"algo,omitempty"`
	MS     float64 `json:"ms"`
	MACs   int64   `json:"macs"`
	GFLOPS float64 `json:"gflops"`
	Share  float64 `json:"share"`
}

func runBench(args []string) error {
	fs := newFlags("bench", commands["bench"].usage)
	var cf compileFlags
	cf.register(fs)
	threads := fs.Int("threads", 0, "threads (default: all cores)")
	runs := fs.Int("runs", 0, "timed runs (default: as many as fit in -time, at least 20)")
	minTime := fs.Duration("time", 2*time.Second, "time to spend on timed runs when -runs is not set")
	warm := fs.Int("warmup", 5, "untimed warm-up runs")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	perLayer := fs.Bool("per-layer", false, "also report time and GFLOP/s per step")
	spec, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if *threads < 0 || *runs < 0 || *warm < 0 {
		return usagef("-threads, -runs and -warmup must not be negative")
	}
	m, err := openModel(spec, &cf)
	if err != nil {
		return err
	}
	sets, err := m.shapeSets(&cf)
	if err != nil {
		return err
	}
	o := benchOpts{threads: *threads, runs: *runs, minTime: *minTime, warm: *warm, asJSON: *asJSON, perLayer: *perLayer}
	for _, set := range sets {
		if err := benchOne(spec, m, &cf, set, o); err != nil {
			return err
		}
	}
	return nil
}

// benchOpts are bench's flags for benchOne.
type benchOpts struct {
	threads, runs, warm int
	minTime             time.Duration
	asJSON, perLayer    bool
}

// benchOne compiles the model at one set of input shapes (timing the
// compile) and benchmarks the plan; with -json it prints one JSON object
// per set.
func benchOne(spec string, m *model, cf *compileFlags, set map[string][]int, o benchOpts) error {
	threads, runs, minTime, warm, asJSON, perLayer := &o.threads, &o.runs, &o.minTime, &o.warm, &o.asJSON, &o.perLayer
	t0 := time.Now()
	p, err := m.plan(cf, set, "")
	if err != nil {
		return err
	}
	var compile time.Duration
	if m.p == nil {
		compile = time.Since(t0)
	}
	e, err := mnc.NewExecutor(p, *threads)
	if err != nil {
		return err
	}
	defer e.Close()
	var ins []*ir.Tensor
	for _, io := range p.Inputs {
		ins = append(ins, reference.FixedInput(io.Buf.Shape...))
	}
	outs := e.NewOutputs()
	for i := 0; i < *warm; i++ {
		if err := e.Run(ins, outs); err != nil {
			return err
		}
	}
	// Preallocated so the loop's own bookkeeping does not count as the
	// plan's allocations.
	times := make([]time.Duration, 0, maxRuns)
	var ms0, ms1 goruntime.MemStats
	goruntime.ReadMemStats(&ms0)
	start := time.Now()
	for n := 0; ; n++ {
		if *runs > 0 && n >= *runs {
			break
		}
		if *runs == 0 && n >= 20 && time.Since(start) >= *minTime || n == maxRuns {
			break
		}
		t0 := time.Now()
		if err := e.Run(ins, outs); err != nil {
			return err
		}
		times = append(times, time.Since(t0))
	}
	goruntime.ReadMemStats(&ms1)
	sorted := append([]time.Duration(nil), times...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	msOf := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }
	macs := planMACs(p)
	med := sorted[len(sorted)/2]
	r := benchResult{
		Model: spec, Threads: e.Threads(), ISA: p.ISA.String(), Opt: optName(cf, p), Batch: p.Batch, Runs: len(times),
		Shape: inputShapes(p), CompileMS: msOf(compile),
		MedianMS: msOf(med), MinMS: msOf(sorted[0]), P90MS: msOf(sorted[(len(sorted)*9)/10]),
		MACs: macs, GFLOPS: 2 * float64(macs) / float64(med.Nanoseconds()),
		AllocsPerRun: float64(ms1.Mallocs-ms0.Mallocs) / float64(len(times)),
		ArenaBytes:   int64(p.ArenaSize) * 4, WeightsBytes: weightsBytes(p),
		ScratchBytes: int64(p.MaxScratch()) * 4 * int64(e.Threads()), PeakRSSBytes: peakRSS(),
	}
	if *perLayer {
		r.Layers = profileLayers(e, p, ins, outs, len(times))
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	fmt.Fprintf(stdout, "model %s: isa %s, %d threads, %s, batch %d, input %s\n", r.Model, r.ISA, r.Threads, r.Opt, r.Batch, r.Shape)
	if r.CompileMS > 0 {
		fmt.Fprintf(stdout, "  compile: %.1f ms (import at this shape, passes, weight packing)\n", r.CompileMS)
	}
	fmt.Fprintf(stdout, "  %d runs: median %.3f ms, min %.3f ms, p90 %.3f ms\n", r.Runs, r.MedianMS, r.MinMS, r.P90MS)
	fmt.Fprintf(stdout, "  %.1f MMACs (%.1f MFLOPs = 2·MACs): %.1f GFLOP/s at the median\n", float64(macs)/1e6, 2*float64(macs)/1e6, r.GFLOPS)
	fmt.Fprintf(stdout, "  allocations per run: %.2f\n", r.AllocsPerRun)
	fmt.Fprintf(stdout, "  memory: arena %s, weights %s, scratch %s; process peak RSS %s\n",
		mib(r.ArenaBytes), mib(r.WeightsBytes), mib(r.ScratchBytes), mib(r.PeakRSSBytes))
	if *perLayer {
		fmt.Fprintf(stdout, "\n  %-4s %-44s %-16s %9s %7s %8s\n", "step", "name", "kind", "ms", "share", "GFLOP/s")
		for _, l := range r.Layers {
			kind := l.Kind
			if l.Algo != "" && l.Algo != l.Kind {
				kind += "/" + l.Algo
			}
			fmt.Fprintf(stdout, "  %-4d %-44s %-16s %9.4f %6.1f%% %8.1f\n", l.Index, l.Name, kind, l.MS, 100*l.Share, l.GFLOPS)
		}
	}
	return nil
}

// inputShapes prints a plan's input shapes as -shape takes them.
func inputShapes(p *plan.Plan) string {
	set := map[string][]int{}
	for _, io := range p.Inputs {
		set[io.Name] = io.Buf.Shape
	}
	return setString(set)
}

// maxRuns bounds the timed runs of one bench.
const maxRuns = 1 << 16

func optName(cf *compileFlags, p *plan.Plan) string {
	if cf.o0 || levelName(p) == "unfused" {
		return "O0"
	}
	return "O2"
}

// profileLayers times each step over n runs.
func profileLayers(e *runtime.Executor, p *plan.Plan, ins, outs []*ir.Tensor, n int) []layer {
	if n < 10 {
		n = 10
	}
	e.SetProfiling(true)
	for i := 0; i < n; i++ {
		if err := e.Run(ins, outs); err != nil {
			break
		}
	}
	prof := e.Profile()
	e.SetProfiling(false)
	var total time.Duration
	for _, s := range prof {
		total += s.Mean()
	}
	var out []layer
	for i, s := range prof {
		m := stepMACs(&p.Steps[i])
		l := layer{Index: s.Index, Name: s.Name, Kind: s.Kind.String(), Algo: s.Algo, MS: float64(s.Mean().Nanoseconds()) / 1e6, MACs: m}
		if d := s.Mean(); d > 0 {
			l.GFLOPS = 2 * float64(m) / float64(d.Nanoseconds())
		}
		if total > 0 {
			l.Share = float64(s.Mean()) / float64(total)
		}
		out = append(out, l)
	}
	return out
}

// planMACs counts the plan's multiply-adds (convolutions and fully-connected
// layers, as DESIGN.md counts them).
func planMACs(p *plan.Plan) int64 {
	var n int64
	for i := range p.Steps {
		n += stepMACs(&p.Steps[i])
	}
	return n
}

func stepMACs(s *plan.Step) int64 {
	if s.Op != ir.OpConv && s.Op != ir.OpGemm || len(s.WShape) < 2 {
		return 0
	}
	perOut := int64(1)
	for _, d := range s.WShape[1:] {
		perOut *= int64(d)
	}
	return int64(s.Out.Shape.Size()) * perOut
}
