package main

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mnc-go/mnc/frontend/onnx"
	pb "github.com/mnc-go/mnc/frontend/onnx/onnxpb"
	"github.com/mnc-go/mnc/models"
	"github.com/mnc-go/mnc/reference"
	"google.golang.org/protobuf/proto"
)

// symbolicModel writes a small V3-Small as ONNX whose input dimensions at
// the given positions are symbolic, named as paddle2onnx names them
// (p2o.DynamicDimension.k), and returns the path and the input's name.
func symbolicModel(t *testing.T, dims ...int) (string, string) {
	t.Helper()
	g, err := models.Build("mobilenet_v3_small:res=64,classes=10,alpha=0.5")
	if err != nil {
		t.Fatal(err)
	}
	var buf strings.Builder
	if err := onnx.Write(&buf, g); err != nil {
		t.Fatal(err)
	}
	m := &pb.ModelProto{}
	if err := proto.Unmarshal([]byte(buf.String()), m); err != nil {
		t.Fatal(err)
	}
	d := m.Graph.Input[0].Type.GetTensorType().Shape.Dim
	for k, i := range dims {
		d[i].Value = &pb.TensorShapeProto_Dimension_DimParam{DimParam: "p2o.DynamicDimension." + string(rune('0'+k))}
	}
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "sym.onnx")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path, m.Graph.Input[0].GetName()
}

