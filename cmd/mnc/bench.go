package main

import (
	"cmp"
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
	commands["bench"] = &command{name: "bench", usage: "mnc bench [-image FILE]... [-preset P] [-trace F.json] [-plot F.png|svg] [-compare -O0,-O2] [-threads N] [-O0|-O2] [-isa ISA] [-batch N] [-mode split|images|auto] [-shape NAME=DIMS]... [-runs N] [-time D] [-json] [-per-layer] MODEL|PLAN", run: runBench}
}

// benchResult is what -json prints.
type benchResult struct {
	Model        string  `json:"model"`
	Variant      string  `json:"variant,omitempty"` // -compare: -O0, -O2 or the plan file
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
	// Scheduling: steps, steps cut into chunks (the threads meet once per
	// such step: barriers per run), and the smallest chunk count of those.
	Steps          int     `json:"steps"`
	Barriers       int     `json:"barriers"`
	MinChunks      int     `json:"min_chunks,omitempty"`
	ImagesPerSec   float64 `json:"images_per_s"` // batch / median
	Mode           string  `json:"mode"`         // split (every step over the threads) or images (whole images per thread)
	SplitImgPerS   float64 `json:"split_images_per_s,omitempty"`
	ImagesImgPerS  float64 `json:"images_mode_images_per_s,omitempty"`
	ImagesMedianMS float64 `json:"images_mode_median_ms,omitempty"`
	GroupThreads   int     `json:"images_mode_group_threads,omitempty"` // threads per group of the throughput mode
	// Memory: the plan's arena, its packed constants, the per-thread
	// scratch of all threads, and the process's peak resident set (VmHWM,
	// Linux only; 0 elsewhere), which includes the Go runtime and binary.
	ArenaBytes   int64   `json:"arena_bytes"`
	WeightsBytes int64   `json:"weights_bytes"`
	ScratchBytes int64   `json:"scratch_bytes"`
	PeakRSSBytes int64   `json:"peak_rss_bytes"`
	Layers       []layer `json:"layers,omitempty"`
	// One thread: the median CPU time of a run (the thread's clock).
	CPUMedianMS float64 `json:"cpu_median_ms,omitempty"`
	// -compare, variants after the first: their time over the first's,
	// the median of the rounds' ratios of medians (wall, and CPU time).
	VsFirstWall float64 `json:"vs_first_wall,omitempty"`
	VsFirstCPU  float64 `json:"vs_first_cpu,omitempty"`

	vsWallRange, vsCPURange [2]float64

	plan  *plan.Plan
	trace *runtime.Trace // -plot: the fastest of a few traced runs
}

type layer struct {
	Index  int     `json:"index"`
	Name   string  `json:"name"`
	Kind   string  `json:"kind"`
	Algo   string  `json:"algo,omitempty"`
	MS     float64 `json:"ms"`
	MACs   int64   `json:"macs"`
	GFLOPS float64 `json:"gflops"`
	GBps   float64 `json:"gbytes_per_s"` // stepBytes (inputs, output, constants) per second
	Share  float64 `json:"share"`
}

