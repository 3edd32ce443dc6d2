package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mnc-go/mnc/frontend/onnx"
	"github.com/mnc-go/mnc/ir"
)

// TestQuantizeCommand: mnc quantize writes a QDQ (or QOperator) ONNX model
// that mnc reads back, reports what it quantized and the accuracy cost, and
// mnc compile -int8 builds the int8 plan in one step.
func TestQuantizeCommand(t *testing.T) {
	dir := t.TempDir()
	model := "mobilenet_v3_small:res=64"
	for _, format := range []string{"qdq", "qop"} {
		out := filepath.Join(dir, format+".onnx")
		code, stdout, errs := cli(t, "quantize", "-calib-random", "2", "-format", format, "-o", out, model)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", format, code, errs)
		}
		for _, want := range []string{"calibrated on 2 built-in inputs (percentile)", "quantized: Conv 52", "left in float: HardSwish 19", "top-1 agreement", "max|int8 − fp32| / max|fp32|", "wrote " + out} {
			if !strings.Contains(stdout, want) {
				t.Errorf("%s: output lacks %q:\n%s", format, want, stdout)
			}
		}
		g, err := onnx.Load(out)
		if err != nil {
			t.Fatal(err)
		}
		ops := map[ir.Op]int{}
		for _, n := range g.Nodes {
			ops[n.Op]++
		}
		if format == "qdq" && (ops[ir.OpQuantizeLinear] == 0 || ops[ir.OpConv] != 52 || ops[ir.OpQLinearConv] != 0) ||
			format == "qop" && (ops[ir.OpQLinearConv] != 52 || ops[ir.OpConv] != 0) {
			t.Errorf("%s: read back %v", format, ops)
		}
		if code, stdout, errs := cli(t, "run", out); code != 0 || !strings.Contains(stdout, `"logits" [1×1000]`) {
			t.Errorf("%s: mnc run: exit %d: %s %s", format, code, stdout, errs)
		}
	}
	// Raw calibration files: two inputs in one file, one in another.
	calib := filepath.Join(dir, "calib.bin")
	if err := os.WriteFile(calib, make([]byte, 2*4*3*64*64), 0o644); err != nil {
		t.Fatal(err)
	}
	one := filepath.Join(dir, "one.bin")
	os.WriteFile(one, make([]byte, 4*3*64*64), 0o644)
	code, stdout, errs := cli(t, "quantize", "-calib", calib+","+one, "-method", "minmax", "-per-channel=false", "-o", filepath.Join(dir, "raw.onnx"), model)
	if code != 0 || !strings.Contains(stdout, "calibrated on 3 inputs from 2 files (minmax)") || !strings.Contains(stdout, "(per tensor)") {
		t.Errorf("raw -calib: exit %d: %s %s", code, stdout, errs)
	}
	// Pictures, preprocessed by -preset.
	img := filepath.Join("..", "..", "imageio", "testdata", "src.png")
	pics := filepath.Join(dir, "pics")
	os.Mkdir(pics, 0o755)
	b, _ := os.ReadFile(img)
	os.WriteFile(filepath.Join(pics, "a.png"), b, 0o644)
	os.WriteFile(filepath.Join(pics, "notes.txt"), []byte("skipped"), 0o644)
	code, stdout, errs = cli(t, "quantize", "-calib", img+","+pics, "-preset", "keras", "-o", filepath.Join(dir, "img.onnx"), model)
	if code != 0 || !strings.Contains(stdout, "calibrated on 2 inputs from 2 files (2 images, preset keras)") {
		t.Errorf("image -calib: exit %d: %s %s", code, stdout, errs)
	}
	plan := filepath.Join(dir, "i8.plan")
	code, stdout, errs = cli(t, "compile", "-int8", "-calib-random", "2", "-o", plan, model)
	if code != 0 || !strings.Contains(stdout, "fused:") || !strings.Contains(stdout, "requant") {
		t.Errorf("compile -int8: exit %d: %s %s", code, stdout, errs)
	}
}

