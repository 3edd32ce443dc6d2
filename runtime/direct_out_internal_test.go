package runtime

import (
	"fmt"
	"testing"
	"time"

	"github.com/mnc-go/mnc/frontend"
	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/passes"
	"github.com/mnc-go/mnc/plan"
	"github.com/mnc-go/mnc/reference"
)

// A detector-like graph: two heads made [N, anchors, K] and concatenated
// (output "scores", written straight into the caller's tensor), and the
// same for a second pair whose concat is also read by a later node (output
// "boxes" and its Relu "relu": copied from the arena). Two runs with
// different inputs into the same output tensors match the reference.
func TestDirectConcatOutput(t *testing.T) {
	b := frontend.NewBuilder("det", frontend.Options{Seed: 3})
	x := b.Input("input", 3, 16, 16)
	m1 := b.ConvBNAct("m1", x, 8, 3, 2, 1, frontend.ReLU6)
	m2 := b.ConvBNAct("m2", m1, 8, 3, 2, 1, frontend.ReLU6)
	maps := []*ir.Value{m1, m2}
	scores := b.SSDLiteHead("cls", maps, []int{3, 2}, 5, 3, frontend.ReLU6)
	boxes := b.SSDLiteHead("box", maps, []int{3, 2}, 4, 3, frontend.ReLU6)
	relu := b.Act("relu", boxes, frontend.ReLU)
	g, err := b.FinishOutputs([]*ir.Value{scores, boxes, relu}, []string{"scores", "boxes", "relu"})
	if err != nil {
		t.Fatal(err)
	}
	set, err := kernels.ForISA(kernels.Best())
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := passes.Compile(g, passes.Options{Level: 2, Verify: true}, set)
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(p, Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if e.outStep[0] < 0 || e.outStep[1] >= 0 || e.outStep[2] >= 0 {
		t.Fatalf("direct outputs %v, want only scores (0)", e.outStep)
	}
	outs := e.NewOutputs()
	for run := 0; run < 2; run++ {
		in := reference.FixedInput(1, 3, 16, 16)
		for i := range in.Data {
			in.Data[i] *= float32(run + 1)
		}
		if err := e.Run([]*ir.Tensor{in}, outs); err != nil {
			t.Fatal(err)
		}
		want, err := reference.Run(g, map[string]*ir.Tensor{"input": in}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range g.Outputs {
			d, ref, err := reference.MaxAbsDiff(outs[i], want[v.Name])
			if err != nil || d > 1e-4*max(ref, 1) {
				t.Errorf("run %d output %s: max diff %g (max |ref| %g) %v", run, v.Name, d, ref, err)
			}
		}
	}
	if e.outData[0] != nil {
		t.Error("the executor keeps the caller's output tensor after Run")
	}
}

// TestDirectOutputsLinear: finding each output's last writer is one pass
// over the steps, not one per output: a plan of 30000 outputs, each
// written by its own step, took 9·10^8 operand comparisons (seconds in
// New; a hostile plan file can ask for any number of outputs).
func TestDirectOutputsLinear(t *testing.T) {
	const n = 30000
	p := &plan.Plan{}
	for i := 0; i < n; i++ {
		o := plan.Operand{Off: 16 * i, Shape: ir.Shape{1, 16}}
		p.Steps = append(p.Steps, plan.Step{Kind: plan.KindGeneric, Op: ir.OpRelu, In: []plan.Operand{o}, ConstIn: []int{plan.NoBlob}, Out: o})
		p.Outputs = append(p.Outputs, plan.IO{Name: fmt.Sprint("y", i), Buf: o})
	}
	t0 := time.Now()
	direct := directOutputs(p)
	d := time.Since(t0)
	if len(direct) != n || direct[0] != -1 || direct[n-1] != -1 {
		t.Fatalf("direct outputs: %d entries, first %d, last %d; want %d of -1 (no Concat)", len(direct), direct[0], direct[n-1], n)
	}
	if d > 2*time.Second {
		t.Errorf("directOutputs of %d outputs and steps took %v", n, d)
	}
	t.Logf("%d outputs and steps: %v", n, d)
}