func writeF32(t *testing.T, path string, n int) {
	t.Helper()
	x := reference.FixedInput(n)
	b := make([]byte, 4*n)
	for i, v := range x.Data {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func readF32(t *testing.T, path string) []float32 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f := make([]float32, len(b)/4)
	for i := range f {
		f[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return f
}

// TestShapeFlagSymbolicHW: a model with symbolic N, H and W runs with
// -shape (the plan agreeing with the reference executor at that shape),
// and without it fails with one line naming the input, its symbolic
// dimensions and the flag.
func TestShapeFlagSymbolicHW(t *testing.T) {
	path, in := symbolicModel(t, 0, 2, 3)
	code, _, errs := cli(t, "run", path)
	if code != 2 || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
		t.Fatalf("no -shape: exit %d, %q; want exit 2 and one line", code, errs)
	}
	for _, w := range []string{`input "` + in + `"`, "p2o.DynamicDimension.1", "p2o.DynamicDimension.2", "-shape " + in + "=Nx3xHxW"} {
		if !strings.Contains(errs, w) {
			t.Errorf("no -shape: %q does not mention %q", errs, w)
		}
	}
	dir := t.TempDir()
	inFile, outFile, refFile := filepath.Join(dir, "in.bin"), filepath.Join(dir, "out.bin"), filepath.Join(dir, "ref.bin")
	writeF32(t, inFile, 2*3*40*56)
	shape := "-shape=" + in + "=2x3x40x56"
	code, out, errs := cli(t, "run", "-threads", "1", shape, "-input", inFile, "-output", outFile, path)
	if code != 0 || !strings.Contains(out, "[2×10]") {
		t.Fatalf("-shape: exit %d: %s%s", code, out, errs)
	}
	if code, out, errs := cli(t, "run", "-ref", shape, "-input", inFile, "-output", refFile, path); code != 0 {
		t.Fatalf("-ref -shape: exit %d: %s%s", code, out, errs)
	}
	got, want := readF32(t, outFile), readF32(t, refFile)
	if len(got) != 20 || len(want) != 20 {
		t.Fatalf("wrote %d and %d values, want 20", len(got), len(want))
	}
	var maxd, maxr float64
	for i := range got {
		maxd = math.Max(maxd, math.Abs(float64(got[i]-want[i])))
		maxr = math.Max(maxr, math.Abs(float64(want[i])))
	}
	if maxd > 1e-4*maxr {
		t.Errorf("plan vs reference: max|diff| %g > 1e-4·%g", maxd, maxr)
	}
	// A one-input model takes the shape without its name; stats and
	// compile take -shape too.
	if code, out, errs := cli(t, "stats", "-shape", "1x3x64x64", path); code != 0 || !strings.Contains(out, "input 1x3x64x64") {
		t.Errorf("stats -shape: exit %d: %s%s", code, out, errs)
	}
	if code, out, errs := cli(t, "compile", "-shape", in+"=1x3x48x48", path); code != 0 || !strings.Contains(out, "steps") {
		t.Errorf("compile -shape: exit %d: %s%s", code, out, errs)
	}
}

// TestBatchFromInputSize: a symbolic batch, the only unknown, is the
// number of samples the -input file holds.
func TestBatchFromInputSize(t *testing.T) {
	path, _ := symbolicModel(t, 0)
	dir := t.TempDir()
	for _, n := range []int{1, 3, 8} {
		inFile, outFile := filepath.Join(dir, "in.bin"), filepath.Join(dir, "out.bin")
		writeF32(t, inFile, n*3*64*64)
		code, out, errs := cli(t, "run", "-threads", "1", "-input", inFile, "-output", outFile, path)
		if code != 0 {
			t.Fatalf("batch %d: exit %d: %s", n, code, errs)
		}
		if w := "[" + string(rune('0'+n)) + "×10]"; !strings.Contains(out, w) {
			t.Errorf("batch %d: output lacks %s:\n%s", n, w, out)
		}
		if b, _ := os.ReadFile(outFile); len(b) != 4*10*n {
			t.Errorf("batch %d: -output has %d bytes, want %d", n, len(b), 40*n)
		}
		// The reference executor infers the same batch.
		if code, out, errs := cli(t, "run", "-ref", "-input", inFile, path); code != 0 || !strings.Contains(out, "image "+string(rune('0'+n-1))) {
			t.Errorf("-ref batch %d: exit %d: %s%s", n, code, out, errs)
		}
	}
	bad := filepath.Join(dir, "bad.bin")
	writeF32(t, bad, 3*64*64+5)
	code, _, errs := cli(t, "run", "-input", bad, path)
	if code != 2 || !strings.Contains(errs, "not a whole number") || !strings.Contains(errs, "-shape") {
		t.Errorf("bad size: exit %d, %q", code, errs)
	}
}

// TestShapeFlagErrors: each misuse of -shape gives one clear line.
func TestShapeFlagErrors(t *testing.T) {
	path, in := symbolicModel(t, 0, 2, 3)
	pf := filepath.Join(t.TempDir(), "m.plan")
	if code, _, errs := cli(t, "compile", "-shape", in+"=1x3x48x48", "-o", pf, path); code != 0 {
		t.Fatalf("compile -o: exit %d: %s", code, errs)
	}
	if code, out, errs := cli(t, "run", "-shape", in+"=1x3x48x48", pf); code != 0 || !strings.Contains(out, "[1×10]") {
		t.Errorf("plan at its own shape: exit %d: %s%s", code, out, errs)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "-shape", "y=1x3x32x32", path}, `no input "y"`},
		{[]string{"run", "-shape", in + "=1x3x32", path}, "4 dimensions"},
		{[]string{"run", "-shape", in + "=1x0x3x3", path}, `dimension "0" is not a positive integer`},
		{[]string{"run", "-shape", in + "=1xx3x3", path}, `dimension "" is not a positive integer`},
		{[]string{"run", "-shape", "=1x3", path}, "empty input name"},
		{[]string{"run", "-shape", in + "=1x4x32x32", path}, "Conv"}, // the stem conv wants 3 channels
		{[]string{"compile", "-shape", in + "=1x3x32x32", "-shape", in + "=1x3x64x64", path}, "one shape"},
		{[]string{"stats", "-shape", "img=1x3", "mobilenet_v2"}, `no input "img"`},
		{[]string{"stats", path}, "-shape " + in + "="},
		{[]string{"run", "-shape", in + "=1x3x32x32", pf}, "m.plan was compiled for input " + `"` + in + `" [1×3×48×48], not [1×3×32×32]`},
		// A fixed Gemm width after a flatten contradicts a larger image.
		{[]string{"compile", "-shape", "1x3x40x40", "../../frontend/onnx/testdata/exporters/torch_view_dyn.onnx"}, `node "Gemm_27" (Gemm)`},
		{[]string{"dot", path}, "-shape " + in + "="},
	} {
		code, _, errs := cli(t, c.args...)
		if code != 2 || !strings.Contains(errs, c.want) || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("mnc %v: exit %d, stderr %q; want exit 2 and one line with %q", c.args, code, errs, c.want)
		}
	}
}

