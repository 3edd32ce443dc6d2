package plan_test

import (
	"bytes"
	"runtime"
	"strings"
	"testing"

	"github.com/mnc-go/mnc"
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/models"
	"github.com/mnc-go/mnc/plan"
	mncrt "github.com/mnc-go/mnc/runtime"
)

// TestForgedPlans: plan files edited by someone who fixes the checksum
// (issue 11) are refused by Decode or by the runtime before anything large
// is allocated, with an error saying what is wrong.
func TestForgedPlans(t *testing.T) {
	g, err := models.BuildSpec("mobilenet_v3_small:res=64", models.BuildOptions{NoWeights: true})
	if err != nil {
		t.Fatal(err)
	}
	compile := func() *plan.Plan {
		p, _, err := mnc.Compile(g, mnc.Options{Level: 2, ISA: kernels.Best().String()})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	other := kernels.Generic
	if kernels.Best() == kernels.Generic {
		t.Skip("only the generic kernels here: no other ISA to relabel a plan to")
	}
	conv := func(p *plan.Plan) *plan.Step {
		for i := range p.Steps {
			if p.Steps[i].Kind == plan.KindConv {
				return &p.Steps[i]
			}
		}
		t.Fatal("no dense conv step")
		return nil
	}
	for _, c := range []struct {
		name   string
		forge  func(p *plan.Plan)
		decode string // the error Decode gives, or "" when the runtime refuses
		run    string
	}{
		{"scratch 4 GiB", func(p *plan.Plan) { conv(p).Scratch = 1 << 30 }, "", "reserves 1073741824 scratch floats per thread, but its kernel needs"},
		{"arena 4 GiB", func(p *plan.Plan) { p.ArenaSize = 1 << 30 }, "arena of 1073741824 floats, but its tensors end at", ""},
		{"header and payload ISA relabelled", func(p *plan.Plan) { p.ISA = other }, "", "weights were packed as"},
		{"steps reordered", func(p *plan.Plan) { p.Steps[1], p.Steps[2] = p.Steps[2], p.Steps[1] }, "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := compile()
			c.forge(p)
			var b bytes.Buffer
			if err := plan.EncodeUnchecked(&b, p); err != nil {
				t.Fatal(err)
			}
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			defer func() {
				runtime.ReadMemStats(&m1)
				if a := m1.TotalAlloc - m0.TotalAlloc; a > 500<<20 {
					t.Errorf("allocated %d MB", a>>20)
				}
			}()
			q, err := plan.Decode(&b)
			if c.decode != "" || c.run == "" {
				if err == nil || !strings.Contains(err.Error(), c.decode) {
					t.Fatalf("Decode: %v; want an error with %q", err, c.decode)
				}
				t.Log(err)
				return
			}
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			e, err := mncrt.New(q, mncrt.Options{Threads: 2})
			if err == nil {
				e.Close()
				t.Fatalf("the runtime accepted it; want an error with %q", c.run)
			}
			if !strings.Contains(err.Error(), c.run) {
				t.Fatalf("runtime: %v; want %q", err, c.run)
			}
			t.Log(err)
		})
	}
}
