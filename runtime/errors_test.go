package runtime_test

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"strings"
	"testing"

	"github.com/mnc-go/mnc/internal/fuzzcap"
	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/passes"
	"github.com/mnc-go/mnc/plan"
	"github.com/mnc-go/mnc/runtime"
)

func TestSelectISA(t *testing.T) {
	t.Setenv("MNC_ISA", "")
	if isa, err := runtime.SelectISA("auto"); err != nil || isa != kernels.Best() {
		t.Errorf("auto: %v %v, want %v", isa, err, kernels.Best())
	}
	if isa, err := runtime.SelectISA("generic"); err != nil || isa != kernels.Generic {
		t.Errorf("generic: %v %v", isa, err)
	}
	t.Setenv("MNC_ISA", "generic")
	if isa, err := runtime.SelectISA(""); err != nil || isa != kernels.Generic {
		t.Errorf("MNC_ISA=generic: %v %v", isa, err)
	}
	if _, err := runtime.SelectISA("sse9"); err == nil || !strings.Contains(err.Error(), `unknown ISA "sse9"`) {
		t.Errorf("unknown name: %v", err)
	}
	t.Setenv("MNC_ISA", "bogus")
	if _, err := runtime.SelectISA(""); err == nil || !strings.Contains(err.Error(), "MNC_ISA") {
		t.Errorf("bad MNC_ISA: %v", err)
	}
	// An ISA this machine lacks is refused by name, and so is a plan for it.
	var missing []kernels.ISA
	for _, name := range []string{"generic", "avx2", "avx512", "neon"} {
		isa, _ := kernels.ParseISA(name)
		if !kernels.Supported(isa) {
			missing = append(missing, isa)
		}
	}
	if len(missing) == 0 {
		t.Skip("this machine supports every ISA")
	}
	if _, err := runtime.SelectISA(missing[0].String()); err == nil || !strings.Contains(err.Error(), "not available") {
		t.Errorf("%s: %v", missing[0], err)
	}
	gg, x := newGen("isa", 1, 3, 4, 4)
	p := compile(t, gg.finish(gg.conv(x, 4, 3, 1, 1, true)), config{level: 2, batch: 1, isa: kernels.Generic})
	p.ISA = missing[0]
	if _, err := runtime.New(p, runtime.Options{}); err == nil || !strings.Contains(err.Error(), "which this machine lacks") {
		t.Errorf("plan for %s: %v", missing[0], err)
	}
}

func TestRunArgumentErrors(t *testing.T) {
	gg, x := newGen("args", 1, 3, 4, 4)
	p := compile(t, gg.finish(gg.conv(x, 4, 3, 1, 1, true)), config{level: 2, batch: 2, isa: kernels.Best()})
	e, err := runtime.New(p, runtime.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	out := e.NewOutputs()
	cases := []struct {
		in, out []*ir.Tensor
		want    string
	}{
		{nil, out, "takes 1 inputs and 1 outputs, got 0 and 1"},
		{[]*ir.Tensor{ir.NewTensor(1, 3, 4, 4)}, out, `input "x" has shape [1×3×4×4] (48 values), the plan needs [2×3×4×4]`},
		{[]*ir.Tensor{nil}, out, `input "x" is nil`},
		{[]*ir.Tensor{ir.NewTensor(2, 3, 4, 4)}, []*ir.Tensor{ir.NewTensor(2, 4, 4)}, `output "conv" has shape`},
	}
	for _, c := range cases {
		if err := e.Run(c.in, c.out); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want an error containing %q", err, c.want)
		}
	}
}

