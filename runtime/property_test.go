package runtime_test

import (
	"fmt"
	"testing"

	"github.com/mnc-go/mnc/ir"
)

// randomActivation appends a random elementwise activation.
func (gg *graphGen) randomActivation(x *ir.Value) *ir.Value {
	switch gg.rnd.Intn(6) {
	case 0:
		return gg.node(ir.OpRelu, "relu", ir.Attrs{}, x)
	case 1:
		return gg.node(ir.OpClip, "relu6", ir.Relu6Attrs(), x)
	case 2:
		return gg.node(ir.OpHardSwish, "hswish", ir.Attrs{}, x)
	case 3:
		return gg.node(ir.OpHardSigmoid, "hsigmoid", ir.HardSigmoidAttrs(), x)
	case 4:
		return gg.node(ir.OpSigmoid, "sigmoid", ir.Attrs{}, x)
	}
	return gg.node(ir.OpSwish, "swish", ir.Attrs{}, x)
}

// maybe applies f with probability 1/2.
func (gg *graphGen) maybe(x *ir.Value, f func(*ir.Value) *ir.Value) *ir.Value {
	if gg.rnd.Intn(2) == 0 {
		return f(x)
	}
	return x
}

func (gg *graphGen) convBlock(x *ir.Value, out, k, stride, group int) *ir.Value {
	y := gg.conv(x, out, k, stride, group, gg.rnd.Intn(2) == 0)
	y = gg.maybe(y, gg.bn)
	return gg.maybe(y, gg.randomActivation)
}

// randomGraph builds a seeded random chain of MobileNet-like pieces: dense,
// depthwise and pointwise convs with or without bias/BN/activation,
// inverted-residual blocks with Adds, SE blocks, pools, a stray BN and
// activation, and a classifier head or a 4-D output (sometimes an extra
// intermediate output, which must block fusions).
func randomGraph(seed int64) *ir.Graph {
	gg, x := newGen(fmt.Sprintf("random%d", seed), seed, 2+int(seed%5), 6+int(seed%7), 5+int(seed%6))
	var extra *ir.Value
	blocks := 3 + gg.rnd.Intn(5)
	for i := 0; i < blocks; i++ {
		c, h := x.Shape[1], x.Shape[2]
		stride := 1
		if h >= 6 && gg.rnd.Intn(3) == 0 {
			stride = 2
		}
		switch gg.rnd.Intn(8) {
		case 0: // dense conv (the stem)
			x = gg.convBlock(x, 2+gg.rnd.Intn(9), 1+2*gg.rnd.Intn(2), stride, 1)
		case 1: // depthwise
			x = gg.convBlock(x, c, 3+2*gg.rnd.Intn(2), stride, c)
		case 2: // pointwise
			x = gg.convBlock(x, 2+gg.rnd.Intn(12), 1, 1, 1)
		case 3: // inverted residual
			e := gg.convBlock(x, c*(2+gg.rnd.Intn(3)), 1, 1, 1)
			e = gg.convBlock(e, e.Shape[1], 3, 1, e.Shape[1])
			p := gg.bn(gg.conv(e, c, 1, 1, 1, false))
			in := []*ir.Value{x, p}
			if gg.rnd.Intn(2) == 0 {
				in[0], in[1] = p, x
			}
			x = gg.node(ir.OpAdd, "add", ir.Attrs{}, in...)
			x = gg.maybe(x, gg.randomActivation)
		case 4: // squeeze-and-excitation
			s := gg.node(ir.OpGlobalAveragePool, "se_pool", ir.Attrs{}, x)
			s = gg.node(ir.OpRelu, "se_relu", ir.Attrs{}, gg.conv(s, max(1, c/2), 1, 1, 1, true))
			s = gg.node(ir.OpHardSigmoid, "se_gate", ir.HardSigmoidAttrs(), gg.conv(s, c, 1, 1, 1, true))
			x = gg.node(ir.OpMul, "se_mul", ir.Attrs{}, x, s)
		case 5: // pool
			if h < 3 || x.Shape[3] < 3 {
				continue
			}
			op := ir.OpMaxPool
			if gg.rnd.Intn(2) == 0 {
				op = ir.OpAveragePool
			}
			a := ir.Attrs{Kernel: [2]int{3, 3}, Strides: [2]int{stride, stride}, Pads: [4]int{1, 1, 1, 1}, CountIncludePad: gg.rnd.Intn(2) == 0}
			x = gg.node(op, "pool", a, x)
		case 6: // a BatchNorm that follows no conv, then an activation
			x = gg.randomActivation(gg.bn(x))
		case 7: // an intermediate value that is also a graph output
			x = gg.conv(x, c, 1, 1, 1, true)
			if extra == nil {
				extra = x
			}
			x = gg.randomActivation(x)
		}
	}
	outs := []*ir.Value{x}
	if gg.rnd.Intn(2) == 0 {
		p := gg.node(ir.OpGlobalAveragePool, "gap", ir.Attrs{}, x)
		f := gg.node(ir.OpFlatten, "flatten", ir.Attrs{Axis: 1}, p)
		fc := gg.node(ir.OpGemm, "fc", ir.GemmAttrs(), f, gg.tensor(0.5, 5, f.Shape[1]), gg.tensor(0.5, 5))
		outs[0] = gg.maybe(fc, func(v *ir.Value) *ir.Value { return gg.node(ir.OpRelu, "fc_relu", ir.Attrs{}, v) })
	}
	if extra != nil {
		outs = append(outs, extra)
	}
	return gg.finish(outs...)
}

// TestRandomGraphs is the property test: seeded random graphs, compiled
// every way, match the reference.
func TestRandomGraphs(t *testing.T) {
	n := 40
	if testing.Short() {
		n = 15
	}
	for seed := int64(1); seed <= int64(n); seed++ {
		g := randomGraph(seed)
		t.Run(g.Name, func(t *testing.T) {
			checkGraph(t, g, configs())
			if t.Failed() {
				t.Logf("graph:\n%s", g)
			}
		})
	}
}
