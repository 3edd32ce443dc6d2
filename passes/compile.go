package passes

import (
	"fmt"
	"slices"
	"time"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/limits"
	"github.com/mnc-go/mnc/plan"
)

// Compile runs the pipeline on a copy of g (g is not modified) and returns
// the plan for set, with per-pass timings and memory figures.
func Compile(g *ir.Graph, opts Options, set *kernels.Set) (*plan.Plan, *Report, error) {
	if set == nil {
		return nil, nil, fmt.Errorf("passes: no kernel set")
	}
	off, err := opts.check()
	if err != nil {
		return nil, nil, err
	}
	if len(g.Inputs) == 0 {
		return nil, nil, fmt.Errorf("graph %q has no inputs: there is nothing to compile for", g.Name)
	}
	// Every output is live at the end of a run: more than MaxLive is
	// refused before the passes (plan-memory would refuse them after, and
	// counts the inputs' lifetimes exactly: an input may be an output too).
	if n := len(g.Outputs); n > MaxLive {
		return nil, nil, fmt.Errorf("graph %q has %d outputs; mnc plans at most %d %w", g.Name, n, MaxLive, ErrTooManyLive)
	}
	// A plan's tensors have rank 1 to plan.MaxRank; a scalar input
	// reached emit-steps, which reads the batch from dimension 0.
	for _, v := range g.Inputs {
		if len(v.Shape) == 0 || len(v.Shape) > plan.MaxRank {
			return nil, nil, fmt.Errorf("graph input %q has shape %v: mnc compiles inputs of rank 1 to %d", v.Name, v.Shape, plan.MaxRank)
		}
	}
	st := newState(g, opts, set)
	batch := opts.Batch
	if batch == 0 && len(st.G.Inputs) > 0 && len(st.G.Inputs[0].Shape) > 0 {
		batch = st.G.Inputs[0].Shape[0]
	}
	if batch <= 0 {
		batch = 1
	}
	if err := st.G.SetBatch(batch); err != nil {
		return nil, nil, fmt.Errorf("binding batch %d: %w", batch, err)
	}
	if err := st.G.Verify(); err != nil {
		return nil, nil, fmt.Errorf("input graph: %w", err)
	}
	// A plan holds no empty tensors: the runtime refused them after
	// compiling, naming no node, and a 0×0 kernel panicked in a kernel.
	for _, n := range st.G.Nodes {
		for _, v := range n.Outputs {
			if slices.Contains(v.Shape, 0) {
				return nil, nil, fmt.Errorf("node %q (%s): output %q has shape %v: mnc does not compile empty tensors", n.Name, n.Op, v.Name, v.Shape)
			}
		}
	}
	var rel *releaser
	if opts.ReleaseWeights && opts.Weights != nil {
		opts.ReleaseWeights = false // the cache keeps the weights for later compiles
		st.Opts.ReleaseWeights = false
	}
	if opts.ReleaseWeights {
		rel = newReleaser(st.G)
	}
	st.report.Passes = make([]PassTime, len(pipeline))
	round := 0 // of the canonicalisation group
	for i := 0; i < len(pipeline); i++ {
		p := pipeline[i]
		if p.Name == "pack-weights" {
			rel = nil // pack-weights releases what it packs
		}
		run := (opts.Level >= 2 || p.Required) && !off[p.Name]
		pt := &st.report.Passes[i]
		pt.Name, pt.Ran = p.Name, pt.Ran || run
		if run {
			t0 := time.Now()
			changedBefore := st.canonChanged
			st.canonChanged = false
			if err := runPass(&p, st); err != nil {
				return nil, nil, err
			}
			changed := st.canonChanged
			st.canonChanged = st.canonChanged || changedBefore
			pt.Duration += time.Since(t0)
			if rel != nil {
				rel.sweep(st.G)
			}
			// Plan passes leave the graph alone; released constants
			// (ReleaseWeights) no longer hold their values.
			// On graphs beyond verifyEachPass nodes (ten times any real
			// network) the graph is verified once, after emit-steps: after
			// every pass it was a third of a 100k-node compile.
			every := len(st.G.Nodes) <= verifyEachPass
			if (!opts.ReleaseWeights || st.Plan == nil || p.Name == "emit-steps") && (every || p.Name == "emit-steps") {
				if err := st.G.Verify(); err != nil {
					return nil, nil, fmt.Errorf("graph invalid after pass %s: %w", p.Name, err)
				}
			}
			// Later canonicalisation rounds are dumped only where they changed the graph.
			if (opts.DumpAfter == "all" || opts.DumpAfter == p.Name) && (round == 0 || changed || !p.Canon) {
				if round > 0 && p.Canon {
					fmt.Fprintf(opts.Dump, "// after %s (canonicalisation round %d)\n", p.Name, round+1)
				} else {
					fmt.Fprintf(opts.Dump, "// after %s\n", p.Name)
				}
				st.G.Dump(opts.Dump)
				if st.Plan != nil && p.Name == "plan-memory" {
					Summarize(opts.Dump, st.Plan)
				}
				if p.Name == "concat-in-place" {
					st.dumpSlices(opts.Dump)
				}
				if p.Name == "slice-in-place" {
					st.dumpSliceViews(opts.Dump)
				}
			}
			if opts.AfterPass != nil {
				opts.AfterPass(p.Name, st)
			}
		}
		// The canonicalisation group runs again while it changes the graph.
		if p.Canon && !pipeline[i+1].Canon && st.canonChanged && round < maxCanonRounds {
			st.canonChanged = false
			round++
			i = -1
		}
	}
	p := st.Plan
	if err := limits.Check(opts.MaxMemory, fmt.Sprintf("the plan's arena (the activations of batch %d)", p.Batch), limits.Mul(int64(p.ArenaSize), 4)); err != nil {
		return nil, nil, err
	}
	if opts.Verify {
		if err := p.Validate(); err != nil {
			return nil, nil, fmt.Errorf("built plan is invalid: %w", err)
		}
		if err := plan.CheckMemory(p); err != nil {
			return nil, nil, fmt.Errorf("built plan's memory overlaps: %w", err)
		}
	}
	return p, st.report, nil
}

