package onnx

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/mnc-go/mnc/analysis"
)

// sharedModels is ../shared/models relative to the repository root.
const sharedModels = "../../../shared/models"

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

func sharedModel(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join(sharedModels, name+".onnx")
	if _, err := os.Stat(p); err != nil {
		t.Skipf("%s is absent (../shared/models not checked out next to the repository): %v", p, err)
	}
	return p
}

func readFloats(t *testing.T, path string) []float32 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b)%4 != 0 {
		t.Fatalf("%s: %d bytes is not a whole number of float32s", path, len(b))
	}
	f := make([]float32, len(b)/4)
	for k := range f {
		f[k] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*k:]))
	}
	return f
}

// TestWholeModelAnalysis imports each model and checks that the analysis
// of the imported graph gives DESIGN.md's totals: the importer kept every
// Conv, Gemm and BatchNormalization with its weights.
func TestWholeModelAnalysis(t *testing.T) {
	for _, m := range wholeModels {
		t.Run(m.name, func(t *testing.T) {
			g, err := Load(sharedModel(t, m.name))
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
