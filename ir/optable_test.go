package ir

import (
	"strings"
	"testing"
)

// Every activation in the op table maps to an epilogue and back.
func TestOpTableActivations(t *testing.T) {
	acts := 0
	for _, op := range Ops() {
		act := op.Info().Act
		if act == ActNone {
			continue
		}
		acts++
		if ActOp(act) != op {
			t.Errorf("ActOp(%s) = %s, want %s", act, ActOp(act), op)
		}
		if op.Info().MinInputs > 1 {
			continue // PRelu: TestPReluEpilogue
		}
		n := &Node{Op: op, Attrs: Attrs{Min: -1, Max: 2, Alpha: 0.25, Beta: 0.5}}
		ep, ok := ActEpilogue(n)
		if !ok || ep.Act != act {
			t.Errorf("ActEpilogue(%s) = %+v, %v", op, ep, ok)
		}
		back := ActAttrs(ep)
		if again := ActParams(act, &back); again != ep {
			t.Errorf("%s: ActParams(ActAttrs(%+v)) = %+v", op, ep, again)
		}
	}
	if acts < 6 {
		t.Errorf("%d activations in the op table, want at least 6", acts)
	}
	if _, ok := ActEpilogue(&Node{Op: OpConv}); ok {
		t.Error("Conv is an activation")
	}
}

func TestRegisterOpRefusesDuplicates(t *testing.T) {
	for _, c := range []struct {
		op   Op
		info OpInfo
	}{
		{OpConv, OpInfo{Name: "Conv2", Infer: inferUnary}},              // number taken
		{Op(255), OpInfo{Name: "Relu", Infer: inferUnary}},              // name taken
		{Op(255), OpInfo{Name: "Nothing"}},                              // no Infer
		{Op(255), OpInfo{Name: "Act", Infer: inferUnary, Act: ActRelu}}, // activation taken
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("RegisterOp(%d, %q) did not panic", c.op, c.info.Name)
				}
			}()
			RegisterOp(c.op, c.info)
		}()
		if c.op == Op(255) && Op(255).Info() != nil {
			t.Fatalf("a refused registration left an entry")
		}
	}
}

// Op numbers are plan-file op codes: a registered name keeps its number.
func TestOpNumbersPinned(t *testing.T) {
	for name, num := range map[string]Op{
		"Conv": 1, "BatchNormalization": 2, "Relu": 3, "Clip": 4, "HardSwish": 5, "HardSigmoid": 6,
		"Sigmoid": 7, "Swish": 8, "Add": 9, "Sub": 10, "Mul": 11, "Div": 12, "GlobalAveragePool": 13,
		"AveragePool": 14, "MaxPool": 15, "Gemm": 16, "MatMul": 17, "Flatten": 18, "Reshape": 19,
		"Transpose": 20, "Softmax": 21, "Concat": 22, "Pad": 23, "ReduceMean": 24, "Identity": 25, "Dropout": 26,
	} {
		if op, ok := OpByName(name); !ok || op != num {
			t.Errorf("OpByName(%q) = %d, %v; plan files have it as %d", name, op, ok, num)
		}
	}
}

// A PRelu fuses when its slope is a constant along the channel axis only.
func TestPReluEpilogue(t *testing.T) {
	for _, c := range []struct {
		x, slope Shape
		ok       bool
	}{
		{Shape{1, 4, 3, 3}, Shape{4, 1, 1}, true},
		{Shape{1, 4, 3, 3}, Shape{1, 4, 1, 1}, true},
		{Shape{1, 4, 3, 3}, Shape{1}, true},  // one slope for all
		{Shape{2, 4}, Shape{4}, true},        // Gemm output
		{Shape{1, 4, 3, 3}, Shape{3}, false}, // along W
		{Shape{1, 4, 3, 3}, Shape{4, 3, 1}, false},
	} {
		g := New("g")
		x := g.AddInput("x", c.x...)
		s := NewTensor(c.slope...)
		for i := range s.Data {
			s.Data[i] = float32(i) - 1.5
		}
		y := g.AddNode(OpPRelu, "p", Attrs{}, x, g.AddConst("s", s))
		out, err := InferNode(y.Producer)
		if err != nil {
			t.Fatalf("%v slope %v: %v", c.x, c.slope, err)
		}
		y.Shape = out
		ep, ok := ActEpilogue(y.Producer)
		if ok != c.ok {
			t.Errorf("%v slope %v: fusable %v, want %v", c.x, c.slope, ok, c.ok)
			continue
		}
		if ok && (ep.Act != ActPRelu || len(ep.Slope.Data) != c.x[1]) {
			t.Errorf("%v slope %v: epilogue %+v", c.x, c.slope, ep)
		}
	}
	if y := ApplyAct(ActPRelu, -2, 0, 0, 0.5, 0); y != -1 {
		t.Errorf("PRelu(-2, slope 0.5) = %g", y)
	}
}

// Dumps show LeakyRelu's slope and a fused PRelu's slope count.
func TestDumpActivations(t *testing.T) {
	g := New("g")
	x := g.AddInput("x", 1, 2, 3, 3)
	l := g.AddNode(OpLeakyRelu, "leaky", Attrs{Alpha: 0.25}, x)
	a := ConvAttrs(1, 0, 1)
	a.Fused = Epilogue{Act: ActPRelu, Slope: FromData([]float32{1, 2}, 2)}
	w := NewTensor(2, 2, 1, 1)
	g.SetOutputs(g.AddNode(OpConv, "conv", a, l, g.AddConst("w", w)))
	if err := g.InferShapes(); err != nil {
		t.Fatal(err)
	}
	s := g.String()
	for _, want := range []string{"alpha=0.25", "fused=+prelu(2 slopes)"} {
		if !strings.Contains(s, want) {
			t.Errorf("dump lacks %q:\n%s", want, s)
		}
	}
}