// TestNewRejectsInconsistentPlans: plans that decode (valid structure) but
// do not fit the kernels give errors from New, not panics in Run.
func TestNewRejectsInconsistentPlans(t *testing.T) {
	gg, x := newGen("bad", 1, 3, 6, 6)
	y := gg.conv(gg.conv(x, 4, 3, 1, 1, true), 8, 1, 1, 1, true)
	g := gg.finish(gg.conv(y, 8, 3, 1, 8, true))
	base := compile(t, g, config{level: 2, batch: 1, isa: kernels.Generic})
	find := func(p *plan.Plan, k plan.Kind) *plan.Step {
		for i := range p.Steps {
			if p.Steps[i].Kind == k {
				return &p.Steps[i]
			}
		}
		t.Fatalf("no %s step", k)
		return nil
	}
	mutations := map[string]func(p *plan.Plan){
		"short gemm weights": func(p *plan.Plan) {
			s := find(p, plan.KindGemm)
			p.Blobs[s.Consts[0]] = p.Blobs[s.Consts[0]][:3]
		},
		"wrong dw geometry": func(p *plan.Plan) { find(p, plan.KindDWConv).Attrs.Strides = [2]int{2, 2} },
		"conv without scratch": func(p *plan.Plan) {
			s := find(p, plan.KindConv)
			if s.Scratch == 0 {
				s.WShape = ir.Shape{4, 3, 2, 2}
			}
			s.Scratch = 0
		},
		"gemm weight shape": func(p *plan.Plan) { find(p, plan.KindGemm).WShape = ir.Shape{5, 4, 1, 1} },
	}
	for name, mutate := range mutations {
		var buf bytes.Buffer
		if err := plan.Encode(&buf, base); err != nil {
			t.Fatal(err)
		}
		p, err := plan.Decode(&buf)
		if err != nil {
			t.Fatal(err)
		}
		mutate(p)
		if _, err := runtime.New(p, runtime.Options{Threads: 1}); err == nil {
			t.Errorf("%s: New accepted the plan", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

// FuzzDecodeAndRun: whatever bytes Decode accepts, New either refuses with
// an error or gives an executor whose Run does not panic.
func FuzzDecodeAndRun(f *testing.F) {
	gg, x := newGen("fuzz", 1, 2, 5, 5)
	y := gg.randomActivation(gg.conv(x, 4, 3, 2, 1, true))
	s := gg.node(ir.OpGlobalAveragePool, "gap", ir.Attrs{}, y)
	fl := gg.node(ir.OpFlatten, "flat", ir.Attrs{Axis: 1}, s)
	g := gg.finish(gg.node(ir.OpSoftmax, "sm", ir.Attrs{Axis: 1}, gg.node(ir.OpGemm, "fc", ir.GemmAttrs(), fl, gg.tensor(0.5, 3, 4), gg.tensor(0.5, 3))))
	for _, level := range []int{0, 2} {
		var buf bytes.Buffer
		if err := plan.Encode(&buf, compile(f, g, config{level: level, batch: 1, isa: kernels.Generic})); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	// Blocks ending in their depthwise conv (a dense conv producer on 9
	// channels, the amd64 implicit GEMM's, and a GEMM producer), on the
	// generic kernels and the best ISA's.
	gd, xd := newGen("fuzzdw", 2, 9, 7, 6)
	yd := gd.randomActivation(gd.conv(xd, 16, 3, 2, 1, true))
	yd = gd.conv(yd, 16, 3, 1, 16, true)
	yd = gd.conv(gd.conv(yd, 32, 1, 1, 1, true), 32, 3, 1, 32, true)
	gdw := gd.finish(gd.conv(yd, 32, 1, 1, 1, true))
	for _, isa := range []kernels.ISA{kernels.Generic, kernels.Best()} {
		set, err := kernels.ForISA(isa)
		if err != nil {
			f.Fatal(err)
		}
		p, _, err := passes.Compile(gdw, passes.Options{Level: 2, Batch: 1, Threads: 1, BlockMinBytes: 1 << 30, DWBlockMinBytes: 1}, set)
		if err != nil {
			f.Fatal(err)
		}
		blocks := 0
		for i := range p.Steps {
			if plan.IsDWBlock(&p.Steps[i]) {
				blocks++
			}
		}
		if blocks != 2 {
			f.Fatalf("%s: %d blocks ending in their depthwise conv in the seed, want 2", isa, blocks)
		}
		var buf bytes.Buffer
		if err := plan.Encode(&buf, p); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzcap.Run(t, func() {
			// Keep the checksum right so mutations reach the decoder and New.
			if len(data) >= 28 && string(data[:8]) == plan.Magic {
				binary.LittleEndian.PutUint64(data[16:], uint64(len(data)-28))
				binary.LittleEndian.PutUint32(data[24:], crc32.ChecksumIEEE(data[28:]))
			}
			p, err := plan.Decode(bytes.NewReader(data))
			if err != nil || p.ArenaSize > 1<<20 || p.MaxScratch() > 1<<20 {
				return // a valid plan may ask for gigabytes; not what this test is about
			}
			e, err := runtime.New(p, runtime.Options{Threads: 1})
			if err != nil {
				return
			}
			defer e.Close()
			var ins []*ir.Tensor
			for _, io := range p.Inputs {
				if io.Buf.Size() > 1<<20 {
					return
				}
				ins = append(ins, ir.NewTensor(io.Buf.Shape...))
			}
			_ = e.Run(ins, e.NewOutputs())
		})
	})
}

func TestRunNamed(t *testing.T) {
	gg, x := newGen("named", 1, 3, 4, 4)
	g := gg.finish(gg.conv(x, 4, 3, 1, 1, true))
	p := compile(t, g, config{level: 2, batch: 1, isa: kernels.Best()})
	e, err := runtime.New(p, runtime.Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	in := ir.NewTensor(1, 3, 4, 4)
	in.Data[5] = 1
	out, err := e.RunNamed(map[string]*ir.Tensor{"x": in})
	if err != nil {
		t.Fatal(err)
	}
	checkClose(t, "named", []*ir.Tensor{out["conv"]}, referenceOutputs(t, g, []*ir.Tensor{in}))
	if _, err := e.RunNamed(map[string]*ir.Tensor{"y": in}); err == nil || !strings.Contains(err.Error(), `input "x" is missing`) {
		t.Errorf("missing input: %v", err)
	}
	if _, err := e.RunNamed(map[string]*ir.Tensor{"x": in, "z": in}); err == nil || !strings.Contains(err.Error(), `no input "z"`) {
		t.Errorf("extra input: %v", err)
	}
}
