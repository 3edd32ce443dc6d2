package runtime_test

import (
	"testing"

	"github.com/mnc-go/mnc/ir"
)

// TestGenericOps: ops without fast kernels (and conv shapes the kernels do
// not cover), on NHWC activations, match the reference at -O0 and -O2.
func TestGenericOps(t *testing.T) {
	type build func(gg *graphGen, x *ir.Value) *ir.Value
	cases := map[string]build{
		"softmax-axis1": func(gg *graphGen, x *ir.Value) *ir.Value {
			return gg.node(ir.OpSoftmax, "sm", ir.Attrs{Axis: 1}, x)
		},
		"softmax-last": func(gg *graphGen, x *ir.Value) *ir.Value {
			return gg.node(ir.OpSoftmax, "sm", ir.Attrs{Axis: -1}, x)
		},
		"transpose": func(gg *graphGen, x *ir.Value) *ir.Value {
			return gg.node(ir.OpTranspose, "tr", ir.Attrs{Perm: []int{0, 3, 1, 2}}, x)
		},
		"concat": func(gg *graphGen, x *ir.Value) *ir.Value {
			y := gg.conv(x, 3, 1, 1, 1, true)
			return gg.node(ir.OpConcat, "cat", ir.Attrs{Axis: 1}, x, y, x)
		},
		"pad-constant": func(gg *graphGen, x *ir.Value) *ir.Value {
			return gg.node(ir.OpPad, "pad", ir.Attrs{PadAmounts: []int{0, 1, 2, 0, 0, 0, 1, 3}, PadValue: 0.5}, x)
		},
		"pad-reflect": func(gg *graphGen, x *ir.Value) *ir.Value {
			return gg.node(ir.OpPad, "pad", ir.Attrs{PadAmounts: []int{0, 0, 2, 1, 0, 0, 1, 2}, PadMode: "reflect"}, x)
		},
		"pad-edge": func(gg *graphGen, x *ir.Value) *ir.Value {
			return gg.node(ir.OpPad, "pad", ir.Attrs{PadAmounts: []int{0, 0, 2, 1, 0, 0, 1, 2}, PadMode: "edge"}, x)
		},
		"maxpool-ceil-dilated": func(gg *graphGen, x *ir.Value) *ir.Value {
			return gg.node(ir.OpMaxPool, "mp", ir.Attrs{Kernel: [2]int{2, 3}, Strides: [2]int{2, 2}, Pads: [4]int{0, 1, 1, 0}, Dilations: [2]int{2, 1}, CeilMode: true}, x)
		},
		"avgpool-ceil": func(gg *graphGen, x *ir.Value) *ir.Value {
			return gg.node(ir.OpAveragePool, "ap", ir.Attrs{Kernel: [2]int{3, 3}, Strides: [2]int{2, 2}, Pads: [4]int{1, 1, 1, 1}, CeilMode: true}, x)
		},
		"reducemean-keep": func(gg *graphGen, x *ir.Value) *ir.Value {
			return gg.node(ir.OpReduceMean, "rm", ir.Attrs{Axes: []int{2, 3}, KeepDims: true}, x)
		},
		"reducemean-drop": func(gg *graphGen, x *ir.Value) *ir.Value {
			return gg.node(ir.OpReduceMean, "rm", ir.Attrs{Axes: []int{1, -1}}, x)
		},
		"sub-div-broadcast": func(gg *graphGen, x *ir.Value) *ir.Value {
			y := gg.node(ir.OpSub, "sub", ir.Attrs{}, x, gg.tensor(1, 1, 1, x.Shape[3]))
			return gg.node(ir.OpDiv, "div", ir.Attrs{}, y, gg.positive(x.Shape[1], 1, 1))
		},
		"add-broadcast-rows": func(gg *graphGen, x *ir.Value) *ir.Value {
			return gg.node(ir.OpAdd, "add", ir.Attrs{}, x, gg.node(ir.OpReduceMean, "rm", ir.Attrs{Axes: []int{2}, KeepDims: true}, x))
		},
		"flatten-spatial": func(gg *graphGen, x *ir.Value) *ir.Value {
			f := gg.node(ir.OpFlatten, "flat", ir.Attrs{Axis: 1}, x)
			return gg.node(ir.OpGemm, "fc", ir.GemmAttrs(), f, gg.tensor(0.3, 4, f.Shape[1]), gg.tensor(0.3, 4))
		},
		"reshape-4d": func(gg *graphGen, x *ir.Value) *ir.Value {
			s := x.Shape
			return gg.node(ir.OpReshape, "rs", ir.Attrs{Shape: []int{0, s[1] * s[2], s[3], 1}}, x)
		},
		"matmul-batched": func(gg *graphGen, x *ir.Value) *ir.Value {
			return gg.node(ir.OpMatMul, "mm", ir.Attrs{}, x, gg.tensor(0.5, x.Shape[3], 3))
		},
		"matmul-vector": func(gg *graphGen, x *ir.Value) *ir.Value {
			return gg.node(ir.OpMatMul, "mm", ir.Attrs{}, x, gg.tensor(0.5, x.Shape[3]))
		},
		"gemm-transA-alpha-beta": func(gg *graphGen, x *ir.Value) *ir.Value {
			f := gg.node(ir.OpFlatten, "flat", ir.Attrs{Axis: 1}, gg.node(ir.OpGlobalAveragePool, "gap", ir.Attrs{}, x))
			tr := gg.node(ir.OpTranspose, "tr", ir.Attrs{Perm: []int{1, 0}}, f)
			a := ir.Attrs{Alpha: 0.5, Beta: 2, TransA: true}
			return gg.node(ir.OpGemm, "fc", a, tr, gg.tensor(0.5, f.Shape[1], 4), gg.tensor(0.5, 4))
		},
		"gemm-fast-alpha-beta": func(gg *graphGen, x *ir.Value) *ir.Value {
			f := gg.node(ir.OpFlatten, "flat", ir.Attrs{Axis: 1}, gg.node(ir.OpGlobalAveragePool, "gap", ir.Attrs{}, x))
			a := ir.Attrs{Alpha: 0.5, Beta: 2}
			return gg.node(ir.OpGemm, "fc", a, f, gg.tensor(0.5, f.Shape[1], 4), gg.tensor(0.5, 1, 4))
		},
		"grouped-conv": func(gg *graphGen, x *ir.Value) *ir.Value {
			y := gg.conv(x, 4, 1, 1, 1, false)
			return gg.node(ir.OpRelu, "relu", ir.Attrs{}, gg.conv(y, 6, 3, 1, 2, true))
		},
		"dw-multiplier": func(gg *graphGen, x *ir.Value) *ir.Value {
			return gg.conv(x, 2*x.Shape[1], 3, 2, x.Shape[1], true)
		},
		"dilated-convs": func(gg *graphGen, x *ir.Value) *ir.Value {
			c := x.Shape[1]
			a := ir.ConvAttrs(1, 2, c)
			a.Dilations = [2]int{2, 2}
			dw := gg.node(ir.OpConv, "dwd", a, x, gg.tensor(0.5, c, 1, 3, 3))
			a.Group = 1
			return gg.node(ir.OpConv, "convd", a, dw, gg.tensor(0.3, 4, c, 3, 3), gg.tensor(0.3, 4))
		},
		"pointwise-stride2": func(gg *graphGen, x *ir.Value) *ir.Value {
			return gg.node(ir.OpHardSwish, "hs", ir.Attrs{}, gg.conv(x, 5, 1, 2, 1, true))
		},
		"bn-on-input-and-2d": func(gg *graphGen, x *ir.Value) *ir.Value {
			f := gg.node(ir.OpFlatten, "flat", ir.Attrs{Axis: 1}, gg.node(ir.OpGlobalAveragePool, "gap", ir.Attrs{}, gg.bn(x)))
			return gg.bn(f)
		},
		"bn-computed-params": func(gg *graphGen, x *ir.Value) *ir.Value {
			c := x.Shape[1]
			v := gg.node(ir.OpAdd, "var", ir.Attrs{}, gg.positive(c), gg.node(ir.OpReduceMean, "m", ir.Attrs{Axes: []int{0, 2, 3}}, gg.node(ir.OpMul, "sq", ir.Attrs{}, x, x)))
			return gg.node(ir.OpBatchNorm, "bn", ir.Attrs{Epsilon: 1e-3}, x, gg.positive(c), gg.tensor(0.3, c), gg.tensor(0.3, c), v)
		},
		"identity-output": func(gg *graphGen, x *ir.Value) *ir.Value {
			return gg.node(ir.OpIdentity, "id", ir.Attrs{}, gg.node(ir.OpSigmoid, "sig", ir.Attrs{}, x))
		},
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			gg, x := newGen(name, 11, 3, 7, 6)
			g := gg.finish(f(gg, x))
			checkGraph(t, g, configs())
		})
	}
}
