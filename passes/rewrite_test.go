package passes

import (
	"math/rand"
	"testing"

	"github.com/mnc-go/mnc/ir"
)

// TestGlobalPoolRewrite: SE and head pooling written as ReduceMean over H,W
// (keepdims 1 and 0, positive and negative axes) or as an AveragePool over
// the whole map run on the global-pool kernel; the SE chain is still
// recognised, and the keepdims=0 head feeds the FC GEMM through a free view.
func TestGlobalPoolRewrite(t *testing.T) {
	b, x := newBuilder(1, 3, 10, 10)
	d := b.add(ir.OpRelu, ir.Attrs{}, b.conv(x, 8, 3, 1, 8/8, true))
	s := b.add(ir.OpReduceMean, ir.Attrs{Axes: []int{-1, -2}, KeepDims: true}, d)
	s = b.add(ir.OpRelu, ir.Attrs{}, b.conv(s, 4, 1, 1, 1, true))
	s = b.add(ir.OpHardSigmoid, ir.HardSigmoidAttrs(), b.conv(s, 8, 1, 1, 1, true))
	y := b.add(ir.OpMul, ir.Attrs{}, d, s)
	avg := b.add(ir.OpAveragePool, ir.Attrs{Kernel: [2]int{10, 10}, Strides: [2]int{1, 1}, CountIncludePad: true}, y)
	head := b.add(ir.OpReduceMean, ir.Attrs{Axes: []int{2, 3}}, y) // keepdims=0: [1,8]
	fc := b.add(ir.OpGemm, ir.GemmAttrs(), head, b.rand(-1, 1, 5, 8), b.rand(-1, 1, 5))
	g := b.finish(fc, avg)
	p := compileRun(t, g)
	wantSteps(t, "pools", p, "to-nhwc", "conv", "gavgpool", "gemm", "gemm", "scale", "gavgpool", "gavgpool", "gemm")

	// Not rewritten: a reduction over C, and a window smaller than the map
	// or with padding.
	b, x = newBuilder(1, 4, 6, 6)
	c := b.conv(x, 4, 1, 1, 1, true)
	r := b.add(ir.OpReduceMean, ir.Attrs{Axes: []int{1, 2}, KeepDims: true}, c)
	a1 := b.add(ir.OpAveragePool, ir.Attrs{Kernel: [2]int{6, 5}, Strides: [2]int{1, 1}}, c)
	a2 := b.add(ir.OpAveragePool, ir.Attrs{Kernel: [2]int{6, 6}, Strides: [2]int{1, 1}, Pads: [4]int{1, 1, 1, 1}}, c)
	p = compileRun(t, b.finish(r, a1, a2))
	wantSteps(t, "non-global pools", p, "to-nhwc", "gemm", "generic:ReduceMean", "generic:AveragePool", "generic:AveragePool", "to-nchw", "to-nchw")
}

// TestMatMulToGemm: a MatMul classifier with its bias Add (either operand
// order, bias [M] or [1,M]) becomes one GEMM step that also takes the
// activation after it; a MatMul alone becomes a GEMM without bias.
func TestMatMulToGemm(t *testing.T) {
	for _, c := range []struct {
		name     string
		swap     bool
		biasRank int
	}{{"x·W+b", false, 1}, {"b+x·W", true, 1}, {"x·W+b[1,M]", false, 2}, {"no bias", false, 0}} {
		b, x := newBuilder(2, 3, 6, 6)
		f := b.add(ir.OpFlatten, ir.Attrs{Axis: 1}, b.add(ir.OpGlobalAveragePool, ir.Attrs{}, b.conv(x, 16, 3, 2, 1, true)))
		y := b.add(ir.OpMatMul, ir.Attrs{}, f, b.rand(-1, 1, 16, 7))
		switch c.biasRank {
		case 1, 2:
			bias := b.rand(-1, 1, 7)
			if c.biasRank == 2 {
				bias = b.rand(-1, 1, 1, 7)
			}
			in := []*ir.Value{y, bias}
			if c.swap {
				in = []*ir.Value{bias, y}
			}
			y = b.add(ir.OpAdd, ir.Attrs{}, in...)
		}
		g := b.finish(b.add(ir.OpRelu, ir.Attrs{}, y))
		p := compileRun(t, g)
		wantSteps(t, c.name, p, "to-nhwc", "conv", "gavgpool", "gemm")
		if last := p.Steps[len(p.Steps)-1]; last.Op != ir.OpGemm || last.Attrs.Fused.Act != ir.ActRelu {
			t.Errorf("%s: last step %s %s act=%s, want a Gemm with a fused relu", c.name, last.Kind, last.Op, last.Attrs.Fused.Act)
		}
	}
	// A MatMul whose output is also read elsewhere keeps its Add separate;
	// a MatMul by a computed matrix stays generic.
	b, x := newBuilder(2, 4)
	y := b.add(ir.OpMatMul, ir.Attrs{}, x, b.rand(-1, 1, 4, 4))
	z := b.add(ir.OpAdd, ir.Attrs{}, y, b.rand(-1, 1, 4))
	sq := b.add(ir.OpMatMul, ir.Attrs{}, b.add(ir.OpTranspose, ir.Attrs{Perm: []int{1, 0}}, z), z)
	p := compileRun(t, b.finish(z, y, sq))
	wantSteps(t, "shared MatMul", p, "gemm", "generic:Add", "generic:Transpose", "generic:MatMul")
}

