// Package mnc compiles MobileNet-family convolutional networks (V1, V2,
// V3-Large, V3-Small and their width/resolution variants) into executable
// plans and runs them on CPUs with generated SIMD kernels.
//
// A model comes from a built-in spec ("mobilenet_v2",
// "mobilenet_v1:alpha=0.5,res=160"), a description file (*.mnc, see package
// frontend) or an ONNX file (*.onnx). Compile turns it into a plan for one
// instruction set; a plan runs on an Executor and can be saved to a file and
// loaded again without recompiling:
//
//	g, err := mnc.Load("mobilenet_v2")
//	p, _, err := mnc.Compile(g, mnc.Options{Level: 2})
//	e, err := mnc.NewExecutor(p, 0)
//	err = e.Run([]*ir.Tensor{input}, []*ir.Tensor{output})
package mnc

import (
	"fmt"
	"image"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/mnc-go/mnc/frontend/onnx"
	"github.com/mnc-go/mnc/imageio"
	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/models"
	"github.com/mnc-go/mnc/passes"
	"github.com/mnc-go/mnc/plan"
	"github.com/mnc-go/mnc/runtime"
)

// Load builds a built-in model or reads a description or ONNX file, with
// its weights. An ONNX model whose inputs have symbolic dimensions other
// than the batch (paddle2onnx's N×3×H×W) loads as a graph of its inputs
// alone, with Unbound set: give the dimensions with Specialize or
// Options.Shapes before using it.
func Load(spec string) (*ir.Graph, error) { return load(spec, false) }

// LoadShapes is Load for analysis only: built-in models skip computing
// their weights (shapes are exact, values are not).
func LoadShapes(spec string) (*ir.Graph, error) { return load(spec, true) }

func load(spec string, noWeights bool) (*ir.Graph, error) {
	switch strings.ToLower(filepath.Ext(spec)) {
	case ".onnx":
		m, err := onnx.Open(spec)
		if err != nil {
			return nil, err
		}
		return m.Lazy()
	case ".mnc":
		// models calibrates BatchNorm statistics like the built-ins, so a
		// described model's activations stay O(1) too.
		return models.LoadFile(spec, models.BuildOptions{NoWeights: noWeights})
	case ".plan":
		return nil, fmt.Errorf("%s is a compiled plan, not a model (plans can be run and benchmarked)", spec)
	}
	if b, ok, err := pipedBytes(spec); ok {
		if err != nil {
			return nil, err
		}
		return loadPiped(spec, b, noWeights)
	}
	if st, err := os.Stat(spec); err == nil && !st.IsDir() {
		return nil, fmt.Errorf("%s: unknown model file type (want .onnx or .mnc)", spec)
	}
	return models.BuildSpec(spec, models.BuildOptions{NoWeights: noWeights})
}

// Options control Compile.
type Options struct {
	Level   int      // 0: every op its own step (unfused); 2: all optimisations
	ISA     string   // "", "auto", "generic", "avx2", "avx512", "neon"; "" and "auto" honour MNC_ISA
	Batch   int      // batch size the plan runs (0: the model's, 1 if symbolic)
	Disable []string // optional passes to skip
	// BlockScratch is the per-thread scratch (bytes) a fused block's band
	// may take, which sets the band height (0: passes.DefaultBlockScratch).
	// ReleaseWeights lets Compile release g's constant tensors once they
	// are packed (and those folding replaced), so compiling holds fewer
	// copies of the weights; g must not be used afterwards.
	ReleaseWeights bool
	BlockScratch   int
	DumpAfter      string // pass name or "all": dump the graph after it to Dump
	Dump           io.Writer
	Verify         bool // also validate the plan and check its memory for overlaps
	// Threads is how many threads the plan will run on (0: one or
	// unknown): fuse-blocks leaves unfused the blocks whose rows cannot
	// give each of them a band (passes.Options.Threads).
	Threads int
	// Shapes fixes input shapes by input name, symbolic and fixed
	// dimensions alike (see Specialize); the batch it gives wins over Batch.
	Shapes map[string][]int
	// MaxMemory is the memory budget in bytes for this compilation (0: the
	// process-wide budget, package limits: half the machine's memory, at
	// most 4 GiB, or what limits.SetMaxMemory / mnc -max-memory set). A plan
	// whose arena would exceed it is an error.
	MaxMemory int64
	// Weights, when set, keeps the folded and packed weights of one
	// compile for the next compile of the same loaded graph at other
	// shapes (Model sets it; passes.NewWeightCache makes one).
	Weights *passes.WeightCache
}

