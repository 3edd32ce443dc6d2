package main

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/models"
	"github.com/mnc-go/mnc/passes"
	"github.com/mnc-go/mnc/plan"
	"github.com/mnc-go/mnc/reference"
)

// TestInputBounded: -input is read with a bound and devices are refused
// (-input /dev/zero read until Go's fatal out-of-memory error).
func TestInputBounded(t *testing.T) {
	dir, _ := savedPlan(t, "mobilenet_v2:res=32,alpha=0.35,classes=7", 0)
	big := dir + "/big.bin"
	if err := os.WriteFile(big, make([]byte, 4*3*32*32+4), 0o644); err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{"/dev/zero": "-input /dev/zero is a device", big: "has 12292 bytes, input \"input\" [1×3×32×32] needs 12288"} {
		if _, err := os.Stat(in); err != nil {
			continue
		}
		var out bytes.Buffer
		if err := run([]string{"-threads", "1", "-input", in, dir + "/m.plan"}, &out); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("-input %s: %v, want %q", in, err, want)
		}
	}
}

// TestRunMatchesReference: mncrun on a saved plan writes the outputs the
// reference executor computes for the same input.
func TestRunMatchesReference(t *testing.T) {
	dir, g := savedPlan(t, "mobilenet_v2:res=64,alpha=0.35,classes=7", 2)
	var out bytes.Buffer
	if err := run([]string{"-threads", "2", "-runs", "2", "-output", dir + "/y.bin", dir + "/m.plan"}, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "median") {
		t.Fatalf("output: %s", out.String())
	}
	h := g.Clone()
	if err := h.SetBatch(1); err != nil {
		t.Fatal(err)
	}
	x := ir.NewTensor(h.Inputs[0].Shape...)
	for i := range x.Data {
		x.Data[i] = float32(i%251)/125 - 1
	}
	ref, err := reference.Run(h, map[string]*ir.Tensor{h.Inputs[0].Name: x}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := ref[h.Outputs[0].Name]
	got := ir.NewTensor(want.Shape...)
	raw, err := readFile(dir + "/y.bin")
	if err != nil {
		t.Fatal(err)
	}
	copy(got.Data, raw)
	if d, m, err := reference.MaxAbsDiff(got, want); err != nil || d > 1e-4*m {
		t.Fatalf("max|diff| %g against max|ref| %g (%v)", d, m, err)
	}
	if err := run([]string{dir + "/missing.plan"}, &out); err == nil {
		t.Fatal("a missing plan file was accepted")
	}
}

func readFile(path string) ([]float32, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v, nil
}

// savedPlan compiles the built-in model spec at the given level (batch 1,
// the best ISA) and saves it as m.plan in a fresh directory.
func savedPlan(t *testing.T, spec string, level int) (string, *ir.Graph) {
	t.Helper()
	g, err := models.Build(spec)
	if err != nil {
		t.Fatal(err)
	}
	set, _ := kernels.ForISA(kernels.Best())
	p, _, err := passes.Compile(g, passes.Options{Level: level, Batch: 1}, set)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := plan.Save(dir+"/m.plan", p); err != nil {
		t.Fatal(err)
	}
	return dir, g
}
