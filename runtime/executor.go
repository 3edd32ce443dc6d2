// Package runtime executes a plan.Plan with the kernels of the plan's ISA
// on a pool of threads. Each step's work is cut into fixed chunks (rows of
// a GEMM, depthwise or dense conv; NR-panel columns of an m=1 GEMM; pixel
// ranges of elementwise steps) that the threads claim as they come (see
// pool.go), with a wait for completion between steps.
//
// Concurrency: a Plan is immutable and may be shared; an Executor owns its
// arena, scratch and threads, so each goroutine that runs inferences
// concurrently needs its own Executor (New is cheap next to compiling: it
// allocates the arena and starts the threads). Calling Run on one Executor
// from two goroutines at once is safe but not concurrent: the second call
// returns an error (see Run).
package runtime

import (
	"fmt"
	goruntime "runtime"
	"sync/atomic"
	"time"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/limits"
	"github.com/mnc-go/mnc/plan"
)

// Options configure an Executor.
type Options struct {
	// Threads is the number of threads each step is split over; 0 means
	// runtime.NumCPU().
	Threads int
	// MaxMemory is the memory budget in bytes (0: limits.MaxMemory()): New
	// refuses a plan whose arena plus per-thread scratch would exceed it.
	MaxMemory int64
}

// Executor runs one plan.
type Executor struct {
	*core
	busy    atomic.Bool // a Run is in progress
	plan    *plan.Plan
	set     *kernels.Set
	arena   []float32
	scratch [][]float32 // per thread
	pads    [][]float32 // per thread: padded GEMM inputs (gemm_pad.go)
	nt      int
	gen     uint32 // the last run's generation
	// direct[i]: input i is read straight from the caller's tensor (its
	// only reader is the NCHW→NHWC conversion), so Run does not copy it
	// into the arena; inData[i] holds the caller's data during a Run.
	direct []bool
	inData [][]float32
	// outStep[i] >= 0: output i is written by that step straight into the
	// caller's tensor (direct_out.go), which outData[i] holds during a Run.
	outStep []int
	outData [][]float32

	runs int
}

// core is what the worker goroutines use. They reference only the core, and
// the step closures only slices, never the Executor, so an Executor that is
// dropped without Close is finalized and its threads stop.
type core struct {
	// The steps the threads walk: the plan's steps, each one or, for a
	// fused SE block split within its images (block_se.go), several in a
	// row (phases), with a wait for completion between them as between
	// steps.
	steps  []stepFunc
	chunks []int        // per step: how many pieces its work is cut into
	local  []*localStep // per step: nil, or how it waits for the step before (local.go)
	planOf []int        // per step: the plan step it computes (a part of)
	sched  *sched

	profiling bool // read by thread 0 only
	prof      []time.Duration
	last      time.Time

	tracing bool // set between runs, read by every thread (trace.go)
	tb      *traceBuf
}

// stepFunc computes chunk c of the nc chunks of one step on thread tid
// (tid only selects per-thread scratch).
type stepFunc func(tid, c, nc int)

// phase is one of the steps a plan step runs as: its function and chunks.
type phase struct {
	f      stepFunc
	chunks int
}

