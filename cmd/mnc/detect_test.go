package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mnc-go/mnc"
	"github.com/mnc-go/mnc/detect"
	"github.com/mnc-go/mnc/imageio"
	"github.com/mnc-go/mnc/ir"
)

// mnc detect on the built-in SSDLite (at 160² and half width, to keep it quick): the JSON
// detections are those of the detect package on the same preprocessed
// picture, above -score, named with COCO labels, inside the picture; -o
// writes a PNG of the picture's size; text output lists the same boxes.
func TestDetect(t *testing.T) {
	const spec = "ssdlite:res=160,alpha=0.5"
	dir := t.TempDir()
	png := filepath.Join(dir, "out.png")
	code, out, errs := cli(t, "detect", "-threads", "1", "-json", "-score", "0.3", "-o", png, "-image", testImage, spec)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var j detectJSON
	if err := json.Unmarshal([]byte(out), &j); err != nil {
		t.Fatalf("-json: %v\n%s", err, out)
	}

	img, err := imageio.Load(testImage)
	if err != nil {
		t.Fatal(err)
	}
	g, err := mnc.Load(spec)
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := mnc.Compile(g, mnc.Options{Level: 2})
	if err != nil {
		t.Fatal(err)
	}
	e, err := mnc.NewExecutor(p, 1)
	if err != nil {
		t.Fatal(err)
	}
	x, err := detect.Preprocess(img, 160, 160)
	if err != nil {
		t.Fatal(err)
	}
	outs := e.NewOutputs()
	if err := e.Run([]*ir.Tensor{x}, outs); err != nil {
		t.Fatal(err)
	}
	d, err := detect.SSDLite(160, 160)
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	want, err := d.Detect(outs[0].Data, outs[1].Data, 91, b.Dx(), b.Dy())
	if err != nil {
		t.Fatal(err)
	}
	k := 0
	for _, w := range want {
		if w.Score < 0.3 {
			continue
		}
		if k >= len(j.Detections) {
			t.Fatalf("mnc detect reported %d detections, the package more", len(j.Detections))
		}
		g := j.Detections[k]
		if g.Label != w.Label || g.Score != w.Score || g.Box != [4]float32{w.Box.X1, w.Box.Y1, w.Box.X2, w.Box.Y2} || g.Name != detect.COCO[w.Label] {
			t.Fatalf("detection %d: %+v, package %+v", k, g, w)
		}
		if g.Box[0] < 0 || g.Box[1] < 0 || g.Box[2] > float32(b.Dx()) || g.Box[3] > float32(b.Dy()) {
			t.Errorf("detection %d outside the %dx%d picture: %v", k, b.Dx(), b.Dy(), g.Box)
		}
		k++
	}
	if k == 0 || k != len(j.Detections) || j.Kept != len(want) || j.Width != b.Dx() {
		t.Fatalf("%d detections reported, %d expected (kept %d of %d)", len(j.Detections), k, j.Kept, len(want))
	}
	drawn, err := imageio.Load(png)
	if err != nil {
		t.Fatal(err)
	}
	if drawn.Bounds().Size() != b.Size() {
		t.Errorf("-o picture %v, want %v", drawn.Bounds(), b)
	}

	// Text output, with a label file replacing the names.
	lf := filepath.Join(dir, "l.txt")
	os.WriteFile(lf, []byte(strings.Repeat("thing\n", 91)), 0o644)
	code, out, errs = cli(t, "detect", "-threads", "1", "-score", "0.3", "-labels", lf, "-image", testImage, spec)
	if code != 0 || strings.Count(out, "\n  thing ") != k || !strings.Contains(out, "post-processing") {
		t.Errorf("text output (exit %d, %s):\n%s", code, errs, out)
	}
}

func TestDetectErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"detect", "ssdlite"}, "-image FILE is required"},
		{[]string{"detect", "-image", testImage, "-score", "2", "ssdlite"}, "-score 2"},
		{[]string{"detect", "-image", "nope.png", "ssdlite"}, "nope.png"},
		{[]string{"detect", "-image", testImage, "mobilenet_v3_small:res=64"}, "not an SSD head"},
	} {
		code, _, errs := cli(t, c.args...)
		if code != 2 || !strings.Contains(errs, c.want) || strings.Count(errs, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q, want one line with %q", c.args, code, errs, c.want)
		}
	}
}

// A model with NMS in the graph: compile lists the interpreted nodes and
// why; run gives the boxes (the prefix compiled, then the interpreter).
func TestRunInterpretedTail(t *testing.T) {
	const model = "../../dyn/testdata/nms_tail.onnx"
	code, out, errs := cli(t, "compile", model)
	if code != 0 || !strings.Contains(out, "40 interpreted") || !strings.Contains(out, "NonMaxSuppression  output shape depends on values") || !strings.Contains(out, "plan nms_tail") {
		t.Errorf("compile: exit %d %s:\n%s", code, errs, out)
	}
	code, out, errs = cli(t, "run", "-threads", "1", "-input", "../../dyn/testdata/nms_tail.in.bin", model)
	if code != 0 || !strings.Contains(out, `output "boxes_out" FLOAT [19×4]`) || !strings.Contains(out, `output "labels_out" INT64 [19]`) || !strings.Contains(out, "interpreted tail (40 nodes)") {
		t.Errorf("run: exit %d %s:\n%s", code, errs, out)
	}
	// mnc detect takes the model's own boxes, scores and labels (here
	// labels 1 and 2: COCO's person and bicycle).
	code, out, errs = cli(t, "detect", "-threads", "1", "-json", "-score", "0", "-image", testImage, model)
	var j detectJSON
	if err := json.Unmarshal([]byte(out), &j); code != 0 || err != nil || j.Kept == 0 || len(j.Detections) != j.Kept {
		t.Fatalf("detect: exit %d %s %v:\n%s", code, errs, err, out)
	}
	for _, d := range j.Detections {
		if d.Name != "person" && d.Name != "bicycle" || d.Box[2] < d.Box[0] {
			t.Errorf("detection %+v", d)
		}
	}
	if code, _, errs := cli(t, "run", "-json", model); code != 2 || !strings.Contains(errs, "interpreted tail") {
		t.Errorf("run -json: exit %d %s", code, errs)
	}
}

func TestBenchInterpretedTail(t *testing.T) {
	code, out, errs := cli(t, "bench", "-threads", "1", "-runs", "3", "-per-layer", "../../dyn/testdata/nms_tail.onnx")
	if code != 0 || !strings.Contains(out, "40 interpreted") || !strings.Contains(out, "interpreted tail") || !strings.Contains(out, "NonMaxSuppression") {
		t.Errorf("bench: exit %d %s:\n%s", code, errs, out)
	}
}
