package passes

import (
	"math/rand"
	"testing"

	"github.com/mnc-go/mnc/ir"
	"github.com/mnc-go/mnc/kernels"
	"github.com/mnc-go/mnc/reference"
)

// builder makes small test graphs with seeded random constants.
type builder struct {
	g   *ir.Graph
	rnd *rand.Rand
}

func newBuilder(shape ...int) (*builder, *ir.Value) {
	b := &builder{g: ir.New("test"), rnd: rand.New(rand.NewSource(7))}
	return b, b.g.AddInput("x", shape...)
}

func (b *builder) rand(lo, hi float64, shape ...int) *ir.Value {
	t := ir.NewTensor(shape...)
	for i := range t.Data {
		t.Data[i] = float32(lo + (hi-lo)*b.rnd.Float64())
	}
	return b.g.AddConst("k", t)
}

func (b *builder) add(op ir.Op, a ir.Attrs, in ...*ir.Value) *ir.Value {
	v := b.g.AddNode(op, op.String(), a, in...)
	s, err := ir.InferNode(v.Producer)
	if err != nil {
		panic(err)
	}
	v.Shape = s
	return v
}

func (b *builder) conv(x *ir.Value, out, k, stride, group int, bias bool) *ir.Value {
	in := []*ir.Value{x, b.rand(-0.5, 0.5, out, x.Shape[1]/group, k, k)}
	if bias {
		in = append(in, b.rand(-0.5, 0.5, out))
	}
	return b.add(ir.OpConv, ir.ConvAttrs(stride, k/2, group), in...)
}

func (b *builder) bn(x *ir.Value, eps float32) *ir.Value {
	c := x.Shape[1]
	return b.add(ir.OpBatchNorm, ir.Attrs{Epsilon: eps}, x, b.rand(0.5, 1.5, c), b.rand(-0.5, 0.5, c), b.rand(-0.5, 0.5, c), b.rand(0.2, 2, c))
}

func (b *builder) finish(outs ...*ir.Value) *ir.Graph {
	b.g.SetOutputs(outs...)
	if err := b.g.Verify(); err != nil {
		panic(err)
	}
	return b.g
}

// runPasses runs the named pipeline entries on a clone of g, verifying the
// graph after each, and returns the state.
func runPasses(t *testing.T, g *ir.Graph, names ...string) *State {
	t.Helper()
	set, err := kernels.ForISA(kernels.Generic)
	if err != nil {
		t.Fatal(err)
	}
	st := newState(g, Options{}, set)
	for _, name := range names {
		p, err := lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Fn(st); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := st.G.Verify(); err != nil {
			t.Fatalf("after %s: %v", name, err)
		}
	}
	return st
}

// sameFunction checks that h computes what g does, on a deterministic input,
// within 1e-5 relative to the output's magnitude.
func sameFunction(t *testing.T, g, h *ir.Graph) {
	t.Helper()
	in := map[string]*ir.Tensor{}
	for _, v := range g.Inputs {
		in[v.Name] = reference.FixedInput(v.Shape...)
	}
	want, err := reference.Run(g, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := reference.Run(h, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range g.Outputs {
		d, ref, err := reference.MaxAbsDiff(got[v.Name], want[v.Name])
		if err != nil {
			t.Fatalf("output %s: %v", v.Name, err)
		}
		if !(d <= 1e-5*max(ref, 1e-3)) {
			t.Errorf("output %s: max|diff| %.3g (max|ref| %.3g)", v.Name, d, ref)
		}
	}
}

func countOps(g *ir.Graph, op ir.Op) int {
	n := 0
	for _, nd := range g.Nodes {
		if nd.Op == op {
			n++
		}
	}
	return n
}
