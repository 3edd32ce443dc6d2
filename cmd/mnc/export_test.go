package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/mnc-go/mnc/frontend/onnx"
	"github.com/mnc-go/mnc/models"
)

// TestExport writes a built-in model as ONNX and reads it back: the same
// node count and output shape.
func TestExport(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v3s.onnx")
	code, out, errOut := cli(t, "export", "mobilenet_v3_small:res=96", "-o", path)
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, out, errOut)
	}
	if !strings.Contains(out, "wrote "+path) {
		t.Errorf("output %q does not say what was written", out)
	}
	g, err := onnx.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	want, err := models.Build("mobilenet_v3_small:res=96")
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Nodes) != len(want.Nodes) || !g.Outputs[0].Shape.Equal(want.Outputs[0].Shape) {
		t.Errorf("re-imported %d nodes, output %v; want %d, %v", len(g.Nodes), g.Outputs[0].Shape, len(want.Nodes), want.Outputs[0].Shape)
	}
}

// TestExportUsage: -o is required (exit status 2, the usage convention).
func TestExportUsage(t *testing.T) {
	if code, _, errOut := cli(t, "export", "mobilenet_v2"); code != 2 || !strings.Contains(errOut, "-o") {
		t.Errorf("without -o: exit %d, stderr %q", code, errOut)
	}
}