// TestFoldPad: a zero Pad of H,W (symmetric and asymmetric, as Keras pads a
// stride-2 conv) folds into the dense or depthwise conv after it; a Pad
// with a non-zero value, or of the channels, stays its own step.
func TestFoldPad(t *testing.T) {
	pad := func(amounts ...int) ir.Attrs { return ir.Attrs{PadAmounts: amounts, PadMode: "constant"} }
	b, x := newBuilder(1, 3, 9, 9)
	p1 := b.add(ir.OpPad, pad(0, 0, 1, 1, 0, 0, 1, 1), x)
	c1 := b.add(ir.OpConv, ir.ConvAttrs(2, 0, 1), p1, b.rand(-0.5, 0.5, 8, 3, 3, 3), b.rand(-0.5, 0.5, 8))
	p2 := b.add(ir.OpPad, pad(0, 0, 1, 0, 0, 0, 0, 1), c1)
	c2 := b.add(ir.OpConv, ir.ConvAttrs(2, 0, 8), p2, b.rand(-0.5, 0.5, 8, 1, 3, 3), b.rand(-0.5, 0.5, 8))
	p := compileRun(t, b.finish(b.add(ir.OpRelu, ir.Attrs{}, c2)))
	wantSteps(t, "zero pads", p, "to-nhwc", "conv", "dwconv", "to-nchw")

	b, x = newBuilder(1, 3, 9, 9)
	nz := b.add(ir.OpPad, ir.Attrs{PadAmounts: []int{0, 0, 1, 1, 0, 0, 1, 1}, PadMode: "constant", PadValue: 1}, x)
	c1 = b.add(ir.OpConv, ir.ConvAttrs(1, 0, 1), nz, b.rand(-0.5, 0.5, 4, 3, 3, 3))
	pc := b.add(ir.OpPad, pad(0, 1, 0, 0, 0, 1, 0, 0), c1)
	c2 = b.add(ir.OpConv, ir.ConvAttrs(1, 0, 1), pc, b.rand(-0.5, 0.5, 4, 6, 1, 1))
	p = compileRun(t, b.finish(c2))
	wantSteps(t, "pads kept", p, "to-nhwc", "generic:Pad", "conv", "generic:Pad", "gemm", "to-nchw")
}

// TestFoldAffine: Add then Mul, Mul then Add, Sub and Div by per-channel
// constants after a conv fold into it, so the activation fuses and the
// block is one step; a spatially varying constant is not folded.
func TestFoldAffine(t *testing.T) {
	ops := [][]ir.Op{{ir.OpAdd, ir.OpMul}, {ir.OpMul, ir.OpAdd}, {ir.OpSub, ir.OpDiv}, {ir.OpMul}}
	for _, chain := range ops {
		for _, shape := range [][]int{{1, 6, 1, 1}, {6, 1, 1}} {
			b, x := newBuilder(1, 3, 7, 7)
			y := b.conv(x, 6, 3, 1, 1, len(chain) != 1)
			for i, op := range chain {
				k := b.rand(0.5, 1.5, shape...)
				in := []*ir.Value{y, k}
				if i == 1 && (op == ir.OpAdd || op == ir.OpMul) {
					in = []*ir.Value{k, y} // constant first, as some exporters write it
				}
				y = b.add(op, ir.Attrs{}, in...)
			}
			p := compileRun(t, b.finish(b.add(ir.OpClip, ir.Relu6Attrs(), y)))
			wantSteps(t, "affine "+chain[0].String(), p, "to-nhwc", "conv", "to-nchw")
			if p.Steps[1].Attrs.Fused.Act != ir.ActClip {
				t.Errorf("%v: conv epilogue %+v, want the relu6 fused", chain, p.Steps[1].Attrs.Fused)
			}
		}
	}
	// Depthwise: each channel's own filter is scaled.
	b, x := newBuilder(1, 3, 7, 7)
	dw := b.conv(b.conv(x, 6, 1, 1, 1, false), 6, 3, 1, 6, false)
	y := b.add(ir.OpAdd, ir.Attrs{}, b.add(ir.OpMul, ir.Attrs{}, dw, b.rand(-2, 2, 1, 6, 1, 1)), b.rand(-1, 1, 1, 6, 1, 1))
	p := compileRun(t, b.finish(b.add(ir.OpRelu, ir.Attrs{}, y)))
	wantSteps(t, "depthwise affine", p, "to-nhwc", "gemm", "dwconv", "to-nchw")

	b, x = newBuilder(1, 3, 4, 4)
	c := b.conv(x, 2, 1, 1, 1, true)
	g := b.finish(b.add(ir.OpAdd, ir.Attrs{}, c, b.rand(-1, 1, 1, 2, 4, 1)), b.add(ir.OpSub, ir.Attrs{}, b.rand(-1, 1, 2, 1, 1), b.conv(x, 2, 1, 1, 1, true)))
	p = compileRun(t, g)
	wantSteps(t, "not per-channel", p, "to-nhwc", "gemm", "generic:Add", "gemm", "generic:Sub", "to-nchw", "to-nchw")
}

