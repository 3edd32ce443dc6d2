package runtime_test

import (
	"bytes"
	"fmt"
	"math/rand"
	"testing"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/passes"
	"github.com/mnc-go/mnc/plan"
	"github.com/mnc-go/mnc/runtime"
)

// int8Graph is a small QOperator network of awkward shapes: 5 input
// channels (not a multiple of 4), a dense 3×3 stride-2 stem (dilated: no int8 kernel), a depthwise 3×3, two 1×1 convs of 6
// outputs added (QLinearAdd), a global pool, a QGemm of 10 outputs, with
// zero points zx (input), zy (every output) of type qt.
func int8Graph(rng *rand.Rand, qt ir.QType, zx, zy int32, batch int, dilated bool) *ir.Graph {
	g := ir.New("int8awkward")
	const c, h, w = 5, 7, 9
	x := g.AddInput("x", batch, c, h, w)
	sc := func(name string, v float32) *ir.Value {
		return g.AddConst(name, &ir.Tensor{Shape: ir.Shape{}, Data: []float32{v}})
	}
	ints := func(name string, lo, hi int, shape ...int) *ir.Value {
		t := ir.NewTensor(shape...)
		for i := range t.Data {
			t.Data[i] = float32(lo + rng.Intn(hi-lo+1))
		}
		return g.AddConst(name, t)
	}
	perCh := func(name string, n int) *ir.Value {
		t := ir.NewTensor(n)
		for i := range t.Data {
			t.Data[i] = 0.002 + 0.01*rng.Float32()
		}
		return g.AddConst(name, t)
	}
	q := ir.Attrs{QType: qt}
	xs, xz := sc("xs", 0.02), sc("xz", float32(zx))
	yz := sc("yz", float32(zy))
	qx := g.AddNode(ir.OpQuantizeLinear, "qx", q, x, xs, xz)
	conv := func(name string, in, ins, inz *ir.Value, cout, k, stride, group int, ys float32) *ir.Value {
		a := ir.ConvAttrs(stride, k/2, group)
		a.QType = qt
		wt := ints(name+".w", -128, 127, cout, c/group, k, k)
		return g.AddNode(ir.OpQLinearConv, name, a, in, ins, inz, wt, perCh(name+".ws", cout), sc(name+".wz", 0),
			sc(name+".ys", ys), yz, ints(name+".b", -3000, 3000, cout))
	}
	// A dense stem (3×3 stride 2: 4×5 outputs), then the depthwise conv.
	stem := conv("stem", qx, xs, xz, c, 3, 2, 1, 0.1)
	if dilated { // no int8 kernel: the float conv writes bytes
		sn := stem.Producer
		sn.Attrs.Dilations = [2]int{2, 2}
		sn.Attrs.Pads = [4]int{2, 2, 2, 2}
	}
	dw := conv("dw", stem, sc("dw.xs", 0.1), yz, c, 3, 1, c, 0.05)
	// The 1×1 convs read dw (scale 0.05, zero point zy).
	c1x := func(name string) *ir.Value {
		a := ir.ConvAttrs(1, 0, 1)
		a.QType = qt
		return g.AddNode(ir.OpQLinearConv, name, a, dw, sc(name+".xs", 0.05), yz, ints(name+".w", -128, 127, 6, c, 1, 1),
			perCh(name+".ws", 6), sc(name+".wz", 0), sc(name+".ys", 0.3), yz, ints(name+".b", -3000, 3000, 6))
	}
	p1, p2 := c1x("p1"), c1x("p2")
	add := g.AddNode(ir.OpQLinearAdd, "add", q, p1, sc("a.s", 0.3), yz, p2, sc("b.s", 0.3), yz, sc("c.s", 0.4), yz)
	gap := g.AddNode(ir.OpQLinearGlobalAveragePool, "gap", q, add, sc("g.xs", 0.4), yz, sc("g.ys", 0.1), yz)
	flat := g.AddNode(ir.OpFlatten, "flat", ir.Attrs{Axis: 1}, gap)
	ga := ir.Attrs{QType: qt, TransB: true, Alpha: 1, Beta: 1}
	fc := g.AddNode(ir.OpQGemm, "fc", ga, flat, sc("fc.as", 0.1), yz, ints("fc.w", -128, 127, 10, 6), perCh("fc.ws", 10), sc("fc.wz", 0),
		ints("fc.b", -2000, 2000, 10), sc("fc.ys", 0.2), yz)
	out := g.AddNode(ir.OpDequantizeLinear, "out", ir.Attrs{}, fc, sc("o.s", 0.2), yz)
	g.SetOutputs(out)
	return g
}

