package runtime_test

import (
	"testing"

	"github.com/mnc-go/mnc/internal/shareddata"

	"github.com/mnc-go/mnc/frontend/onnx"
	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/reference"
)

// TestONNXModelsAgainstNumpy: the shared ONNX models (unfolded BN, Clip with
// min/max inputs, SE blocks, Flatten+Gemm heads), imported, compiled at
// -O0 and -O2 for every ISA and run on two threads, match the independent
// float64 numpy forward pass within 1e-4·max|logit|. The dynamic-batch V2
// runs its shipped batch of 2.
func TestONNXModelsAgainstNumpy(t *testing.T) {
	if testing.Short() {
		t.Skip("whole 224² models; skipped in -short")
	}
	for _, name := range shareddata.Models {
		t.Run(name, func(t *testing.T) {
			raw := shareddata.ReadFloats(t, name+".in.bin")
			want := shareddata.ReadFloats(t, name+".np.out.bin")
			g, err := onnx.Load(shareddata.Path(t, name+".onnx"))
			if err != nil {
				t.Fatal(err)
			}
			s := g.Inputs[0].Shape
			batch := len(raw) / (s[1] * s[2] * s[3])
			in := []*ir.Tensor{ir.FromData(raw, batch, s[1], s[2], s[3])}
			worst := 0.0
			for _, isa := range kernels.Available() {
				for _, level := range []int{0, 2} {
					c := config{level: level, threads: 2, batch: batch, isa: isa}
					out := execute(t, compile(t, g, c), c.threads, in)[0]
					d, m, err := reference.MaxAbsDiff(out, ir.FromData(want, out.Shape...))
					if err != nil {
						t.Fatal(err)
					}
					if !(d <= tolerance*m) {
						t.Errorf("%v: max|diff| %.3g = %.3g·max|ref|", c, d, d/m)
					}
					worst = max(worst, d/m)
				}
			}
			t.Logf("worst relative error over ISAs and levels: %.2g", worst)
		})
	}
}
