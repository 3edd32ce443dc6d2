package main

import (
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDotAfterFusion: -after fused draws the compiled graph with what each
// node absorbed; the imported graph has the BatchNorms and activations as
// nodes of their own.
func TestDotAfterFusion(t *testing.T) {
	code, before, errs := cli(t, "dot", "mobilenet_v2:res=32")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	code, after, errs := cli(t, "dot", "-after", "fused", "mobilenet_v2:res=32")
	if code != 0 {
		t.Fatalf("-after: exit %d: %s", code, errs)
	}
	if !strings.Contains(before, "BatchNormalization") || strings.Contains(before, "fused:") {
		t.Errorf("imported graph: no BatchNorm node, or fused labels")
	}
	for _, want := range []string{"fused: bn + relu6", "fused: bn + add", "fillcolor="} {
		if !strings.Contains(after, want) {
			t.Errorf("-after fused lacks %q", want)
		}
	}
	if strings.Contains(after, "BatchNormalization") || strings.Count(after, "->") >= strings.Count(before, "->") {
		t.Errorf("-after fused still has BatchNorm nodes or as many edges (%d) as before (%d)", strings.Count(after, "->"), strings.Count(before, "->"))
	}
	code, _, errs = cli(t, "dot", "-after", "no-such-pass", "mobilenet_v2:res=32")
	if code != 2 || !strings.Contains(errs, "no such pass") {
		t.Errorf("unknown pass: exit %d, %q", code, errs)
	}
}

func TestDotPNG(t *testing.T) {
	path := filepath.Join(t.TempDir(), "g.png")
	if _, err := exec.LookPath("dot"); err != nil {
		t.Setenv("PATH", "")
		code, _, errs := cli(t, "dot", "-png", path, "mobilenet_v3_small:res=32")
		if code != 2 || !strings.Contains(errs, "Graphviz's dot command is not installed") {
			t.Errorf("without dot: exit %d, %q", code, errs)
		}
		t.Skip("Graphviz's dot is not installed: checked the message only")
	}
	code, _, errs := cli(t, "dot", "-after", "fused", "-png", path, "mobilenet_v3_small:res=32")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Errorf("-png wrote no PNG: %v", err)
	}
	t.Setenv("PATH", "")
	if code, _, errs := cli(t, "dot", "-png", path, "mobilenet_v3_small:res=32"); code != 2 || !strings.Contains(errs, "not installed") {
		t.Errorf("without dot on PATH: exit %d, %q", code, errs)
	}
}
