package passes

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/mnc-go/mnc/frontend/onnx"
	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/models"
	"github.com/mnc-go/mnc/plan"
)

// TestMobileNetV4Plans: MobileNetV4 as timm's torch.onnx export writes it
// (torch17_mnv4: BN folded into biases, layer scale as Mul by [1,C,1,1]),
// unfolded (torch18_mnv4_unfolded) and as the built-in
// mobilenet_v4_conv_small compile at -O2 to plans
// without a standalone Relu, Add, BatchNorm or Mul step: the layer scales
// fold into their projections (fold-affine: "scale" in three GEMMs), the
// residuals into the projections' epilogues, the start depthwise convs are
// plain dwconv steps without activation, and the 1×1 head conv on the
// pooled map runs as a GEMM. compileRunWith also checks each plan against
// the reference executor.
func TestMobileNetV4Plans(t *testing.T) {
	load := func(name string) *ir.Graph {
		t.Helper()
		f := filepath.Join(exportersDir, name+".onnx")
		if _, err := os.Stat(f); err != nil {
			t.Skip(err)
		}
		g, err := onnx.Load(f)
		if err == nil {
			err = g.SetBatch(1)
		}
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	exported, unfolded := load("torch17_mnv4"), load("torch18_mnv4_unfolded")
	builtin, err := models.Build("mobilenet_v4_conv_small:res=128,classes=10")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name           string
		g              *ir.Graph
		scales, starts int
	}{
		{"torch17_mnv4", exported, 3, 4},
		{"torch18_mnv4_unfolded", unfolded, 3, 3}, // BatchNorm nodes, Reshape of gamma, ReduceMean pool
		{"mobilenet_v4_conv_small", builtin, 0, 4},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := compileRunWith(t, c.g, Options{Level: 2})
			scales, starts, headGemm := 0, 0, false
			for i, s := range p.Steps {
				switch s.Kind {
				case plan.KindGemm, plan.KindConv, plan.KindDWConv, plan.KindBlock, plan.KindGlobalAvgPool, plan.KindToNHWC:
				default:
					t.Errorf("step %s: %s %s left standalone", s.Name, s.Kind, s.Op)
				}
				if slices.Contains(s.Fused, "scale") {
					scales++
				}
				// A depthwise conv reading a block's input (not an
				// expansion) with no activation is a start depthwise.
				if s.Kind == plan.KindDWConv && s.Attrs.Fused.Act == ir.ActNone {
					starts++
				}
				if i > 0 && p.Steps[i-1].Kind == plan.KindGlobalAvgPool {
					headGemm = s.Kind == plan.KindGemm && len(s.Out.Shape) == 4 && s.Out.Shape[2] == 1
				}
			}
			if scales != c.scales {
				t.Errorf("%d steps fused a layer scale, want %d", scales, c.scales)
			}
			if starts != c.starts {
				t.Errorf("%d linear depthwise steps (start depthwise convs), want %d", starts, c.starts)
			}
			if !headGemm {
				t.Error("the 1×1 conv after the global pool is not a GEMM step on the pooled map")
			}
			if t.Failed() {
				t.Logf("plan:\n%s", stepList(p))
			}
		})
	}
}
