package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	pb "github.com/mnc-go/mnc/frontend/onnx/onnxpb"
	"github.com/mnc-go/mnc/imageio"
	"github.com/mnc-go/mnc/internal/shareddata"
	"google.golang.org/protobuf/proto"
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

// mnc segment on an LR-ASPP export with ArgMax appended (an int64 class
// map [1, H, W] as output) finds the same classes, pixel for pixel, as on
// the export that ends in scores.
func TestSegmentArgMaxModel(t *testing.T) {
	dir := t.TempDir()
	scores := filepath.Join(dir, "lraspp.onnx")
	if code, _, errs := cli(t, "export", "lraspp:h=64,w=80", "-o", scores); code != 0 {
		t.Fatalf("export: %s", errs)
	}
	data, err := os.ReadFile(scores)
	if err != nil {
		t.Fatal(err)
	}
	m := &pb.ModelProto{}
	if err := proto.Unmarshal(data, m); err != nil {
		t.Fatal(err)
	}
	gp := m.GetGraph()
	out := gp.GetOutput()[0].GetName()
	gp.Node = append(gp.Node, &pb.NodeProto{OpType: proto.String("ArgMax"), Name: proto.String("argmax"), Input: []string{out}, Output: []string{"classes"},
		Attribute: []*pb.AttributeProto{{Name: proto.String("axis"), Type: pb.AttributeProto_INT.Enum(), I: proto.Int64(1)},
			{Name: proto.String("keepdims"), Type: pb.AttributeProto_INT.Enum(), I: proto.Int64(0)}}})
	gp.Output = []*pb.ValueInfoProto{{Name: proto.String("classes")}}
	if data, err = proto.Marshal(m); err != nil {
		t.Fatal(err)
	}
	classes := filepath.Join(dir, "lraspp_argmax.onnx")
	if err := os.WriteFile(classes, data, 0o644); err != nil {
		t.Fatal(err)
	}
	var js [2]segmentJSON
	for i, model := range []string{scores, classes} {
		png := filepath.Join(dir, fmt.Sprintf("overlay%d.png", i))
		code, out, errs := cli(t, "segment", "-threads", "2", "-json", "-o", png, "-image", testImage, model)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", model, code, errs)
		}
		if err := json.Unmarshal([]byte(out), &js[i]); err != nil {
			t.Fatalf("-json: %v\n%s", err, out)
		}
	}
	if js[1].Classes != 21 || len(js[1].Pixels) == 0 || fmt.Sprint(js[0].Pixels) != fmt.Sprint(js[1].Pixels) {
		t.Errorf("class map model: %d classes, pixels %v; scores model: %v", js[1].Classes, js[1].Pixels, js[0].Pixels)
	}
}