// TestQuantizeErrors: bad flags and files are one line on stderr and exit
// status 2, before any calibration.
func TestQuantizeErrors(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "q.onnx")
	short := filepath.Join(dir, "short.bin")
	os.WriteFile(short, make([]byte, 12), 0o644)
	empty := filepath.Join(dir, "empty")
	os.Mkdir(empty, 0o755)
	bad := filepath.Join(dir, "bad.png")
	os.WriteFile(bad, []byte("not a picture"), 0o644)
	model := "mobilenet_v3_small:res=64"
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"quantize", model}, "-o OUT.onnx is required"},
		{[]string{"quantize", "-o", out}, "want exactly one MODEL argument"},
		{[]string{"quantize", "-o", out, "-method", "kl", model}, `unknown calibration method "kl"`},
		{[]string{"quantize", "-o", out, "-percentile", "30", "-method", "percentile", model}, "-percentile 30"},
		{[]string{"quantize", "-o", out, "-calib-random", "-3", model}, "-calib-random -3"},
		{[]string{"quantize", "-o", out, "-calib", short, "-calib-random", "2", model}, "exclusive"},
		{[]string{"quantize", "-o", out, "-format", "int4", model}, `-format "int4"`},
		{[]string{"quantize", "-o", out, "-calib", filepath.Join(dir, "none.bin"), model}, "none.bin: no such file"},
		{[]string{"quantize", "-o", out, "-calib", short, model}, "12 bytes is not a whole number of inputs"},
		{[]string{"quantize", "-o", out, "-calib", bad, model}, "bad.png"},
		{[]string{"quantize", "-o", out, "-calib", empty, model}, "a directory with no pictures"},
		{[]string{"quantize", "-o", out, "-preset", "nope", model}, "-preset"},
		{[]string{"quantize", "-o", out, filepath.Join(dir, "missing.onnx")}, "missing.onnx: no such file"},
		{[]string{"quantize", "-o", filepath.Join(dir, "no", "such", "dir.onnx"), model}, "no such file or directory"},
		{[]string{"compile", "-calib-random", "2", model}, "apply with -int8 only"},
		{[]string{"compile", "-int8", "-method", "kl", model}, `unknown calibration method "kl"`},
	} {
		code, _, errs := cli(t, c.args...)
		if code != 2 || !strings.Contains(errs, c.want) || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line with %q", c.args, code, errs, c.want)
		}
	}
}

// TestQuantizeSymbolicShape: a model whose H and W are symbolic (as
// paddle2onnx writes PP-OCR) calibrates on built-in inputs at the size
// -shape gives; the quantized model keeps H and W symbolic and runs at
// another size. compile -int8 calibrates at its own -shape.
func TestQuantizeSymbolicShape(t *testing.T) {
	path, name := symbolicModel(t, 2, 3)
	dir := t.TempDir()
	out := filepath.Join(dir, "q.onnx")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"quantize", "-o", out, "-calib-random", "2", path}, "give the calibration size with -shape " + name + "=DIMS"},
		{[]string{"quantize", "-o", out, "-calib-random", "2", "-shape", name + "=1x3x64", path}, "has rank 4"},
		{[]string{"quantize", "-o", out, "-calib-random", "2", "-shape", name + "=1x4x64x64", path}, "dimension 1 of input"},
		{[]string{"quantize", "-o", out, "-calib-random", "2", "-shape", "other=1x3x64x64", path}, "other"},
	} {
		code, _, errs := cli(t, c.args...)
		if code != 2 || !strings.Contains(errs, c.want) || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line with %q", c.args, code, errs, c.want)
		}
	}
	code, sout, errs := cli(t, "quantize", "-o", out, "-calib-random", "2", "-shape", name+"=1x3x64x64", path)
	if code != 0 || !strings.Contains(sout, "calibrated on 2 built-in inputs") {
		t.Fatalf("quantize -shape: exit %d, stdout %q, stderr %q", code, sout, errs)
	}
	// The written model is still symbolic: it runs at 96×80.
	if code, sout, errs := cli(t, "run", "-shape", name+"=1x3x96x80", out); code != 0 {
		t.Fatalf("run of the quantized model at 96×80: exit %d, stdout %q, stderr %q", code, sout, errs)
	}
	if code, sout, errs := cli(t, "compile", "-int8", "-calib-random", "2", "-shape", name+"=1x3x64x64", path); code != 0 || !strings.Contains(sout, "calibrated on 2 built-in inputs") {
		t.Fatalf("compile -int8 -shape: exit %d, stdout %q, stderr %q", code, sout, errs)
	}
}
