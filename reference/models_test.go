package reference_test

import (
	"testing"
	"time"

	"github.com/mnc-go/mnc/internal/shareddata"

	"github.com/mnc-go/mnc/frontend/onnx"
	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/reference"
)

// The oracle on whole models: each shared ONNX model, imported and run by
// Run on its shipped input, matches make_models.py's float64 numpy forward
// pass within 1e-5·max|logit| (measured: ≤ 1.3e-6; ONNX Runtime itself is
// 2.9e-6 from numpy). The dynamic-batch V2 runs with batch 2 through its -1
// input dimension. The shipped inputs are also checked to be FixedInput.
func TestWholeModelsAgainstNumpy(t *testing.T) {
	if testing.Short() {
		t.Skip("whole models take a few seconds; skipped in -short")
	}
	for _, name := range shareddata.Models {
		t.Run(name, func(t *testing.T) {
			raw := shareddata.ReadFloats(t, name+".in.bin")
			want := shareddata.ReadFloats(t, name+".np.out.bin")
			g, err := onnx.Load(shareddata.Path(t, name+".onnx"))
			if err != nil {
				t.Fatal(err)
			}
			shape := g.Inputs[0].Shape.Clone()
			if shape[0] < 0 {
				shape[0] = len(raw) / (shape[1] * shape[2] * shape[3])
			}
			x := reference.FixedInput(shape...)
			if ok, msg := reference.Close(x, ir.FromData(raw, shape...), 0); !ok {
				t.Fatalf("%s.in.bin is not FixedInput%v: %s", name, shape, msg)
			}
			start := time.Now()
			out, err := reference.Run(g, map[string]*ir.Tensor{g.Inputs[0].Name: x}, nil)
			if err != nil {
				t.Fatal(err)
			}
			elapsed := time.Since(start)
			got := out[g.Outputs[0].Name]
			if got == nil || got.Shape.Size() != len(want) {
				t.Fatalf("output %v, want %d values", got, len(want))
			}
			ref := ir.FromData(want, got.Shape...)
			d, m, _ := reference.MaxAbsDiff(got, ref)
			t.Logf("%v in %v: max|diff| %.3g = %.3g·max|ref|", got.Shape, elapsed.Round(time.Millisecond), d, d/m)
			if ok, msg := reference.Close(got, ref, 1e-5); !ok {
				t.Error(msg)
			}
		})
	}
}
