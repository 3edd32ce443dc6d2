package passes

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mnc-go/mnc/frontend/onnx"
	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/plan"
)

// exportersDir holds the exporter-spelled models of the frontend's suite
// (frontend/onnx/exporters_test.go checks their values; this test checks
// what the -O2 plans are made of).
const exportersDir = "../frontend/onnx/testdata/exporters"

// TestExporterPlansUseKernels: at -O2 no exporter model keeps a generic
// ReduceMean or MatMul (they become GlobalAveragePool and Gemm), a generic
// Pad only where no conv reads it (odd_pools pads before pooling), and the
// channels-last models with their transposes at the edges have no
// conversion or Transpose step at all.
func TestExporterPlansUseKernels(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(exportersDir, "*.onnx"))
	if len(files) == 0 {
		t.Skipf("no exporter models in %s", exportersDir)
	}
	set, err := kernels.ForISA(kernels.Best())
	if err != nil {
		t.Fatal(err)
	}
	padOK := map[string]bool{"odd_pools": true}
	edgeFree := map[string]bool{"tf_nhwc_edge": true, "tf_nhwc_wrapped": true, "tf_variants": true}
	checked := 0
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".onnx")
		if strings.HasPrefix(name, "reject_") {
			continue
		}
		m, err := onnx.Open(f)
		var g *ir.Graph
		if err == nil {
			g, err = m.Lazy()
		}
		if err == nil && g.Unbound != nil { // symbolic H and W, or arithmetic on the batch: compile at 1×C×32×32
			shape := g.Unbound.Shape.Clone()
			for k, d := range shape {
				if d < 0 {
					shape[k] = min(k, 1)*31 + 1
				}
			}
			g, err = m.Import(map[string]ir.Shape{g.Unbound.Input: shape})
		}
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		p, _, err := Compile(g, Options{Level: 2, Verify: true}, set)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		checked++
		var bad []string
		for _, s := range p.Steps {
			switch {
			case s.Kind == plan.KindGeneric && (s.Op.String() == "ReduceMean" || s.Op.String() == "MatMul"):
				bad = append(bad, "generic "+s.Op.String())
			case s.Kind == plan.KindGeneric && s.Op.String() == "Pad" && !padOK[name]:
				bad = append(bad, "generic Pad")
			case edgeFree[name] && (s.Kind == plan.KindToNHWC || s.Kind == plan.KindToNCHW || s.Op.String() == "Transpose"):
				bad = append(bad, s.Kind.String()+" "+s.Op.String())
			}
		}
		if len(bad) > 0 {
			t.Errorf("%s: -O2 plan keeps %v\nplan:\n%s", name, bad, stepList(p))
		}
	}
	if _, err := os.Stat(filepath.Join(exportersDir, "tf_nhwc_edge.onnx")); err == nil && checked < 10 {
		t.Errorf("only %d exporter models compiled", checked)
	}
}

// TestCanonPassesAreOptional: the ONNX importer translates only, so -O0
// compiles the exporter's spelling as written (tf_nhwc_wrapped: a
// Transpose step around every conv, h-swish as Add, Clip, Div and Mul),
// -O2 canonicalises it (no Transpose, no Clip step) and disabling
// sink-transposes or canon-activations brings back exactly what it
// rewrites. Every plan must still match the reference (TestExporters
// checks -O0 and -O2 against numpy).
func TestCanonPassesAreOptional(t *testing.T) {
	f := filepath.Join(exportersDir, "tf_nhwc_wrapped.onnx")
	if _, err := os.Stat(f); err != nil {
		t.Skip(err)
	}
	g, err := onnx.Load(f)
	if err == nil {
		err = g.SetBatch(1)
	}
	if err != nil {
		t.Fatal(err)
	}
	count := func(opts Options) (transposes, clips int) {
		t.Helper()
		p := compileRunWith(t, g, opts)
		for _, s := range p.Steps {
			switch {
			case s.Op == ir.OpTranspose:
				transposes++
			case s.Op == ir.OpClip:
				clips++
			}
		}
		return transposes, clips
	}
	if tr, cl := count(Options{Level: 0}); tr < 8 || cl == 0 {
		t.Errorf("-O0: %d Transpose and %d Clip steps, want the graph as written (≥ 8 and ≥ 1)", tr, cl)
	}
	if tr, cl := count(Options{Level: 2}); tr != 0 || cl != 0 {
		t.Errorf("-O2: %d Transpose and %d Clip steps, want none", tr, cl)
	}
	if tr, _ := count(Options{Level: 2, Disable: []string{"sink-transposes"}}); tr < 8 {
		t.Errorf("-O2 without sink-transposes: %d Transpose steps, want the exporter's (≥ 8)", tr)
	}
	var dump strings.Builder
	if _, _, err := Compile(g, Options{Level: 2, Disable: []string{"canon-activations"}, DumpAfter: "merge-reshapes", Dump: &dump}, mustSet(t)); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(dump.String(), "HardSwish(") || !strings.Contains(dump.String(), "Clip(") {
		t.Errorf("without canon-activations the graph after merge-reshapes should keep h-swish spelled out:\n%s", dump.String())
	}
}

func mustSet(t *testing.T) *kernels.Set {
	t.Helper()
	set, err := kernels.ForISA(kernels.Best())
	if err != nil {
		t.Fatal(err)
	}
	return set
}
