package mnc_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/mnc-go/mnc"
	"github.com/mnc-go/mnc/frontend"
	"github.com/mnc-go/mnc/frontend/onnx"
	"github.com/mnc-go/mnc/internal/fuzzcap"
	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/plan"
	"github.com/mnc-go/mnc/runtime"
)

// pipelineSeeds are small ONNX models of the ops MobileNets use: a conv
// stem, an inverted residual with SE and hard-swish, depthwise separable
// convs, concat, resize and a classifier.
func pipelineSeeds(f *testing.F) [][]byte {
	var seeds [][]byte
	add := func(g *ir.Graph, err error) {
		if err != nil {
			f.Fatal(err)
		}
		var b bytes.Buffer
		if err := onnx.Write(&b, g); err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, b.Bytes())
	}
	b := frontend.NewBuilder("v3ish", frontend.Options{Seed: 1})
	x := b.Input("input", 3, 8, 8)
	y := b.ConvBNAct("stem", x, 8, 3, 2, 1, frontend.HSwish)
	y = b.InvertedResidual("b1", y, frontend.InvertedResidual{Expand: 16, Out: 8, Stride: 1, Kernel: 3, SE: true, Act: frontend.HSwish})
	y = b.FC("fc", b.Flatten("flat", b.GlobalAvgPool("gap", y)), 5, 1)
	add(b.Finish(b.Softmax("sm", y), "probs"))

	b = frontend.NewBuilder("dense", frontend.Options{Seed: 2})
	x = b.Input("input", 3, 8, 8)
	y = b.DepthwiseSeparable("ds", b.ConvBNAct("stem", x, 4, 3, 1, 1, frontend.ReLU6), 6, 3, 2, frontend.ReLU)
	z := b.ResizeBilinear("up", y, 8, 8)
	add(b.Finish(b.Concat("cat", 1, z, b.ConvBNAct("side", x, 2, 1, 1, 1, frontend.ReLU)), "out"))
	return seeds
}

// FuzzPipeline runs what `mnc run model.onnx` does on arbitrary bytes:
// import, compile (-O0 or -O2), encode the plan, decode it, make an
// executor and run it on a zero input, under fuzzcap's budget. Each stage
// may refuse its input with an error; none may panic (a recovered panic is
// an "internal error"), and a plan mnc encoded must decode. Run it
// locally, e.g.
//
//	go test -run=NONE -fuzz=FuzzPipeline -fuzztime=60s .
func FuzzPipeline(f *testing.F) {
	for _, s := range pipelineSeeds(f) {
		f.Add(uint8(0), s)
		f.Add(uint8(2), s)
	}
	f.Fuzz(func(t *testing.T, level uint8, data []byte) {
		fuzzcap.Run(t, func() {
			internal := func(stage string, err error) bool {
				if err != nil && strings.Contains(err.Error(), "internal error") {
					t.Fatalf("%s: %v", stage, err)
				}
				return err != nil
			}
			g, err := onnx.Read("fuzz.onnx", data, "")
			if internal("import", err) {
				return
			}
			p, _, err := mnc.Compile(g, mnc.Options{Level: int(level%2) * 2, ISA: "generic"})
			if internal("compile", err) {
				return
			}
			var buf bytes.Buffer
			if err := plan.Encode(&buf, p); err != nil {
				t.Fatalf("encode: %v", err)
			}
			q, err := plan.Decode(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatalf("a plan mnc encoded does not decode: %v", err)
			}
			for _, io := range q.Inputs {
				if io.Buf.Size() > 1<<20 {
					return
				}
			}
			e, err := runtime.New(q, runtime.Options{Threads: 1})
			if internal("executor", err) {
				return
			}
			defer e.Close()
			var ins []*ir.Tensor
			for _, io := range q.Inputs {
				ins = append(ins, ir.NewTensor(io.Buf.Shape...))
			}
			internal("run", e.Run(ins, e.NewOutputs()))
		})
	})
}
