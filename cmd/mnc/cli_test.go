package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	goruntime "runtime"
	"strings"
	"testing"
)

// cli runs the CLI in-process and returns its exit status and outputs.
func cli(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errw bytes.Buffer
	code := realMain(args, &out, &errw)
	return code, out.String(), errw.String()
}

func TestRunPrintsFiniteTop5AndTime(t *testing.T) {
	dir := t.TempDir()
	outFile := filepath.Join(dir, "out.bin")
	code, out, errs := cli(t, "run", "-threads", "1", "-output", outFile, "mobilenet_v3_small")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"top-5:", "time:", `"logits" [1×1000]`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "NaN") {
		t.Errorf("non-finite logits:\n%s", out)
	}
	b, err := os.ReadFile(outFile)
	if err != nil || len(b) != 4000 {
		t.Fatalf("-output wrote %d bytes (%v), want 4000", len(b), err)
	}
	// The compiled plan and the reference executor agree on the written logits.
	refFile := filepath.Join(dir, "ref.bin")
	if code, _, errs := cli(t, "run", "-ref", "-output", refFile, "mobilenet_v3_small"); code != 0 {
		t.Fatalf("-ref: exit %d: %s", code, errs)
	}
	rb, _ := os.ReadFile(refFile)
	var maxd, maxr float64
	for i := 0; i < len(b); i += 4 {
		x := float64(math.Float32frombits(binary.LittleEndian.Uint32(b[i:])))
		y := float64(math.Float32frombits(binary.LittleEndian.Uint32(rb[i:])))
		maxd = math.Max(maxd, math.Abs(x-y))
		maxr = math.Max(maxr, math.Abs(y))
	}
	if maxd > 1e-4*maxr {
		t.Errorf("plan vs reference: max|diff| %g > 1e-4·%g", maxd, maxr)
	}
}

func TestRunInputFile(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.bin")
	if err := os.WriteFile(in, make([]byte, 4*3*64*64), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := cli(t, "run", "-input", in, "mobilenet_v3_small:res=64"); code != 0 || !strings.Contains(out, "top-5") {
		t.Fatalf("exit %d: %s %s", code, out, errs)
	}
	short := filepath.Join(dir, "short.bin")
	os.WriteFile(short, make([]byte, 10), 0o644)
	code, _, errs := cli(t, "run", "-input", short, "mobilenet_v3_small:res=64")
	if code != 2 || !strings.Contains(errs, "10 bytes") || !strings.Contains(errs, "needs 12288 float32 values") {
		t.Errorf("short input: exit %d, %q", code, errs)
	}
}

func TestCompileSaveRunPlanFile(t *testing.T) {
	dir := t.TempDir()
	pf := filepath.Join(dir, "v3s.plan")
	code, out, errs := cli(t, "compile", "-o", pf, "mobilenet_v3_small:res=96")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"steps by kind", "fused:", "memory: arena", "passes:", "fold-bn", "wrote"} {
		if !strings.Contains(out, want) {
			t.Errorf("compile output lacks %q:\n%s", want, out)
		}
	}
	if code, out, errs := cli(t, "run", "-threads", "1", pf); code != 0 || !strings.Contains(out, "top-5") {
		t.Fatalf("run plan: exit %d: %s %s", code, out, errs)
	}
	// A truncated plan gives one clear error naming the file.
	b, _ := os.ReadFile(pf)
	bad := filepath.Join(dir, "bad.plan")
	os.WriteFile(bad, b[:len(b)/2], 0o644)
	code, _, errs = cli(t, "run", bad)
	if code != 2 || !strings.Contains(errs, "bad.plan") || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
		t.Errorf("truncated plan: exit %d, %q", code, errs)
	}
}

func TestBenchJSON(t *testing.T) {
	code, out, errs := cli(t, "bench", "-json", "-runs", "3", "-warmup", "1", "-threads", "1", "-per-layer", "mobilenet_v3_small:res=96")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var r map[string]any
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("bad JSON: %v\n%s", err, out)
	}
	for _, k := range []string{"model", "threads", "isa", "opt", "median_ms", "min_ms", "gflops", "layers"} {
		if _, ok := r[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	if r["opt"] != "O2" || r["threads"].(float64) != 1 {
		t.Errorf("opt %v threads %v", r["opt"], r["threads"])
	}
	// Memory figures: the arena and weights are the plan's; the peak RSS
	// (Linux) holds at least the weights.
	arena, _ := r["arena_bytes"].(float64)
	weights, _ := r["weights_bytes"].(float64)
	if arena <= 0 || weights <= 0 {
		t.Errorf("arena_bytes %v weights_bytes %v", r["arena_bytes"], r["weights_bytes"])
	}
	if rss, _ := r["peak_rss_bytes"].(float64); goruntime.GOOS == "linux" && rss < weights {
		t.Errorf("peak_rss_bytes %v is below the weights' %v", rss, weights)
	}
}

func TestDot(t *testing.T) {
	code, out, errs := cli(t, "dot", "mobilenet_v2")
	if code != 0 || !strings.HasPrefix(out, "digraph") || !strings.Contains(out, "->") {
		t.Fatalf("exit %d: %s", code, errs)
	}
}

func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "x.onnx")
	os.WriteFile(garbage, []byte("not a model"), 0o644)
	badDesc := filepath.Join(dir, "x.mnc")
	os.WriteFile(badDesc, []byte("model x\nbogus_row 1 2\n"), 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"run"}, "want exactly one MODEL"},
		{[]string{"run", "-threads", "x", "v2"}, "-threads"},
		{[]string{"run", "-threads", "-2", "v2"}, "-threads -2"},
		{[]string{"run", "mobilenet_v9"}, "mobilenet_v9"},
		{[]string{"run", "mobilenet_v2:alpha=zz"}, "alpha"},
		{[]string{"run", "missing.onnx"}, "missing.onnx"},
		{[]string{"run", garbage}, "x.onnx"},
		{[]string{"compile", badDesc}, "x.mnc:2"},
		{[]string{"compile", "-O0", "-O2", "v2"}, "exclusive"},
		{[]string{"compile", "-disable", "no-such-pass", "v2"}, "no-such-pass"},
		{[]string{"compile", "-isa", "sparc", "v2"}, "sparc"},
		{[]string{"bench", "-dump-after", "nope", "v2"}, "nope"},
		{[]string{"dot", "a", "b"}, "exactly one MODEL"},
	} {
		code, _, errs := cli(t, c.args...)
		if code != 2 || !strings.Contains(errs, c.want) {
			t.Errorf("mnc %v: exit %d, stderr %q; want exit 2 and %q", c.args, code, errs, c.want)
		}
		if strings.Contains(errs, "panic") || strings.Contains(errs, "goroutine") {
			t.Errorf("mnc %v panicked: %s", c.args, errs)
		}
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"help"}, {"help", "bench"}, {"bench", "-h"}, {"run", "-h"}} {
		code, out, _ := cli(t, args...)
		if code != 0 || !strings.Contains(out, "usage") {
			t.Errorf("mnc %v: exit %d, %q", args, code, out)
		}
	}
}