// newState is the pipeline's state for compiling a copy of g.
func newState(g *ir.Graph, opts Options, set *kernels.Set) *State {
	return &State{
		G: g.Clone(), Set: set, Opts: opts,
		alias: map[*ir.Value]*ir.Value{}, edgeIn: map[*ir.Value]*ir.Value{},
		report: &Report{},
	}
}

// maxCanonRounds bounds the canonicalisation group's fixed point (each
// rule terminates; the bound only guards against two rules undoing each
// other forever).
const maxCanonRounds = 8

// Canonicalize runs the canonicalisation passes (the table's Canon
// entries, optional ones included) on g in place to a fixed point: the
// graph -O2 starts from, for tools that show or export a model in mnc's
// own spelling (an ONNX import translates only). It changes no constant
// tensor in place.
func Canonicalize(g *ir.Graph) error {
	st := &State{G: g}
	for round := 0; round <= maxCanonRounds; round++ {
		st.canonChanged = false
		for i := 0; pipeline[i].Canon; i++ {
			if err := runPass(&pipeline[i], st); err != nil {
				return err
			}
		}
		if !st.canonChanged {
			break
		}
	}
	return g.Verify()
}

// runPass runs one pass, turning a panic (a bug the graph exposed) into an
// error that names the pass, as the Go compiler does.
func runPass(p *Pass, st *State) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error: panic during pass %s on graph %q: %v (please report it with the model)", p.Name, st.G.Name, r)
		}
	}()
	if len(p.Needs) > 0 && !hasAnyOp(st.G, p.Needs) {
		return nil
	}
	if err := p.Fn(st); err != nil {
		return fmt.Errorf("pass %s: %w", p.Name, err)
	}
	return nil
}

// verifyEachPass is the graph size (nodes) up to which Compile verifies the
// graph after every pass.
const verifyEachPass = 20000

// hasAnyOp reports whether g has a node of one of ops.
func hasAnyOp(g *ir.Graph, ops []ir.Op) bool {
	for _, n := range g.Nodes {
		if slices.Contains(ops, n.Op) {
			return true
		}
	}
	return false
}