// New prepares p for execution: it checks the plan against the kernels of
// its ISA (refusing an ISA this machine lacks), allocates the arena and
// per-thread scratch, and starts the threads.
func New(p *plan.Plan, opts Options) (*Executor, error) {
	if p == nil {
		return nil, fmt.Errorf("runtime: nil plan")
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("runtime: invalid plan: %w", err)
	}
	if !kernels.Supported(p.ISA) {
		return nil, fmt.Errorf("runtime: plan %q was compiled for ISA %s, which this machine lacks (available: %s)", p.Name, p.ISA, availableList())
	}
	set, err := kernels.ForISA(p.ISA)
	if err != nil {
		return nil, fmt.Errorf("runtime: %w", err)
	}
	nt := opts.Threads
	if nt <= 0 {
		nt = goruntime.NumCPU()
	}
	if nt > 256 {
		return nil, fmt.Errorf("runtime: %d threads is too many", nt)
	}
	if p.Packing != set.Packing() {
		return nil, fmt.Errorf("runtime: plan %q's weights were packed as %q, but the %s kernels read %q (recompile the model)", p.Name, p.Packing, p.ISA, set.Packing())
	}
	if err := checkReservations(p, set); err != nil {
		return nil, err
	}
	sc, ps := p.ScratchFor(nt), gemmPadSize(p, set)
	need := limits.Mul(4, int64(p.ArenaSize)) + limits.Mul(4, int64(nt), int64(sc)+int64(ps))
	if err := limits.Check(opts.MaxMemory, fmt.Sprintf("runtime: plan %q (arena of %s, scratch of %s per thread × %d threads)", p.Name,
		limits.Size(limits.Mul(4, int64(p.ArenaSize))), limits.Size(limits.Mul(4, int64(sc)+int64(ps))), nt), need); err != nil {
		return nil, err
	}
	e := &Executor{core: &core{}, plan: p, set: set, nt: nt, arena: make([]float32, p.ArenaSize)}
	e.direct, e.inData = directInputs(p), make([][]float32, len(p.Inputs))
	e.outStep, e.outData = directOutputs(p), make([][]float32, len(p.Outputs))
	for t := 0; t < nt; t++ {
		e.scratch = append(e.scratch, make([]float32, sc))
	}
	if ps > 0 {
		for t := 0; t < nt; t++ {
			e.pads = append(e.pads, make([]float32, ps))
		}
	}
	planChunks := make([]int, len(p.Steps)) // a step of several phases: 1 (never share-local)
	for i := range p.Steps {
		ph, err := e.phases(&p.Steps[i])
		if err != nil {
			return nil, fmt.Errorf("runtime: step %d (%s %q): %w", i, p.Steps[i].Kind, p.Steps[i].Name, err)
		}
		planChunks[i] = 1
		if len(ph) == 1 {
			planChunks[i] = ph[0].chunks
		}
		for _, f := range ph {
			e.steps = append(e.steps, f.f)
			e.chunks = append(e.chunks, f.chunks)
			e.planOf = append(e.planOf, i)
		}
	}
	e.local = make([]*localStep, len(e.steps))
	for i := 1; i < len(e.local); i++ {
		if pi := e.planOf[i]; pi == e.planOf[i-1]+1 && (i+1 == len(e.steps) || e.planOf[i+1] != pi) {
			e.local[i] = shareLocal(p, pi, planChunks, nt, set)
		}
	}
	e.prof = make([]time.Duration, len(e.steps))
	e.sched = newSched(len(e.steps), nt, e.local)
	e.sched.workers.Add(nt - 1)
	for t := 1; t < nt; t++ {
		go e.core.worker(t)
	}
	if nt > 1 {
		// Workers reference the executor; Close (or this finalizer, which
		// cannot run while they do) stops them.
		goruntime.SetFinalizer(e, (*Executor).Close)
	}
	return e, nil
}

// Close stops the executor's threads. The executor must not be used after.
func (e *Executor) Close() {
	if e.sched.closed.Swap(true) {
		return
	}
	e.sched.mu.Lock()
	e.sched.cond.Broadcast()
	e.sched.mu.Unlock()
}

// phases prepares plan step s: one phase, or several (an SE block split
// within its images).
func (e *Executor) phases(s *plan.Step) ([]phase, error) {
	if plan.IsSEBlock(s) {
		return e.prepSEBlock(s) // block_se.go
	}
	f, err := e.prepare(s)
	if err != nil {
		return nil, err
	}
	return []phase{{f, chunksOf(s, e.nt, e.set)}}, nil
}

// chunksOf decides how many pieces a step is cut into: one for small and
// generic steps (no synchronisation worth paying), else chunksPerThread per
// thread where the step has that many units of work (GEMM row quanta or
// column panels, conv output rows over the batch, pixels), so that running
// threads can take the chunks of a descheduled or slower one. Each thread
// first claims a contiguous share of them (pool.go's owned), the same part
// of the image from step to step.
func chunksOf(s *plan.Step, nt int, set *kernels.Set) int {
	if s.Kind == plan.KindBlock {
		return blockChunks(s, nt)
	}
	if nt > 1 && parallelGeneric(s) { // runtime/generic_dense.go
		return 2 * nt
	}
	if nt == 1 || s.Kind == plan.KindGeneric && s.Op != ir.OpBatchNorm && !byteElementwise(s) ||
		workOf(s) < serialWork && !((elementwise(s.Kind) || byteElementwise(s)) && workOf(s) >= serialElems) {
		return 1
	}
	c := chunksPerThread * nt
	switch s.Kind {
	case plan.KindGemm:
		c = gemmChunks(s, nt, set)
	case plan.KindDWConv, plan.KindConv, plan.KindQDWConv, plan.KindQConv:
		if s.Kind == plan.KindDWConv {
			if p, err := plan.DWParams(s); err == nil && plan.DWByChannels(&p, s.Out.Shape[0], nt, set) {
				c = min(c, (p.C+kernels.DWChannelQuantum-1)/kernels.DWChannelQuantum)
				break
			}
		}
		c = min(c, s.Out.Shape[0]*s.Out.Shape[2]) // NCHW shape: batch × output rows
	case plan.KindQGemm:
		m, _, _, _ := plan.GemmDims(s)
		c = min(c, (m+qgemmRows-1)/qgemmRows)
	}
	return max(c, 1)
}