// TestSeveralOutputs: run prints every output's name and shape (top-k
// only for [N, C]); -output writes one file per output into a directory.
func TestSeveralOutputs(t *testing.T) {
	const model = "../../frontend/onnx/testdata/exporters/ssd_outputs"
	dir := filepath.Join(t.TempDir(), "outs")
	code, out, errs := cli(t, "run", "-threads", "1", "-input", model+".in.bin", "-output", dir, model+".onnx")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, w := range []string{`output "output" [3×176×4]: min`, `output "softmax.44" [3×176×3]`, `output "clip.18" [3×24×4×4]`, "compile:"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	if strings.Contains(out, "top-") {
		t.Errorf("top-k printed for outputs that are not [N, C]:\n%s", out)
	}
	for i, name := range []string{"output", "softmax.44", "clip.18"} {
		got := readF32(t, filepath.Join(dir, name+".bin"))
		file := model + ".out.bin"
		if i > 0 {
			file = model + ".out" + string(rune('0'+i)) + ".bin"
		}
		want := readF32(t, file)
		if len(got) != len(want) {
			t.Fatalf("%s.bin: %d values, want %d", name, len(got), len(want))
		}
		for k := range got {
			if math.Abs(float64(got[k]-want[k])) > 1e-4 {
				t.Fatalf("%s.bin[%d] = %g, numpy %g", name, k, got[k], want[k])
			}
		}
	}
	// A file where a directory is needed is an error; one output into an
	// existing directory goes to DIR/<name>.bin.
	file := filepath.Join(t.TempDir(), "f.bin")
	os.WriteFile(file, nil, 0o644)
	if code, _, errs := cli(t, "run", "-output", file, model+".onnx"); code != 2 || !strings.Contains(errs, "directory") {
		t.Errorf("-output FILE with 3 outputs: exit %d, %q", code, errs)
	}
	one := t.TempDir()
	if code, _, errs := cli(t, "run", "-output", one, "mobilenet_v3_small:res=32"); code != 0 {
		t.Fatalf("-output DIR with one output: exit %d, %q", code, errs)
	}
	if b, err := os.ReadFile(filepath.Join(one, "logits.bin")); err != nil || len(b) != 4000 {
		t.Errorf("-output DIR: %d bytes (%v), want logits.bin of 4000", len(b), err)
	}
}

func TestSanitizeName(t *testing.T) {
	for in, want := range map[string]string{
		"boxes:0": "boxes_0", "p2o/Concat.1": "p2o_Concat.1", "a b-c_d": "a_b-c_d", "..": "___", "é": "_",
	} {
		if got := sanitizeName(in); got != want {
			t.Errorf("sanitizeName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSeveralShapes: run and bench take several -shape values for one
// input and compile, report and run each.
func TestSeveralShapes(t *testing.T) {
	path, in := symbolicModel(t, 0, 2, 3)
	code, out, errs := cli(t, "run", "-threads", "1", "-shape", in+"=1x3x40x40", "-shape", in+"=2x3x48x80", path)
	if code != 0 {
		t.Fatalf("run: exit %d: %s", code, errs)
	}
	for _, w := range []string{"shape " + in + "=1x3x40x40", "[1×10]", "shape " + in + "=2x3x48x80", "[2×10]", "compile:"} {
		if !strings.Contains(out, w) {
			t.Errorf("run output lacks %q:\n%s", w, out)
		}
	}
	code, out, errs = cli(t, "bench", "-threads", "1", "-runs", "2", "-warmup", "0", "-shape", in+"=1x3x40x40", "-shape", in+"=1x3x56x72", path)
	if code != 0 {
		t.Fatalf("bench: exit %d: %s", code, errs)
	}
	if strings.Count(out, "compile:") != 2 || !strings.Contains(out, "input "+in+"=1x3x56x72") {
		t.Errorf("bench output lacks two shapes with compile times:\n%s", out)
	}
	if code, _, errs := cli(t, "run", "-input", "x.bin", "-shape", "1x3x40x40", "-shape", "1x3x48x48", path); code != 2 || !strings.Contains(errs, "one shape per input") {
		t.Errorf("several shapes with -input: exit %d, %q", code, errs)
	}
}

// closeTo checks got against want within 1e-4·max|want|.
func closeTo(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	var maxd, maxr float64
	for i := range got {
		maxd = math.Max(maxd, math.Abs(float64(got[i]-want[i])))
		maxr = math.Max(maxr, math.Abs(float64(want[i])))
	}
	if maxd > 1e-4*maxr {
		t.Errorf("%s: max|diff| %g > 1e-4·%g", what, maxd, maxr)
	}
}

// TestPaddleSymbolicNHW: the command on a paddle2onnx-style
// classifier whose input is [N, 3, H, W], all symbolic: at the data's
// shape it matches numpy; at 12×3×48×192 the plan matches the reference
// executor.
func TestPaddleSymbolicNHW(t *testing.T) {
	const model = "../../frontend/onnx/testdata/exporters/paddle_cls_dyn"
	dir := t.TempDir()
	out := filepath.Join(dir, "o.bin")
	if code, stdout, errs := cli(t, "run", "-threads", "1", "-shape", "x=3x3x24x40", "-input", model+".in.bin", "-output", out, model+".onnx"); code != 0 {
		t.Fatalf("exit %d: %s%s", code, stdout, errs)
	}
	closeTo(t, "3×3×24×40 vs numpy", readF32(t, out), readF32(t, model+".out.bin"))
	in, ref := filepath.Join(dir, "in.bin"), filepath.Join(dir, "ref.bin")
	writeF32(t, in, 12*3*48*192)
	code, stdout, errs := cli(t, "run", "-threads", "1", "-shape", "x=12x3x48x192", "-input", in, "-output", out, model+".onnx")
	if code != 0 || !strings.Contains(stdout, `output "softmax_0.tmp_0" [12×2]`) {
		t.Fatalf("exit %d: %s%s", code, stdout, errs)
	}
	if code, _, errs := cli(t, "run", "-ref", "-shape", "x=12x3x48x192", "-input", in, "-output", ref, model+".onnx"); code != 0 {
		t.Fatalf("-ref: exit %d: %s", code, errs)
	}
	closeTo(t, "12×3×48×192 plan vs reference", readF32(t, out), readF32(t, ref))
	code, _, errs = cli(t, "run", "-input", in, model+".onnx")
	if code != 2 || !strings.Contains(errs, `input "x" [p2o.DynamicDimension.0 3 p2o.DynamicDimension.1 p2o.DynamicDimension.2]`) || !strings.Contains(errs, "-shape x=Nx3xHxW") {
		t.Errorf("no -shape: exit %d, %q", code, errs)
	}
}

// TestTwoOutputFiles: a two-output head writes both outputs, with their
// names made file names.
func TestTwoOutputFiles(t *testing.T) {
	const model = "../../frontend/onnx/testdata/exporters/det_two_heads"
	dir := filepath.Join(t.TempDir(), "o")
	code, stdout, errs := cli(t, "run", "-threads", "1", "-input", model+".in.bin", "-output", dir, model+".onnx")
	if code != 0 || !strings.Contains(stdout, `output "scores:0" [3×48×3]`) || !strings.Contains(stdout, `output "boxes/reg:0" [3×48×4]`) {
		t.Fatalf("exit %d: %s%s", code, stdout, errs)
	}
	closeTo(t, "scores", readF32(t, filepath.Join(dir, "scores_0.bin")), readF32(t, model+".out.bin"))
	closeTo(t, "boxes", readF32(t, filepath.Join(dir, "boxes_reg_0.bin")), readF32(t, model+".out1.bin"))
}

// TestBatchArithmetic: a graph that computes with its symbolic batch
// (x.view(x.size(0) * 4, -1)) runs at the batch the -input file holds,
// 1, 3 and 8, and without an input file asks for the shape.
func TestBatchArithmetic(t *testing.T) {
	const model = "../../frontend/onnx/testdata/exporters/torch_batch_arith"
	dir := t.TempDir()
	out := filepath.Join(dir, "o.bin")
	if code, stdout, errs := cli(t, "run", "-threads", "1", "-input", model+".in.bin", "-output", out, model+".onnx"); code != 0 || !strings.Contains(stdout, "[3×40]") {
		t.Fatalf("batch 3: exit %d: %s%s", code, stdout, errs)
	}
	closeTo(t, "batch 3 vs numpy", readF32(t, out), readF32(t, model+".out.bin"))
	for _, n := range []int{1, 8} {
		in, ref := filepath.Join(dir, "in.bin"), filepath.Join(dir, "ref.bin")
		writeF32(t, in, n*3*8*8)
		if code, stdout, errs := cli(t, "run", "-threads", "1", "-input", in, "-output", out, model+".onnx"); code != 0 || !strings.Contains(stdout, fmt.Sprintf("[%d×40]", n)) {
			t.Fatalf("batch %d: exit %d: %s%s", n, code, stdout, errs)
		}
		if code, _, errs := cli(t, "run", "-ref", "-input", in, "-output", ref, model+".onnx"); code != 0 {
			t.Fatalf("-ref batch %d: exit %d: %s", n, code, errs)
		}
		closeTo(t, fmt.Sprintf("batch %d plan vs reference", n), readF32(t, out), readF32(t, ref))
	}
	// The built-in input is batch 1, or what -batch says.
	if code, stdout, errs := cli(t, "run", model+".onnx"); code != 0 || !strings.Contains(stdout, "[1×40]") {
		t.Errorf("no -input: exit %d: %s%s", code, stdout, errs)
	}
	if code, stdout, errs := cli(t, "run", "-batch", "2", model+".onnx"); code != 0 || !strings.Contains(stdout, "[2×40]") {
		t.Errorf("-batch 2: exit %d: %s%s", code, stdout, errs)
	}
}
