package runtime_test

import (
	"strings"
	"testing"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/plan"
)

// preluNet is a MobileFaceNet-like stack with PRelu (per-channel slopes)
// and LeakyRelu after a dense stem conv, a 1×1 conv (GEMM), a depthwise
// conv, a residual 1×1 conv and a fully-connected layer, so that every
// kernel family's epilogue computes them.
func preluNet() *ir.Graph {
	gg, x := newGen("prelu", 29, 3, 12, 12)
	prelu := func(v *ir.Value, shape ...int) *ir.Value {
		return gg.node(ir.OpPRelu, "prelu", ir.Attrs{}, v, gg.tensor(0.8, shape...))
	}
	leaky := func(v *ir.Value) *ir.Value {
		return gg.node(ir.OpLeakyRelu, "leaky", ir.Attrs{Alpha: 0.1}, v)
	}
	s := prelu(gg.bn(gg.conv(x, 24, 3, 2, 1, false)), 24, 1, 1)     // stem: conv
	e := leaky(gg.conv(s, 40, 1, 1, 1, true))                       // GEMM
	d := prelu(gg.bn(gg.conv(e, 40, 3, 1, 40, false)), 1, 40, 1, 1) // depthwise
	d2 := leaky(gg.conv(d, 40, 5, 2, 40, true))                     // depthwise 5×5, stride 2
	p := gg.conv(d2, 24, 1, 1, 1, true)
	p = prelu(p, 24, 1, 1)
	q := gg.conv(p, 24, 1, 1, 1, false)
	r := prelu(gg.node(ir.OpAdd, "add", ir.Attrs{}, q, p), 1) // one slope for all, after a residual add
	f := gg.node(ir.OpFlatten, "flat", ir.Attrs{Axis: 1}, gg.node(ir.OpGlobalAveragePool, "gap", ir.Attrs{}, r))
	fc := gg.node(ir.OpGemm, "fc", ir.GemmAttrs(), f, gg.tensor(0.3, 10, 24), gg.tensor(0.1, 10))
	return gg.finish(prelu(fc, 10), leaky(gg.node(ir.OpGemm, "fc2", ir.GemmAttrs(), f, gg.tensor(0.3, 7, 24), gg.tensor(0.1, 7))))
}

// PRelu and LeakyRelu match the reference at -O0 and -O2 on every ISA,
// threads and batch; at -O2 every one of them is fused into its producer.
func TestPReluLeakyReluFused(t *testing.T) {
	g := preluNet()
	checkGraph(t, g, configs())
	for _, isa := range kernels.Available() {
		p := compile(t, g, config{level: 2, batch: 1, isa: isa})
		fused := 0
		var steps []plan.Step // a fused block's own steps stand for it
		for _, s := range p.Steps {
			if s.Kind == plan.KindBlock {
				steps = append(steps, s.Sub...)
			} else {
				steps = append(steps, s)
			}
		}
		for _, s := range steps {
			if s.Op == ir.OpPRelu || s.Op == ir.OpLeakyRelu {
				t.Errorf("%s: step %q computes %s on its own", isa, s.Name, s.Op)
			}
			for _, f := range s.Fused {
				if f == "prelu" || f == "leakyrelu" {
					fused++
				}
			}
			if strings.Contains(strings.Join(s.Fused, "+"), "prelu") && s.Attrs.Fused.Act != ir.ActPRelu {
				t.Errorf("%s: step %q fused a PRelu but its epilogue is %s", isa, s.Name, s.Attrs.Fused.Act)
			}
		}
		if fused != 8 {
			t.Errorf("%s: %d activations fused, want 8", isa, fused)
		}
	}
}
