package onnx

import (
	"testing"

	"github.com/mnc-go/mnc/internal/shareddata"

	"github.com/mnc-go/mnc/analysis"
	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/reference"
)

// wholeModels are the ONNX files made by ../shared/models/make_models.py,
// with DESIGN.md's MAC and parameter totals.
var wholeModels = []struct {
	name          string
	batch         int
	macs, params  int64
	checkAnalysis bool
}{
	{"mobilenet_v1", 1, 568740352, 4231976, true},
	{"mobilenet_v2", 1, 300774272, 3504872, true},
	{"mobilenet_v2_dynbatch", 2, 0, 0, false},
	{"mobilenet_v3_large", 1, 216589760, 5483032, true},
	{"mobilenet_v3_small", 1, 56510400, 2542856, true},
}

// TestWholeModelAnalysis imports each model and checks that the analysis
// of the imported graph gives DESIGN.md's totals: the importer kept every
// Conv, Gemm and BatchNormalization with its weights.
func TestWholeModelAnalysis(t *testing.T) {
	for _, m := range wholeModels {
		t.Run(m.name, func(t *testing.T) {
			g, err := Load(shareddata.Path(t, m.name+".onnx"))
			if err != nil {
				t.Fatal(err)
			}
			if !m.checkAnalysis {
				if g.Inputs[0].Shape[0] != -1 {
					t.Fatalf("input shape %v: want a symbolic batch (-1)", g.Inputs[0].Shape)
				}
				if err := g.SetBatch(m.batch); err != nil {
					t.Fatalf("SetBatch(%d): %v", m.batch, err)
				}
				if got := g.Outputs[0].Shape; !got.Equal([]int{m.batch, 1000}) {
					t.Fatalf("output shape %v after SetBatch(%d)", got, m.batch)
				}
				return
			}
			r, err := analysis.Analyze(g)
			if err != nil {
				t.Fatal(err)
			}
			if r.MACs != m.macs || r.Params != m.params {
				t.Errorf("MACs %d params %d, want %d / %d", r.MACs, r.Params, m.macs, m.params)
			}
		})
	}
}

// TestWholeModelOutputs runs each imported model on the shipped input with
// the reference executor and compares with ONNX Runtime's output:
// max|diff| ≤ 1e-4·max|ref|. Slow (a float64 interpreter over ~0.6 GMACs):
// skipped with -short.
func TestWholeModelOutputs(t *testing.T) {
	if testing.Short() {
		t.Skip("whole-model reference runs are slow; run without -short")
	}
	for _, m := range wholeModels {
		t.Run(m.name, func(t *testing.T) {
			path := shareddata.Path(t, m.name+".onnx")
			g, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			checkAgainstORT(t, g, m.name, m.batch)
		})
	}
}

// checkAgainstORT runs g on <name>.in.bin and compares with <name>.out.bin.
func checkAgainstORT(t *testing.T, g *ir.Graph, name string, batch int) {
	t.Helper()
	in := g.Inputs[0]
	shape := in.Shape.Clone()
	shape[0] = batch
	x := shareddata.ReadFloats(t, name+".in.bin")
	want := shareddata.ReadFloats(t, name+".out.bin")
	if len(x) != shape.Size() {
		t.Fatalf("%s.in.bin has %d values, input %q wants %v", name, len(x), in.Name, shape)
	}
	out, err := reference.Run(g, map[string]*ir.Tensor{in.Name: ir.FromData(x, shape...)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := out[g.Outputs[0].Name]
	if got == nil || len(got.Data) != len(want) {
		t.Fatalf("output %q: got %v, want %d values", g.Outputs[0].Name, got, len(want))
	}
	ref := ir.FromData(want, got.Shape...)
	if ok, msg := reference.Close(got, ref, 1e-4); !ok {
		t.Errorf("vs ONNX Runtime: %s", msg)
	}
	if d, m, err := reference.MaxAbsDiff(got, ref); err == nil {
		t.Logf("max|diff| %.3g = %.3g·max|ref| (%.4g)", d, d/m, m)
	}
}
