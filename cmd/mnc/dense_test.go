package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mnc-go/mnc/imageio"
	"github.com/mnc-go/mnc/internal/shareddata"
)

// mnc textdet on the rendered document with PaddleOCR's PP-OCRv3 detector
// finds exactly its five text lines (top to bottom), and -o writes the
// picture with them drawn.
func TestTextdetDoc(t *testing.T) {
	model := shareddata.Path(t, "real/ch_PP-OCRv3_det_infer.onnx")
	doc := shareddata.Path(t, "real/doc.png")
	png := filepath.Join(t.TempDir(), "boxes.png")
	code, out, errs := cli(t, "textdet", "-threads", "1", "-json", "-o", png, "-image", doc, model)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var j textdetJSON
	if err := json.Unmarshal([]byte(out), &j); err != nil {
		t.Fatalf("-json: %v\n%s", err, out)
	}
	if len(j.Boxes) != 5 || j.Width != 480 || j.Height != 320 {
		t.Fatalf("%d boxes on %d×%d, want 5 on 480×320: %s", len(j.Boxes), j.Width, j.Height, out)
	}
	for i := 1; i < len(j.Boxes); i++ {
		if j.Boxes[i].Points[0][1] <= j.Boxes[i-1].Points[0][1] {
			t.Errorf("boxes not top to bottom: %v", j.Boxes)
		}
	}
	img, err := imageio.Load(png)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 480 || b.Dy() != 320 {
		t.Errorf("-o wrote %v", b)
	}
}

// Bad pictures and mismatched models give one clear line (exit status 2,
// as every mnc error).
func TestDenseBadImages(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good, err := os.ReadFile(testImage)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"textdet", "-image", write("trunc.png", good[:len(good)/2]), "v3s"}, "trunc.png"},
		{[]string{"segment", "-image", write("notimg.png", []byte("hello, world")), "v3s"}, "notimg.png"},
		{[]string{"textdet", "-image", filepath.Join(dir, "missing.png"), "v3s"}, "missing.png"},
		{[]string{"textdet", "-image", testImage, "v3s"}, "not a DB probability map"},
		{[]string{"segment", "-image", testImage, "v3s"}, "not per-pixel class scores"},
	} {
		code, _, errs := cli(t, c.args...)
		if code != 2 || !strings.Contains(errs, c.want) || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line naming %s", c.args, code, errs, c.want)
		}
	}
	if code, _, errs := cli(t, "textdet", "v3s"); code != 2 || !strings.Contains(errs, "-image") {
		t.Errorf("textdet without -image: exit %d, %q", code, errs)
	}
}