// chunksPerThread is how many chunks per thread a step that has the work
// is cut into (pool.go: each thread owns a contiguous run of them).
const chunksPerThread = 4

// Barriers is how many times per run the threads meet (0 on one thread):
// once per step split into chunks, but before a step that waits only for
// the same share of the step before it (local.go: V1's pointwise GEMMs
// after their depthwise steps). One-chunk steps run on thread 0 alone and
// add none (before this scheme every step was one).
func (e *Executor) Barriers() int { return barriers(e.chunks, e.local, e.nt) }

// Chunks returns how many chunks each plan step is cut into: for a step
// run in several phases, the most of any phase.
func (e *Executor) Chunks() []int {
	c := make([]int, len(e.plan.Steps))
	for i, n := range e.chunks {
		c[e.planOf[i]] = max(c[e.planOf[i]], n)
	}
	return c
}

// Plan returns the plan the executor runs.
func (e *Executor) Plan() *plan.Plan { return e.plan }

// Threads returns the number of threads steps are split over.
func (e *Executor) Threads() int { return e.nt }

// Run computes the plan's outputs from its inputs, both given in the plan's
// input/output order with NCHW shapes (including the batch). It does not
// allocate.
//
// An Executor runs one inference at a time: a Run that starts while
// another Run of the same Executor is in progress (another goroutine)
// returns an error at once, touching nothing; so does a Run after Close.
func (e *Executor) Run(inputs, outputs []*ir.Tensor) error {
	p := e.plan
	if !e.busy.CompareAndSwap(false, true) {
		return fmt.Errorf("runtime: plan %q: Run called while another Run of the same Executor is in progress (an Executor runs one inference at a time; give each goroutine its own)", p.Name)
	}
	defer e.busy.Store(false)
	if e.sched.closed.Load() {
		return fmt.Errorf("runtime: plan %q: Run after Close", p.Name)
	}
	if len(inputs) != len(p.Inputs) || len(outputs) != len(p.Outputs) {
		return fmt.Errorf("runtime: plan %q takes %d inputs and %d outputs, got %d and %d", p.Name, len(p.Inputs), len(p.Outputs), len(inputs), len(outputs))
	}
	for i, io := range p.Inputs {
		if err := checkTensor("input", io, inputs[i]); err != nil {
			return err
		}
		if e.direct[i] {
			e.inData[i] = inputs[i].Data
		} else {
			copy(e.arena[io.Buf.Off:io.Buf.End()], inputs[i].Data)
		}
	}
	for i, io := range p.Outputs {
		if err := checkTensor("output", io, outputs[i]); err != nil {
			return err
		}
	}
	for i := range p.Outputs {
		if e.outStep[i] >= 0 {
			e.outData[i] = outputs[i].Data
		}
	}
	if e.profiling {
		e.last = time.Now()
		e.runs++
	}
	if e.tracing {
		e.tb.start()
	}
	e.gen++
	e.sched.start(e.gen)
	e.walk(0, e.gen)
	for i, io := range p.Outputs {
		if e.outStep[i] < 0 {
			copy(outputs[i].Data, e.arena[io.Buf.Off:io.Buf.End()])
		}
	}
	for i := range e.inData {
		e.inData[i] = nil // do not keep the caller's memory alive
	}
	clear(e.outData)
	return nil
}

// directInputs finds the inputs whose only reader is one NCHW→NHWC step.
// Every read of a tensor uses its exact offset and size (views share both),
// so counting exact matches is conservative: a later tensor that reuses the
// same range with the same size only makes us copy.
func directInputs(p *plan.Plan) []bool {
	direct := make([]bool, len(p.Inputs))
	same := func(a, b plan.Operand) bool { return a.Off == b.Off && a.Size() == b.Size() }
	for i, in := range p.Inputs {
		conv, other := 0, false
		for si := range p.Steps {
			s := &p.Steps[si]
			for j, o := range s.In {
				if s.Kind == plan.KindGeneric && s.ConstIn[j] != plan.NoBlob || !same(o, in.Buf) {
					continue
				}
				if s.Kind == plan.KindToNHWC {
					conv++
				} else {
					other = true
				}
			}
		}
		for _, out := range p.Outputs {
			other = other || same(out.Buf, in.Buf)
		}
		direct[i] = conv == 1 && !other
	}
	return direct
}

