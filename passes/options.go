package passes

import (
	"fmt"
	"io"
	"time"
)

// Options control Compile.
type Options struct {
	// Level is 0 (required passes only: every op its own step, the unfused
	// baseline) or 2 (everything). Other values are refused.
	Level int
	// Disable names optional passes to skip; naming a required pass or an
	// unknown one is an error.
	Disable []string
	// DumpAfter is a pass name, or "all": the graph (and, for plan stages,
	// the plan summary) is written to Dump after it runs.
	DumpAfter string
	Dump      io.Writer
	// Verify adds the expensive checks after the pipeline: plan.Validate and
	// the arena overlap checker. ir.Graph.Verify runs after every pass
	// regardless (it is cheap and catches a broken pass at once).
	Verify bool
	// BlockScratch is the per-thread scratch (bytes) a fused block's band
	// may take (0: DefaultBlockScratch); it sets the band height.
	BlockScratch int
	// BlockMinBytes is the smallest depthwise input (bytes, one image) of
	// a block fuse-blocks fuses (0: DefaultBlockMinBytes; negative: every
	// block).
	BlockMinBytes int
	// DWBlockMinBytes is the smallest depthwise input (bytes, one image)
	// fuse-blocks fuses with the 1×1 conv that makes it into a block ending
	// in the depthwise conv, in plans for one thread (0:
	// DefaultDWBlockMinBytes; negative: never).
	DWBlockMinBytes int
	// Threads is how many threads the plan is compiled to run on (0 or 1:
	// one, or unknown). fuse-blocks leaves a block unfused when its output
	// rows cannot give every thread a band (plan.BlockParts): a fused
	// block is split over threads only by rows, while its unfused GEMMs
	// split by rows and columns, so on many threads the small late-stage
	// blocks run faster unfused (16 threads: V1's 28² and 14² blocks ran
	// on 4 and 2 of them).
	Threads int
	// ReleaseWeights lets Compile release the graph's constant tensors
	// (their Data becomes nil) once it no longer needs them, so that
	// compiling never holds the original, folded and packed weights at
	// once. The graph given to Compile must not be used afterwards.
	ReleaseWeights bool
	// Batch binds the graph's batch dimension (0 means keep the graph's,
	// or 1 when it is unbound).
	Batch int
	// AfterPass, when set, is called after each pass that ran with the
	// pipeline's state, which it must not modify (mnc dot -after draws
	// st.G: the nodes' Attrs.Folded and Attrs.Algo).
	AfterPass func(pass string, st *State)
	// MaxMemory is the memory budget in bytes (0: limits.MaxMemory()): a
	// plan whose arena exceeds it, or a constant folded bigger than it, is
	// an error rather than an allocation.
	MaxMemory int64
	// Weights, when set, keeps folded and packed weights for the next
	// compile of the same model (at another input shape: mnc.Model).
	Weights *WeightCache
	// Int8Islands makes int8-storage store every quantized activation it
	// can as bytes, with float islands (conversion steps) around the steps
	// that have no byte kernel, instead of only where every reader and
	// writer has one (for tests of the byte machinery; slower).
	Int8Islands bool
}

// PassTime records one pipeline entry's run.
type PassTime struct {
	Name     string
	Ran      bool // false when skipped by -O0 or Disable
	Duration time.Duration
}

// Report is what Compile tells about its work.
type Report struct {
	Passes []PassTime
	// LivePeakBytes is the most activation bytes live at one time (a lower
	// bound for the arena); ArenaBytes is what the plan allocates.
	LivePeakBytes int64
	ArenaBytes    int64
	// IntermediateBytes sums every activation tensor's size: what running
	// without memory reuse would take.
	IntermediateBytes int64
	// Blocks lists the inverted-residual blocks fuse-blocks fused;
	// ScratchBytes is the per-thread scratch the plan's steps need (the
	// bands of fused blocks, the dense conv's patches).
	Blocks       []BlockInfo
	ScratchBytes int64
	// BlocksLeftForThreads counts the blocks fuse-blocks left unfused
	// because their rows could not feed Options.Threads threads.
	BlocksLeftForThreads int
}

// BlockInfo describes one fused block: the step's name, how many steps it
// fused (3: expand, depthwise, project; 2: depthwise, project), the band
// height in output rows and the per-thread scratch its bands take.
type BlockInfo struct {
	Name         string
	Steps        int
	Band         int
	ScratchBytes int64
}

func (o *Options) check() (map[string]bool, error) {
	if o.Level != 0 && o.Level != 2 {
		return nil, fmt.Errorf("optimisation level %d is not supported (use 0 or 2)", o.Level)
	}
	off := map[string]bool{}
	for _, name := range o.Disable {
		p, err := lookup(name)
		if err != nil {
			return nil, fmt.Errorf("-disable: %w", err)
		}
		if p.Required {
			return nil, fmt.Errorf("-disable: cannot disable required pass %s", name)
		}
		off[name] = true
	}
	if off["fuse-blocks"] {
		off["fuse-se-blocks"] = true // its variant for SE blocks (fuseblocks_se.go)
	}
	if o.DumpAfter != "" && o.DumpAfter != "all" {
		if _, err := lookup(o.DumpAfter); err != nil {
			return nil, fmt.Errorf("-dump-after: %w (or \"all\")", err)
		}
	}
	if o.DumpAfter != "" && o.Dump == nil {
		return nil, fmt.Errorf("-dump-after %s needs a Dump writer", o.DumpAfter)
	}
	if o.Batch < 0 {
		return nil, fmt.Errorf("batch %d must be positive", o.Batch)
	}
	return off, nil
}
