package passes

import (
	"math"
	"testing"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/plan"
)

// The recipe for a new fusable activation (docs/ARCHITECTURE.md), followed
// inside this test binary: an op and an Act number, one RegisterOp with
// ActFn. Nothing else in ir, passes, reference, runtime or kernels names it.
const (
	opTestSoftsign  ir.Op  = 159 // the last number of the activations group, free in every binary
	actTestSoftsign ir.Act = 63  // the last Act number RegisterOp accepts
)

func init() {
	ir.RegisterOp(opTestSoftsign, ir.OpInfo{Name: "TestSoftsign", Attrs: "Alpha", Infer: ir.OpRelu.Info().Infer, Act: actTestSoftsign,
		ActFn: func(x, alpha, _ float32) float32 { return alpha * x / (1 + float32(math.Abs(float64(x)))) }})
}

// TestRegisteredActivation: an activation known only by its registration
// is named after its op, carries its Alpha into the epilogue, fuses into
// the 1×1 GEMM, depthwise and dense conv epilogues and into an Add, runs
// standalone, and matches the reference on every ISA of this machine.
func TestRegisteredActivation(t *testing.T) {
	if got := actTestSoftsign.String(); got != "testsoftsign" {
		t.Errorf("name %q, want testsoftsign", got)
	}
	if ep := ir.ActParams(actTestSoftsign, &ir.Attrs{Alpha: 2}); ep.Alpha != 2 {
		t.Errorf("epilogue alpha %g, want 2", ep.Alpha)
	}
	if y := ir.ApplyAct(actTestSoftsign, -3, 0, 0, 2, 0); y != -1.5 {
		t.Errorf("ApplyAct(-3) = %g, want -1.5", y)
	}
	if y := ir.ApplyAct(actTestSoftsign, float32(math.NaN()), 0, 0, 2, 0); y == y {
		t.Errorf("ApplyAct(NaN) = %g, want NaN", y)
	}
	act := ir.Attrs{Alpha: 1.5}
	for _, isa := range kernels.Available() {
		set, err := kernels.ForISA(isa)
		if err != nil {
			t.Fatal(err)
		}
		b, x := newBuilder(2, 8, 9, 9)
		c := b.add(opTestSoftsign, act, b.conv(x, 16, 1, 1, 1, true))
		d := b.add(opTestSoftsign, act, b.conv(c, 16, 3, 1, 16, true))
		e := b.add(opTestSoftsign, act, b.conv(d, 8, 3, 2, 1, true))
		f := b.add(opTestSoftsign, act, b.add(ir.OpAdd, ir.Attrs{}, e, e))
		g := b.finish(b.add(opTestSoftsign, act, b.add(ir.OpMaxPool, ir.Attrs{Kernel: [2]int{2, 2}, Strides: [2]int{2, 2}}, f)))
		p := compileRunSet(t, g, Options{Level: 2, Verify: true}, set)
		fused, standalone := 0, 0
		for _, s := range p.Steps {
			if s.Attrs.Fused.Act == actTestSoftsign {
				if s.Kind == plan.KindActivate {
					standalone++
				} else {
					fused++
				}
			}
		}
		if fused != 4 || standalone != 1 {
			t.Errorf("%s: %d fused and %d standalone TestSoftsign steps, want 4 and 1\n%s", isa, fused, standalone, stepList(p))
		}
	}
}