// TestInt8BytesAwkward: with every quantized activation stored as bytes
// (int8 GEMMs, QAdd and global pool on bytes, a float island around the
// depthwise conv), the plan computes exactly what the float plan of the
// same graph computes, on every ISA, for uint8 and int8 activations with
// zero points at the range ends, batch 3 (60 rows: not a multiple of the
// 8-row tiles), 5 and 6 channels (not multiples of 4). Both agree with the
// reference executor within one output step.
func TestInt8BytesAwkward(t *testing.T) {
	rng := rand.New(rand.NewSource(14))
	for _, qt := range []ir.QType{ir.QUint8, ir.QInt8} {
		lo, hi := qt.Range()
		for zi, zp := range [][2]int32{{lo, hi}, {hi, lo}, {lo + 3, lo + 100}} {
			dilated := zi == 2
			g := int8Graph(rng, qt, zp[0], zp[1], 3, dilated)
			in := ir.NewTensor(3, 5, 7, 9)
			for i := range in.Data {
				in.Data[i] = float32(rng.NormFloat64())
			}
			ref := referenceOutputs(t, g, []*ir.Tensor{in})[0].Data
			for _, isa := range kernels.Available() {
				set, err := kernels.ForISA(isa)
				if err != nil {
					t.Fatal(err)
				}
				// The float plan (no int8-storage), then bytes everywhere
				// with float islands, then bytes where kernels take them.
				var outs [3][]float32
				for i, islands := range []bool{false, true, false} {
					opts := passes.Options{Level: 2, Verify: true, Int8Islands: islands}
					if i == 0 {
						opts.Disable = []string{"int8-storage"}
					}
					p, _, err := passes.Compile(g, opts, set)
					if err != nil {
						t.Fatal(err)
					}
					kinds := map[plan.Kind]int{}
					for _, s := range p.Steps {
						kinds[s.Kind]++
						if s.Kind == plan.KindConv && s.Out.DType == plan.U8 && dilated || s.Kind == plan.KindQConv && !dilated {
							kinds[plan.KindInvalid]++ // the stem writing bytes
						}
					}
					if i == 1 && kinds[plan.KindQGemm] != 3 {
						t.Fatalf("%v: steps by kind %v: want 3 int8 GEMMs", isa, kinds)
					}
					// The FC's small output is converted for the float DequantizeLinear.
					if i == 2 && (kinds[plan.KindQGemm] != 3 || kinds[plan.KindQDWConv] != 1 || kinds[plan.KindInvalid] != 1 ||
						kinds[plan.KindDequant] != 1+b2i(dilated) || kinds[plan.KindQuant] != 0) {
						t.Fatalf("%v: steps by kind %v: want 3 int8 GEMMs, an int8 depthwise conv, the stem writing bytes and conversions of the FC's output (and the small input of a dilated stem)", isa, kinds)
					}
					if islands {
						// Byte operands survive the plan file.
						var buf bytes.Buffer
						if err := plan.Encode(&buf, p); err != nil {
							t.Fatal(err)
						}
						if p, err = plan.Decode(&buf); err != nil {
							t.Fatal(err)
						}
					}
					outs[i] = execute(t, p, 2, []*ir.Tensor{in})[0].Data
				}
				what := fmt.Sprintf("%v %v zx %d zy %d", isa, qt, zp[0], zp[1])
				for i := range outs[0] {
					if outs[1][i] != outs[0][i] || outs[2][i] != outs[0][i] {
						t.Fatalf("%s: output %d: bytes with islands %g, bytes %g, float plan %g", what, i, outs[1][i], outs[2][i], outs[0][i])
					}
					if d := outs[1][i] - ref[i]; d > 0.2001 || d < -0.2001 {
						t.Errorf("%s: output %d: plan %g, reference %g (more than one step of 0.2)", what, i, outs[1][i], ref[i])
					}
				}
			}
		}
	}
}

