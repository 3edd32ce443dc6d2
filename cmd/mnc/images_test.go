package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mnc-go/mnc/imageio"
	"github.com/mnc-go/mnc/internal/shareddata"
)

const testImage = "../../imageio/testdata/src.png"

// TestRunImage: -image runs the preprocessed picture (the same logits as
// the tensor written by the preset given with -input), prints labelled
// classes with softmax probabilities, and -json says the same.
func TestRunImage(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := cli(t, "run", "-threads", "1", "-image", testImage, "-output", filepath.Join(dir, "a.bin"), "mobilenet_v3_small:res=96")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"softmax of the logits, ImageNet labels", "image 0 (" + testImage + ") top-5:", "%"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	img, err := imageio.Load(testImage)
	if err != nil {
		t.Fatal(err)
	}
	x, err := imageio.Preprocess(img, "torchvision", []int{1, 3, 96, 96})
	if err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(dir, "in.bin")
	if err := writeRaw(in, x.Data); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := cli(t, "run", "-threads", "1", "-input", in, "-output", filepath.Join(dir, "b.bin"), "mobilenet_v3_small:res=96"); code != 0 {
		t.Fatalf("-input: exit %d: %s", code, errs)
	}
	a, _ := os.ReadFile(filepath.Join(dir, "a.bin"))
	b, _ := os.ReadFile(filepath.Join(dir, "b.bin"))
	if len(a) != 4000 || string(a) != string(b) {
		t.Errorf("-image and -input of the same preprocessed tensor give different logits (%d, %d bytes)", len(a), len(b))
	}

	// Two images make a batch of two; -json, 1001 classes with background.
	code, out, errs = cli(t, "run", "-threads", "1", "-json", "-top", "3", "-preset", "keras", "-image", testImage+","+testImage, "mobilenet_v3_small:res=64,classes=1001")
	if code != 0 {
		t.Fatalf("batch: exit %d: %s", code, errs)
	}
	var j runJSON
	if err := json.Unmarshal([]byte(out), &j); err != nil {
		t.Fatalf("-json: %v\n%s", err, out)
	}
	if len(j.Outputs) != 1 || len(j.Outputs[0].Images) != 2 || len(j.Outputs[0].Images[1].Top) != 3 || j.Outputs[0].Scores != "softmax" {
		t.Fatalf("-json: %+v", j)
	}
	o := j.Outputs[0]
	if o.Images[0].Top[0] != o.Images[1].Top[0] {
		t.Errorf("the same image twice gave %+v and %+v", o.Images[0].Top[0], o.Images[1].Top[0])
	}
	c := o.Images[0].Top[0]
	if want := "background"; c.Class > 0 {
		want = imagenetName(c.Class - 1)
		if c.Label != want {
			t.Errorf("class %d labelled %q, want %q (background offset)", c.Class, c.Label, want)
		}
	}
}

func imagenetName(i int) string {
	b, _ := os.ReadFile("../../labels/imagenet.txt")
	return strings.Split(string(b), "\n")[i]
}

func TestImageErrors(t *testing.T) {
	dir := t.TempDir()
	two := filepath.Join(dir, "two.txt")
	os.WriteFile(two, []byte("cat\ndog\n"), 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-image", "cli_test.go"}, "not a PNG, JPEG"},
		{[]string{"-image", filepath.Join(dir, "missing.jpg")}, "no such file"},
		{[]string{"-image", testImage, "-preset", "tensorflow"}, `unknown preset "tensorflow"`},
		{[]string{"-image", testImage, "-preset", "timm:crop=1.5"}, `crop=1.5 is not a number in (0, 1]`},
		{[]string{"-image", testImage, "-labels", two}, "2 labels for an output of 1000 classes"},
		{[]string{"-preset", "keras"}, "no -image"},
		{[]string{"-image", testImage, "-input", two}, "exclusive"},
		{[]string{"-image", testImage, "-batch", "3"}, "the images are the batch"},
	} {
		code, _, errs := cli(t, append(append([]string{"run"}, c.args...), "mobilenet_v3_small:res=32")...)
		if code != 2 || !strings.Contains(errs, c.want) || strings.Count(errs, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line with %q", c.args, code, errs, c.want)
		}
	}
}

// TestBenchImage: bench -image runs the pictures as the batch.
func TestBenchImage(t *testing.T) {
	code, out, errs := cli(t, "bench", "-threads", "1", "-runs", "2", "-warmup", "0", "-preset", "keras", "-image", testImage, "-image", testImage, "mobilenet_v3_small:res=32")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "batch 2") {
		t.Errorf("two images are not a batch of 2:\n%s", out)
	}
}

// TestRunImagePaddleOCR: the paddle preset feeds PaddleOCR's text detector
// (input [N,3,H,W], all symbolic) the shared document picture at its own
// size, and the output is ONNX Runtime's for PaddleOCR's own preprocessing.
func TestRunImagePaddleOCR(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles and runs PP-OCRv3 (about a second)")
	}
	model := shareddata.Path(t, "real/ch_PP-OCRv3_det_infer.onnx")
	want := shareddata.ReadFloats(t, "real/doc_320x480.out.bin")
	out := filepath.Join(t.TempDir(), "det.bin")
	code, _, errs := cli(t, "run", "-threads", "1", "-preset", "paddle", "-image", shareddata.Path(t, "real/doc.png"), "-output", out, model)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	got := shareddata.ReadRawFile(t, out)
	if len(got) != len(want) {
		t.Fatalf("%d values, want %d (a [1,1,320,480] map)", len(got), len(want))
	}
	var maxd float64
	for i := range got {
		maxd = math.Max(maxd, math.Abs(float64(got[i]-want[i])))
	}
	if maxd > 1e-3 {
		t.Errorf("text probabilities differ from ONNX Runtime's by up to %g", maxd)
	}
}