// stamp records step i's time (thread 0, after the step completed).
func (e *core) stamp(i int) {
	now := time.Now()
	e.prof[i] += now.Sub(e.last)
	e.last = now
}

// serialWork is the work (multiply-adds or elements touched) below which
// splitting a step over threads costs more in synchronisation than it saves.
const serialWork = 1 << 15

// serialElems is the smaller threshold of elementwise steps (SE channel
// scale, residual Add, activation). Their work is tiny, but their operands
// were made by every thread and are read by every thread next: run on one
// thread, the whole tensor crosses between cores twice. Split, each thread
// touches mostly the pixels it made and will read (see owned in pool.go).
// Measured on V3-Small, 2 threads: the SE scale of a 7×7×576 map took
// 4–6 µs on one thread (1.7 µs single-threaded), and the projection GEMM
// after it 37 µs on the thread that had not made the data against 19 µs.
const serialElems = 1 << 12

// byteElementwise reports a generic step that runs on bytes as an
// elementwise loop split over threads (QAdd, QuantizeLinear: bytes.go).
func byteElementwise(s *plan.Step) bool {
	return s.Kind == plan.KindGeneric && s.Out.DType == plan.U8 && (s.Op == ir.OpQAdd || s.Op == ir.OpQuantizeLinear)
}

func elementwise(k plan.Kind) bool {
	return k == plan.KindScaleChannels || k == plan.KindAdd || k == plan.KindActivate || k == plan.KindQuant || k == plan.KindDequant || k == plan.KindQLUT || k == plan.KindQScale
}

// workOf estimates a step's work from its operand shapes.
func workOf(s *plan.Step) int {
	out := s.Out.Size()
	switch s.Kind {
	case plan.KindGemm, plan.KindQGemm:
		return out * s.In[0].Shape[1]
	case plan.KindConv, plan.KindDWConv, plan.KindQDWConv, plan.KindQConv:
		w := 1
		for _, d := range s.WShape[1:] {
			w *= d
		}
		return out * w
	case plan.KindGlobalAvgPool:
		return s.In[0].Size()
	}
	return out
}

func checkTensor(what string, io plan.IO, t *ir.Tensor) error {
	if t == nil {
		return fmt.Errorf("runtime: %s %q is nil", what, io.Name)
	}
	if !t.Shape.Equal(io.Buf.Shape) || len(t.Data) != io.Buf.Size() {
		return fmt.Errorf("runtime: %s %q has shape %v (%d values), the plan needs %v", what, io.Name, t.Shape, len(t.Data), io.Buf.Shape)
	}
	return nil
}

// NewOutputs allocates tensors for the plan's outputs (a convenience for
// callers; Run itself never allocates).
func (e *Executor) NewOutputs() []*ir.Tensor {
	var out []*ir.Tensor
	for _, io := range e.plan.Outputs {
		out = append(out, ir.NewTensor(io.Buf.Shape...))
	}
	return out
}

// RunNamed is Run with inputs and outputs keyed by name; it allocates the
// outputs (use Run in loops: it does not allocate).
func (e *Executor) RunNamed(inputs map[string]*ir.Tensor) (map[string]*ir.Tensor, error) {
	ins := make([]*ir.Tensor, len(e.plan.Inputs))
	for i, io := range e.plan.Inputs {
		t, ok := inputs[io.Name]
		if !ok {
			return nil, fmt.Errorf("runtime: input %q is missing", io.Name)
		}
		ins[i] = t
	}
	if len(inputs) != len(ins) {
		for name := range inputs {
			known := false
			for _, io := range e.plan.Inputs {
				known = known || io.Name == name
			}
			if !known {
				return nil, fmt.Errorf("runtime: plan %q has no input %q", e.plan.Name, name)
			}
		}
	}
	outs := e.NewOutputs()
	if err := e.Run(ins, outs); err != nil {
		return nil, err
	}
	m := make(map[string]*ir.Tensor, len(outs))
	for i, io := range e.plan.Outputs {
		m[io.Name] = outs[i]
	}
	return m, nil
}
