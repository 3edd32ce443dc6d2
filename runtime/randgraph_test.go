package runtime_test

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/mnc-go/mnc/ir"
)

// graphGen builds small graphs with random weights from a seeded source.
type graphGen struct {
	g   *ir.Graph
	rnd *rand.Rand
}

func newGen(name string, seed int64, c, h, w int) (*graphGen, *ir.Value) {
	gg := &graphGen{g: ir.New(name), rnd: rand.New(rand.NewSource(seed))}
	return gg, gg.g.AddInput("x", 1, c, h, w)
}

func (gg *graphGen) tensor(scale float64, shape ...int) *ir.Value {
	t := ir.NewTensor(shape...)
	for i := range t.Data {
		t.Data[i] = float32((gg.rnd.Float64()*2 - 1) * scale)
	}
	return gg.g.AddConst("c", t)
}

func (gg *graphGen) positive(shape ...int) *ir.Value {
	t := ir.NewTensor(shape...)
	for i := range t.Data {
		t.Data[i] = float32(0.5 + gg.rnd.Float64())
	}
	return gg.g.AddConst("c", t)
}

// conv adds a k×k conv with out channels, stride, group and (maybe) bias;
// weights are scaled so activations stay O(1).
func (gg *graphGen) conv(x *ir.Value, out, k, stride, group int, bias bool) *ir.Value {
	cin := x.Shape[1]
	fan := float64(cin / group * k * k)
	w := gg.tensor(1.7/sqrt(fan), out, cin/group, k, k)
	in := []*ir.Value{x, w}
	if bias {
		in = append(in, gg.tensor(0.2, out))
	}
	return gg.node(ir.OpConv, "conv", ir.ConvAttrs(stride, k/2, group), in...)
}

func (gg *graphGen) bn(x *ir.Value) *ir.Value {
	c := x.Shape[1]
	a := ir.Attrs{Epsilon: []float32{1e-5, 1e-3, 0.1}[gg.rnd.Intn(3)]}
	return gg.node(ir.OpBatchNorm, "bn", a, x, gg.positive(c), gg.tensor(0.3, c), gg.tensor(0.3, c), gg.positive(c))
}

func (gg *graphGen) node(op ir.Op, name string, a ir.Attrs, in ...*ir.Value) *ir.Value {
	v := gg.g.AddNode(op, name, a, in...)
	s, err := ir.InferNode(v.Producer)
	if err != nil {
		panic(fmt.Sprintf("test graph: %v", err))
	}
	v.Shape = s
	return v
}

func (gg *graphGen) finish(outs ...*ir.Value) *ir.Graph {
	gg.g.SetOutputs(outs...)
	if err := gg.g.Verify(); err != nil {
		panic(err)
	}
	return gg.g
}

func sqrt(x float64) float64 {
	r := x
	for i := 0; i < 30; i++ {
		r = (r + x/r) / 2
	}
	return r
}

func TestSingleOps(t *testing.T) {
	cases := map[string]func() *ir.Graph{
		"stem": func() *ir.Graph {
			gg, x := newGen("stem", 1, 3, 9, 9)
			return gg.finish(gg.conv(x, 8, 3, 2, 1, true))
		},
		"pointwise": func() *ir.Graph {
			gg, x := newGen("pw", 2, 5, 4, 4)
			return gg.finish(gg.conv(x, 7, 1, 1, 1, false))
		},
		"depthwise": func() *ir.Graph {
			gg, x := newGen("dw", 3, 6, 7, 7)
			return gg.finish(gg.conv(x, 6, 3, 1, 6, true))
		},
		"bn-relu6": func() *ir.Graph {
			gg, x := newGen("bnrelu", 4, 4, 5, 5)
			y := gg.bn(gg.conv(x, 6, 3, 1, 1, false))
			return gg.finish(gg.node(ir.OpClip, "relu6", ir.Relu6Attrs(), y))
		},
		"input-is-also-output": func() *ir.Graph {
			gg, x := newGen("inout", 6, 4, 5, 5)
			return gg.finish(gg.node(ir.OpRelu, "relu", ir.Attrs{}, gg.conv(x, 4, 3, 1, 1, true)), x)
		},
		"add-relu-after-depthwise": func() *ir.Graph {
			gg, x := newGen("addrelu", 8, 4, 6, 6)
			y := gg.node(ir.OpAdd, "add", ir.Attrs{}, gg.conv(x, 4, 3, 1, 4, true), x)
			return gg.finish(gg.node(ir.OpClip, "relu6", ir.Relu6Attrs(), y))
		},
		"head": func() *ir.Graph {
			gg, x := newGen("head", 5, 8, 3, 3)
			p := gg.node(ir.OpGlobalAveragePool, "gap", ir.Attrs{}, x)
			f := gg.node(ir.OpFlatten, "flat", ir.Attrs{Axis: 1}, p)
			return gg.finish(gg.node(ir.OpGemm, "fc", ir.GemmAttrs(), f, gg.tensor(0.5, 10, 8), gg.tensor(0.5, 10)))
		},
		// 1024 input channels: rows of A lie 4 KiB apart, so the runtime
		// copies them to a padded buffer (gemm_pad.go). 16×16 = 256 rows
		// is more than one copy block and is split by rows (few outputs,
		// to keep the reference fast under emulation); 7×7 by columns.
		"pointwise-4KiB-stride-rows": func() *ir.Graph {
			gg, x := newGen("pw4k", 9, 1024, 16, 16)
			y := gg.node(ir.OpAdd, "add", ir.Attrs{}, gg.conv(x, 8, 1, 1, 1, true), gg.conv(x, 8, 1, 1, 1, false))
			return gg.finish(gg.node(ir.OpRelu, "relu", ir.Attrs{}, y))
		},
		"pointwise-4KiB-stride-columns": func() *ir.Graph {
			gg, x := newGen("pw4kc", 10, 1024, 7, 7)
			return gg.finish(gg.conv(x, 72, 1, 1, 1, true))
		},
	}
	for name, build := range cases {
		t.Run(name, func(t *testing.T) { checkGraph(t, build(), configs()) })
	}
}