func runBench(args []string) error {
	fs := newFlags("bench", commands["bench"].usage)
	var cf compileFlags
	cf.register(fs)
	threads := &cf.threads
	fs.IntVar(threads, "threads", 0, "threads (default: all cores)")
	runs := fs.Int("runs", 0, "timed runs (default: as many as fit in -time, at least 20)")
	minTime := fs.Duration("time", 2*time.Second, "time to spend on timed runs when -runs is not set")
	warm := fs.Int("warmup", 5, "untimed warm-up runs")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	perLayer := fs.Bool("per-layer", false, "also report time and GFLOP/s per step")
	var imf imageFlags
	imf.register(fs)
	traceFile := fs.String("trace", "", "write a Chrome trace-event JSON file of 5 traced runs (one track per thread; open in Perfetto or chrome://tracing)")
	plotFile := fs.String("plot", "", "draw the per-step chart and the roofline into this .png or .svg file")
	mode := fs.String("mode", "split", "with -batch N > 1 and several threads: split (every step over the threads), images (each thread whole images of a batch-1 plan) or auto (measure both, interleaved, report the faster)")
	compare := fs.String("compare", "", "benchmark several variants side by side, interleaved: a comma-separated list of -O0, -O2 (MODEL compiled so) and plan files")
	rounds := fs.Int("rounds", 0, "with -compare: interleaved rounds (each variant's runs split over them, the order alternating; default 11)")
	spec, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if *threads < 0 || *runs < 0 || *warm < 0 || *rounds < 0 {
		return usagef("-threads, -runs, -warmup and -rounds must not be negative")
	}
	if *rounds > 0 && *compare == "" {
		return usagef("-rounds applies to -compare")
	}
	if *mode != "split" && *mode != "images" && *mode != "auto" {
		return usagef("-mode %s: want split, images or auto", *mode)
	}
	if err := imf.check(""); err != nil {
		return err
	}
	if tail, err := openTail(spec); err != nil || tail != nil {
		if err != nil {
			return err
		}
		return benchTail(tail, &cf, *threads, *runs, *warm, *perLayer)
	}
	if *plotFile != "" {
		if err := checkPlotFile(*plotFile); err != nil {
			return err
		}
	}
	variants, err := benchVariants(spec, &cf, *compare)
	if err != nil {
		return err
	}
	if len(variants) > 1 && *traceFile != "" {
		return usagef("-trace takes one variant; drop -compare")
	}
	for i := range variants {
		if variants[i].m, err = openModel(variants[i].spec, &variants[i].cf); err != nil {
			return err
		}
	}
	sets, err := variants[0].m.shapeSets(&cf)
	if err != nil {
		return err
	}
	for i := range variants {
		variants[i].m.once = len(sets) == 1
	}
	if len(sets) > 1 && (len(variants) > 1 || *traceFile != "" || *plotFile != "" || len(imf.files) > 0) {
		return usagef("-compare, -trace, -plot and -image take one shape per input")
	}
	o := benchOpts{threads: *threads, runs: *runs, minTime: *minTime, warm: *warm, asJSON: *asJSON, perLayer: *perLayer,
		trace: *traceFile, plot: *plotFile, mode: *mode, rounds: *rounds}
	if o.mode != "split" && (*compare != "" || *traceFile != "" || *plotFile != "" || *perLayer) {
		return usagef("-mode %s takes one variant, without -trace, -plot or -per-layer", o.mode)
	}
	for i, set := range sets {
		if len(sets) > 1 {
			o.tag = fmt.Sprintf("shape %d/%d: ", i+1, len(sets))
		}
		if err := benchSet(spec, variants, set, &imf, o); err != nil {
			return err
		}
	}
	return nil
}

// benchOpts are bench's flags for benchSet.
type benchOpts struct {
	threads, runs, warm int
	rounds              int // -compare's interleaved rounds (0: 11)
	minTime             time.Duration
	asJSON, perLayer    bool
	trace, plot         string
	tag                 string // progress prefix: "shape 2/5: "
	mode                string // split, images or auto
}