// Specialize returns g with the given input shapes (by input name; other
// inputs keep theirs) and every shape inferred again. An ONNX model is
// imported again, so shape arithmetic folded at import (Shape → ... → Pad)
// is recomputed for the new shapes. Errors name the input, or the node
// whose constraint (a Reshape target, a fixed Gemm width) the shape breaks.
func Specialize(g *ir.Graph, shapes map[string][]int) (*ir.Graph, error) {
	s := make(map[string]ir.Shape, len(shapes))
	for k, v := range shapes {
		s[k] = ir.Shape(v).Clone()
	}
	return g.Specialize(s)
}

// Compile optimises g and builds a plan for the chosen instruction set.
func Compile(g *ir.Graph, o Options) (*plan.Plan, *passes.Report, error) {
	if len(o.Shapes) > 0 {
		var err error
		if g, err = Specialize(g, o.Shapes); err != nil {
			return nil, nil, err
		}
		if s, ok := o.Shapes[g.Inputs[0].Name]; ok && len(s) > 0 && o.Batch != 0 && o.Batch != s[0] {
			return nil, nil, fmt.Errorf("batch %d contradicts input %q's given shape %v", o.Batch, g.Inputs[0].Name, s)
		}
	}
	isa, err := runtime.SelectISA(o.ISA)
	if err != nil {
		return nil, nil, err
	}
	set, err := kernels.ForISA(isa)
	if err != nil {
		return nil, nil, err
	}
	return passes.Compile(g, passes.Options{Level: o.Level, Disable: o.Disable, DumpAfter: o.DumpAfter, Dump: o.Dump, Verify: o.Verify, Batch: o.Batch, BlockScratch: o.BlockScratch, Threads: o.Threads, MaxMemory: o.MaxMemory, Weights: o.Weights, ReleaseWeights: o.ReleaseWeights && o.DumpAfter == "" && o.Weights == nil}, set)
}

// NewExecutor prepares p to run on threads threads (0: every core).
func NewExecutor(p *plan.Plan, threads int) (*runtime.Executor, error) {
	return runtime.New(p, runtime.Options{Threads: threads})
}

// SavePlan writes p to path in mnc's versioned plan format.
func SavePlan(path string, p *plan.Plan) error { return plan.Save(path, p) }

// LoadPlan reads a plan file written by SavePlan.
// A pipe (mnc run <(cat x.plan)) works too.
func LoadPlan(path string) (*plan.Plan, error) { return loadPlanFile(path) }

// IsPlanFile reports whether path names a plan file (by extension, or by
// its magic bytes when the file exists).
func IsPlanFile(path string) bool {
	if strings.EqualFold(filepath.Ext(path), ".plan") {
		return true
	}
	if b, ok, err := pipedBytes(path); ok {
		return err == nil && isPlanBytes(b) // a pipe is read once and kept for the load
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	magic := make([]byte, 8)
	if _, err := io.ReadFull(f, magic); err != nil {
		return false
	}
	return string(magic) == plan.Magic
}

// LoadImage reads a PNG, JPEG, GIF, WebP, BMP or TIFF file.
func LoadImage(path string) (image.Image, error) { return imageio.Load(path) }

// Preprocess turns img into the input tensor of a model whose input has
// the given shape ([N,3,H,W] or [N,H,W,3]; the layout and size come from
// it, symbolic dimensions from the image), with a preset named after the
// ecosystem the model was trained in: "torchvision", "timm" (both take
// ":crop=F"), "imagenet", "keras", "caffe", "paddle" or "raw" (package
// imageio documents each one's exact steps; imageio.PresetNames lists them).
// The result has batch 1; imageio.PreprocessBatch stacks several images.
func Preprocess(img image.Image, preset string, shape []int) (*ir.Tensor, error) {
	return imageio.Preprocess(img, preset, shape)
}