// TestFoldPadRandom: zero Pads of random (asymmetric) amounts before convs
// of random kernel, stride, dilation, group and own padding all fold, and
// every conv kernel computes the asymmetric result the reference does.
func TestFoldPadRandom(t *testing.T) {
	rnd := rand.New(rand.NewSource(3))
	for i := 0; i < 40; i++ {
		c := 4 + rnd.Intn(5)
		h, w := 9+rnd.Intn(6), 9+rnd.Intn(6) // fits a 5×5 kernel at dilation 2
		k := []int{1, 3, 5}[rnd.Intn(3)]
		group, cout := 1, 3+rnd.Intn(6)
		if rnd.Intn(2) == 0 {
			group, cout = c, c // depthwise
		}
		a := ir.ConvAttrs(1+rnd.Intn(2), 0, group)
		a.Dilations = [2]int{1 + rnd.Intn(2)*min(k-1, 1), 1}
		for j := range a.Pads {
			a.Pads[j] = rnd.Intn(2)
		}
		amounts := []int{0, 0, rnd.Intn(3), rnd.Intn(3), 0, 0, rnd.Intn(3), rnd.Intn(3)}
		b, x := newBuilder(1, c, h, w)
		padded := b.add(ir.OpPad, ir.Attrs{PadAmounts: amounts, PadMode: "constant"}, b.add(ir.OpRelu, ir.Attrs{}, x))
		conv := b.add(ir.OpConv, a, padded, b.rand(-0.5, 0.5, cout, c/group, k, k), b.rand(-0.5, 0.5, cout))
		p := compileRun(t, b.finish(conv))
		for _, s := range p.Steps {
			if s.Op == ir.OpPad {
				t.Errorf("case %d (k %d, %+v, pad %v): the Pad was not folded\n%s", i, k, a, amounts, stepList(p))
			}
		}
	}
}

// TestFoldBNBeforeGemm: BatchNorm1d on pooled features before a classifier
// folds into the Gemm, for both weight layouts, with and without bias, at
// any Alpha and Beta; kept when the normalised features are also an output.
func TestFoldBNBeforeGemm(t *testing.T) {
	for _, c := range []struct {
		transB, bias bool
		alpha, beta  float32
	}{{true, true, 1, 1}, {false, true, 0.5, 2}, {true, false, 1.5, 1}, {false, false, 1, 0.5}} {
		b, x := newBuilder(2, 3, 6, 6)
		f := b.add(ir.OpFlatten, ir.Attrs{Axis: 1}, b.add(ir.OpGlobalAveragePool, ir.Attrs{}, b.conv(x, 8, 3, 2, 1, true)))
		w := b.rand(-1, 1, 8, 5)
		if c.transB {
			w = b.rand(-1, 1, 5, 8)
		}
		in := []*ir.Value{b.bn(f, 1e-3), w}
		if c.bias {
			in = append(in, b.rand(-1, 1, 5))
		}
		y := b.add(ir.OpGemm, ir.Attrs{Alpha: c.alpha, Beta: c.beta, TransB: c.transB}, in...)
		p := compileRun(t, b.finish(y))
		wantSteps(t, "bn before gemm", p, "to-nhwc", "conv", "gavgpool", "gemm")
	}
	b, x := newBuilder(1, 6)
	n := b.bn(x, 1e-5)
	p := compileRun(t, b.finish(b.add(ir.OpGemm, ir.GemmAttrs(), n, b.rand(-1, 1, 3, 6)), n))
	wantSteps(t, "bn also an output", p, "generic:BatchNormalization", "gemm")
}