// benchSet benchmarks the variants (one without -compare) at one set of
// input shapes, timing each compile; with -json it prints one JSON object
// per set (an array of them with -compare).
func benchSet(spec string, variants []benchVariant, set map[string][]int, imf *imageFlags, o benchOpts) error {
	var bs []*benchState
	defer func() {
		for _, b := range bs {
			b.e.Close()
		}
	}()
	for i := range variants {
		b, err := prepareBench(&variants[i], set, imf, o.threads, o.tag)
		if err != nil {
			return err
		}
		bs = append(bs, b)
	}
	var peak machinePeak
	if o.plot != "" {
		peak = measurePeak(bs[0].p.ISA, bs[0].e.Threads())
	}
	for _, b := range bs {
		for i := 0; i < o.warm; i++ {
			if err := b.e.Run(b.ins, b.outs); err != nil {
				return err
			}
		}
	}
	// Variants are measured in interleaved rounds (A, B, B, A, A, B, ...:
	// the order alternates), so that the drift of a shared machine, and
	// whatever the previous variant left in the caches, affect them alike.
	rounds := 1
	if len(bs) > 1 {
		rounds = cmp.Or(o.rounds, 11)
	}
	for r := 0; r < rounds; r++ {
		for j := range bs {
			b := bs[j]
			if r%2 == 1 {
				b = bs[len(bs)-1-j]
			}
			n := 0
			if o.runs > 0 {
				n = (o.runs + rounds - 1) / rounds
			}
			if err := b.measure(n, o.minTime/time.Duration(rounds*len(bs))); err != nil {
				return err
			}
		}
	}
	var results []*benchResult
	for _, b := range bs {
		r := b.result()
		if o.mode != "split" && b.p.Batch > 1 && b.e.Threads() > 1 {
			if err := benchImages(b, set, imf, o, r); err != nil {
				return err
			}
		}
		if o.perLayer || o.plot != "" {
			r.Layers = profileLayers(b.e, b.p, b.ins, b.outs, len(b.times))
		}
		if o.plot != "" {
			trs, err := traceRuns(b.e, b.ins, b.outs, 3)
			if err != nil {
				return err
			}
			best := trs[0].tr
			for _, t := range trs[1:] {
				if t.tr.StepEnd[len(t.tr.StepEnd)-1] < best.StepEnd[len(best.StepEnd)-1] {
					best = t.tr
				}
			}
			r.trace = &best
		}
		if len(results) > 0 {
			r.VsFirstWall, r.vsWallRange = roundRatios(bs[0].roundWall, b.roundWall)
			r.VsFirstCPU, r.vsCPURange = roundRatios(bs[0].roundCPU, b.roundCPU)
		}
		results = append(results, r)
	}
	if o.trace != "" {
		b := bs[0]
		tr, err := traceRuns(b.e, b.ins, b.outs, 5)
		if err != nil {
			return err
		}
		if err := writeTrace(o.trace, spec, b.p, b.e.Threads(), tr); err != nil {
			return err
		}
	}
	if o.plot != "" {
		if err := plotBench(o.plot, results, bs[0].e.Threads(), peak); err != nil {
			return err
		}
	}
	if o.asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if len(results) == 1 {
			return enc.Encode(results[0])
		}
		return enc.Encode(results)
	}
	for _, r := range results {
		printBench(r, o.perLayer)
	}
	if len(results) > 1 {
		fmt.Fprintln(stdout)
		for _, r := range results[1:] {
			speed, than := 1/r.VsFirstWall, "faster"
			if speed < 1 {
				speed, than = r.VsFirstWall, "slower"
			}
			fmt.Fprintf(stdout, "%s is %.2fx %s than %s: its time is %.3f of it (%.3f-%.3f)", r.Variant, speed, than, results[0].Variant, r.VsFirstWall, r.vsWallRange[0], r.vsWallRange[1])
			if r.VsFirstCPU > 0 {
				fmt.Fprintf(stdout, ", its CPU time %.3f (%.3f-%.3f)", r.VsFirstCPU, r.vsCPURange[0], r.vsCPURange[1])
			}
			fmt.Fprintln(stdout)
		}
		fmt.Fprintf(stdout, "(the median (min-max) over %d interleaved rounds of the ratio of the rounds' medians)\n", rounds)
	}
	return nil
}

// roundRatios compares b to the first variant a round by round: the median,
// min and max over the rounds of b's median (wall, or CPU per run) divided
// by a's. Zero when a round lacks a figure (no CPU clock).
func roundRatios(a, b []time.Duration) (med float64, rng [2]float64) {
	var rs []float64
	for i := range min(len(a), len(b)) {
		if a[i] <= 0 || b[i] <= 0 {
			return 0, rng
		}
		rs = append(rs, float64(b[i])/float64(a[i]))
	}
	if len(rs) == 0 {
		return 0, rng
	}
	sort.Float64s(rs)
	return rs[len(rs)/2], [2]float64{rs[0], rs[len(rs)-1]}
}

// benchVariant is one thing -compare measures: MODEL compiled with cf, or
// a plan file.
type benchVariant struct {
	label, spec string
	cf          compileFlags
	m           *model
}

