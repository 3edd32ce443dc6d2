package plan

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/mnc-go/mnc/ir"
)

var updateOld = flag.Bool("update-v1", false, "rewrite testdata/v1_sample.mncplan (only when the format version is 1)")

// A plan file written by an older build either loads with the same meaning
// (op codes are ir.Op values, stable by number) or is refused with a
// version error; never silently reinterpreted. testdata/v1_sample.mncplan
// is samplePlan as format version 1 wrote it.
func TestOldPlanFileLoadsOrIsRefused(t *testing.T) {
	const path = "testdata/v1_sample.mncplan"
	if *updateOld {
		if FormatVersion != 1 {
			t.Fatal("the version-1 file can only be written by a version-1 build")
		}
		if err := os.WriteFile(path, encode(t, samplePlan()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if v := binary.LittleEndian.Uint32(data[8:]); v != 1 {
		t.Fatalf("%s has version %d, want 1", path, v)
	}
	p, err := Decode(bytes.NewReader(data))
	if FormatVersion != 1 {
		want := fmt.Sprintf("unsupported format version 1 (this build reads version %d", FormatVersion)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("decoding a version-1 file: error %v, want %q", err, want)
		}
		return
	}
	if err != nil {
		t.Fatalf("a version-1 file no longer loads: %v", err)
	}
	if !bytes.Equal(encode(t, p), data) {
		t.Error("re-encoding the version-1 file differs: the encoding changed without a version bump")
	}
	if p.Steps[1].Op != ir.OpConv || p.Steps[2].Op != ir.OpRelu || p.Steps[1].Attrs.Fused.Act != ir.ActClip {
		t.Errorf("ops read back as %s, %s (act %s), want Conv, Relu (act clip)", p.Steps[1].Op, p.Steps[2].Op, p.Steps[1].Attrs.Fused.Act)
	}
}

// A fused PRelu's slopes survive the file.
func TestRoundTripPReluSlopes(t *testing.T) {
	p := samplePlan()
	p.Steps[1].Attrs.Fused = ir.Epilogue{Act: ir.ActPRelu, Slope: &ir.Tensor{Shape: ir.Shape{3, 1, 1}, Data: []float32{-0.5, 0, 2}}}
	q, err := Decode(bytes.NewReader(encode(t, p)))
	if err != nil {
		t.Fatal(err)
	}
	s := q.Steps[1].Attrs.Fused.Slope
	if q.Steps[1].Attrs.Fused.Act != ir.ActPRelu || s == nil || !s.Shape.Equal(ir.Shape{3, 1, 1}) || s.Data[0] != -0.5 || s.Data[2] != 2 {
		t.Fatalf("decoded epilogue %+v (slope %+v)", q.Steps[1].Attrs.Fused, s)
	}
}
