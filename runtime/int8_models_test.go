package runtime_test

import (
	"math"
	"testing"

	"github.com/mnc-go/mnc/frontend/onnx"
	"github.com/mnc-go/mnc/internal/shareddata"
	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/passes"
	"github.com/mnc-go/mnc/plan"
	"github.com/mnc-go/mnc/reference"
)

// TestInt8ModelsCompiled: ONNX Runtime's three int8 MobileNet V2 files
// compiled at -O2 for every ISA agree with ONNX Runtime: same top-1 and
// max|diff| ≤ 2% of max|ORT| (measured: bit-identical, since fuse-qdq turns
// the QDQ groups into the integer operators ONNX Runtime runs, and
// lower-qlinear runs their sums exactly on the float kernels, checked
// per layer; see passes/quant.go and passes/quantlower.go). At -O0 the QDQ files are read literally
// (float convs between QuantizeLinear/DequantizeLinear), which lands one
// quantization step away here and there: 1.6% of max|ORT|.
func TestInt8ModelsCompiled(t *testing.T) {
	if testing.Short() {
		t.Skip("whole 224² int8 models; skipped in -short")
	}
	for _, name := range []string{"v2_int8_qdq_u8", "v2_int8_qdq_s8", "v2_int8_qop_u8"} {
		t.Run(name, func(t *testing.T) {
			want := shareddata.ReadFloats(t, "int8/"+name+".out.bin")
			g, err := onnx.Load(shareddata.Path(t, "int8/"+name+".onnx"))
			if err != nil {
				t.Fatal(err)
			}
			in := []*ir.Tensor{reference.FixedInput(1, 3, 224, 224)}
			isas := kernels.Available()
			if name != "v2_int8_qdq_u8" {
				// Every kernel set runs the u8 file; the others (int8 activations,
				// QOperator import) differ before the kernels, so the best ISA
				// is enough and keeps the test's time down.
				isas = isas[len(isas)-1:]
			}
			for _, isa := range isas {
				for _, level := range []int{0, 2} {
					if level == 0 && name == "v2_int8_qdq_s8" || level == 0 && name == "v2_int8_qdq_u8" && isa != isas[0] {
						continue // -O0 once per format: it is the float reading
					}
					c := config{level: level, threads: 2, batch: 1, isa: isa}
					out := execute(t, compile(t, g, c), c.threads, in)[0]
					var d, m float64
					for i, w := range want {
						d = math.Max(d, math.Abs(float64(out.Data[i]-w)))
						m = math.Max(m, math.Abs(float64(w)))
					}
					if top(out.Data) != top(want) || d > 0.02*m {
						t.Errorf("%v: top-1 %d (ORT %d), max|diff| %.3g = %.3g·max|ORT|", c, top(out.Data), top(want), d, d/m)
					} else {
						t.Logf("%v: max|diff| %.3g = %.3g·max|ORT|", c, d, d/m)
					}
				}
			}
		})
	}
}

func top(x []float32) int {
	k := 0
	for i, v := range x {
		if v > x[k] {
			k = i
		}
	}
	return k
}

// TestInt8ModelsBytes: the three files with every quantized activation
// stored as bytes (int8-storage's Int8Islands: int8 GEMMs on bytes, QAdd
// and the global pool on bytes, float islands around the depthwise and
// dense convs) stay bit-identical to ONNX Runtime on every ISA (the u8
// file; the others on the best one), and the plan really runs int8 steps.
func TestInt8ModelsBytes(t *testing.T) {
	if testing.Short() {
		t.Skip("whole 224² int8 models; skipped in -short")
	}
	for _, name := range []string{"v2_int8_qdq_u8", "v2_int8_qdq_s8", "v2_int8_qop_u8"} {
		t.Run(name, func(t *testing.T) {
			want := shareddata.ReadFloats(t, "int8/"+name+".out.bin")
			g, err := onnx.Load(shareddata.Path(t, "int8/"+name+".onnx"))
			if err != nil {
				t.Fatal(err)
			}
			in := []*ir.Tensor{reference.FixedInput(1, 3, 224, 224)}
			isas := kernels.Available()
			if name != "v2_int8_qdq_u8" {
				isas = isas[len(isas)-1:]
			}
			for _, isa := range isas {
				set, err := kernels.ForISA(isa)
				if err != nil {
					t.Fatal(err)
				}
				p, _, err := passes.Compile(g.Clone(), passes.Options{Level: 2, Verify: true, Int8Islands: true}, set)
				if err != nil {
					t.Fatal(err)
				}
				q := 0
				for _, s := range p.Steps {
					if s.Kind == plan.KindQGemm {
						q++
					}
				}
				if q < 30 {
					t.Errorf("%v: %d int8 GEMM steps, want the 35 1×1 convs and the FC", isa, q)
				}
				out := execute(t, p, 2, in)[0]
				for i, w := range want {
					if out.Data[i] != w {
						t.Fatalf("%v: output %d = %g, ONNX Runtime %g", isa, i, out.Data[i], w)
					}
				}
			}
		})
	}
}