func benchVariants(spec string, cf *compileFlags, compare string) ([]benchVariant, error) {
	if compare == "" {
		return []benchVariant{{spec: spec, cf: *cf}}, nil
	}
	if cf.o0 || cf.o2 {
		return nil, usagef("-compare names the levels itself; drop -O0/-O2")
	}
	var out []benchVariant
	for _, item := range splitList(compare) {
		v := benchVariant{label: item, spec: spec, cf: *cf}
		switch item {
		case "-O0", "O0":
			v.cf.o0 = true
		case "-O2", "O2":
			v.cf.o2 = true
		default:
			if !mnc.IsPlanFile(item) {
				return nil, usagef("-compare %s: want -O0, -O2 or a plan file", item)
			}
			v.spec = item
		}
		out = append(out, v)
	}
	if len(out) < 2 {
		return nil, usagef("-compare %q: give at least two variants, like -compare -O0,-O2", compare)
	}
	return out, nil
}

// benchState is one prepared variant and its timings.
type benchState struct {
	v     *benchVariant
	p     *plan.Plan
	e     *runtime.Executor
	ins   []*ir.Tensor
	outs  []*ir.Tensor
	times []time.Duration
	cpu   []time.Duration // per run: the running thread's CPU time (1 thread)
	// Per measure call (a round of -compare): the median wall time of its
	// runs, and their median CPU time (1 thread: the thread's, per run;
	// more: the process's over the round, per run; 0 without a clock).
	roundWall, roundCPU []time.Duration
	mallocs             uint64
	measured            int
	compile             time.Duration
}

func prepareBench(v *benchVariant, set map[string][]int, imf *imageFlags, threads int, tag string) (*benchState, error) {
	img, set, err := imf.input(v.m, &v.cf, set)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	stop := busy(tag + "compiling " + v.spec + " " + v.label)
	p, err := v.m.plan(&v.cf, set, "")
	stop()
	if err != nil {
		return nil, err
	}
	var compile time.Duration
	if v.m.p == nil {
		compile = time.Since(t0)
	}
	e, err := mnc.NewExecutor(p, threads)
	if err != nil {
		return nil, err
	}
	b := &benchState{v: v, p: p, e: e, outs: e.NewOutputs(), compile: compile}
	for _, io := range p.Inputs {
		if img != nil {
			b.ins = append(b.ins, img)
			continue
		}
		b.ins = append(b.ins, reference.FixedInput(io.Buf.Shape...))
	}
	// Preallocated so the loop's own bookkeeping does not count as the
	// plan's allocations.
	b.times = make([]time.Duration, 0, maxRuns)
	return b, nil
}

// measure times n runs, or (n = 0) as many as fit in d and at least
// 20 in all.
func (b *benchState) measure(n int, d time.Duration) error {
	var ms0, ms1 goruntime.MemStats
	goruntime.ReadMemStats(&ms0)
	// On one thread the plan runs on this goroutine: kept on one OS
	// thread, that thread's CPU clock times each run.
	single := b.e.Threads() == 1
	if single {
		goruntime.LockOSThread()
		defer goruntime.UnlockOSThread()
	}
	first, proc0 := len(b.times), processCPU()
	start := time.Now()
	for k := 0; ; k++ {
		if n > 0 && k >= n {
			break
		}
		if n == 0 && len(b.times)-first >= 20 && time.Since(start) >= d || len(b.times) == maxRuns {
			break
		}
		c0, t0 := threadCPU(), time.Now()
		if err := b.e.Run(b.ins, b.outs); err != nil {
			return err
		}
		b.times = append(b.times, time.Since(t0))
		if single {
			b.cpu = append(b.cpu, threadCPU()-c0)
		}
		b.measured++
	}
	goruntime.ReadMemStats(&ms1)
	b.mallocs += ms1.Mallocs - ms0.Mallocs
	if runs := len(b.times) - first; runs > 0 {
		b.roundWall = append(b.roundWall, medianOf(b.times[first:]))
		cpu := time.Duration(0)
		switch {
		case single && threadCPU() > 0:
			cpu = medianOf(b.cpu[len(b.cpu)-runs:])
		case !single && proc0 > 0:
			cpu = (processCPU() - proc0) / time.Duration(runs)
		}
		b.roundCPU = append(b.roundCPU, cpu)
	}
	return nil
}

