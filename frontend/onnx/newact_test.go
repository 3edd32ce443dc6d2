package onnx

import (
	"math"
	"strings"
	"testing"

	"github.com/mnc-go/mnc/ir"
	"google.golang.org/protobuf/proto"
)

// An activation ir knows by its registration alone (docs/ARCHITECTURE.md,
// "A new activation"), registered inside this test binary: the importer
// reads it under its name and the exporter writes it, with no line in this
// package. One that reads attributes is not imported that way.
const (
	opTestSoftsign  ir.Op  = 159
	actTestSoftsign ir.Act = 63
	opTestScaled    ir.Op  = 158
	actTestScaled   ir.Act = 62
)

func init() {
	ir.RegisterOp(opTestSoftsign, ir.OpInfo{Name: "TestSoftsign", Infer: ir.OpRelu.Info().Infer, Act: actTestSoftsign,
		ActFn: func(x, _, _ float32) float32 { return x / (1 + float32(math.Abs(float64(x)))) }})
	ir.RegisterOp(opTestScaled, ir.OpInfo{Name: "TestScaled", Attrs: "Alpha", Infer: ir.OpRelu.Info().Infer, Act: actTestScaled,
		ActFn: func(x, alpha, _ float32) float32 { return alpha * x }})
}

func TestRegisteredActivationImportExport(t *testing.T) {
	b := newModel(13).input("x", 1, 3, 4, 4).output("y").weight("w", seq(4, 3, 1, 1)).
		node("Conv", []string{"x", "w"}, "c").
		node("TestSoftsign", []string{"c"}, "y")
	data, err := proto.Marshal(b.proto())
	if err != nil {
		t.Fatal(err)
	}
	g, err := Read("act.onnx", data, "")
	if err != nil {
		t.Fatal(err)
	}
	if last := g.Nodes[len(g.Nodes)-1]; last.Op != opTestSoftsign {
		t.Fatalf("imported %s, want TestSoftsign", last)
	}
	x := seq(1, 3, 4, 4)
	got := run(t, g, x)
	if v := got.Data[5]; v <= -1 || v >= 1 || v == 0 {
		t.Errorf("softsign output %g outside (-1, 1) or zero", v)
	}
	// Standalone and fused (the conv's epilogue) both write the op.
	fused := g.Clone()
	fused.Nodes[0].Attrs.Fused = ir.Epilogue{Act: actTestSoftsign}
	for _, h := range []*ir.Graph{g, fused} {
		expectIdentical(t, h, roundTrip(t, h))
	}
	found := false
	for _, op := range SupportedOps() {
		found = found || op == "TestSoftsign"
	}
	if !found {
		t.Error("SupportedOps does not list TestSoftsign")
	}

	b = newModel(13).input("x", 1, 3, 4, 4).output("y").node("TestScaled", []string{"x"}, "y")
	data, err = proto.Marshal(b.proto())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Read("scaled.onnx", data, ""); err == nil || !strings.Contains(err.Error(), "TestScaled") {
		t.Errorf("an activation with attributes but no converter: error %v, want one naming it", err)
	}
}