// TestInt8BytesNoAllocs: a plan on bytes runs without allocating.
func TestInt8BytesNoAllocs(t *testing.T) {
	g := int8Graph(rand.New(rand.NewSource(1)), ir.QUint8, 0, 255, 2, false)
	set, err := kernels.ForISA(kernels.Best())
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := passes.Compile(g, passes.Options{Level: 2, Int8Islands: true}, set)
	if err != nil {
		t.Fatal(err)
	}
	for _, threads := range []int{1, 2} {
		e, err := runtime.New(p, runtime.Options{Threads: threads})
		if err != nil {
			t.Fatal(err)
		}
		in, outs := []*ir.Tensor{ir.NewTensor(2, 5, 7, 9)}, e.NewOutputs()
		if a := testing.AllocsPerRun(5, func() {
			if err := e.Run(in, outs); err != nil {
				t.Fatal(err)
			}
		}); a != 0 {
			t.Errorf("%d threads: %v allocations per run", threads, a)
		}
		e.Close()
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestInt8LUT: a float chain a quantizer left between two int8 convs
// (DequantizeLinear → HardSwish → QuantizeLinear; ReLU6 as Clip) runs as
// one byte table (plan.KindQLUT) computed from the reference executor's
// definitions, so the plan equals the reference exactly, on every ISA,
// for uint8 and int8 activations and zero points at the range ends.
func TestInt8LUT(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for _, qt := range []ir.QType{ir.QUint8, ir.QInt8} {
		lo, hi := qt.Range()
		for _, act := range []ir.Op{ir.OpHardSwish, ir.OpClip} {
			for _, z := range []int32{lo, hi, lo + 77} {
				g := ir.New("lut")
				x := g.AddInput("x", 2, 6, 5, 3)
				sc := func(name string, v float32) *ir.Value {
					return g.AddConst(name, &ir.Tensor{Shape: ir.Shape{}, Data: []float32{v}})
				}
				ints := func(name string, shape ...int) *ir.Value {
					t := ir.NewTensor(shape...)
					for i := range t.Data {
						t.Data[i] = float32(rng.Intn(255) - 127)
					}
					return g.AddConst(name, t)
				}
				zp := sc("zp", float32(z))
				q := ir.Attrs{QType: qt}
				c1 := ir.ConvAttrs(1, 0, 1)
				c1.QType = qt
				qx := g.AddNode(ir.OpQuantizeLinear, "qx", q, x, sc("xs", 0.03), zp)
				y1 := g.AddNode(ir.OpQLinearConv, "c1", c1, qx, sc("c1.xs", 0.03), zp, ints("c1.w", 7, 6, 1, 1), sc("c1.ws", 0.01), sc("c1.wz", 0),
					sc("c1.ys", 0.02), zp, ints("c1.b", 7))
				d := g.AddNode(ir.OpDequantizeLinear, "d", ir.Attrs{}, y1, sc("d.s", 0.02), zp)
				var a *ir.Value
				if act == ir.OpClip {
					a = g.AddNode(ir.OpClip, "act", ir.Relu6Attrs(), d)
				} else {
					a = g.AddNode(act, "act", ir.Attrs{}, d)
				}
				q2 := g.AddNode(ir.OpQuantizeLinear, "q2", q, a, sc("q2.s", 0.015), zp)
				y2 := g.AddNode(ir.OpQLinearConv, "c2", c1, q2, sc("c2.xs", 0.015), zp, ints("c2.w", 4, 7, 1, 1), sc("c2.ws", 0.01), sc("c2.wz", 0),
					sc("c2.ys", 0.05), zp, ints("c2.b", 4))
				g.SetOutputs(g.AddNode(ir.OpDequantizeLinear, "out", ir.Attrs{}, y2, sc("o.s", 0.05), zp))
				in := ir.NewTensor(2, 6, 5, 3)
				for i := range in.Data {
					in.Data[i] = float32(rng.NormFloat64())
				}
				ref := referenceOutputs(t, g, []*ir.Tensor{in})[0].Data
				for _, isa := range kernels.Available() {
					set, err := kernels.ForISA(isa)
					if err != nil {
						t.Fatal(err)
					}
					p, _, err := passes.Compile(g, passes.Options{Level: 2, Verify: true}, set)
					if err != nil {
						t.Fatal(err)
					}
					luts := 0
					for _, s := range p.Steps {
						if s.Kind == plan.KindQLUT {
							luts++
						}
					}
					if luts != 1 {
						t.Fatalf("%v %v %v: %d table steps, want 1", isa, qt, act, luts)
					}
					out := execute(t, p, 1, []*ir.Tensor{in})[0].Data
					for i := range ref {
						if out[i] != ref[i] {
							t.Fatalf("%v %v %v zp %d: output %d = %g, reference %g", isa, qt, act, z, i, out[i], ref[i])
						}
					}
				}
			}
		}
	}
}

// TestInt8SEScale: a squeeze-and-excitation scale between int8 layers
// (DequantizeLinear of the conv's bytes times a per-channel float vector,
// then QuantizeLinear) runs on bytes (plan.KindQScale) and equals the
// float plan exactly, on every ISA, for uint8 and int8, zero points at the
// range ends, 5 channels and batch 3.
func TestInt8SEScale(t *testing.T) {
	rng := rand.New(rand.NewSource(9))
	for _, qt := range []ir.QType{ir.QUint8, ir.QInt8} {
		lo, hi := qt.Range()
		for _, z := range []int32{lo, hi, lo + 200} {
			g := ir.New("se")
			x := g.AddInput("x", 3, 5, 4, 7)
			sc := func(name string, v float32) *ir.Value {
				return g.AddConst(name, &ir.Tensor{Shape: ir.Shape{}, Data: []float32{v}})
			}
			ints := func(name string, shape ...int) *ir.Value {
				t := ir.NewTensor(shape...)
				for i := range t.Data {
					t.Data[i] = float32(rng.Intn(255) - 127)
				}
				return g.AddConst(name, t)
			}
			zp := sc("zp", float32(z))
			q := ir.Attrs{QType: qt}
			c1 := ir.ConvAttrs(1, 0, 1)
			c1.QType = qt
			qx := g.AddNode(ir.OpQuantizeLinear, "qx", q, x, sc("xs", 0.03), zp)
			y1 := g.AddNode(ir.OpQLinearConv, "c1", c1, qx, sc("c1.xs", 0.03), zp, ints("c1.w", 5, 5, 1, 1), sc("c1.ws", 0.01), sc("c1.wz", 0),
				sc("c1.ys", 0.02), zp, ints("c1.b", 5))
			pool := g.AddNode(ir.OpQLinearGlobalAveragePool, "gap", q, y1, sc("g.xs", 0.02), zp, sc("g.ys", 0.01), zp)
			sv := g.AddNode(ir.OpSigmoid, "sig", ir.Attrs{}, g.AddNode(ir.OpDequantizeLinear, "gd", ir.Attrs{}, pool, sc("gd.s", 0.01), zp))
			a := g.AddNode(ir.OpDequantizeLinear, "d", ir.Attrs{}, y1, sc("d.s", 0.02), zp)
			m := g.AddNode(ir.OpMul, "se", ir.Attrs{}, a, sv)
			q2 := g.AddNode(ir.OpQuantizeLinear, "q2", q, m, sc("q2.s", 0.015), zp)
			y2 := g.AddNode(ir.OpQLinearConv, "c2", c1, q2, sc("c2.xs", 0.015), zp, ints("c2.w", 6, 5, 1, 1), sc("c2.ws", 0.01), sc("c2.wz", 0),
				sc("c2.ys", 0.05), zp, ints("c2.b", 6))
			g.SetOutputs(g.AddNode(ir.OpDequantizeLinear, "out", ir.Attrs{}, y2, sc("o.s", 0.05), zp))
			in := ir.NewTensor(3, 5, 4, 7)
			for i := range in.Data {
				in.Data[i] = float32(rng.NormFloat64())
			}
			ref := referenceOutputs(t, g, []*ir.Tensor{in})[0].Data
			for _, isa := range kernels.Available() {
				set, err := kernels.ForISA(isa)
				if err != nil {
					t.Fatal(err)
				}
				var outs [2][]float32
				for i := range outs {
					opts := passes.Options{Level: 2, Verify: true}
					if i == 0 {
						opts.Disable = []string{"int8-storage"}
					}
					p, _, err := passes.Compile(g, opts, set)
					if err != nil {
						t.Fatal(err)
					}
					n := 0
					for _, s := range p.Steps {
						if s.Kind == plan.KindQScale {
							n++
						}
					}
					if n != i {
						t.Fatalf("%v: %d byte channel-scale steps, want %d", isa, n, i)
					}
					outs[i] = execute(t, p, 2, []*ir.Tensor{in})[0].Data
				}
				for i := range ref {
					if outs[1][i] != outs[0][i] {
						t.Fatalf("%v %v zp %d: output %d: bytes %g, float plan %g", isa, qt, z, i, outs[1][i], outs[0][i])
					}
					if d := outs[1][i] - ref[i]; d > 0.0501 || d < -0.0501 {
						t.Errorf("%v %v zp %d: output %d: plan %g, reference %g (more than one step)", isa, qt, z, i, outs[1][i], ref[i])
					}
				}
			}
		}
	}
}