func medianOf(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func (b *benchState) result() *benchResult {
	p, e := b.p, b.e
	sorted := append([]time.Duration(nil), b.times...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	msOf := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }
	macs := planMACs(p)
	med := sorted[len(sorted)/2]
	label := b.v.label
	if label == "" {
		label = "-" + optName(&b.v.cf, p)
	}
	return &benchResult{
		Model: b.v.spec, Variant: label, Threads: e.Threads(), ISA: p.ISA.String(), Opt: optName(&b.v.cf, p), Batch: p.Batch, Runs: len(b.times),
		Shape: inputShapes(p), CompileMS: msOf(b.compile),
		MedianMS: msOf(med), MinMS: msOf(sorted[0]), P90MS: msOf(sorted[(len(sorted)*9)/10]),
		MACs: macs, GFLOPS: 2 * float64(macs) / float64(med.Nanoseconds()),
		AllocsPerRun: float64(b.mallocs) / float64(len(b.times)),
		ArenaBytes:   int64(p.ArenaSize) * 4, WeightsBytes: weightsBytes(p),
		ScratchBytes: int64(p.ScratchFor(e.Threads())) * 4 * int64(e.Threads()), PeakRSSBytes: peakRSS(),
		Steps: len(p.Steps), Barriers: e.Barriers(), MinChunks: minChunks(e.Chunks()),
		ImagesPerSec: float64(p.Batch) / med.Seconds(), Mode: "split",
		CPUMedianMS: cpuMedianMS(b.cpu),
		plan:        p,
	}
}

func cpuMedianMS(cpu []time.Duration) float64 {
	if len(cpu) == 0 || cpu[0] <= 0 {
		return 0
	}
	return float64(medianOf(cpu).Nanoseconds()) / 1e6
}

// minChunks is the smallest chunk count of the steps cut into chunks (0:
// none are).
func minChunks(chunks []int) int {
	m := 0
	for _, n := range chunks {
		if n > 1 && (m == 0 || n < m) {
			m = n
		}
	}
	return m
}

// benchImages measures the throughput mode (runtime.Images: each thread
// whole images of the model compiled for batch 1) against b (every step
// split over the threads), interleaved, and fills r's throughput fields;
// with -mode images, or auto when it is faster, it becomes r's headline.
func benchImages(b *benchState, set map[string][]int, imf *imageFlags, o benchOpts, r *benchResult) error {
	one := *b.v
	one.cf.batch = 1
	// Groups of threads that each run whole images: one thread each when
	// the batch has an image per thread, else as many as share the cores.
	per := runtime.ImageGroupThreads(b.e.Threads(), b.p.Batch)
	one.cf.threads = per
	// A fresh copy: compiling may have released the first one's weights.
	m1, err := openModel(one.spec, &one.cf)
	if err != nil {
		return err
	}
	one.m = m1
	set1 := map[string][]int{}
	for k, v := range set {
		d := append([]int(nil), v...)
		if len(d) > 0 {
			d[0] = 1
		}
		set1[k] = d
	}
	p1, err := one.m.plan(&one.cf, set1, "")
	if err != nil {
		return fmt.Errorf("-mode %s: compiling for batch 1: %w", o.mode, err)
	}
	m, err := runtime.NewImageGroups(p1, b.e.Threads(), per)
	if err != nil {
		return err
	}
	defer m.Close()
	var outs []*ir.Tensor
	for _, io := range b.p.Outputs {
		outs = append(outs, ir.NewTensor(io.Buf.Shape...))
	}
	for i := 0; i < o.warm; i++ {
		if err := m.Run(b.ins, outs); err != nil {
			return err
		}
	}
	var split, whole []time.Duration
	deadline := time.Now().Add(max(o.minTime, 200*time.Millisecond))
	for k := 0; ; k++ {
		if o.runs > 0 && k >= o.runs || o.runs == 0 && k >= 20 && time.Now().After(deadline) || k == maxRuns {
			break
		}
		t0 := time.Now()
		if err := b.e.Run(b.ins, b.outs); err != nil {
			return err
		}
		t1 := time.Now()
		if err := m.Run(b.ins, outs); err != nil {
			return err
		}
		split, whole = append(split, t1.Sub(t0)), append(whole, time.Since(t1))
	}
	med := func(ds []time.Duration) time.Duration {
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		return ds[len(ds)/2]
	}
	ms, mw := med(split), med(whole)
	n := float64(b.p.Batch)
	r.SplitImgPerS, r.ImagesImgPerS, r.ImagesMedianMS = n/ms.Seconds(), n/mw.Seconds(), float64(mw.Nanoseconds())/1e6
	r.GroupThreads = per
	if o.mode == "images" || o.mode == "auto" && mw < ms {
		r.Mode, r.ImagesPerSec = "images", r.ImagesImgPerS
	}
	return nil
}

func printBench(r *benchResult, perLayer bool) {
	macs := r.MACs
	fmt.Fprintf(stdout, "model %s: isa %s, %d threads, %s, batch %d, input %s\n", r.Model, r.ISA, r.Threads, r.Opt, r.Batch, r.Shape)
	if r.CompileMS > 0 {
		fmt.Fprintf(stdout, "  compile: %.1f ms (import at this shape, passes, weight packing)\n", r.CompileMS)
	}
	fmt.Fprintf(stdout, "  %d runs: median %.3f ms, min %.3f ms, p90 %.3f ms", r.Runs, r.MedianMS, r.MinMS, r.P90MS)
	if r.CPUMedianMS > 0 {
		fmt.Fprintf(stdout, "; CPU time median %.3f ms", r.CPUMedianMS)
	}
	fmt.Fprintln(stdout)
	fmt.Fprintf(stdout, "  %.1f MMACs (%.1f MFLOPs = 2·MACs): %.1f GFLOP/s at the median\n", float64(macs)/1e6, 2*float64(macs)/1e6, r.GFLOPS)
	fmt.Fprintf(stdout, "  allocations per run: %.2f\n", r.AllocsPerRun)
	fmt.Fprintf(stdout, "  scheduling: %d steps, %d barriers per run", r.Steps, r.Barriers)
	if r.MinChunks > 0 {
		fmt.Fprintf(stdout, ", fewest chunks of a split step %d (%.1f per thread)", r.MinChunks, float64(r.MinChunks)/float64(r.Threads))
	}
	fmt.Fprintln(stdout)
	fmt.Fprintf(stdout, "  throughput: %.1f images/s (%s)\n", r.ImagesPerSec, r.Mode)
	if r.SplitImgPerS > 0 && r.ImagesImgPerS > 0 {
		fmt.Fprintf(stdout, "    split every step: %.1f images/s; whole images per group of %d thread(s): %.1f images/s (%.2fx, interleaved medians)\n",
			r.SplitImgPerS, r.GroupThreads, r.ImagesImgPerS, r.ImagesImgPerS/r.SplitImgPerS)
	}
	fmt.Fprintf(stdout, "  memory: arena %s, weights %s, scratch %s; process peak RSS %s\n",
		mib(r.ArenaBytes), mib(r.WeightsBytes), mib(r.ScratchBytes), mib(r.PeakRSSBytes))
	if perLayer {
		fmt.Fprintf(stdout, "\n  %-4s %-44s %-16s %9s %7s %8s %7s\n", "step", "name", "kind", "ms", "share", "GFLOP/s", "GB/s")
		for _, l := range r.Layers {
			kind := l.Kind
			if l.Algo != "" && l.Algo != l.Kind {
				kind += "/" + l.Algo
			}
			fmt.Fprintf(stdout, "  %-4d %-44s %-16s %9.4f %6.1f%% %8.1f %7.1f\n", l.Index, l.Name, kind, l.MS, 100*l.Share, l.GFLOPS, l.GBps)
		}
	}
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
			l.GBps = float64(stepBytes(p, &p.Steps[i])) / float64(d.Nanoseconds())
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
	if s.Kind == plan.KindBlock {
		// a fused block: the multiply-adds of the convolutions inside it
		var n int64
		for i := range s.Sub {
			n += stepMACs(&s.Sub[i])
		}
		return n
	}
	if s.Op == ir.OpConvTranspose && len(s.In) > 1 && len(s.In[1].Shape) == 4 {
		w := s.In[1].Shape // every input value meets (Cout/group)·kh·kw weights
		return int64(s.In[0].Shape.Size()) * int64(w[1]*w[2]*w[3])
	}
	if s.Op != ir.OpConv && s.Op != ir.OpGemm || len(s.WShape) < 2 {
		return 0
	}
	perOut := int64(1)
	for _, d := range s.WShape[1:] {
		perOut *= int64(d)
	}
	return int64(s.Out.Shape.Size()) * perOut
}
